#!/usr/bin/python3
"""Writes the hostile-input corpus that test_hostile_cli runs through tstudio.

  hostile_corpus.py --out DIR --run RUN_DIR --data DATA_DIR --marker FILE

  (optional: --experiment EXP_DIR, a finished tiny_cnn experiment to break the same way)

RUN_DIR is a finished one-epoch tiny_cnn run (model.tsb, checkpoints/, config.json,
manifest.json, metrics.jsonl) and DATA_DIR the train/ val/ dataset it was trained
on; both are copied and mutated, never changed. Every file a reader may open gets
broken the ways an attacker would: truncated, bit-flipped, sizes and dimensions
that ask for terabytes, nesting a million deep, wrong types, numbers out of range,
names with control characters, and pickles that would run `touch FILE` (--marker)
if anything unpickled them with Python's pickle.

Writes DIR/cases.json:
  {"baselines": {KIND: [args...]},           normal commands, one per KIND
   "cases": [{"name", "group", "kind", "args", "names", "expect", "bytes"}]}
  args    tstudio's arguments
  names   the error message must contain one of these (the file it is about)
  expect  "error": must fail with a message; "any": may also succeed
  kind    the baseline whose memory the case is compared with
  bytes   size of the hostile input (the memory allowance grows with it)
"""
import argparse
import collections
import copy
import io
import json
import os
import pickle
import random
import shutil
import struct
import sys
import zipfile
import warnings
import zlib

warnings.simplefilter("ignore")

import torch

CASES = []
BASELINES = {}


def case(name, group, kind, args, names, expect="error", nbytes=0, extra_mb=0):
    CASES.append({"name": name, "group": group, "kind": kind, "args": [str(a) for a in args],
                  "names": list(names), "expect": expect, "bytes": int(nbytes), "extra_mb": int(extra_mb)})


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return path


def read(path):
    with open(path, "rb") as f:
        return f.read()


def flips(data, seed, count):
    """`data` with `count` random bits flipped (deterministic per seed)."""
    rng = random.Random(seed)
    b = bytearray(data)
    for _ in range(count):
        i = rng.randrange(len(b))
        b[i] ^= 1 << rng.randrange(8)
    return bytes(b)


def cuts(data):
    """Truncations: empty, the first header, a half, all but one byte."""
    n = len(data)
    return {"empty": b"", "head": data[:min(n - 1, 30)], "half": data[: n // 2], "minus1": data[: n - 1]}


# ---------------------------------------------------------------- pickles ---
class Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class FakeStorage:
    def __init__(self, key, numel, dtype="FloatStorage"):
        self.key, self.numel, self.dtype = key, numel, dtype


class FakeTensor:
    """Pickles as torch.save pickles a tensor, with any offset, size and stride."""

    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride

    def __reduce__(self):
        return (torch._utils._rebuild_tensor_v2,
                (self.storage, self.offset, tuple(self.size), tuple(self.stride), False, collections.OrderedDict()))


class TorchPickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, FakeStorage):
            return ("storage", getattr(torch, obj.dtype), obj.key, "cpu", obj.numel)
        return None


def torch_pickle(obj):
    buf = io.BytesIO()
    TorchPickler(buf, protocol=2).dump(obj)
    return buf.getvalue()


def torch_zip(pkl, storages, folder="archive"):
    """A zip laid out as torch.save writes it, around any pickle and storages."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr(f"{folder}/data.pkl", pkl)
        z.writestr(f"{folder}/byteorder", "little")
        for key, data in storages.items():
            z.writestr(f"{folder}/data/{key}", data)
        z.writestr(f"{folder}/version", "3\n")
    return buf.getvalue()


def legacy_prefix():
    out = pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2)
    out += pickle.dumps(1001, protocol=2)
    out += pickle.dumps({"protocol_version": 1001, "little_endian": True,
                         "type_sizes": {"short": 2, "int": 4, "long": 4}}, protocol=2)
    return out


def legacy(obj_pickle, keys, records):
    """Legacy torch.save layout: prefix, object, key list, then per storage int64 numel + bytes."""
    out = legacy_prefix() + obj_pickle + pickle.dumps(keys, protocol=2)
    for numel, data in records:
        out += struct.pack("<q", numel) + data
    return out


def zip_entries(data):
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return [(i.filename, z.read(i.filename)) for i in z.infolist()]


def rezip(entries, method=zipfile.ZIP_STORED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in entries:
            z.writestr(name, data)
    return buf.getvalue()


def aliased_zip(count, size):
    """`count` central-directory entries that all point at one stored entry of `size` bytes."""
    payload = b"\0" * size
    crc = zlib.crc32(payload)
    name0 = b"archive/data/0"
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0, crc, size, size, len(name0), 0) + name0
    pkl_entries = {f"k{i}": FakeTensor(FakeStorage(str(i), size // 4), 0, (size // 4,), (1,)) for i in range(count)}
    pkl = torch_pickle(collections.OrderedDict(pkl_entries))
    pkl_name = b"archive/data.pkl"
    pcrc = zlib.crc32(pkl)
    out = bytearray()
    offsets = {}
    offsets["data"] = len(out)
    out += local + payload
    offsets["pkl"] = len(out)
    out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0, pcrc, len(pkl), len(pkl), len(pkl_name), 0)
    out += pkl_name + pkl
    cd_start = len(out)
    entries = 0
    for name, off, c, n in [(pkl_name, offsets["pkl"], pcrc, len(pkl))] + [
            (f"archive/data/{i}".encode(), offsets["data"], crc, size) for i in range(count)]:
        out += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, 0, 0, c, n, n, len(name), 0, 0, 0, 0,
                           0, off) + name
        entries += 1
    cd_size = len(out) - cd_start
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, entries, entries, cd_size, cd_start, 0)
    return bytes(out)


def deep_list_pickle(depth):
    # PROTO 2, then `depth` EMPTY_LISTs each appended to the one before, STOP.
    return b"\x80\x02" + b"]" * depth + b"a" * (depth - 1) + b"."


def deep_dict_pickle(depth):
    # {"k": {"k": ...}}: EMPTY_DICT, then for each level: key, EMPTY_DICT (nested), SETITEM at the end.
    return b"\x80\x02" + (b"}X\x01\x00\x00\x00k") * depth + b"}" + b"s" * depth + b"."


# --------------------------------------------------------------------- pth ---
def gen_pth(out, marker, import_arch, torch_home):
    d = os.path.join(out, "pth")
    os.makedirs(d, exist_ok=True)
    torch.manual_seed(0)
    tiny = collections.OrderedDict([("conv.weight", torch.randn(4, 3, 3, 3)), ("conv.bias", torch.randn(4)),
                                    ("fc.weight", torch.randn(2, 4)), ("steps", torch.tensor(7))])
    good = {}
    for fmt, new in (("zip", True), ("legacy", False)):
        b = io.BytesIO()
        torch.save(tiny, b, _use_new_zipfile_serialization=new)
        good[fmt] = b.getvalue()
        write(os.path.join(d, f"good_{fmt}.pth"), good[fmt])
    try:
        import torchvision
        arch_sd = getattr(torchvision.models, import_arch)(weights=None).state_dict()
        b = io.BytesIO()
        torch.save(arch_sd, b)
        good["arch"] = b.getvalue()
    except Exception:  # torchvision absent or the arch unknown: the baseline fails, and says so
        good["arch"] = good["zip"]
    base = write(os.path.join(d, "baseline.pth"), good["arch"])
    BASELINES["import"] = ["weights", "import", base, "--arch", import_arch, "--force"]

    def add(name, data, expect="error", extra_mb=0):
        path = write(os.path.join(d, name + ".pth"), data)
        case("pth." + name, "pth", "import", ["weights", "import", path, "--arch", import_arch, "--force"],
             [name + ".pth"], expect, len(data), extra_mb)

    for fmt in ("zip", "legacy"):
        for cut, data in cuts(good[fmt]).items():
            add(f"{fmt}_trunc_{cut}", data)
        for seed in range(3):
            add(f"{fmt}_flip{seed}", flips(good[fmt], seed, 1 + seed * 5))
    for seed in range(2):
        add(f"arch_flip{seed}", flips(good["arch"], 100 + seed, 8), expect="any")
    add("arch_trunc_half", good["arch"][: len(good["arch"]) // 2])

    # Evil globals: would run `touch marker` (or eval) if unpickled by Python.
    evil = {"w": torch.ones(2), "x": Evil(marker)}
    b = io.BytesIO()
    torch.save(evil, b)
    add("evil_torch_zip", b.getvalue())
    b = io.BytesIO()
    torch.save(evil, b, _use_new_zipfile_serialization=False)
    add("evil_torch_legacy", b.getvalue())
    add("evil_plain", pickle.dumps(Evil(marker), protocol=2))
    add("evil_stack_global", torch_zip(pickle.dumps(Evil(marker), protocol=4), {}))
    add("evil_eval", b"\x80\x02cbuiltins\neval\nX\x0b\x00\x00\x00print('hi')\x85R.")
    add("evil_obj", b"\x80\x02(cposix\nsystem\nX\x04\x00\x00\x00trueo.")
    add("evil_build", b"\x80\x02ctorch.nn.modules.linear\nLinear\n)\x81}b.")
    add("evil_ext", b"\x80\x02\x82\x01.")

    # Pickle-level bombs and malformed programs, in a torch.save zip.
    def pz(name, pkl, storages=None, extra_mb=0):
        add(name, torch_zip(pkl, storages or {}), extra_mb=extra_mb)

    pz("memo_huge", b"\x80\x02N" + b"r\xf0\xff\xff\xff" + b".")           # LONG_BINPUT 0xfffffff0
    pz("dict_odd", b"\x80\x02(K\x01d.")                                    # MARK 1 DICT: odd
    pz("stack_underflow", b"\x80\x02a.")
    pz("self_list", b"\x80\x02]q\x00h\x00a.")                               # l.append(l)
    pz("self_dict", b"\x80\x02}q\x00X\x01\x00\x00\x00kh\x00s.")
    pz("deep_list", deep_list_pickle(200000))
    pz("deep_dict", deep_dict_pickle(100000))
    pz("none_flood", b"\x80\x02" + b"N" * (4 << 20) + b".")                # ~270 B of values per byte
    pz("binunicode_huge", b"\x80\x02X\xff\xff\xff\x7f" + b"a" * 16 + b".")
    pz("binbytes8_huge", b"\x80\x04\x8e" + struct.pack("<Q", 1 << 62) + b"a.")
    pz("long4_huge", b"\x80\x02\x8b\xff\xff\xff\x7f\x01.")
    pz("frame_huge", b"\x80\x04\x95" + struct.pack("<Q", 1 << 60) + b"N.")
    pz("long_key", torch_pickle(collections.OrderedDict([("k" * 32000, torch.ones(1))])), )

    # Tensors whose view does not fit their storage.
    def tz(name, offset, size, stride, numel=4, data_bytes=16, dtype="FloatStorage"):
        t = FakeTensor(FakeStorage("0", numel, dtype), offset, size, stride)
        pz(name, torch_pickle(collections.OrderedDict([("w", t)])), {"0": b"\1" * data_bytes})

    tz("storage_short", 0, (4, 4), (4, 1), numel=4, data_bytes=16)         # 16 elements on 4
    tz("storage_bytes_short", 0, (4,), (1,), numel=4, data_bytes=4)        # numel 4, 4 bytes
    tz("stride_2p36", 0, (2, 2), (1 << 36, 1))
    tz("offset_2p40", 1 << 40, (2,), (1,))
    tz("offset_negative", -8, (2,), (1,))
    tz("stride_negative", 0, (2, 2), (-1, 1))
    tz("numel_overflow", 0, (1 << 32, 1 << 32), (1, 1))
    tz("numel_storage_2p62", 0, (4,), (1,), numel=1 << 62)
    tz("dtype_unknown", 0, (4,), (1,), dtype="QInt8Storage")
    # Storage referenced but missing from the archive; a 100,000-storage index.
    pz("storage_missing", torch_pickle(collections.OrderedDict(
        [("w", FakeTensor(FakeStorage("9", 4), 0, (4,), (1,)))])), {})
    many = collections.OrderedDict((f"t{i}", FakeTensor(FakeStorage(str(i), 1), 0, (1,), (1,))) for i in range(100000))
    # Each of its 100,000 tensors costs about 2 KiB of bookkeeping while it is
    # read (tensor and storage objects, the pickle values that describe them):
    # bounded by the tensor count (at most 200,000), not by the file's bytes.
    pz("storages_100k", torch_pickle(many), {str(i): b"\0\0\0\0" for i in range(100000)}, extra_mb=200)
    add("zip_aliased_entries", aliased_zip(2000, 100000))
    # Zip structure: central directory out of the file, ZIP64 sizes, compressed and encrypted entries.
    z = bytearray(good["zip"])
    eocd = z.rfind(b"PK\x05\x06")
    bad = bytearray(z)
    bad[eocd + 16:eocd + 20] = struct.pack("<I", 0xFFFFFFF0)
    add("zip_cd_offset_out", bytes(bad))
    bad = bytearray(z)
    bad[eocd + 12:eocd + 16] = struct.pack("<I", 0x7FFFFFFF)
    add("zip_cd_size_huge", bytes(bad))
    bad = bytearray(z)
    bad[eocd + 8:eocd + 12] = struct.pack("<HH", 0xFFFF, 0xFFFF)
    add("zip_entries_ffff", bytes(bad))
    cd = z.find(b"PK\x01\x02")
    bad = bytearray(z)
    bad[cd + 20:cd + 28] = struct.pack("<II", 0xFFFFFFFF, 0xFFFFFFFF)      # sizes -> ZIP64, no extra field
    add("zip64_sizes_no_extra", bytes(bad))
    bad = bytearray(z)
    bad[cd + 42:cd + 46] = struct.pack("<I", 0x7FFFFFF0)                   # local header offset past the end
    add("zip_local_offset_out", bytes(bad))
    bad = bytearray(z)
    bad[cd + 8:cd + 10] = struct.pack("<H", 1)                             # encrypted flag
    add("zip_encrypted", bytes(bad))
    add("zip_deflated", rezip(zip_entries(good["zip"]), zipfile.ZIP_DEFLATED))
    add("zip_dup_names", rezip(zip_entries(good["zip"]) + zip_entries(good["zip"])[:1]))
    # Legacy layout: huge declared numel, missing storages, keys that are not strings.
    obj = torch_pickle(collections.OrderedDict([("w", FakeTensor(FakeStorage("0", 4), 0, (4,), (1,)))]))
    add("legacy_numel_huge", legacy(obj, ["0"], [(1 << 40, b"\0" * 16)]))
    add("legacy_numel_negative", legacy(obj, ["0"], [(-1, b"\0" * 16)]))
    add("legacy_key_absent", legacy(obj, [], []))                          # storage never filled
    add("legacy_keys_not_list", legacy(obj, {"0": 1}, [(4, b"\0" * 16)]))
    add("legacy_bytes_short", legacy(obj, ["0"], [(4, b"\0" * 3)]))
    add("legacy_dup_keys", legacy(obj, ["0", "0"], [(4, b"\0" * 16), (4, b"\0" * 16)]))
    add("legacy_proto_wrong", pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2) + pickle.dumps(99, protocol=2))
    add("text_html", b"<html>404 Not Found</html>\n")


# ------------------------------------------------------------- safetensors ---
def st_file(header, data, raw_header=None):
    """A safetensors file: u64 little-endian header length, JSON header, data."""
    text = raw_header if raw_header is not None else json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


def gen_safetensors(out, import_arch):
    d = os.path.join(out, "safetensors")
    os.makedirs(d, exist_ok=True)
    data = struct.pack("<6f", 1, 2, 3, 4, 5, 6) + struct.pack("<4f", -1, -2, -3, -4)

    def good():
        return {"__metadata__": {"format": "pt"},
                "a": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
                "b": {"dtype": "F32", "shape": [4], "data_offsets": [24, 40]}}

    def add(name, blob):
        path = write(os.path.join(d, name + ".safetensors"), blob)
        case("safetensors." + name, "safetensors", "import",
             ["weights", "import", path, "--arch", import_arch, "--force"], [name + ".safetensors"], "error", len(blob))

    base = st_file(good(), data)
    for cut, blob in cuts(base).items():
        add(f"trunc_{cut}", blob)
    add("header_len_huge", struct.pack("<Q", 1 << 62) + base[8:])
    add("header_len_past_end", struct.pack("<Q", len(base)) + base[8:])
    add("bad_json", st_file(None, data, b'{"a": {"dtype": "F32",'))
    add("deep_json", st_file(None, b"", b'{"a":' + b"[" * 100000 + b"]" * 100000 + b"}"))
    h = good(); h["b"]["dtype"] = "F8_E5M2"
    add("unknown_dtype", st_file(h, data))
    h = good(); h["b"]["data_offsets"] = [20, 36]
    add("overlap", st_file(h, data[:36]))
    h = good(); h["b"]["data_offsets"] = [24, 1 << 40]; h["b"]["shape"] = [((1 << 40) - 24) // 4]
    add("offsets_past_end", st_file(h, data))
    h = good(); h["a"]["shape"] = [3, 3]
    add("shape_mismatch", st_file(h, data))
    h = good(); h["a"]["shape"] = [1 << 32, 1 << 31, 4]
    add("shape_overflow", st_file(h, data))
    h = good(); h["a"]["shape"] = [-6]
    add("shape_negative", st_file(h, data))
    raw = json.dumps(good()).encode()[:-1] + b',"a":{"dtype":"F32","shape":[6],"data_offsets":[0,24]}}'
    add("duplicate_name", st_file(None, data, raw))
    add("trailing_bytes", st_file(good(), data + b"<html>polyglot</html>"))
    h = good(); h["b"]["data_offsets"] = [28, 44]
    add("gap", st_file(h, data + b"\0" * 4))
    h = good(); h["\x1b[2Jevil\x07"] = h.pop("b"); h["\x1b[2Jevil\x07"]["dtype"] = "X"
    add("control_chars_name", st_file(h, data))
    # Flipped bits of a whole model's file (may still read; must never crash).
    try:
        import torchvision
        sd = getattr(torchvision.models, import_arch)(weights=None).state_dict()
        header, blobs, off = {}, [], 0
        for k, v in sd.items():
            b = v.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes() if v.numel() else b""
            dtype = {torch.float32: "F32", torch.int64: "I64"}[v.dtype]
            header[k] = {"dtype": dtype, "shape": list(v.shape), "data_offsets": [off, off + len(b)]}
            blobs.append(b)
            off += len(b)
        arch = st_file(header, b"".join(blobs))
        for seed in range(2):
            path = write(os.path.join(d, f"arch_flip{seed}.safetensors"), flips(arch[:4096], 200 + seed, 6) + arch[4096:])
            case(f"safetensors.arch_flip{seed}", "safetensors", "import",
                 ["weights", "import", path, "--arch", import_arch, "--force"], [f"arch_flip{seed}.safetensors"],
                 "any", len(arch))
    except ImportError:
        pass


# ----------------------------------------------------------------- bundles ---
def load_zip_pickle(data):
    """torch.load of a LibTorch- or torch.save-written zip (weights only, no code)."""
    return torch.load(io.BytesIO(data), map_location="cpu")


def save_torch(obj):
    b = io.BytesIO()
    torch.save(obj, b)
    return b.getvalue()


def gen_bundles(out, run, data_dir, marker):
    d = os.path.join(out, "bundle")
    os.makedirs(d, exist_ok=True)
    src = read(os.path.join(run, "model.tsb"))
    image = sorted(os.path.join(root, f) for root, _, files in os.walk(os.path.join(data_dir, "val"))
                   for f in files)[0]
    BASELINES["predict"] = ["predict", "--model", os.path.join(run, "model.tsb"), image]
    BASELINES["eval"] = ["eval", "--model", os.path.join(run, "model.tsb"), "--data", data_dir]
    BASELINES["export"] = ["export", "--model", os.path.join(run, "model.tsb"), "--format", "onnx",
                           "--out", os.path.join(out, "outs", "baseline_export.onnx")]
    count = [0]

    def add(name, data, expect="error", also=(), extra_mb=0):
        path = write(os.path.join(d, name + ".tsb"), data)
        case("bundle." + name, "bundle", "predict", ["predict", "--model", path, image], [name + ".tsb"], expect,
             len(data), extra_mb)
        if "eval" in also:
            case("bundle.eval." + name, "bundle", "eval", ["eval", "--model", path, "--data", data_dir],
                 [name + ".tsb"], expect, len(data))
        if "export" in also:
            case("bundle.export." + name, "bundle", "export",
                 ["export", "--model", path, "--format", "onnx", "--out", os.path.join(out, "outs", name + ".onnx")],
                 [name + ".tsb"], expect, len(data))
        count[0] += 1

    for cut, data in cuts(src).items():
        add("trunc_" + cut, data, also=("eval",) if cut == "half" else ())
    for seed in range(3):
        add(f"flip{seed}", flips(src, 200 + seed, 1 + 3 * seed), expect="any", also=("export",) if seed < 2 else ())
    try:
        top = load_zip_pickle(src)
    except Exception as e:  # the bundle format changed to one torch.load cannot read: only byte-level cases
        print("hostile_corpus: bundle not readable by torch.load (%s): structured cases skipped" % e)
        return
    meta = json.loads(top["meta"])

    def with_meta(name, m, expect="error", raw=None, also=()):
        t = dict(top)
        t["meta"] = raw if raw is not None else json.dumps(m)
        add(name, save_torch(t), expect, also)

    def meta_set(name, path, value, expect="error", also=(), extra_mb=0):
        m = copy.deepcopy(meta)
        cur = m
        for p in path[:-1]:
            cur = cur[p]
        cur[path[-1]] = value
        t = dict(top)
        t["meta"] = json.dumps(m)
        add(name, save_torch(t), expect, also, extra_mb)

    with_meta("resaved_by_torch_save", meta, expect="any")
    with_meta("meta_deep", None, raw="[" * 1000000 + "]" * 1000000)
    with_meta("meta_deep_object", None, raw='{"a":' * 200000 + "1" + "}" * 200000)
    with_meta("meta_not_json", None, raw="{'arch': tiny}")
    with_meta("meta_number_overflow", None, raw=json.dumps(meta)[:-1] + ', "x": 1e400}')
    with_meta("meta_control_chars", None, raw=json.dumps(meta).replace('"arch"', '"ar\\u0007\\u001b[2Jch"'))
    meta_set("arch_unknown", ["arch"], "no_such_arch\x07\x1b[31m" + "x" * 5000)
    # Another architecture than the weights: building vgg19 itself takes its ~550 MB.
    meta_set("arch_huge_model", ["arch"], "vgg19", extra_mb=700)
    meta_set("classes_empty", ["classes"], [])
    meta_set("classes_not_list", ["classes"], "ants")
    meta_set("classes_million", ["classes"], ["c%d" % i for i in range(1000000)])
    meta_set("crop_200000", ["preprocessing", "crop_size"], 200000, also=("eval",))
    meta_set("crop_negative", ["preprocessing", "crop_size"], -5)
    meta_set("resize_2p31", ["preprocessing", "resize_size"], 2 ** 31)
    meta_set("mean_nan", ["preprocessing", "mean"], [float("nan"), 0, 0], expect="any")
    meta_set("std_zero", ["preprocessing", "std"], [0, 0, 0])
    meta_set("head_hidden_1e10", ["head_hidden_units"], 10 ** 10)
    meta_set("head_dropout_5", ["head_dropout"], 5.0)
    meta_set("preprocessing_missing", ["preprocessing"], None)
    for key, value in (("format", "something-else"), ("version", 99), ("meta", 5), ("state_dict", [1, 2])):
        t = dict(top)
        t[key] = value
        add(f"top_{key}_wrong", save_torch(t))
    t = {k: v for k, v in top.items() if k != "state_dict"}
    add("top_no_state_dict", save_torch(t))
    add("top_not_dict", save_torch([1, 2, 3]))
    sd = top["state_dict"]
    k0 = next(iter(sd))
    t = dict(top)
    t["state_dict"] = {k: v for k, v in sd.items() if k != k0}
    add("sd_missing_key", save_torch(t))
    t = dict(top)
    t["state_dict"] = dict(sd)
    t["state_dict"][k0] = torch.zeros(3)
    add("sd_wrong_shape", save_torch(t), also=("export",))
    t = dict(top)
    t["state_dict"] = dict(sd)
    t["state_dict"]["extra.\x1b[2J\x07" + "k" * 32000] = torch.zeros(1)
    add("sd_long_control_key", save_torch(t))
    t = dict(top)
    t["state_dict"] = dict(sd)
    t["state_dict"][k0] = sd[k0].double()
    add("sd_wrong_dtype", save_torch(t), expect="any")
    t = dict(top)
    t["state_dict"] = dict(sd)
    t["state_dict"][k0] = "not a tensor"
    add("sd_value_string", save_torch(t))
    t = dict(top)
    t["x"] = Evil(marker)
    add("evil_global", save_torch(t))
    # A crafted pickle of the same shape: tensor views that do not fit their storages.
    storages, entries = {}, collections.OrderedDict()
    for i, (k, v) in enumerate(sd.items()):
        storages[str(i)] = v.contiguous().numpy().tobytes()
        entries[k] = FakeTensor(FakeStorage(str(i), v.numel()), 0, tuple(v.shape), tuple(v.stride()))
    crafted = {"format": top["format"], "version": top["version"], "meta": top["meta"], "state_dict": entries}
    add("crafted_ok", torch_zip(torch_pickle(crafted), storages), expect="any")
    shape0, stride0 = tuple(sd[k0].shape), tuple(sd[k0].stride())
    for name, short, offset, stride in (("storage_4_bytes", True, 0, stride0),
                                        ("stride_2p36", False, 0, (1 << 36,) + stride0[1:]),
                                        ("offset_2p40", False, 1 << 40, stride0)):
        s2 = dict(storages)
        if short:
            s2["0"] = b"\0" * 4
        e2 = collections.OrderedDict(entries)
        e2[k0] = FakeTensor(FakeStorage("0", sd[k0].numel()), offset, shape0, stride)
        c2 = dict(crafted)
        c2["state_dict"] = e2
        add("crafted_" + name, torch_zip(torch_pickle(c2), s2), also=("eval",) if short else ())
    # Compressed entries inflated to their declared size; aliased entries.
    add("deflated", rezip(zip_entries(src), zipfile.ZIP_DEFLATED), expect="any")
    big = zip_entries(src)
    big.append(("archive/data/999", b"\0" * (64 << 20)))
    add("deflate_bomb_64m", rezip(big, zipfile.ZIP_DEFLATED), expect="any")
    pkl_only = [(n, b) for n, b in zip_entries(src) if n.endswith(".pkl")]
    pkl_only.append(("archive/pad", b"\0" * (32 << 20)))
    add("deflate_bomb_pad", rezip(pkl_only, zipfile.ZIP_DEFLATED), expect="any")
    add("memo_huge", torch_zip(b"\x80\x02N" + b"r\xf0\xff\xff\xff" + b".", {}))
    add("dict_odd", torch_zip(b"\x80\x02(K\x01d.", {}))
    add("deep_list", torch_zip(deep_list_pickle(200000), {}))
    add("zip_aliased_entries", aliased_zip(2000, 100000))


# ------------------------------------------------------------- run folders ---
def copy_run(out, run, name):
    dst = os.path.join(out, "runs", name)
    if os.path.exists(dst):
        shutil.rmtree(dst)
    shutil.copytree(run, dst, symlinks=True)
    return dst


def gen_checkpoints(out, run):
    last = os.path.join(run, "checkpoints", "last.ckpt")
    src = read(last)
    BASELINES["resume"] = ["resume", copy_run(out, run, "baseline")]

    def add(name, data, expect="error", which="last.ckpt"):
        dst = copy_run(out, run, "ckpt_" + name)
        write(os.path.join(dst, "checkpoints", which), data)
        case("ckpt." + name, "ckpt", "resume", ["resume", dst], [which, "ckpt_" + name], expect, len(data))

    for cut, data in cuts(src).items():
        add("trunc_" + cut, data)
    for seed in range(3):
        add(f"flip{seed}", flips(src, 300 + seed, 1 + 4 * seed), expect="any")
    try:
        top = load_zip_pickle(src)
    except Exception as e:
        print("hostile_corpus: checkpoint not readable by torch.load (%s): structured cases skipped" % e)
        return
    if not isinstance(top, dict):
        return

    def with_key(name, key, value, expect="error"):
        if key not in top:
            return
        t = dict(top)
        t[key] = value
        add(name, save_torch(t), expect)

    with_key("epochs_done_huge", "epochs_done", 2 ** 62)
    with_key("epochs_done_negative", "epochs_done", -5)
    with_key("epochs_done_string", "epochs_done", "one")
    with_key("history_deep", "history", "[" * 1000000 + "]" * 1000000)
    with_key("history_nan", "history", '[{"epoch":1,"train_loss":NaN}]')
    with_key("history_null_metrics", "history",
             '[{"epoch":1,"train_loss":null,"train_accuracy":null,"val_loss":null,"val_accuracy":null,'
             '"lr":null,"seconds":null}]', expect="any")
    with_key("history_wrong_types", "history", '[{"epoch":"x","train_loss":[1]}]')
    with_key("history_not_json", "history", "\x07\x1b[2J{{{")
    with_key("optimizer_garbage", "optimizer", torch.frombuffer(bytearray(b"PK\x03\x04" + b"\xff" * 200),
                                                               dtype=torch.uint8))
    with_key("optimizer_not_tensor", "optimizer", "text")
    with_key("rng_wrong", "rng", torch.zeros(3, dtype=torch.uint8))
    with_key("model_not_dict", "model", [1, 2])
    with_key("format_wrong", "format", "something-else")
    if "model" in top and isinstance(top["model"], dict) and top["model"]:
        k0 = next(iter(top["model"]))
        m = dict(top["model"])
        m[k0] = torch.zeros(1)
        with_key("model_wrong_shape", "model", m)
    add("not_a_dict", save_torch([1, 2]))
    add("memo_huge", torch_zip(b"\x80\x02N" + b"r\xf0\xff\xff\xff" + b".", {}))
    add("deep_list", torch_zip(deep_list_pickle(200000), {}))


def gen_run_json(out, run):
    """config.json, manifest.json and metrics.jsonl of a run folder, broken, through `resume`."""
    cfg = json.load(open(os.path.join(run, "config.json")))
    man = json.load(open(os.path.join(run, "manifest.json")))

    BASELINES["report"] = ["report", copy_run(out, run, "baseline_report"), "--out",
                           os.path.join(out, "runs", "baseline_report", "report.html")]

    def add(group, which, name, text, expect="error"):
        dst = copy_run(out, run, f"{group}_{name}")
        data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
        write(os.path.join(dst, which), data)
        case(f"{group}.{name}", group, "resume", ["resume", dst], [which, f"{group}_{name}"], expect, len(data))
        # The same folder through `report` (its own copy: resume rewrites the run). The report shows
        # config.json as stored (escaped and cut, not validated: a valid object with hostile values is
        # shown), a broken manifest as a note in the page, and refuses what is not JSON: "any", with
        # the harness's checks (no hang, bounded memory, the file named, no raw control characters).
        rdst = copy_run(out, run, f"{group}_{name}_report")
        write(os.path.join(rdst, which), data)
        case(f"{group}.{name}.report", group, "report", ["report", rdst, "--out", os.path.join(rdst, "report.html")],
             [which, f"{group}_{name}_report"], "any", len(data))

    for name, text in json_bombs(SHORT_BOMBS).items():
        add("runconfig", "config.json", name, text)
        add("manifest", "manifest.json", name, text)
    for key, value in (("threads", 1000000), ("epochs", 1e300), ("head_hidden_units", 10 ** 10),
                       ("batch_size", 2 ** 62), ("momentum", 1e300), ("lr", -1), ("arch", 5),
                       ("freeze", "last:" + "9" * 2000000)):
        c = dict(cfg)
        c[key] = value
        add("runconfig", "config.json", f"{key}_bad", json.dumps(c))

    def man_set(name, mutate, expect="error"):
        m = copy.deepcopy(man)
        mutate(m)
        add("manifest", "manifest.json", name, json.dumps(m), expect)

    def first_item(m):
        for split in ("train", "val"):
            if isinstance(m.get(split), list) and m[split]:
                return m[split][0]
        return None

    def set_item(key, value):
        def f(m):
            item = first_item(m)
            if isinstance(item, dict):
                item[key] = value
            elif isinstance(item, list) and item:
                item[0 if key == "path" else -1] = value
        return f

    man_set("version_string", lambda m: m.__setitem__("version", "1"))
    man_set("format_missing", lambda m: m.pop("format", None))
    man_set("classes_not_list", lambda m: m.__setitem__("classes", "ants"))
    man_set("classes_empty", lambda m: m.__setitem__("classes", []))
    man_set("train_not_list", lambda m: m.__setitem__("train", {"a": 1}))
    man_set("label_99", set_item("label", 99))
    man_set("label_negative", set_item("label", -1))
    man_set("label_huge", set_item("label", 2 ** 63 - 1))
    man_set("label_string", set_item("label", "ants"))
    man_set("path_escape", set_item("path", "../../../../../../etc/passwd"), expect="any")
    man_set("path_absolute_dev_zero", set_item("path", "/dev/zero"), expect="any")
    man_set("path_number", set_item("path", 5))
    man_set("path_control", set_item("path", "\x07\x1b[2J" + "p" * 5000 + ".png"))
    man_set("split_seed_negative", lambda m: m.__setitem__("split", {"val_fraction": 7, "seed": -1}), expect="any")

    lines = open(os.path.join(run, "metrics.jsonl")).read()
    for name, text in (("deep", "[" * 1000000 + "]" * 1000000 + "\n"),
                       ("binary", b"\x00\xff\x07\x1b" * 1000),
                       ("nan", lines.replace("0.", "NaN,", 1)),
                       ("huge_line", '{"epoch":1,"pad":"' + "x" * (4 << 20) + '"}\n'),
                       ("number_overflow", '{"epoch":1e400}\n')):
        add("metrics", "metrics.jsonl", name, text, expect="any")
    # A run folder whose metrics.jsonl is a FIFO or a link to /dev/zero must not hang resume.
    dst = copy_run(out, run, "metrics_fifo")
    os.remove(os.path.join(dst, "metrics.jsonl"))
    os.mkfifo(os.path.join(dst, "metrics.jsonl"))
    case("metrics.fifo", "metrics", "resume", ["resume", dst], ["metrics.jsonl", "metrics_fifo"], "any", 0)
    dst = copy_run(out, run, "config_devzero")
    os.remove(os.path.join(dst, "config.json"))
    os.symlink("/dev/zero", os.path.join(dst, "config.json"))
    case("runconfig.devzero", "runconfig", "resume", ["resume", dst], ["config.json", "config_devzero"], "error", 0)


SHORT_BOMBS = ("deep_array", "deep_object", "number_overflow", "not_object", "empty", "bad_utf8",
               "control_key", "huge_string")


def json_bombs(only=None):
    all_bombs = {
        "deep_array": "[" * 1000000 + "]" * 1000000,
        "deep_object": '{"a":' * 300000 + "1" + "}" * 300000,
        "deep_unclosed": "[" * 1000000,
        "number_overflow": '{"epochs": 1e400}',
        "int_overflow": '{"epochs": 123456789012345678901234567890}',
        "not_object": "[1, 2, 3]",
        "empty": "",
        "bad_utf8": b'{"arch": "\xff\xfe\xc0\xaf"}',
        "control_key": '{"\\u0007\\u001b[2J' + "k" * 100000 + '": 1}',
        "huge_string": '{"arch": "' + "a" * (4 << 20) + '"}',
        "many_keys": "{" + ",".join('"k%d":%d' % (i, i) for i in range(200000)) + "}",
    }
    return {k: v for k, v in all_bombs.items() if only is None or k in only}


# ----------------------------------------------------------------- configs ---
def gen_configs(out, run, data_dir):
    d = os.path.join(out, "config")
    os.makedirs(d, exist_ok=True)
    cfg = json.load(open(os.path.join(run, "config.json")))
    cfg["data_dir"] = data_dir
    cfg["epochs"] = 1
    base = write(os.path.join(d, "baseline.json"), json.dumps(cfg).encode())
    BASELINES["train"] = ["train", "--config", base, "--out", os.path.join(out, "outs", "baseline_train")]

    def add(name, text, ext=".json", expect="error", also=()):
        data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
        path = write(os.path.join(d, name + ext), data)
        case("config." + name + ext, "config", "train",
             ["train", "--config", path, "--out", os.path.join(out, "outs", "cfg_" + name + ext.replace(".", "_"))],
             [name + ext, *also], expect, len(data))

    for name, text in json_bombs().items():
        add(name, text)
    for name, text in json_bombs(("deep_array", "deep_object", "number_overflow", "control_key",
                                  "not_object")).items():
        add(name, text, ".tsproj")
    wrong = {"epochs": "ten", "lr": [0.1], "arch": 5, "freeze": 3, "augment": "standard",
             "class_weights": {"a": "b"}, "precision": None}
    for key, value in wrong.items():
        c = dict(cfg)
        c[key] = value
        add(f"type_{key}", json.dumps(c))
    huge = {"threads": 1000000, "workers": 10 ** 6, "epochs": 1e300, "epochs_int": 2 ** 31,
            "batch_size": 2 ** 62, "head_hidden_units": 10 ** 10, "momentum": 1e300,
            "lr_negative": -1.0, "label_smoothing": 7, "val_fraction": 2, "freeze_digits": "last:" + "9" * 2000000, "freeze_big": "last:99999999999999999999",
            "stage_lr": {"features.0": 1e300}, "rotation": 1e300, "seed_huge": 2 ** 64 + 5}
    for name, value in huge.items():
        c = dict(cfg)
        key = {"epochs_int": "epochs", "lr_negative": "lr", "freeze_digits": "freeze", "freeze_big": "freeze",
               "stage_lr": "stage_lr_multipliers", "seed_huge": "seed"}.get(name, name)
        if name == "rotation":
            c["augment"] = dict(c.get("augment", {}), rotation_degrees=value)
        else:
            c[key] = value
        add(f"range_{name}", json.dumps(c))
    c = dict(cfg)
    c["data_dir"] = "/dev/zero"
    add("data_dev_zero", json.dumps(c))  # the message names the config file and its data_dir
    # Desktop projects (.tsproj): the config under "config", fields of the wrong type.
    for name, proj in (("dataset_number", {"format": 1, "dataset": 5}),
                       ("config_list", {"format": 1, "config": [1, 2]}),
                       ("config_wrong_arch", {"format": 1, "config": dict(cfg, arch=5)}),
                       ("format_huge", {"format": 1e300, "config": cfg}),
                       ("config_deep", None)):
        text = json.dumps(proj) if proj is not None else '{"format":1,"config":' + "[" * 500000 + "]" * 500000 + "}"
        # The CLI reads only a project's "config": an odd "format" may be accepted.
        add("proj_" + name, text, ".tsproj", expect="any" if name == "format_huge" else "error")


# ------------------------------------------------------------------ images ---
def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_with_size(w, h, depth=8, colour=2):
    ihdr = struct.pack(">IIBBBBB", w, h, depth, colour, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + png_chunk(b"IEND", b""))


def jpeg_with_size(src, w, h):
    b = bytearray(src)
    i = 2
    while i + 9 < len(b):
        marker = b[i + 1]
        length = (b[i + 2] << 8) | b[i + 3]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            b[i + 5:i + 9] = struct.pack(">HH", h, w)
            return bytes(b)
        i += 2 + length
    return bytes(b)


def bmp_rle8(w, h):
    palette = b"\0\0\0\0" * 256
    pixels = b"\x00\x01"  # end of bitmap
    offset = 14 + 40 + len(palette)
    header = struct.pack("<2sIHHI", b"BM", offset + len(pixels), 0, 0, offset)
    info = struct.pack("<IiiHHIIiiII", 40, w, h, 1, 8, 1, len(pixels), 2835, 2835, 256, 0)
    return header + info + palette + pixels


def bmp_plain(w, h, bpp=24):
    offset = 54
    header = struct.pack("<2sIHHI", b"BM", offset + 16, 0, 0, offset)
    info = struct.pack("<IiiHHIIiiII", 40, w, h, 1, bpp, 0, 0, 2835, 2835, 0, 0)
    return header + info + b"\0" * 16


def tiff_with_size(w, h):
    entries = [(256, 4, 1, w), (257, 4, 1, h), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 2),
               (273, 4, 1, 8), (277, 3, 1, 3), (278, 4, 1, h), (279, 4, 1, 16)]
    ifd_offset = 8 + 16
    out = b"II*\x00" + struct.pack("<I", ifd_offset) + b"\0" * 16
    out += struct.pack("<H", len(entries))
    for tag, typ, count, value in entries:
        out += struct.pack("<HHII", tag, typ, count, value) if typ == 4 else struct.pack("<HHIHH", tag, typ, count,
                                                                                         value, 0)
    return out + struct.pack("<I", 0)


def webp_vp8x(w, h):
    vp8x = struct.pack("<B3s", 0, b"\0\0\0") + (w - 1).to_bytes(3, "little") + (h - 1).to_bytes(3, "little")
    chunk = b"VP8X" + struct.pack("<I", len(vp8x)) + vp8x
    body = b"WEBP" + chunk + b"VP8L" + struct.pack("<I", 5) + b"\x2f\xff\xff\xff\x0f\x00"
    return b"RIFF" + struct.pack("<I", len(body)) + body


def gif_with_size(w, h):
    return (b"GIF89a" + struct.pack("<HHBBB", w, h, 0x80, 0, 0) + b"\0\0\0\xff\xff\xff"
            + b"\x2c" + struct.pack("<HHHHB", 0, 0, w, h, 0) + b"\x02\x02\x44\x01\x00\x3b")


def gen_images(out, run, data_dir):
    from PIL import Image
    d = os.path.join(out, "image")
    os.makedirs(d, exist_ok=True)
    model = os.path.join(run, "model.tsb")
    rng = random.Random(7)
    img = Image.new("RGB", (64, 48))
    img.putdata([(rng.randrange(256), (x * 4) % 256, 128) for x in range(64 * 48)])
    formats = {"png": ("PNG", {}), "jpg": ("JPEG", {"quality": 90}), "bmp": ("BMP", {}), "tiff": ("TIFF", {}),
               "webp": ("WEBP", {"quality": 80}), "ppm": ("PPM", {}), "gif": ("GIF", {})}
    good = {}
    for ext, (fmt, kw) in formats.items():
        b = io.BytesIO()
        try:
            img.save(b, fmt, **kw)
        except Exception:
            continue
        good[ext] = b.getvalue()
    b = io.BytesIO()
    img.convert("L").save(b, "PPM")
    good["pgm"] = b.getvalue()
    made = []

    def add(name, data, expect="error"):
        path = write(os.path.join(d, name), data)
        made.append(path)
        case("image." + name, "image", "predict", ["predict", "--model", model, path], [name], expect, len(data))

    for ext, data in good.items():
        add(f"good.{ext}", data, expect="error" if ext == "gif" else "any")
        for cut in ("head", "half"):
            add(f"trunc_{cut}.{ext}", cuts(data)[cut], expect="any")
        add(f"flip.{ext}", flips(data, 400, 4), expect="any")
    add("huge_32767.png", png_with_size(32767, 32767))
    add("huge_2p31.png", png_with_size(2 ** 31 - 1, 2 ** 31 - 1))
    add("huge_16bit_rgba.png", png_with_size(20000, 20000, 16, 6))
    if "jpg" in good:
        add("huge_65535.jpg", jpeg_with_size(good["jpg"], 65535, 65535))
        add("zero_size.jpg", jpeg_with_size(good["jpg"], 0, 0), expect="any")
    add("rle8_30000.bmp", bmp_rle8(30000, 30000))
    add("height_neg_2p31.bmp", bmp_plain(16, -(2 ** 31)))
    add("width_2p31.bmp", bmp_plain(2 ** 31 - 1, 1, 32))
    add("huge_100000.tiff", tiff_with_size(100000, 100000))
    add("huge_16384.webp", webp_vp8x(16384, 16384))
    add("huge_100000.ppm", b"P6\n100000 100000\n255\n" + b"\0" * 100)
    add("huge_65535x16.pgm", b"P5\n65535 65535\n65535\n" + b"\0" * 100)
    add("dims_overflow.ppm", b"P6\n99999999999999999999 1\n255\n" + b"\0" * 10)
    add("maxval_zero.pgm", b"P5\n4 4\n0\n" + b"\0" * 16, expect="any")
    add("huge_65535.gif", gif_with_size(65535, 65535))
    add("not_image.png", b"just some text, not a picture\n")
    add("empty.jpg", b"")
    # A 16 GiB sparse file, a link to /dev/zero and a FIFO, each named like an image.
    sparse = os.path.join(d, "sparse_16g.png")
    with open(sparse, "wb") as f:
        f.write(good.get("png", b"\x89PNG\r\n\x1a\n"))
        f.truncate(16 << 30)
    case("image.sparse_16g.png", "image", "predict", ["predict", "--model", model, sparse], ["sparse_16g.png"],
         "error", 0)
    os.symlink("/dev/zero", os.path.join(d, "devzero.jpg"))
    case("image.devzero.jpg", "image", "predict", ["predict", "--model", model, os.path.join(d, "devzero.jpg")],
         ["devzero.jpg"], "error", 0)
    os.mkfifo(os.path.join(d, "fifo.png"))
    case("image.fifo.png", "image", "predict", ["predict", "--model", model, os.path.join(d, "fifo.png")],
         ["fifo.png"], "error", 0)
    return made


# ------------------------------------------------------------------- trees ---
def gen_trees(out, run, data_dir, hostile_images):
    d = os.path.join(out, "trees")
    os.makedirs(d, exist_ok=True)
    model = os.path.join(run, "model.tsb")
    classes = json.load(open(os.path.join(run, "manifest.json")))["classes"]
    BASELINES["scan"] = ["scan", data_dir]
    good = sorted(os.path.join(r, f) for r, _, fs in os.walk(data_dir) for f in fs)

    def tree(name):
        root = os.path.join(d, name)
        for i, c in enumerate(classes):
            os.makedirs(os.path.join(root, c), exist_ok=True)
            for j in range(3):
                src = good[(i * 7 + j) % len(good)]
                shutil.copy(src, os.path.join(root, c, f"g{j}" + os.path.splitext(src)[1]))
        return root, os.path.join(root, classes[0])

    def add(name, root):
        case("tree.scan." + name, "tree", "scan", ["scan", root], [name], "any", 0)
        case("tree.eval." + name, "tree", "eval", ["eval", "--model", model, "--data", root], [name], "any", 0)

    root, c0 = tree("loop_self")
    os.symlink(".", os.path.join(c0, "loop"))
    add("loop_self", root)
    root, c0 = tree("loop_two")
    os.symlink("..", os.path.join(c0, "l1"))
    os.symlink("..", os.path.join(root, classes[1], "l2"))
    add("loop_two", root)
    root, c0 = tree("link_up")
    os.symlink("..", os.path.join(c0, "up"))
    add("link_up", root)
    root, c0 = tree("fifo")
    os.mkfifo(os.path.join(c0, "pipe.png"))
    add("fifo", root)
    root, c0 = tree("devzero")
    os.symlink("/dev/zero", os.path.join(c0, "zero.jpg"))
    add("devzero", root)
    root, c0 = tree("dangling")
    os.symlink("/nonexistent/file.png", os.path.join(c0, "gone.png"))
    add("dangling", root)
    root, c0 = tree("dir_named_png")
    os.makedirs(os.path.join(c0, "folder.png"))
    add("dir_named_png", root)
    root, c0 = tree("control_names")
    shutil.copy(good[0], os.path.join(c0, "bad\x1b[31m\x07\nname.png"))
    os.makedirs(os.path.join(root, "cls\x1b[2J\x07"), exist_ok=True)
    shutil.copy(good[0], os.path.join(root, "cls\x1b[2J\x07", "x.png"))
    add("control_names", root)
    root, c0 = tree("long_names")
    shutil.copy(good[0], os.path.join(c0, "n" * 250 + ".png"))
    add("long_names", root)
    root, c0 = tree("deep_dirs")
    p = c0
    for _ in range(60):
        p = os.path.join(p, "d" * 40)
    os.makedirs(p)
    shutil.copy(good[0], os.path.join(p, "deep.png"))
    add("deep_dirs", root)
    root, c0 = tree("garbage_files")
    rng = random.Random(11)
    for i in range(200):
        write(os.path.join(c0, f"junk{i}.jpg"), bytes(rng.randrange(256) for _ in range(64)))
    add("garbage_files", root)
    root, c0 = tree("hostile_images")
    for path in hostile_images:
        if os.path.getsize(path) < (1 << 20):
            shutil.copy(path, os.path.join(c0, os.path.basename(path)))
    add("hostile_images", root)
    root, c0 = tree("sparse_and_bombs")
    with open(os.path.join(c0, "sparse.png"), "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.truncate(16 << 30)
    write(os.path.join(c0, "rle.bmp"), bmp_rle8(30000, 30000))
    write(os.path.join(c0, "big.png"), png_with_size(32767, 32767))
    add("sparse_and_bombs", root)
    root, _ = tree("one_class_extra_empty")
    os.makedirs(os.path.join(root, "zz_empty"))
    add("one_class_extra_empty", root)


# ------------------------------------------------------------- experiments ---
def gen_experiments(out, exp):
    """experiment.json, trials.json and a trial's files of a finished two-trial
    experiment, broken, through `experiment compare`, `experiment resume` and `report`."""
    spec = json.load(open(os.path.join(exp, "experiment.json")))
    index = json.load(open(os.path.join(exp, "trials.json")))

    def copy_exp(name):
        dst = os.path.join(out, "experiments", name)
        if os.path.exists(dst):
            shutil.rmtree(dst)
        shutil.copytree(exp, dst, symlinks=True)
        return dst

    BASELINES["compare"] = ["experiment", "compare", copy_exp("baseline_compare")]
    BASELINES["exp_resume"] = ["experiment", "resume", copy_exp("baseline_resume")]
    base = copy_exp("baseline_exp_report")
    BASELINES["exp_report"] = ["report", base, "--out", os.path.join(base, "report.html"), "--no-eval"]

    def add(which, name, text, expect="error", commands=("compare", "exp_resume", "exp_report")):
        data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
        for kind in commands:
            dst = copy_exp(f"{name}_{kind}")
            write(os.path.join(dst, which), data)
            args = {"compare": ["experiment", "compare", dst],
                    "exp_resume": ["experiment", "resume", dst],
                    "exp_report": ["report", dst, "--out", os.path.join(dst, "report.html"), "--no-eval"]}[kind]
            case(f"experiment.{name}.{kind}", "experiment", kind, args,
                 [os.path.basename(which), f"{name}_{kind}"], expect, len(data))

    # Every case through compare; the spec and the index also through resume (which rewrites the index),
    # the index's bombs and a few trial fields through the report.
    for name, text in json_bombs(SHORT_BOMBS).items():
        add("experiment.json", "spec_" + name, text, commands=("compare",))
        add("trials.json", "trials_" + name, text, commands=("compare", "exp_report"))

    def spec_set(name, key, value, expect="error"):
        j = copy.deepcopy(spec)
        if value is None:
            j.pop(key, None)
        else:
            j[key] = value
        add("experiment.json", "spec_" + name, json.dumps(j), expect, commands=("compare", "exp_resume"))

    spec_set("format_wrong", "format", "something-else")
    spec_set("format_missing", "format", None)
    spec_set("version_future", "version", 999)
    spec_set("version_string", "version", "1")
    spec_set("axes_unknown_key", "axes", [{"key": "learning_rate", "values": [0.1, 0.01]}])
    spec_set("axes_wrong_value", "axes", [{"key": "lr", "values": ["fast", "slow"]}])
    spec_set("axes_empty", "axes", [])
    spec_set("axes_huge", "axes", [{"key": "lr", "values": [1e-3 + i * 1e-9 for i in range(100000)]}])
    spec_set("mode_unknown", "mode", "exhaustive")
    spec_set("halving_huge", "halving_eta", 2 ** 62)
    spec_set("base_not_object", "base_config", [1, 2])
    spec_set("base_epochs_bad", "base_config", dict(spec.get("base_config", {}), epochs=1e300))
    spec_set("base_arch_bad", "base_config", dict(spec.get("base_config", {}), arch="\x07\x1b[2J" + "a" * 5000))

    def trials_set(name, mutate, expect="error", report=False):
        j = copy.deepcopy(index)
        mutate(j)
        add("trials.json", "trials_" + name, json.dumps(j), expect,
            commands=("compare", "exp_resume", "exp_report") if report else ("compare", "exp_resume"))

    def first(key, value):
        def f(j):
            if value is None:
                j["trials"][0].pop(key, None)
            else:
                j["trials"][0][key] = value
        return f

    trials_set("list_not_list", lambda j: j.__setitem__("trials", {"t000": 1}))
    trials_set("list_empty", lambda j: j.__setitem__("trials", []))
    trials_set("list_huge", lambda j: j.__setitem__("trials", [j["trials"][0]] * 100000))
    trials_set("id_duplicate", lambda j: j["trials"][1].__setitem__("id", j["trials"][0]["id"]))
    trials_set("id_control", first("id", "\x07\x1b[2J"), report=True)
    trials_set("id_missing", first("id", None))
    trials_set("run_dir_escape", first("run_dir", "../../../../etc"), report=True)
    trials_set("run_dir_absolute", first("run_dir", "/etc"))
    trials_set("run_dir_number", first("run_dir", 5))
    trials_set("status_unknown", first("status", "exploded"), report=True)
    trials_set("status_number", first("status", 3))
    trials_set("seconds_overflow", first("seconds", 1e300), expect="any")
    trials_set("seconds_negative", first("seconds", -1))
    trials_set("stopped_epoch_huge", first("stopped_at_epoch", 2 ** 62))
    trials_set("params_not_object", first("params", [1]))
    trials_set("params_wrong_value", first("params", {"lr": "fast"}))
    trials_set("params_unknown_key", first("params", {"learning_rate": 0.1}))
    trials_set("feature_cache_escape", first("feature_cache", "../../../../etc"))
    trials_set("error_huge", first("error", "e" * (4 << 20)), report=True)
    trials_set("pending_again", first("status", "pending"), expect="any")

    # A trial's own run files, through compare and the report (resume of a finished trial does not read them).
    run0 = index["trials"][0]["run_dir"]
    lines = open(os.path.join(exp, run0, "metrics.jsonl")).read()
    for name, text in (("deep", "[" * 1000000 + "]" * 1000000 + "\n"),
                       ("binary", b"\x00\xff\x07\x1b" * 1000),
                       ("huge_line", '{"epoch":1,"pad":"' + "x" * (4 << 20) + '"}\n'),
                       ("number_overflow", lines.replace("0.", "1e400,", 1))):
        add(os.path.join(run0, "metrics.jsonl"), "trial_metrics_" + name, text, expect="any",
            commands=("compare", "exp_report"))
    add(os.path.join(run0, "manifest.json"), "trial_manifest_deep", "[" * 1000000 + "]" * 1000000, expect="any",
        commands=("compare", "exp_report"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--run", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--marker", required=True)
    ap.add_argument("--import-arch", default="squeezenet1_1")
    ap.add_argument("--torch-home", default="")
    ap.add_argument("--experiment", default="", help="a finished experiment folder to break (optional)")
    a = ap.parse_args()
    os.makedirs(os.path.join(a.out, "outs"), exist_ok=True)
    gen_pth(a.out, a.marker, a.import_arch, a.torch_home)
    gen_safetensors(a.out, a.import_arch)
    gen_bundles(a.out, a.run, a.data, a.marker)
    gen_checkpoints(a.out, a.run)
    gen_run_json(a.out, a.run)
    gen_configs(a.out, a.run, a.data)
    images = gen_images(a.out, a.run, a.data)
    gen_trees(a.out, a.run, a.data, images)
    if a.experiment:
        gen_experiments(a.out, a.experiment)
    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names)), "duplicate case names"
    with open(os.path.join(a.out, "cases.json"), "w") as f:
        json.dump({"baselines": BASELINES, "cases": CASES}, f, indent=0)
    print("hostile_corpus: %d cases, %d baselines in %s" % (len(CASES), len(BASELINES), a.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
