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


def build(arch, num_classes):
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
