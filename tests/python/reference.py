#!/usr/bin/python3
"""Reference outputs from Debian's torchvision for the C++ parity tests.

  reference.py parity --arch ARCH --out DIR [--legacy] [--num-classes N]
                      [--size S] [--batch B] [--seed SEED]

builds torchvision.models.ARCH with random weights (fixed seed; BatchNorm
running statistics randomised too, so eval-mode BN is exercised), and writes
  DIR/weights.pth  the state_dict (zip format, or legacy with --legacy)
  DIR/io.pth       {"input": x, "logits": model.eval()(x), "logits64": the same
                   computed in float64} (zip format)
"""
import argparse
import os
import sys

import torch
import torchvision


# ------------------------------------------------------------------------------
# Architectures torchvision lacks, written here from their papers and the public
# descriptions of the layouts whose weights the zoo loads (timm's
# legacy_xception, pytorchcv's zfnet): the module names below are exactly those
# projects' state_dict keys.

class _SepConv(torch.nn.Module):
    """Depthwise 3x3 ("conv1") then pointwise 1x1 ("pointwise"), no biases."""

    def __init__(self, cin, cout, stride=1, padding=1):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(cin, cin, 3, stride, padding, groups=cin, bias=False)
        self.pointwise = torch.nn.Conv2d(cin, cout, 1, bias=False)

    def forward(self, x):
        return self.pointwise(self.conv1(x))


class _XBlock(torch.nn.Module):
    """Xception module: separable convs in `rep` (ReLU before each, except the
    very first of the network), channels changing in the first (grow_first) or
    the last separable conv, a strided 3x3 max pool when downsampling; residual
    through a strided 1x1 conv + BN when the shape changes."""

    def __init__(self, cin, cout, reps, stride, first_relu=True, grow_first=True):
        super().__init__()
        widths = []
        for i in range(reps):
            if grow_first:
                widths.append((cin if i == 0 else cout, cout))
            else:
                widths.append((cin, cin if i < reps - 1 else cout))
        layers = []
        for i, (a, b) in enumerate(widths):
            if i > 0 or first_relu:
                layers.append(torch.nn.ReLU(inplace=False))
            layers += [_SepConv(a, b), torch.nn.BatchNorm2d(b)]
        if stride != 1:
            layers.append(torch.nn.MaxPool2d(3, stride, 1))
        self.rep = torch.nn.Sequential(*layers)
        if cin != cout or stride != 1:
            self.skip = torch.nn.Conv2d(cin, cout, 1, stride, bias=False)
            self.skipbn = torch.nn.BatchNorm2d(cout)
        else:
            self.skip = None

    def forward(self, x):
        shortcut = self.skipbn(self.skip(x)) if self.skip is not None else x
        return self.rep(x) + shortcut


class XceptionRef(torch.nn.Module):
    """Chollet's Xception (entry, middle, exit flows) as ported from Keras."""

    def __init__(self, num_classes=1000):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 32, 3, 2, 0, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(32)
        self.conv2 = torch.nn.Conv2d(32, 64, 3, 1, 0, bias=False)
        self.bn2 = torch.nn.BatchNorm2d(64)
        specs = [(64, 128, 2, 2, False, True), (128, 256, 2, 2, True, True), (256, 728, 2, 2, True, True)]
        specs += [(728, 728, 3, 1, True, True)] * 8
        specs += [(728, 1024, 2, 2, True, False)]
        for i, spec in enumerate(specs, start=1):
            setattr(self, f"block{i}", _XBlock(*spec))
        self.conv3 = _SepConv(1024, 1536)
        self.bn3 = torch.nn.BatchNorm2d(1536)
        self.conv4 = _SepConv(1536, 2048)
        self.bn4 = torch.nn.BatchNorm2d(2048)
        self.fc = torch.nn.Linear(2048, num_classes)
        for m in self.modules():
            if isinstance(m, torch.nn.Conv2d):
                torch.nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        relu = torch.nn.functional.relu
        x = relu(self.bn1(self.conv1(x)))
        x = relu(self.bn2(self.conv2(x)))
        for i in range(1, 13):
            x = getattr(self, f"block{i}")(x)
        x = relu(self.bn3(self.conv3(x)))
        x = relu(self.bn4(self.conv4(x)))
        return self.fc(torch.flatten(torch.nn.functional.adaptive_avg_pool2d(x, 1), 1))


class _ZfUnit(torch.nn.Module):
    def __init__(self, cin, cout, k, stride, padding, lrn):
        super().__init__()
        self.conv = torch.nn.Conv2d(cin, cout, k, stride, padding, bias=True)
        self.lrn = lrn

    def forward(self, x):
        x = torch.relu(self.conv(x))
        # Krizhevsky's LRN as pytorchcv applies it: size 5, alpha 1e-4, beta 0.75, k 2.
        return torch.nn.functional.local_response_norm(x, size=5, alpha=1e-4, beta=0.75, k=2.0) if self.lrn else x


class _ZfDense(torch.nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.fc = torch.nn.Linear(cin, cout)
        self.dropout = torch.nn.Dropout(0.5)

    def forward(self, x):
        return self.dropout(torch.relu(self.fc(x)))


class ZFNetRef(torch.nn.Module):
    """Zeiler & Fergus: 7x7/2 conv 96, 5x5/2 conv 256 (each with ReLU, LRN and a
    3x3/2 max pool, ceil mode), three 3x3 convs 384-384-256 and a pool, then
    4096-4096-classes fully connected layers."""

    def __init__(self, num_classes=1000):
        super().__init__()
        plan = [[(3, 96, 7, 2, 1)], [(96, 256, 5, 2, 0)], [(256, 384, 3, 1, 1), (384, 384, 3, 1, 1), (384, 256, 3, 1, 1)]]
        self.features = torch.nn.Sequential()
        for s, units in enumerate(plan):
            stage = torch.nn.Sequential()
            for u, (a, b, k, st, p) in enumerate(units):
                stage.add_module(f"unit{u + 1}", _ZfUnit(a, b, k, st, p, lrn=s < 2))
            stage.add_module(f"pool{s + 1}", torch.nn.MaxPool2d(3, 2, 0, ceil_mode=True))
            self.features.add_module(f"stage{s + 1}", stage)
        self.output = torch.nn.Sequential()
        self.output.add_module("fc1", _ZfDense(256 * 6 * 6, 4096))
        self.output.add_module("fc2", _ZfDense(4096, 4096))
        self.output.add_module("fc3", torch.nn.Linear(4096, num_classes))
        for m in self.modules():
            if isinstance(m, torch.nn.Conv2d):
                torch.nn.init.kaiming_uniform_(m.weight)
                torch.nn.init.zeros_(m.bias)

    def forward(self, x):
        return self.output(torch.flatten(self.features(x), 1))


REFERENCES = {"xception": XceptionRef, "zfnet": ZFNetRef}


def build(arch, num_classes):
    if arch in REFERENCES:
        return REFERENCES[arch](num_classes=num_classes)
    kwargs = {"weights": None, "num_classes": num_classes}
    if arch in ("googlenet", "inception_v3"):
        # As torchvision builds them for its official weights.
        kwargs.update(aux_logits=False, transform_input=True, init_weights=True)
    return torchvision.models.__dict__[arch](**kwargs)


def randomise_bn(model, gen, calibration):
    """Random BatchNorm affine parameters, and running statistics measured on a
    calibration batch as a trained network's would be. (Purely random statistics
    let deep networks such as resnet152 reach logits of 1e12, where float32 itself
    cannot hold 1e-4 relative agreement.)"""
    bns = [m for m in model.modules()
           if isinstance(m, torch.nn.modules.batchnorm._BatchNorm) and m.track_running_stats]
    if not bns:
        return
    with torch.no_grad():
        for m in bns:
            if m.weight is not None:
                m.weight.copy_(1.0 + 0.1 * torch.randn(m.weight.shape, generator=gen))
                m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=gen))
    momenta = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative: the statistics of exactly this batch
    model.train()
    with torch.no_grad():
        model(calibration)
    for m, momentum in zip(bns, momenta):
        m.momentum = momentum


def parity(args):
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed + 1)
    model = build(args.arch, args.num_classes)
    randomise_bn(model, gen, torch.randn(4, 3, args.size, args.size, generator=gen))
    model.eval()
    x = torch.randn(args.batch, 3, args.size, args.size, generator=gen)
    with torch.no_grad():
        logits = model(x)
        # The same network in float64: how far float32 itself is from exact.
        logits64 = model.double()(x.double()).float()
        model.float()
    os.makedirs(args.out, exist_ok=True)
    sd = model.state_dict()
    if args.legacy:
        torch.save(sd, os.path.join(args.out, "weights.pth"), _use_new_zipfile_serialization=False)
    else:
        torch.save(sd, os.path.join(args.out, "weights.pth"))
    torch.save({"input": x, "logits": logits, "logits64": logits64}, os.path.join(args.out, "io.pth"))
    print(f"{args.arch}: {len(sd)} tensors, logits {tuple(logits.shape)}")


def transform(args):
    from PIL import Image
    from torchvision import transforms as T

    img = Image.open(args.image).convert("RGB")
    interp = T.InterpolationMode.BICUBIC if args.bicubic else T.InterpolationMode.BILINEAR
    resized = T.Resize(args.resize, interpolation=interp)(img)
    cropped = T.CenterCrop(args.crop)(resized)
    tensor = T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])(T.ToTensor()(cropped))
    raw = torch.from_numpy(__import__("numpy").asarray(resized).copy())
    torch.save({"tensor": tensor, "resized": raw}, args.out)
    print(f"resized {resized.size}, tensor {tuple(tensor.shape)}")


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    q = sub.add_parser("parity")
    q.add_argument("--arch", required=True)
    q.add_argument("--out", required=True)
    q.add_argument("--legacy", action="store_true")
    q.add_argument("--num-classes", type=int, default=1000)
    q.add_argument("--size", type=int, default=224)
    q.add_argument("--batch", type=int, default=2)
    q.add_argument("--seed", type=int, default=0)
    t = sub.add_parser("transform")
    t.add_argument("--image", required=True)
    t.add_argument("--resize", type=int, default=256)
    t.add_argument("--crop", type=int, default=224)
    t.add_argument("--bicubic", action="store_true")
    t.add_argument("--out", required=True)
    args = p.parse_args()
    torch.set_num_threads(2)
    {"parity": parity, "transform": transform}[args.cmd](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
