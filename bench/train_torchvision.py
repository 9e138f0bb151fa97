#!/usr/bin/python3
"""End-to-end reference for `make bench`: the usual torchvision feature-
extraction script (the transfer-learning tutorial's loop), with the same
recipe as `tstudio train --arch mobilenet_v2 --freeze feature-extraction
--augment none --epochs 10 --batch-size 32 --lr 0.001 --optimizer adam`:
ImageNet eval transforms, frozen backbone, new Linear head, every epoch a full
forward pass through the backbone. Prints one JSON line.
  train_torchvision.py DATA_DIR WEIGHTS.pth [EPOCHS=10]"""
import json
import os
import sys
import time

import torch
import torchvision
from torchvision import transforms

root, weights = sys.argv[1], sys.argv[2]
epochs = int(sys.argv[3]) if len(sys.argv) > 3 else 10
torch.set_num_threads(os.cpu_count())
torch.manual_seed(42)
tf = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(),
                         transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
sets = {s: torchvision.datasets.ImageFolder(os.path.join(root, s), tf) for s in ("train", "val")}
loaders = {s: torch.utils.data.DataLoader(d, batch_size=32, shuffle=(s == "train"), num_workers=2)
           for s, d in sets.items()}
model = torchvision.models.mobilenet_v2()
model.load_state_dict(torch.load(weights))
for p in model.parameters():
    p.requires_grad = False
model.classifier[1] = torch.nn.Linear(model.last_channel, len(sets["train"].classes))
opt = torch.optim.Adam(model.classifier[1].parameters(), lr=1e-3)

t0 = time.perf_counter()
best = 0.0
for epoch in range(epochs):
    model.train()
    for x, y in loaders["train"]:
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in loaders["val"]:
            correct += (model(x).argmax(1) == y).sum().item()
            total += len(y)
    best = max(best, correct / total)
seconds = time.perf_counter() - t0
print(json.dumps({"runtime": "torchvision", "epochs": epochs, "seconds": round(seconds, 1),
                  "best_val_accuracy": round(best, 4)}))
