#!/usr/bin/python3
"""Golden fixture of the bundle format version 2 (docs/formats.md), written from the format description alone with
the standard library, independently of Cadre's C# code: the version 1 golden bundle (make_golden.py) with its header
rewritten to format_version 2 and a "tags" object naming version 1 "first" (as the golden store tags it). The objects
travel unchanged, so the fixture needs no numpy. tests/Cadre.Tests/Store/StoreGoldenTests.cs reads it.

Run once: /usr/bin/python3 tools/reference/store/make_golden_bundle_v2.py tests/Cadre.Tests/Fixtures/store
Fixtures of a released format version are never edited or regenerated."""
import json, os, struct, sys

OUT = sys.argv[1]
with open(os.path.join(OUT, "golden.bundle"), "rb") as f:
    data = f.read()
assert data[:8] == b"CADRBDL1"
(length,) = struct.unpack("<I", data[8:12])
head = json.loads(data[12:12 + length])
payload = data[12 + length:]
assert head["format_version"] == 1 and sum(o["length"] for o in head["objects"]) == len(payload)
with open(os.path.join(OUT, "ids.json")) as f:
    ids = json.load(f)
head["format_version"] = 2
head["tags"] = {"first": ids["v1"]}
new = json.dumps(head).encode()
with open(os.path.join(OUT, "golden-v2.bundle"), "wb") as f:
    f.write(b"CADRBDL1" + struct.pack("<I", len(new)) + new + payload)
print("wrote", os.path.join(OUT, "golden-v2.bundle"), len(head["objects"]), "objects, tags", head["tags"])
