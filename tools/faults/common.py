"""The pieces every trial shares: running cadre, judging a refusal, safetensors bytes, the tiny task, the table."""
import json, os, random, struct, subprocess, time
from dataclasses import dataclass, field

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
TINY_BERT = os.path.join(ROOT, "tools", "reference", "golden", "bert", "tiny-bert")


@dataclass
class Result:
    code: int
    out: str
    err: str
    seconds: float
    hung: bool = False

    def refused_cleanly(self):
        """Non-zero exit, in time, with one error line on stderr (progress and warnings aside) and no stack trace."""
        return not self.hung and self.code != 0 and len(self.errors()) == 1 and not self.crashed()

    def errors(self):
        return [l for l in self.err.replace("\r", "\n").splitlines() if l.startswith("error:")]

    def crashed(self):
        return "   at " in self.err or "error: unexpected " in self.err

    def why(self):
        if self.hung:
            return "hung"
        if self.code == 0:
            return "accepted"
        if self.crashed():
            return "crashed: " + next((l for l in self.err.splitlines() if "error:" in l or "   at " in l), "")[:120]
        errors = self.errors()
        return f"{len(errors)} error lines on stderr" if len(errors) != 1 else "refused"


class Cadre:
    def __init__(self, exe, home):
        self.exe, self.home = exe, home
        os.makedirs(home, exist_ok=True)

    def env(self):
        env = dict(os.environ, CADRE_HOME=self.home)
        env.pop("CADRE_DEBUG", None)
        return env

    def start(self, *args, cwd=None):
        return subprocess.Popen([self.exe, *args], env=self.env(), cwd=cwd, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def run(self, *args, timeout=120, cwd=None):
        started = time.time()
        proc = self.start(*args, cwd=cwd)
        try:
            out, err = proc.communicate(timeout=timeout)
            return Result(proc.returncode, out, err, time.time() - started)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            return Result(-9, out, err, time.time() - started, hung=True)

    def ok(self, *args, **kw):
        r = self.run(*args, **kw)
        if r.code != 0:
            raise SystemExit(f"cadre {' '.join(args)} failed ({r.code}): {r.err.strip()[:400]}")
        return r

    def versions(self, name):
        r = self.run("log", name, "--json")
        return [json.loads(l)["id"] for l in r.out.splitlines() if l.strip().startswith("{")] if r.code == 0 else []

    def verifies(self):
        return self.run("verify", timeout=300).code == 0


# --- safetensors, as bytes -------------------------------------------------------------------------------------
def read_safetensors(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    return header, data[8 + n:]


def write_safetensors(path, header, body):
    raw = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw + body)


def poison(path, value, tensor_index=0):
    """Writes `value` (a float) into the first element of one F32 tensor."""
    header, body = read_safetensors(path)
    names = sorted(k for k in header if k != "__metadata__")
    start = header[names[tensor_index]]["data_offsets"][0]
    body = body[:start] + struct.pack("<f", value) + body[start + 4:]
    write_safetensors(path, header, body)


# --- the tiny task ---------------------------------------------------------------------------------------------
FILLERS = "the a big small is on mat fast slow sat and not".split()


def task_rows(count, seed):
    r = random.Random(seed)
    for i in range(count):
        animal = i % 2 == 0
        key = r.choice(["cat", "dog"]) if animal else r.choice(["red", "blue"])
        words = [r.choice(FILLERS) for _ in range(2 + r.randrange(4))]
        words.insert(r.randrange(len(words) + 1), key)
        yield " ".join(words), "animal" if animal else "color"


def write_tsv(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        f.write("text\tlabel\n" + "".join(f"{t}\t{l}\n" for t, l in rows))
    return path


def write_spec(folder, name="tiny-task", train="train.tsv", test="test.tsv", method="lora", epochs=2, base="tiny"):
    path = os.path.join(folder, f"{name}.yaml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"""specialists:
  - name: {name}
    base: {base}
    data: {{train: {train}, test: {test}}}
    adapter: {{method: {method}}}
    training: {{epochs: {epochs}, learning_rate: 1e-2, batch_size: 16, early_stopping: 0}}
""")
    return path


def tiny_task(cadre, folder):
    """Imports tiny BERT as 'tiny', trains the LoRA specialist 'tiny-task' and exports it; returns the export."""
    os.makedirs(folder, exist_ok=True)
    cadre.ok("base", "import", TINY_BERT, "--name", "tiny")
    write_tsv(os.path.join(folder, "train.tsv"), task_rows(120, 1))
    write_tsv(os.path.join(folder, "test.tsv"), task_rows(40, 2))
    cadre.ok("train", write_spec(folder), cwd=folder, timeout=600)
    export = os.path.join(folder, "export")
    cadre.ok("specialist", "export", "tiny-task", "-o", export)
    return export


# --- the table -------------------------------------------------------------------------------------------------
@dataclass
class Tally:
    area: str
    trial: str
    trials: int = 0
    good: int = 0          # refused cleanly, or survived intact
    failures: int = 0
    notes: list = field(default_factory=list)

    def add(self, passed, note=None):
        self.trials += 1
        if passed:
            self.good += 1
        else:
            self.failures += 1
            if note and len(self.notes) < 3:
                self.notes.append(note)

    @staticmethod
    def table(rows):
        lines = ["| area | trial | trials | as expected | failures | notes and first failures |",
                 "| --- | --- | ---: | ---: | ---: | --- |"]
        for r in rows:
            notes = "; ".join(n.replace("|", "/") for n in r.notes)
            lines.append(f"| {r.area} | {r.trial} | {r.trials} | {r.good} | {r.failures} | {notes} |")
        total = sum(r.trials for r in rows), sum(r.good for r in rows), sum(r.failures for r in rows)
        lines.append(f"| **all** | | **{total[0]}** | **{total[1]}** | **{total[2]}** | |")
        return "\n".join(lines)
