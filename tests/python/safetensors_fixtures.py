#!/usr/bin/python3
"""Safetensors files for the reader's tests, written by hand from the format's
specification (struct + json; the `safetensors` package is not installed):

  u64 little-endian header length | JSON header (padded with spaces to a
  multiple of 8) | the tensors' little-endian bytes, back to back

  safetensors_fixtures.py OUT_DIR [--arch ARCH ...] [--convert FILE.pth ...]

OUT_DIR/dtypes.safetensors + dtypes.pth  every supported dtype (and a scalar
                                         and an empty tensor), the same tensors
OUT_DIR/ARCH.safetensors + ARCH.pth      the state dict of ARCH with random
                                         weights (torchvision, or reference.py's
                                         own models), in both formats
OUT_DIR/NAME.safetensors                 for each --convert NAME.pth: its state
                                         dict (torch.load), as safetensors
"""
import argparse
import json
import os
import struct
import sys

import torch

DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
          torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
          torch.bool: "BOOL"}


def tensor_bytes(t):
    t = t.detach().contiguous().reshape(-1)
    if t.numel() == 0:
        return b""
    if t.dtype == torch.bool:
        t = t.to(torch.uint8)
    return t.view(torch.uint8).numpy().tobytes()


def safetensors_bytes(tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name in sorted(tensors):
        t = tensors[name]
        data = tensor_bytes(t)
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def write_pair(out, stem, tensors, metadata=None):
    with open(os.path.join(out, stem + ".safetensors"), "wb") as f:
        f.write(safetensors_bytes(tensors, metadata))
    torch.save(dict(tensors), os.path.join(out, stem + ".pth"))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--arch", action="append", default=[])
    p.add_argument("--convert", action="append", default=[])
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    g = torch.Generator().manual_seed(3)
    dtypes = {
        "f32": torch.randn(3, 4, generator=g),
        "f16": torch.randn(5, generator=g).half(),
        "bf16": torch.randn(2, 3, generator=g).bfloat16(),
        "f64": torch.randn(2, 2, generator=g).double(),
        "i64": torch.tensor([-(2 ** 40), 7, 2 ** 62], dtype=torch.int64),
        "i32": torch.tensor([[-5, 6], [2 ** 30, -(2 ** 31)]], dtype=torch.int32),
        "i16": torch.tensor([-300, 300, 32767], dtype=torch.int16),
        "i8": torch.tensor([-128, 0, 127], dtype=torch.int8),
        "u8": torch.tensor([0, 1, 255], dtype=torch.uint8),
        "flags": torch.tensor([True, False, True]),
        "scalar": torch.tensor(2.5),
        "empty": torch.zeros(0, 3),
    }
    write_pair(a.out, "dtypes", dtypes, {"format": "pt", "note": "written by hand"})
    for arch in a.arch:
        torch.manual_seed(11)
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import reference
        model = reference.build(arch, 1000)
        sd = {k: v for k, v in model.state_dict().items()}
        write_pair(a.out, arch, sd, {"format": "pt"})
        print(f"{arch}: {len(sd)} tensors")
    for path in a.convert:
        sd = torch.load(path, map_location="cpu")
        stem = os.path.splitext(os.path.basename(path))[0]
        with open(os.path.join(a.out, stem + ".safetensors"), "wb") as f:
            f.write(safetensors_bytes(dict(sd)))
        print(f"{path}: {len(sd)} tensors converted")


if __name__ == "__main__":
    main()
