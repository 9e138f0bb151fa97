#!/usr/bin/python3
"""The torchvision side of `make bench`: same models, batch and iterations as
ts_bench. Prints one JSON line. Usage: bench_torchvision.py ARCH [BATCH] [ITERATIONS]"""
import json
import os
import sys
import time

import torch
import torchvision

arch = sys.argv[1]
batch = int(sys.argv[2]) if len(sys.argv) > 2 else 32
iterations = int(sys.argv[3]) if len(sys.argv) > 3 else 5
torch.set_num_threads(os.cpu_count())
torch.manual_seed(0)
kwargs = {"num_classes": 2}
if arch in ("googlenet", "inception_v3"):
    kwargs.update(aux_logits=False, init_weights=True)
model = torchvision.models.__dict__[arch](**kwargs)
size = 299 if arch == "inception_v3" else 224
x = torch.randn(batch, 3, size, size)
y = torch.randint(0, 2, (batch,))

model.eval()
with torch.no_grad():
    model(x)
    t0 = time.perf_counter()
    for _ in range(iterations):
        model(x)
    extract = time.perf_counter() - t0

model.train()
opt = torch.optim.Adam(model.parameters(), lr=1e-4)


def step():
    opt.zero_grad()
    torch.nn.functional.cross_entropy(model(x), y).backward()
    opt.step()


step()
t0 = time.perf_counter()
for _ in range(iterations):
    step()
train = time.perf_counter() - t0
print(json.dumps({"runtime": "torchvision", "arch": arch, "batch": batch, "threads": torch.get_num_threads(),
                  "extract_images_per_sec": round(batch * iterations / extract, 2),
                  "finetune_images_per_sec": round(batch * iterations / train, 2)}))
