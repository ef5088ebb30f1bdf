#!/usr/bin/env python3
"""Writes the golden safetensors fixtures of tests/Cadre.Tests/Fixtures/safetensors/ with the standard library only.

Python here has no `safetensors` package, so this re-states Hugging Face's writer (safetensors/src/tensor.rs,
`prepare` and `Metadata::serialize`) in a few lines:
  * tensors sorted by dtype, descending along HF's `Dtype` enum (declared in increasing alignment), then by name
    (Rust `str` order = UTF-8 byte order);
  * header = serde_json compact map: "__metadata__" first when metadata is given, then the tensors in data order,
    each {"dtype","shape","data_offsets"}; serde_json escapes only '"', '\\' and control characters, as
    json.dumps(ensure_ascii=False) does;
  * header padded with spaces to a multiple of 8 bytes; 8-byte little-endian length in front; data after.
HF writes metadata keys in hash-map (random) order, so the fixture keeps one metadata key.

It also writes, as an independent check of docs/formats.md, each tensor's `cadre-tensor-v1` hash and the
`cadre-state-dict-v1` hash into mixed.expected.json. Run it from anywhere; it asserts HF's own published test vector
(tensor.rs, test_serialization) before writing. Fixtures are never edited: a change of format gets new files.
"""
import hashlib
import json
import os
import struct

# HF's Dtype enum, in declaration order (increasing alignment).
HF_DTYPES = ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64",
             "I64", "U64"]
SIZES = {"BOOL": 1, "U8": 1, "I8": 1, "I16": 2, "F16": 2, "BF16": 2, "I32": 4, "F32": 4, "F64": 8, "I64": 8}


def serialize(tensors, metadata=None):
    """tensors: {name: (dtype, shape, raw little-endian bytes)} -> the file's bytes, as HF's serialize() writes them."""
    for name, (dtype, shape, data) in tensors.items():
        count = 1
        for d in shape:
            count *= d
        assert count * SIZES[dtype] == len(data), name
    items = sorted(tensors.items(), key=lambda kv: (-HF_DTYPES.index(kv[1][0]), kv[0].encode("utf-8")))
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    offset = 0
    for name, (dtype, shape, data) in items:
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(data for _, (_, _, data) in items)


def tensor_hash(dtype, shape, data):
    """cadre-tensor-v1, as docs/formats.md defines it."""
    h = hashlib.sha256(b"cadre-tensor-v1\0" + dtype.encode("ascii") + b"\0" + struct.pack("<q", len(shape)))
    for d in shape:
        h.update(struct.pack("<q", d))
    h.update(data)
    return h.hexdigest()


def state_dict_hash(hashes):
    """cadre-state-dict-v1: names in UTF-8 byte order, each as int64 LE length, UTF-8 name, 32 raw hash bytes."""
    h = hashlib.sha256(b"cadre-state-dict-v1\0")
    for name in sorted(hashes, key=lambda n: n.encode("utf-8")):
        encoded = name.encode("utf-8")
        h.update(struct.pack("<q", len(encoded)) + encoded + bytes.fromhex(hashes[name]))
    return h.hexdigest()


def pack(fmt, values):
    return b"".join(struct.pack("<" + fmt, v) for v in values)


def hf_test_vector():
    """HF's test_serialization: 'attn.0', F32, [1, 2, 3], 0.0..5.0; its expected file is 64 header bytes, no padding."""
    out = serialize({"attn.0": ("F32", [1, 2, 3], pack("f", [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]))})
    header = b'{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}'
    assert out == struct.pack("<Q", 64) + header + pack("f", [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]), out
    return out


MIXED = {
    # Raw bit patterns, so the fixture pins NaN payloads, -0.0, infinities and denormals exactly.
    "embed.weight": ("F32", [2, 3], pack("I", [0x00000000, 0x80000000, 0x3FC00000, 0x7F800000, 0x7FC00001, 0x00000001])),
    "head.bias": ("F64", [2], pack("Q", [0x3FF0000000000000, 0xFFF0000000000000])),
    "ln.weight": ("F16", [3], pack("H", [0x3C00, 0xFBFF, 0x0001])),
    "bf.scale": ("BF16", [2, 2], pack("H", [0x3F80, 0xC049, 0x7F80, 0x0000])),
    "position_ids": ("I64", [1, 4], pack("q", [0, 1, -1, 1 << 62])),
    "counts": ("I32", [3], pack("i", [-2147483648, 7, 2147483647])),
    "i16": ("I16", [2], pack("h", [-32768, 12345])),
    "q": ("I8", [4], pack("b", [-128, -1, 0, 127])),
    "bytes": ("U8", [2, 2], bytes([0, 1, 128, 255])),
    "mask": ("BOOL", [5], bytes([1, 0, 1, 1, 0])),
    "temperature": ("F32", [], pack("f", [0.5])),
    "empty": ("F32", [0, 4], b""),
    "Zeta": ("F32", [1], pack("f", [-2.0])),
    # U+FF46 sorts before U+1F600 in UTF-8 (and Rust, and Python) but after it in UTF-16 ordinal order.
    "\uff46ull": ("F32", [1], pack("f", [7.0])),
    "\U0001F600.emoji": ("F32", [1], pack("f", [8.0])),
    'we"ird\\name\n\t\x01\x7f': ("U8", [1], bytes([42])),
}
METADATA = {"format": "pt"}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out_dir = os.path.join(here, "..", "..", "..", "tests", "Cadre.Tests", "Fixtures", "safetensors")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "hf_attn0.safetensors"), "wb") as f:
        f.write(hf_test_vector())
    with open(os.path.join(out_dir, "mixed.safetensors"), "wb") as f:
        f.write(serialize(MIXED, METADATA))
    hashes = {name: tensor_hash(*t) for name, t in MIXED.items()}
    expected = {
        "metadata": METADATA,
        "tensors": {name: {"dtype": d, "shape": s, "hex": data.hex(), "hash": hashes[name]}
                    for name, (d, s, data) in MIXED.items()},
        "state_dict_hash": state_dict_hash(hashes),
    }
    with open(os.path.join(out_dir, "mixed.expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, indent=1, ensure_ascii=True)
        f.write("\n")


if __name__ == "__main__":
    main()
