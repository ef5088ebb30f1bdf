"""Many cadre processes at once on one store: every one succeeds, and everything each reported is there after."""
import os, shutil
from common import Tally, TINY_BERT, write_spec


def run(cadre, export, work, rng, rounds):
    os.makedirs(work, exist_ok=True)
    task = os.path.join(work, "task")
    shutil.copytree(os.path.dirname(export), task, ignore=shutil.ignore_patterns("export"))
    processes = Tally("concurrent processes", f"processes ({rounds} rounds of tag, import, base import, checkout, gc, train)")
    lost = Tally("concurrent processes", "versions, tags and bases reported and then missing")
    for r in range(rounds):
        jobs = []  # (what, Popen, check after)
        for i in range(10):
            tag = f"r{r}-t{i}"
            jobs.append((f"tag {tag}", cadre.start("tag", "tiny-task", tag), ("tag", tag)))
        for i in range(4):
            name = f"conc-r{r}-i{i}"
            jobs.append((f"import {name}", cadre.start("specialist", "import", export, "--name", name), ("specialist", name)))
        for i in range(2):
            name = f"conc-r{r}-b{i}"
            jobs.append((f"base import {name}", cadre.start("base", "import", TINY_BERT, "--name", name), ("base", name)))
        jobs.append(("checkout", cadre.start("checkout", "tiny-task@1"), None))
        jobs += [("gc", cadre.start("gc"), None), ("gc", cadre.start("gc"), None)]
        name = f"conc-r{r}-train"
        spec = write_spec(task, name=name, method="head", epochs=2)
        jobs.append((f"train {name}", cadre.start("train", spec, cwd=task), ("specialist", name)))
        rng.shuffle(jobs)
        for what, proc, check in jobs:
            out, err = proc.communicate(timeout=900)
            processes.add(proc.returncode == 0, f"{what}: exit {proc.returncode}: {err.strip()[:160]}")
        tags = cadre.run("tag", "tiny-task").out
        specialists = cadre.run("specialist", "list").out
        bases = cadre.run("base", "list").out
        for what, proc, check in jobs:
            if check is None or proc.returncode != 0:
                continue
            kind, name = check
            present = {"tag": name in tags, "specialist": name in specialists, "base": name in bases}[kind]
            lost.add(present, f"{kind} {name} reported stored, then missing")
    verified = cadre.verifies()
    lost.add(verified, "store does not verify after the rounds")
    return [processes, lost]
