"""Overload: a burst of big and small requests at `cadre serve` with its default limits. A request the server accepts
must be answered; one it cannot serve in time must be refused up front (429), never expire (504)."""
import http.client, json, os, re, shutil, signal, threading, time
from common import Cadre, Tally, TINY_BERT, task_rows, write_tsv, write_spec

BIG, BIG_INPUTS, SMALL = 40, 256, 500


def _post(port, path, body, results, i):
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        results[i] = response.status
    except Exception as e:  # a refused or reset connection is a failure too
        results[i] = type(e).__name__


def _metric(port, name):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    return sum(float(m.group(1)) for m in re.finditer(rf"^{name}{{[^}}]*}} ([0-9.e+]+)$", text, re.M))


def run(exe, work, use_lite):
    os.makedirs(work, exist_ok=True)
    cadre = Cadre(exe, os.path.join(work, "home"))
    real = os.path.exists(use_lite)
    cadre.ok("base", "import", use_lite if real else TINY_BERT, "--name", "base", timeout=600)
    write_tsv(os.path.join(work, "train.tsv"), task_rows(200, 1))
    write_tsv(os.path.join(work, "test.tsv"), task_rows(40, 2))
    cadre.ok("train", write_spec(work, name="burst", method="head", base="base"), cwd=work, timeout=900)
    # Without USE-lite the tiny base is too fast to overload at the default 30 s: a 2 s deadline stands in.
    extra = [] if real else ["--timeout-s", "2"]
    server = cadre.start("serve", "--port", "0", *extra)
    port = None
    for line in server.stdout:
        if m := re.search(r"listening on http://[^:]+:(\d+)", line):
            port = int(m.group(1))
            break
    tally = Tally("overload", f"{BIG} requests of {BIG_INPUTS} inputs and {SMALL} of 1 at once"
                              f" ({'USE-lite, default limits' if real else 'tiny BERT, 2 s timeout'})")
    if port is None:
        tally.add(False, "cadre serve did not start: " + server.stderr.read()[:200])
        return [tally]
    try:
        texts = [t for t, _ in task_rows(BIG_INPUTS, 3)]
        warm = [None]  # a user's first request loads the specialist; the burst measures the server warm
        _post(port, "/v1/specialists/burst/predict", {"inputs": texts[:8]}, warm, 0)
        if warm[0] != 200:
            tally.add(False, f"the warm-up request answered {warm[0]}")
        results = [None] * (BIG + SMALL)
        threads = [threading.Thread(target=_post, args=(port, "/v1/specialists/burst/predict",
                                                        {"inputs": texts if i < BIG else texts[i % BIG_INPUTS:][:1]}, results, i))
                   for i in range(BIG + SMALL)]
        started = time.time()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seconds = time.time() - started
        served = sum(BIG_INPUTS if i < BIG else 1 for i, s in enumerate(results) if s == 200)
        served += 8 if warm[0] == 200 else 0  # the warm-up request's inputs are served and counted too
        counted = _metric(port, "cadre_specialist_inputs_total")
        counts = {s: results.count(s) for s in set(results)}
        for s in results:
            tally.add(s in (200, 429), f"answered {s}")
        tally.notes.insert(0, "statuses " + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items(), key=str))
                           + f" in {seconds:.1f} s; inputs served {served}, counted by metrics {counted:.0f}")
        if counted != served:
            tally.add(False, f"cadre_specialist_inputs_total {counted:.0f} != inputs served {served}")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except Exception:
            server.kill()
    still = server.poll()
    tally.add(still == 0, f"cadre serve exited {still} after SIGTERM")
    return [tally]
