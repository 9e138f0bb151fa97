#!/usr/bin/python3
"""Adds to the fuzz seed corpus what only Python writes (see fuzz/seeds/MakeSeeds.cpp).

  fuzz_seeds.py OUT_DIR

OUT_DIR/fuzz_pth:    legacy-format .pth files (torch.save with
                     _use_new_zipfile_serialization=False), views sharing a storage
OUT_DIR/fuzz_pickle: plain pickles of protocols 0-4 (containers, big ints, bytes)
OUT_DIR/fuzz_zip:    zip archives with stored and deflated entries
OUT_DIR/fuzz_safetensors: safetensors files of every supported dtype (with torch)
Without torch, only the pickles and zips are written.
"""
import collections
import io
import os
import pickle
import sys
import zipfile


def put(out, target, name, data):
    os.makedirs(os.path.join(out, target), exist_ok=True)
    with open(os.path.join(out, target, name), "wb") as f:
        f.write(data)


def main():
    out = sys.argv[1]
    plain = collections.OrderedDict(
        [("a", [1, 2.5, True, None]), ("b", (b"xy", "z" * 3, 2 ** 70)), ("c", {"d": -1})])
    for proto in range(0, 5):
        put(out, "fuzz_pickle", f"plain_p{proto}.pkl", pickle.dumps(plain, protocol=proto))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pickle.dumps({"k": 1}, protocol=2))
        z.writestr("archive/data/0", b"\0" * 16)
    put(out, "fuzz_zip", "stored.zip", buf.getvalue())
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("archive/data.pkl", pickle.dumps([1, 2, 3], protocol=2))
    put(out, "fuzz_zip", "deflated.zip", buf.getvalue())
    try:
        import torch
    except ImportError:
        return 0
    torch.manual_seed(0)
    base = torch.arange(12, dtype=torch.float32)
    sd = collections.OrderedDict([
        ("w", torch.randn(2, 3)),
        ("view", base[2:8].view(2, 3)),
        ("same_storage", base),
        ("t", base.view(3, 4).t()),
        ("half", torch.ones(3, dtype=torch.float16)),
        ("n", torch.tensor(5)),
    ])
    for name, fmt in (("legacy", False), ("zip", True)):
        b = io.BytesIO()
        torch.save(sd, b, _use_new_zipfile_serialization=fmt)
        put(out, "fuzz_pth", f"views_{name}.pth", b.getvalue())
    b = io.BytesIO()
    torch.save({"state_dict": sd, "epoch": 3}, b, _use_new_zipfile_serialization=False)
    put(out, "fuzz_pth", "checkpoint_legacy.pth", b.getvalue())
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from safetensors_fixtures import safetensors_bytes
    put(out, "fuzz_safetensors", "dtypes.safetensors", safetensors_bytes({
        "f32": torch.randn(2, 3), "f16": torch.ones(3, dtype=torch.float16), "bf16": torch.ones(2, dtype=torch.bfloat16),
        "f64": torch.zeros(1, dtype=torch.float64), "i64": torch.tensor([5]), "i32": torch.tensor([1, -2], dtype=torch.int32),
        "i16": torch.tensor([3], dtype=torch.int16), "i8": torch.tensor([-1], dtype=torch.int8),
        "u8": torch.tensor([255], dtype=torch.uint8), "flags": torch.tensor([True, False]), "empty": torch.zeros(0, 2),
        "scalar": torch.tensor(1.5)}, {"format": "pt"}))
    put(out, "fuzz_safetensors", "one.safetensors", safetensors_bytes({"w": torch.arange(4.0)}))
    b = io.BytesIO()
    torch.save(sd, b)
    with zipfile.ZipFile(io.BytesIO(b.getvalue())) as z:
        for n in z.namelist():
            if n.endswith("data.pkl"):
                put(out, "fuzz_pickle", "views.pkl", z.read(n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
