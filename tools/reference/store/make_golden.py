#!/usr/bin/python3
"""Golden fixtures of Cadre's store formats, version 1, written from docs/formats.md alone (numpy + the standard
library), independently of Cadre's C# code: a store (store.json, objects in every codec, manifests, version records,
a base entry, refs) and a bundle carrying all of it. tests/Cadre.Tests/Store/StoreGoldenTests.cs reads them.

Run once (Debian python3 with python3-numpy): /usr/bin/python3 tools/reference/store/make_golden.py tests/Cadre.Tests/Fixtures/store
Fixtures of a released format version are never edited or regenerated."""
import hashlib, json, os, struct, sys, zlib
import numpy as np

OUT = sys.argv[1]
STORE = os.path.join(OUT, "home", "store")
CHUNK = 1 << 20
DT = {"F32": (np.float32, 4), "F16": (np.float16, 2), "I32": (np.int32, 4)}
objects = {}  # id -> stored bytes


def blob_id(data):
    return hashlib.sha256(b"cadre-blob-v1\0" + data).hexdigest()


def tensor_id(dtype, shape, raw):
    h = hashlib.sha256(b"cadre-tensor-v1\0" + dtype.encode() + b"\0" + struct.pack("<q", len(shape)))
    for d in shape:
        h.update(struct.pack("<q", d))
    h.update(raw)
    return h.hexdigest()


def shuffle(chunk, es):
    m = len(chunk) // es
    return bytes(np.frombuffer(chunk, np.uint8).reshape(m, es).T.copy().tobytes())


def shuffled(raw, es):
    return b"".join(shuffle(raw[i:i + CHUNK], es) for i in range(0, len(raw), CHUNK))


def put(oid, header, payload):
    head = json.dumps(header, separators=(",", ":")).encode()
    objects[oid] = b"CADROBJ1" + struct.pack("<I", len(head)) + head + payload
    path = os.path.join(STORE, "objects", oid[:2], oid[2:])
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(objects[oid])
    return oid


def put_blob(data, codec="deflate"):
    payload = zlib.compress(data) if codec == "deflate" else data
    return put(blob_id(data), {"kind": "blob", "size": len(data), "codec": codec}, payload)


def tensor_header(dtype, shape, raw, codec, **extra):
    h = {"kind": "tensor", "dtype": dtype, "shape": list(shape), "size": len(raw), "codec": codec}
    h.update(extra)
    return h


def put_tensor(dtype, shape, values, codec, base=None, base_values=None, depth=0, factors=None):
    np_type, es = DT[dtype]
    raw = np.asarray(values, np_type).tobytes()
    oid = tensor_id(dtype, shape, raw)
    if codec == "raw":
        return put(oid, tensor_header(dtype, shape, raw, "raw"), raw), raw
    if codec == "deflate":
        return put(oid, tensor_header(dtype, shape, raw, "deflate"), zlib.compress(raw)), raw
    if codec == "shuffle_deflate":
        return put(oid, tensor_header(dtype, shape, raw, codec, chunk=CHUNK), zlib.compress(shuffled(raw, es))), raw
    base_raw = np.asarray(base_values, np_type).tobytes()
    delta = {"base": base, "depth": depth}
    if codec == "xor_deflate":
        x = bytes(a ^ b for a, b in zip(raw, base_raw))
        return put(oid, tensor_header(dtype, shape, raw, codec, chunk=CHUNK, **delta), zlib.compress(shuffled(x, es))), raw
    if codec == "sparse":
        out, gap = bytearray(), 0
        for i in range(0, len(raw), es):
            if raw[i:i + es] == base_raw[i:i + es]:
                gap += 1
                continue
            v = gap
            while v >= 0x80:
                out.append((v & 0x7F) | 0x80)
                v >>= 7
            out.append(v)
            out += raw[i:i + es]
            gap = 0
        return put(oid, tensor_header(dtype, shape, raw, codec, **delta), zlib.compress(bytes(out))), raw
    if codec == "low_rank":
        u, v = factors  # float32 (m, r), (r, n)
        m, n = shape
        acc = np.zeros((m, n), np.float64)
        for t in range(u.shape[1]):  # Σ_t U[i,t]·V[t,j] in this order, each product and sum rounded to double
            acc = acc + u[:, t].astype(np.float64)[:, None] * v[t, :].astype(np.float64)[None, :]
        recon = (np.asarray(base_values, np_type).astype(np.float64).reshape(m, n) + acc).astype(np_type).tobytes()
        x = bytes(a ^ b for a, b in zip(raw, recon))
        payload = u.astype("<f4").tobytes() + v.astype("<f4").tobytes() + shuffled(x, es)
        return put(oid, tensor_header(dtype, shape, raw, codec, chunk=CHUNK, rank=u.shape[1], **delta), zlib.compress(payload)), raw
    raise ValueError(codec)


def safetensors(tensors):
    """(header bytes, file bytes) for [(name, dtype, shape, raw)] laid out in the given order."""
    header, at = {}, 0
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [at, at + len(raw)]}
        at += len(raw)
    text = json.dumps(header, separators=(",", ":"))
    text += " " * ((8 - (len(text) + 8) % 8) % 8)
    head = text.encode()
    return head, struct.pack("<Q", len(head)) + head + b"".join(t[3] for t in tensors)


def snapshot(files):
    """files: path -> ("blob", bytes) or ("safetensors", [(name, dtype, shape, raw, id)]); returns the manifest id."""
    entries = []
    for path in sorted(files):
        kind, content = files[path]
        if kind == "blob":
            entries.append({"path": path, "size": len(content), "blob": put_blob(content)})
            expected[current][path] = content
            continue
        head, data = safetensors([t[:4] for t in content])
        entries.append({"path": path, "size": len(data), "header": put_blob(head),
                        "tensors": [{"name": t[0], "dtype": t[1], "shape": list(t[2]), "id": t[4]} for t in content]})
        expected[current][path] = data
    return put_blob(json.dumps({"format_version": 1, "type": "manifest", "files": entries}).encode())


rng = np.random.default_rng(20261202)
expected, current = {}, None
base_identity = {"name": "goldbase", "architecture": "bert", "content_hash": "ab" * 32}

# The base: one tensor the first version is stored against.
current = "base"
expected[current] = {}
emb = rng.standard_normal((16, 8)).astype(np.float32)
emb_id, emb_raw = put_tensor("F32", (16, 8), emb, "shuffle_deflate")
base_manifest = snapshot({"model.safetensors": ("safetensors", [("embeddings.weight", "F32", (16, 8), emb_raw, emb_id)]),
                          "base.json": ("blob", b'{"note": "golden base"}')})
base_entry = put_blob(json.dumps({"format_version": 1, "type": "base", "base": base_identity, "manifest": base_manifest}).encode())

# Version 1: every self-contained codec, and one delta against the base.
current = "v1"
expected[current] = {}
w1 = rng.standard_normal((64, 48)).astype(np.float32) * 0.05
s1 = rng.standard_normal(100).astype(np.float16)
x1 = np.arange(10, dtype=np.int32) * 7
e1 = emb + np.float32(1e-3)
w1_id, w1_raw = put_tensor("F32", (64, 48), w1, "shuffle_deflate")
s1_id, s1_raw = put_tensor("F16", (100,), s1, "raw")
x1_id, x1_raw = put_tensor("I32", (10,), x1, "deflate")
e1_id, e1_raw = put_tensor("F32", (16, 8), e1, "xor_deflate", base=emb_id, base_values=emb, depth=1)
m1 = snapshot({"model.safetensors": ("safetensors", [("w", "F32", (64, 48), w1_raw, w1_id), ("e", "F32", (16, 8), e1_raw, e1_id),
                                                     ("x", "I32", (10,), x1_raw, x1_id), ("s", "F16", (100,), s1_raw, s1_id)]),
               "notes.json": ("blob", b'{"version": 1}')})

# Version 2: each tensor as a delta on version 1's: low rank, sparse, XOR; "e" unchanged.
current = "v2"
expected[current] = {}
u = rng.standard_normal((64, 2)).astype(np.float32) * 0.01
v = rng.standard_normal((2, 48)).astype(np.float32) * 0.01
w2 = (w1.astype(np.float64) + u.astype(np.float64) @ v.astype(np.float64)).astype(np.float32)
s2 = s1.copy()
s2[[3, 50, 99]] += np.float16(0.5)
x2 = x1 + 1
w2_id, w2_raw = put_tensor("F32", (64, 48), w2, "low_rank", base=w1_id, base_values=w1, depth=1, factors=(u, v))
s2_id, s2_raw = put_tensor("F16", (100,), s2, "sparse", base=s1_id, base_values=s1, depth=1)
x2_id, x2_raw = put_tensor("I32", (10,), x2, "xor_deflate", base=x1_id, base_values=x1, depth=1)
m2 = snapshot({"model.safetensors": ("safetensors", [("w", "F32", (64, 48), w2_raw, w2_id), ("e", "F32", (16, 8), e1_raw, e1_id),
                                                     ("x", "I32", (10,), x2_raw, x2_id), ("s", "F16", (100,), s2_raw, s2_id)]),
               "notes.json": ("blob", b'{"version": 2}')})


def version(number, parents, manifest, message):
    return put_blob(json.dumps({"format_version": 1, "type": "version", "name": "golden", "number": number, "parents": parents,
                                "manifest": manifest, "base": base_identity, "message": message,
                                "created_at": "2026-12-02T00:00:00+00:00"}).encode())


v1 = version(1, [], m1, "first")
v2 = version(2, [v1], m2, "second")


def ref(path, value):
    full = os.path.join(STORE, "refs", path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as f:
        f.write(value + "\n")


ref("specialists/golden/HEAD", "ref: heads/main")
ref("specialists/golden/heads/main", v2)
ref("specialists/golden/tags/first", v1)
ref("specialists/golden/versions", f"1 {v1}\n2 {v2}")
ref("bases/goldbase", base_entry)
with open(os.path.join(STORE, "store.json"), "w") as f:
    json.dump({"format_version": 1, "type": "cadre-store"}, f)

# A bundle of both versions with the base, as a receiver with nothing would need it.
order = sorted(objects)
head = json.dumps({"format_version": 1, "type": "bundle", "specialist": "golden", "branch": "main", "tip": v2,
                   "versions": [v1, v2], "prerequisites": [], "base": base_identity, "base_entry": base_entry,
                   "objects": [{"id": o, "length": len(objects[o])} for o in order],
                   "created_at": "2026-12-02T00:00:00+00:00"}).encode()
with open(os.path.join(OUT, "golden.bundle"), "wb") as f:
    f.write(b"CADRBDL1" + struct.pack("<I", len(head)) + head + b"".join(objects[o] for o in order))

# What each version's files must read back as, and the ids a test can check.
for name, files in expected.items():
    for path, data in files.items():
        full = os.path.join(OUT, "expected", name, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(data)
with open(os.path.join(OUT, "ids.json"), "w") as f:
    json.dump({"v1": v1, "v2": v2, "base_entry": base_entry,
               "codecs": {w1_id: "shuffle_deflate", s1_id: "raw", x1_id: "deflate", e1_id: "xor_deflate",
                          w2_id: "low_rank", s2_id: "sparse", x2_id: "xor_deflate"}}, f, indent=1)
print("wrote", OUT, len(objects), "objects")
