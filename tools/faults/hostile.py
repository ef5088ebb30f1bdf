"""Hostile files: each must be refused with one line and a non-zero exit, and the store must still verify."""
import json, os, shutil, struct
from common import Tally, TINY_BERT, read_safetensors, write_safetensors, poison, write_tsv, write_spec, task_rows

ADAPTER, HEAD, CONFIG, RECORD = "adapter_model.safetensors", "head.safetensors", "adapter_config.json", "cadre.json"
PICKLE = b"\x80\x02}q\x00X\x01\x00\x00\x00aq\x01K\x01s."  # a protocol-2 pickle of {'a': 1}: never to be opened


def _json_edit(path, change):
    data = json.load(open(path))
    change(data)
    json.dump(data, open(path, "w"))


def _rewrite(path, change):
    header, body = read_safetensors(path)
    header, body = change(header, body)
    write_safetensors(path, header, body)


def _raw(path, data):
    os.remove(path)
    open(path, "wb").write(data)


def _link(path, target):
    os.remove(path)
    os.symlink(target, path)


def _fifo(path):
    os.remove(path)
    os.mkfifo(path)


def _dir(path):
    os.remove(path)
    os.mkdir(path)


def _first(header):
    return sorted(k for k in header if k != "__metadata__")[0]


def _rename_all(h, b):
    return {("x." + k if k != "__metadata__" else k): v for k, v in h.items()}, b


def _set_first(h, b, key, value):
    h[_first(h)][key] = value
    return h, b


def _long_name(h, b):
    h["n" * 100_000] = h.pop(_first(h))
    return h, b


def _overlap(h, b):
    names = sorted(k for k in h if k != "__metadata__")
    h[names[1]]["data_offsets"] = h[names[0]]["data_offsets"]
    return h, b


def _header_len(path, n):
    data = open(path, "rb").read()
    open(path, "wb").write(struct.pack("<Q", n) + data[8:])


def _half(path):
    data = open(path, "rb").read()
    open(path, "wb").write(data[:len(data) // 2])


# The hostile specialist folders: (name, file, how). Each is imported with `cadre specialist import DIR --name`.
SPECIALIST_CASES = [
    ("adapter empty", ADAPTER, lambda p: _raw(p, b"")),
    ("adapter 7 bytes", ADAPTER, lambda p: _raw(p, b"\x10\0\0\0\0\0\0")),
    ("adapter truncated to half", ADAPTER, _half),
    ("header length 2^63", ADAPTER, lambda p: _header_len(p, 1 << 63)),
    ("header length past the end", ADAPTER, lambda p: _header_len(p, os.path.getsize(p))),
    ("header not JSON", ADAPTER, lambda p: _raw(p, struct.pack("<Q", 16) + b"\xff" * 16)),
    ("header a JSON array", ADAPTER, lambda p: _raw(p, struct.pack("<Q", 2) + b"[]")),
    ("unknown dtype", ADAPTER, lambda p: _rewrite(p, lambda h, b: _set_first(h, b, "dtype", "Q7"))),
    ("negative shape", ADAPTER, lambda p: _rewrite(p, lambda h, b: _set_first(h, b, "shape", [-4, 8]))),
    ("shape larger than its bytes", ADAPTER, lambda p: _rewrite(p, lambda h, b: _set_first(h, b, "shape", [4096, 4096]))),
    ("offsets past the data", ADAPTER, lambda p: _rewrite(p, lambda h, b: _set_first(h, b, "data_offsets", [0, 1 << 40]))),
    ("overlapping offsets", ADAPTER, lambda p: _rewrite(p, _overlap)),
    ("100,000-character tensor name", ADAPTER, lambda p: _rewrite(p, _long_name)),
    ("renamed tensors", ADAPTER, lambda p: _rewrite(p, _rename_all)),
    ("NaN in the adapter", ADAPTER, lambda p: poison(p, float("nan"))),
    ("Inf in the head", HEAD, lambda p: poison(p, float("inf"))),
    ("head file in place of the adapter", ADAPTER, lambda p: shutil.copyfile(os.path.join(os.path.dirname(p), HEAD), p)),
    ("r: 16 over rank-8 tensors", CONFIG, lambda p: _json_edit(p, lambda d: d.update(r=16))),
    ("all-zero base content hash", RECORD, lambda p: _json_edit(p, lambda d: d["base"].update(content_hash="0" * 64))),
    ("unknown record format version", RECORD, lambda p: _json_edit(p, lambda d: d.update(format_version=999))),
    ("record not JSON", RECORD, lambda p: _raw(p, b"{\"name\": ")),
    ("adapter missing", ADAPTER, os.remove),
    ("adapter a symlink to /dev/zero", ADAPTER, lambda p: _link(p, "/dev/zero")),
    ("adapter a symlink to /dev/urandom", ADAPTER, lambda p: _link(p, "/dev/urandom")),
    ("adapter a FIFO", ADAPTER, _fifo),
    ("adapter a directory", ADAPTER, _dir),
    ("adapter a pickle", ADAPTER, lambda p: _raw(p, PICKLE)),
]

BASE_CASES = [
    ("weights a symlink to /dev/zero", lambda p: _link(p, "/dev/zero")),
    ("weights a symlink to /dev/urandom", lambda p: _link(p, "/dev/urandom")),
    ("weights a FIFO", _fifo),
    ("weights truncated", _half),
    ("weights with trailing bytes", lambda p: open(p, "ab").write(b"\0" * 4096)),
    ("NaN in the weights", lambda p: poison(p, float("nan"))),
    ("weights a pickle", lambda p: (_raw(p, PICKLE), os.rename(p, p.replace("model.safetensors", "pytorch_model.bin")))),
]

DATA_CASES = [  # (name, rows or raw bytes for train.tsv)
    ("header-only data", []),
    ("one row", list(task_rows(1, 5))),
    ("two rows of two classes", list(task_rows(2, 5))),
    ("200 rows of 200 labels", [(t, f"label{i}") for i, (t, _) in enumerate(task_rows(200, 5))]),
    ("one class", [(t, "animal") for t, _ in task_rows(60, 5)]),
    ("binary garbage", bytes(range(256)) * 40),
]


def run(cadre, export, work, rng, fuzz):
    os.makedirs(work, exist_ok=True)
    rows = [_specialists(cadre, export, work), _bases(cadre, work), _bundles(cadre, export, work),
            _data(cadre, work), _fuzz(cadre, export, work, rng, fuzz)]
    return rows


def _judge(tally, cadre, name, result):
    verified = cadre.verifies()
    tally.add(result.refused_cleanly() and verified,
              f"{name}: {result.why()}" + ("" if verified else ", store no longer verifies"))


def _specialists(cadre, export, work):
    tally = Tally("hostile files", "specialist import")
    for i, (name, file, how) in enumerate(SPECIALIST_CASES):
        folder = os.path.join(work, f"specialist-{i}")
        shutil.copytree(export, folder)
        how(os.path.join(folder, file))
        _judge(tally, cadre, name, cadre.run("specialist", "import", folder, "--name", f"hostile-{i}", timeout=60))
    return tally


def _bases(cadre, work):
    tally = Tally("hostile files", "base import")
    tmp = os.path.join(cadre.home, "tmp")
    for i, (name, how) in enumerate(BASE_CASES):
        folder = os.path.join(work, f"base-{i}")
        shutil.copytree(TINY_BERT, folder)
        how(os.path.join(folder, "model.safetensors"))
        before = set(os.listdir(tmp)) if os.path.isdir(tmp) else set()
        result = cadre.run("base", "import", folder, "--name", f"hostile-{i}", timeout=60)
        left = (set(os.listdir(tmp)) if os.path.isdir(tmp) else set()) - before  # a refusal leaves no staging
        verified = cadre.verifies()
        tally.add(result.refused_cleanly() and verified and not left,
                  f"{name}: {result.why()}" + ("" if verified else ", store no longer verifies")
                  + (f", {len(left)} staging entries left in tmp" if left else ""))
    return tally


def _bundles(cadre, export, work):
    """Applied to a home that has the base and nothing else, so that every object in the bundle is read."""
    from common import Cadre
    tally = Tally("hostile files", "bundle apply")
    good = os.path.join(work, "good.bundle")
    cadre.ok("bundle", "create", "tiny-task", "-o", good)
    receiver = Cadre(cadre.exe, os.path.join(work, "receiver-home"))
    receiver.ok("base", "import", TINY_BERT, "--name", "tiny")
    data = open(good, "rb").read()
    cases = [("random bytes", bytes(range(256)) * 64), ("truncated", data[:len(data) // 2]),
             ("one byte flipped", data[:len(data) // 2] + bytes([data[len(data) // 2] ^ 0xFF]) + data[len(data) // 2 + 1:]),
             ("empty", b"")]
    for name, content in cases:
        path = os.path.join(work, name.replace(" ", "-") + ".bundle")
        open(path, "wb").write(content)
        _judge(tally, receiver, name, receiver.run("bundle", "apply", path, timeout=60))
    # A bundle carrying a different base under the name 'tiny', made in another home.
    other = Cadre(cadre.exe, os.path.join(work, "other-home"))
    changed = os.path.join(work, "other-tiny")
    shutil.copytree(TINY_BERT, changed)
    poison(os.path.join(changed, "model.safetensors"), 0.125)
    other.ok("base", "import", changed, "--name", "tiny")
    folder = os.path.join(work, "other-task")
    os.makedirs(folder)
    write_tsv(os.path.join(folder, "train.tsv"), task_rows(120, 1))
    write_tsv(os.path.join(folder, "test.tsv"), task_rows(40, 2))
    other.ok("train", write_spec(folder, name="other-task", method="head"), cwd=folder, timeout=600)
    carried = os.path.join(work, "other-base.bundle")
    other.ok("bundle", "create", "other-task", "--include-base", "-o", carried)
    _judge(tally, cadre, "a different base under an existing name", cadre.run("bundle", "apply", carried, timeout=120))
    return tally


def _data(cadre, work):
    tally = Tally("hostile files", "training data")
    for i, (name, rows) in enumerate(DATA_CASES):
        folder = os.path.join(work, f"data-{i}")
        os.makedirs(folder)
        train = os.path.join(folder, "train.tsv")
        if isinstance(rows, bytes):
            open(train, "wb").write(rows)
        else:
            write_tsv(train, rows)
        write_tsv(os.path.join(folder, "test.tsv"), task_rows(10, 9))
        spec = write_spec(folder, name=f"data-{i}", method="head")
        _judge(tally, cadre, name, cadre.run("train", spec, cwd=folder, timeout=300))
        check = cadre.run("data", "check", spec, cwd=folder, timeout=300)
        tally.add(check.code != 0 and not check.hung and not check.crashed(),
                  f"data check on {name}: {check.why()}")
    for name, text in [("spec not YAML", "specialists: [\n  - {"), ("unknown method", None), ("missing data file", None)]:
        folder = os.path.join(work, "spec-" + name.replace(" ", "-"))
        os.makedirs(folder)
        write_tsv(os.path.join(folder, "train.tsv"), task_rows(60, 3))
        write_tsv(os.path.join(folder, "test.tsv"), task_rows(10, 9))
        spec = write_spec(folder, name="spec-case", method="lorra" if name == "unknown method" else "head",
                          train="absent.tsv" if name == "missing data file" else "train.tsv")
        if text is not None:
            open(spec, "w").write(text)
        _judge(tally, cadre, name, cadre.run("train", spec, cwd=folder, timeout=120))
    return tally


def _fuzz(cadre, export, work, rng, count):
    """Seeded random byte changes in the adapter file: refused cleanly, or accepted and then predicting finite numbers."""
    tally = Tally("hostile files", f"fuzzed adapter files ({count}, seeded)")
    original = open(os.path.join(export, ADAPTER), "rb").read()
    header_end = 8 + struct.unpack("<Q", original[:8])[0]
    for i in range(count):
        data = bytearray(original)
        for _ in range(rng.randint(1, 8)):  # mostly the header, where parsing can go wrong; some in the data
            at = rng.randrange(header_end) if rng.random() < 0.8 else rng.randrange(len(data))
            data[at] = rng.randrange(256)
        folder = os.path.join(work, f"fuzz-{i}")
        shutil.copytree(export, folder)
        open(os.path.join(folder, ADAPTER), "wb").write(bytes(data))
        name = f"fuzz-{i}"
        r = cadre.run("specialist", "import", folder, "--name", name, timeout=60)
        if r.code == 0:
            p = cadre.run("predict", name, "--json", "the big cat", timeout=60)
            finite = p.code == 0 and "NaN" not in p.out and "Infinity" not in p.out
            tally.add(finite and cadre.verifies(), f"fuzz {i}: accepted, then predict {p.why() if p.code else 'gave ' + p.out.strip()[:80]}")
        else:
            _judge(tally, cadre, f"fuzz {i}", r)
        shutil.rmtree(folder)
    return tally
