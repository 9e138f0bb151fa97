#!/usr/bin/python3
"""The torchvision side of `make bench`, mirroring ts_bench. Prints one JSON line.
  bench_torchvision.py model ARCH [BATCH] [ITERATIONS] [float32|bfloat16]
  bench_torchvision.py loader DIR [WORKERS] [BATCH] [standard|none]
The loader mode reads DIR/train (or DIR) with ImageFolder + DataLoader, the
way torchvision's transfer-learning tutorial does."""
import contextlib
import json
import os
import sys
import time

import torch
import torchvision
from torchvision import transforms


def bench_model(arch, batch, iterations, precision):
    torch.manual_seed(0)
    kwargs = {"num_classes": 2}
    if arch in ("googlenet", "inception_v3"):
        kwargs.update(aux_logits=False, init_weights=True)
    model = torchvision.models.__dict__[arch](**kwargs)
    size = 299 if arch == "inception_v3" else 224
    x = torch.randn(batch, 3, size, size)
    y = torch.randint(0, 2, (batch,))

    def autocast():
        if precision == "bfloat16":
            return torch.autocast("cpu", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    model.eval()
    with torch.no_grad(), autocast():
        model(x)
        t0 = time.perf_counter()
        for _ in range(iterations):
            model(x)
        extract = time.perf_counter() - t0

    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)

    def step():
        opt.zero_grad()
        with autocast():
            logits = model(x)
        torch.nn.functional.cross_entropy(logits.float(), y).backward()
        opt.step()

    finetune, note = None, ""
    try:
        step()
        t0 = time.perf_counter()
        for _ in range(iterations):
            step()
        finetune = round(batch * iterations / (time.perf_counter() - t0), 2)
    except RuntimeError as e:  # e.g. PyTorch 1.13 has no bfloat16 hardtanh (ReLU6) backward on the CPU
        note = str(e).splitlines()[0]
    print(json.dumps({"runtime": "torchvision", "arch": arch, "precision": precision, "batch": batch,
                      "threads": torch.get_num_threads(),
                      "extract_images_per_sec": round(batch * iterations / extract, 2),
                      "finetune_images_per_sec": finetune, "note": note}))


def bench_loader(root, workers, batch, preset):
    normalize = transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    if preset == "standard":
        tf = transforms.Compose([transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(),
                                 transforms.ToTensor(), normalize])
    else:
        tf = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(), normalize])
    folder = os.path.join(root, "train") if os.path.isdir(os.path.join(root, "train")) else root
    data = torchvision.datasets.ImageFolder(folder, tf)
    loader = torch.utils.data.DataLoader(data, batch_size=batch, shuffle=True, num_workers=workers)
    t0 = time.perf_counter()
    images = 0
    for x, _ in loader:
        images += x.shape[0]
    seconds = time.perf_counter() - t0
    print(json.dumps({"runtime": "torchvision", "workers": workers, "batch": batch, "augment": preset,
                      "images": images, "images_per_sec": round(images / seconds, 2)}))


torch.set_num_threads(os.cpu_count())
mode = sys.argv[1] if len(sys.argv) > 1 else ""
if mode == "model" and len(sys.argv) > 2:
    bench_model(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 32,
                int(sys.argv[4]) if len(sys.argv) > 4 else 5, sys.argv[5] if len(sys.argv) > 5 else "float32")
elif mode == "loader" and len(sys.argv) > 2:
    bench_loader(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 2,
                 int(sys.argv[4]) if len(sys.argv) > 4 else 32, sys.argv[5] if len(sys.argv) > 5 else "standard")
else:
    sys.exit(__doc__)
