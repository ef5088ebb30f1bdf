"""kill -9 at a random moment of train, import, gc and bundle apply: the store still verifies, nothing stored is lost."""
import os, shutil, signal, time
from common import Cadre, Tally, TINY_BERT, write_spec


def _kill_at(cadre, args, delay, cwd=None):
    proc = cadre.start(*args, cwd=cwd)
    time.sleep(delay)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.communicate()
    return proc.returncode


def _trials(tally, cadre, rng, count, args, names, cwd=None, setup=None):
    started = time.time()
    if setup:
        setup()
    first = cadre.run(*args, cwd=cwd, timeout=600)  # an uninterrupted run sets the time scale
    duration = max(time.time() - started, 0.5)
    if first.code != 0:
        tally.add(False, f"uninterrupted {args[0]} failed: {first.err.strip()[:100]}")
        return
    for _ in range(count):
        before = {n: set(cadre.versions(n)) for n in names()}
        if setup:
            setup()
        code = _kill_at(cadre, args, rng.random() * duration, cwd)
        lost = [n for n, ids in before.items() if not ids <= set(cadre.versions(n))]
        verified = cadre.verifies()
        tally.add(verified and not lost, f"killed (exit {code}): " + ("store does not verify" if not verified else f"lost versions of {lost}"))


def run(cadre, export, work, rng, count):
    os.makedirs(work, exist_ok=True)
    rows = []
    names = lambda: ["tiny-task"]

    t = Tally("kill -9", f"train ({count} kills)")
    task = os.path.join(work, "train")
    shutil.copytree(os.path.join(os.path.dirname(export)), task, ignore=shutil.ignore_patterns("export"))
    spec = write_spec(task, epochs=4)
    _trials(t, cadre, rng, count, ["train", spec], names, cwd=task)
    rows.append(t)

    t = Tally("kill -9", f"specialist import ({count} kills)")
    _trials(t, cadre, rng, count, ["specialist", "import", export, "--new-version"], names)
    rows.append(t)

    t = Tally("kill -9", f"base import ({count} kills)")
    n = iter(range(10_000))
    state = {}
    def next_base():
        state["args"] = ["base", "import", TINY_BERT, "--name", f"killed-{next(n)}"]
    next_base()
    _trials_base(t, cadre, rng, count, next_base, state)
    rows.append(t)

    t = Tally("kill -9", f"gc ({count} kills)")
    _trials(t, cadre, rng, count, ["gc"], names)
    rows.append(t)

    t = Tally("kill -9", f"bundle apply ({count} kills)")
    bundle = os.path.join(work, "all.bundle")
    cadre.ok("bundle", "create", "tiny-task", "--include-base", "-o", bundle)
    receiver = Cadre(cadre.exe, os.path.join(work, "receiver"))
    for _ in range(count):  # each trial into an empty home: a kill may leave it half applied, never broken
        shutil.rmtree(receiver.home, ignore_errors=True)
        os.makedirs(receiver.home)
        first = time.time()
        code = _kill_at(receiver, ["bundle", "apply", bundle], rng.random() * 3.0)
        verified = receiver.verifies()
        again = receiver.run("bundle", "apply", bundle)  # the interrupted apply can be finished
        t.add(verified and again.code == 0 and receiver.versions("tiny-task") == cadre.versions("tiny-task"),
              f"killed (exit {code}): verify {verified}, apply again {again.why() if again.code else 'ok'}")
    rows.append(t)

    t = Tally("kill -9", "staging left after gc")
    tmp = os.path.join(cadre.home, "tmp")
    cadre.run("gc")
    left = os.listdir(tmp) if os.path.isdir(tmp) else []
    t.add(not left, f"{len(left)} entries left in CADRE_HOME/tmp after gc")
    rows.append(t)
    return rows


def _trials_base(tally, cadre, rng, count, next_base, state):
    started = time.time()
    first = cadre.run(*state["args"])
    duration = max(time.time() - started, 0.5)
    if first.code != 0:
        tally.add(False, f"uninterrupted base import failed: {first.err.strip()[:100]}")
        return
    for _ in range(count):
        next_base()
        before = set(cadre.versions("tiny-task"))
        code = _kill_at(cadre, state["args"], rng.random() * duration)
        listed = cadre.run("base", "list")
        verified = cadre.verifies()
        tally.add(verified and listed.code == 0 and before <= set(cadre.versions("tiny-task")),
                  f"killed (exit {code}): verify {verified}, base list {listed.why() if listed.code else 'ok'}")
