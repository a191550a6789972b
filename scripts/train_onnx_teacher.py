#!/usr/bin/python3
"""Trains the shipped imported teacher: a VGG-style CNN written and trained in plain PyTorch (Debian's
python3-torch) on the real Fashion-MNIST, exported with torch.onnx.export exactly as a user would, so the
distillation recipes that import it start from a model Distillery never saw being built.

    /usr/bin/python3 scripts/train_onnx_teacher.py [--epochs 12] [--out resources/teachers/fmnist_vgg_torch.onnx]

Resumable: a checkpoint next to the output (OUT.ckpt) is written after every epoch and picked up again.
Writes OUT (ONNX, opset 13, dynamic batch) and OUT with .json: the test top-1 PyTorch measures and how it was
trained.
"""

import argparse
import gzip
import json
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = "/usr/share/datasets/fashion-mnist"
MEAN, STD = 0.2860, 0.3530  # the shipped recipes' normalize step


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, count = struct.unpack(">II", data[:8])
    if magic == 2051:
        rows, cols = struct.unpack(">II", data[8:16])
        return np.frombuffer(data, np.uint8, offset=16).reshape(count, rows, cols)
    return np.frombuffer(data, np.uint8, offset=8)


def load(split):
    prefix = "train" if split == "train" else "t10k"
    x = read_idx(os.path.join(ROOT, prefix + "-images-idx3-ubyte.gz")).astype(np.float32) / 255.0
    y = read_idx(os.path.join(ROOT, prefix + "-labels-idx1-ubyte.gz")).astype(np.int64)
    return torch.from_numpy((x - MEAN) / STD).unsqueeze(1), torch.from_numpy(y)


class VggFmnist(nn.Module):
    """Three blocks of two 3x3 conv-BN-ReLU (32, 64, 128 channels), max pooling between them, global average
    pooling and a linear classifier: 28x28 -> 14x14 -> 7x7."""

    def __init__(self, classes=10):
        super().__init__()

        def block(cin, cout):
            return [nn.Conv2d(cin, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                    nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]

        self.features = nn.Sequential(*block(1, 32), nn.MaxPool2d(2), *block(32, 64), nn.MaxPool2d(2),
                                      *block(64, 128))
        self.classifier = nn.Linear(128, classes)

    def forward(self, x):
        x = self.features(x)
        return self.classifier(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def augment(x, g):
    """Random crop 28 from a 2-pixel zero-padded image and horizontal flip, per sample (the recipes' train
    transforms)."""
    n = x.shape[0]
    padded = F.pad(x, (2, 2, 2, 2), value=(0.0 - MEAN) / STD)
    dy = torch.randint(0, 5, (n,), generator=g)
    dx = torch.randint(0, 5, (n,), generator=g)
    out = torch.empty_like(x)
    for i in range(n):
        out[i] = padded[i, :, dy[i]:dy[i] + 28, dx[i]:dx[i] + 28]
    flip = torch.rand(n, generator=g) < 0.5
    out[flip] = out[flip].flip(3)
    return out


def evaluate(model, x, y):
    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(x[i:i + 1000]).argmax(1) for i in range(0, x.shape[0], 1000)])
    return float((pred == y).float().mean() * 100.0)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--out", default="resources/teachers/fmnist_vgg_torch.onnx")
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x, y = load("train")
    xt, yt = load("test")
    model = VggFmnist()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
    steps_per_epoch = (x.shape[0] + 127) // 128
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.05, total_steps=args.epochs * steps_per_epoch,
                                                pct_start=0.15, anneal_strategy="cos")
    ckpt = args.out + ".ckpt"
    start, history = 0, []
    if os.path.exists(ckpt):
        state = torch.load(ckpt)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        start, history = state["epoch"], state["history"]
        print("resuming after epoch", start, flush=True)
    for epoch in range(start, args.epochs):
        model.train()
        g = torch.Generator().manual_seed(1000 + epoch)
        order = torch.randperm(x.shape[0], generator=g)
        t0, total = time.time(), 0.0
        for i in range(0, x.shape[0], 128):
            idx = order[i:i + 128]
            loss = F.cross_entropy(model(augment(x[idx], g)), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss) * idx.numel()
        top1 = evaluate(model, xt, yt)
        history.append({"epoch": epoch + 1, "train_loss": total / x.shape[0], "test_top1": top1,
                        "seconds": time.time() - t0})
        print(json.dumps(history[-1]), flush=True)
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                    "epoch": epoch + 1, "history": history}, ckpt + ".tmp")
        os.replace(ckpt + ".tmp", ckpt)
    model.eval()
    top1 = evaluate(model, xt, yt)
    tmp = args.out + ".tmp"
    torch.onnx.export(model, torch.randn(1, 1, 28, 28), tmp, opset_version=13, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    os.replace(tmp, args.out)
    card = {"model": "VggFmnist (scripts/train_onnx_teacher.py)", "framework": "PyTorch " + torch.__version__,
            "params": sum(p.numel() for p in model.parameters()), "test_top1": top1, "epochs": args.epochs,
            "optimizer": "SGD nesterov momentum 0.9, weight decay 5e-4, one-cycle cosine lr 0.05, batch 128",
            "augmentation": "random crop 28 (pad 2), horizontal flip 0.5", "normalize": [MEAN, STD],
            "history": history}
    with open(os.path.splitext(args.out)[0] + ".json", "w") as f:
        json.dump(card, f, indent=1)
    os.remove(ckpt)
    print("wrote", args.out, "test top-1 %.2f" % top1)


if __name__ == "__main__":
    sys.exit(main())
