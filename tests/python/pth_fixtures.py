#!/usr/bin/python3
"""Writes the .pth files the weights-reader tests read, with torch.save.

  pth_fixtures.py OUT_DIR            small fixtures (below)
  pth_fixtures.py OUT_DIR --models   torchvision state dicts: mobilenet_v2 (zip
                                     and legacy) and resnet18 (zip), random
                                     weights, with models.json (a few values)

For each fixture NAME it writes NAME_zip.pth (zip format) and, where both
formats matter, NAME_legacy.pth (_use_new_zipfile_serialization=False), plus
expected.json: for every file, key -> {dtype, shape, values (flattened, as
float), data_offset, storage_offset} so the C++ test can compare exactly.
Hostile files (evil_*) would run `touch OUT_DIR/pwned` if they were ever
unpickled by Python's pickle.
"""
import collections
import json
import os
import pickle
import struct
import sys
import zipfile

import torch


class Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def describe(obj):
    out = {}
    for k, v in obj.items():
        if isinstance(v, torch.Tensor):
            out[k] = {
                "dtype": str(v.dtype).replace("torch.", ""),
                "shape": list(v.shape),
                "stride": list(v.stride()),
                "storage_offset": v.storage_offset(),
                "values": v.detach().double().flatten().tolist(),
            }
    return out


def save_both(obj, out, name, expected):
    torch.save(obj, os.path.join(out, f"{name}_zip.pth"))
    torch.save(obj, os.path.join(out, f"{name}_legacy.pth"), _use_new_zipfile_serialization=False)
    expected[name] = describe(obj)


def tiny_model():
    torch.manual_seed(0)
    m = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3, bias=False),
        torch.nn.BatchNorm2d(4),
        torch.nn.ReLU(),
        torch.nn.Flatten(),
        torch.nn.Linear(4, 2),
    )
    with torch.no_grad():
        m[1].running_mean.copy_(torch.randn(4))
        m[1].running_var.copy_(torch.rand(4) + 0.5)
    m[1].num_batches_tracked.fill_(7)
    return m


def legacy_prefix():
    # What torch.save writes before the object in the legacy format.
    out = b""
    out += pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2)
    out += pickle.dumps(1001, protocol=2)
    out += pickle.dumps({"protocol_version": 1001, "little_endian": True,
                         "type_sizes": {"short": 2, "int": 4, "long": 4}}, protocol=2)
    return out


def models(out):
    import torchvision

    torch.manual_seed(0)
    facts = {}
    mobilenet = torchvision.models.mobilenet_v2(weights=None).state_dict()
    torch.save(mobilenet, os.path.join(out, "mobilenet_v2_zip.pth"))
    torch.save(mobilenet, os.path.join(out, "mobilenet_v2_legacy.pth"), _use_new_zipfile_serialization=False)
    facts["mobilenet_v2"] = {k: mobilenet[k].double().sum().item()
                             for k in ("features.0.0.weight", "features.18.1.running_var", "classifier.1.weight")}
    facts["mobilenet_v2_count"] = len(mobilenet)
    torch.save(torchvision.models.resnet18(weights=None).state_dict(), os.path.join(out, "resnet18_zip.pth"))
    with open(os.path.join(out, "models.json"), "w") as f:
        json.dump(facts, f)
    return 0


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    if "--models" in sys.argv[2:]:
        return models(out)
    expected = {}
    marker = os.path.join(out, "pwned")

    # A real OrderedDict state_dict (with _metadata), as torch.save(model.state_dict()) writes it.
    sd = tiny_model().state_dict()
    assert isinstance(sd, collections.OrderedDict)
    save_both(sd, out, "tiny", expected)
    expected["tiny_order"] = list(sd.keys())

    # Views and shared storage.
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    views = collections.OrderedDict()
    views["base"] = base
    views["row"] = base[1]
    views["col"] = base[:, 2]
    views["t"] = base.t()
    views["block"] = base[1:3, 2:5]
    views["param"] = torch.nn.Parameter(torch.linspace(-1, 1, 5))
    views["scalar"] = torch.tensor(3.5)
    views["empty"] = torch.zeros(0, 3)
    save_both(views, out, "views", expected)

    # Common dtypes.
    values = [0, 1, -2, 3, 100, -7]
    dtypes = collections.OrderedDict()
    for dt in [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int64, torch.int32,
               torch.int16, torch.int8]:
        dtypes[str(dt).replace("torch.", "")] = torch.tensor(values, dtype=dt).reshape(2, 3)
    dtypes["uint8"] = torch.tensor([0, 1, 2, 200, 255, 7], dtype=torch.uint8)
    dtypes["bool"] = torch.tensor([True, False, True])
    dtypes["float_frac"] = torch.tensor([0.1, -2.5e-3, 1e10], dtype=torch.float32)
    save_both(dtypes, out, "dtypes", expected)

    # A training checkpoint holding the state dict.
    ckpt = {"state_dict": sd, "epoch": 3, "optimizer": {"lr": 0.1, "betas": (0.9, 0.999), "nesterov": False},
            "arch": "tiny", "history": [1.5, 0.75, None]}
    torch.save(ckpt, os.path.join(out, "checkpoint_zip.pth"))
    torch.save(ckpt, os.path.join(out, "checkpoint_legacy.pth"), _use_new_zipfile_serialization=False)

    # Hostile files: a tensor dict with an os.system call inside, as torch.save writes it ...
    torch.save({"w": torch.ones(2), "x": Evil(marker)}, os.path.join(out, "evil_torch_zip.pth"))
    torch.save({"w": torch.ones(2), "x": Evil(marker)}, os.path.join(out, "evil_torch_legacy.pth"),
               _use_new_zipfile_serialization=False)
    # ... a bare pickle (protocol 4: STACK_GLOBAL) in a torch.save-like zip ...
    with zipfile.ZipFile(os.path.join(out, "evil_zip.pth"), "w", zipfile.ZIP_STORED) as z:
        z.writestr("evil_zip/data.pkl", pickle.dumps(Evil(marker), protocol=4))
        z.writestr("evil_zip/version", "3\n")
    # ... the same in the legacy layout, and as a plain pickle file.
    with open(os.path.join(out, "evil_legacy.pth"), "wb") as f:
        f.write(legacy_prefix() + pickle.dumps(Evil(marker), protocol=2))
    with open(os.path.join(out, "evil_plain.pth"), "wb") as f:
        f.write(pickle.dumps(Evil(marker), protocol=2))
    # A harmless-looking class that is still not a tensor.
    with open(os.path.join(out, "evil_eval.pth"), "wb") as f:
        f.write(b"\x80\x02cbuiltins\neval\nX\x0b\x00\x00\x00print('hi')\x85R.")

    # Broken files.
    open(os.path.join(out, "empty.pth"), "wb").close()
    with open(os.path.join(out, "text.pth"), "w") as f:
        f.write("<html>404 Not Found</html>\n")
    with zipfile.ZipFile(os.path.join(out, "nopickle_zip.pth"), "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/readme.txt", "no data.pkl here")
    with zipfile.ZipFile(os.path.join(out, "tiny_zip.pth")) as src, \
            zipfile.ZipFile(os.path.join(out, "deflated_zip.pth"), "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
    for name in ("tiny_zip", "tiny_legacy", "dtypes_legacy"):
        data = open(os.path.join(out, f"{name}.pth"), "rb").read()
        with open(os.path.join(out, f"{name}_truncated.pth"), "wb") as f:
            f.write(data[: len(data) * 2 // 3])
    legacy = open(os.path.join(out, "tiny_legacy.pth"), "rb").read()
    with open(os.path.join(out, "tiny_legacy_pickle_cut.pth"), "wb") as f:
        f.write(legacy[:200])

    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f)
    print("fixtures written to", out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
