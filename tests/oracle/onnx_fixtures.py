#!/usr/bin/python3
"""ONNX models for the importer's tests, made at test time with Debian's python3-torch / python3-torchvision
(seeded random weights; no downloads), each with a fixed input and PyTorch's output on it.

    /usr/bin/python3 tests/oracle/onnx_fixtures.py OUTDIR [--fmnist-root DIR] [--fmnist-train N]

Writes into OUTDIR, for every model NAME: NAME.onnx, NAME.in.bin and NAME.out.bin (float32, C order), and
fixtures.json describing them (input/output shapes, opset). Also the Fashion-MNIST CNN (trained briefly on the
real data) with its top-1 on the full test split as PyTorch computes it, and broken files for the error tests.
"""

import argparse
import gzip
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision


def randomize_bn(model, seed):
    """Random running statistics and affine parameters, so that folding or ignoring BN shows."""
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            m.running_mean.copy_(torch.randn(c, generator=g) * 0.2)
            m.running_var.copy_(torch.rand(c, generator=g) * 0.8 + 0.4)
            m.weight.data.copy_(torch.rand(c, generator=g) * 0.8 + 0.6)
            m.bias.data.copy_(torch.randn(c, generator=g) * 0.1)


class SegNet(nn.Module):
    """A small encoder-decoder: strided convs, an SE gate, nearest upsampling, a skip concat and logits resized
    to the input with interpolate(size=x.shape[-2:]) (Shape/Gather/Slice/Concat sub-graphs in the export)."""

    def __init__(self, classes=5):
        super().__init__()
        self.enc1 = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.enc2 = nn.Sequential(nn.Conv2d(16, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.LeakyReLU(0.1))
        self.se1 = nn.Conv2d(32, 8, 1)
        self.se2 = nn.Conv2d(8, 32, 1)
        self.dec = nn.Sequential(nn.Conv2d(48, 24, 3, 1, 1), nn.ReLU())
        self.cls = nn.Conv2d(24, classes, 1)

    def forward(self, x):
        a = self.enc1(x)
        b = self.enc2(a)
        s = torch.sigmoid(self.se2(F.relu(self.se1(F.adaptive_avg_pool2d(b, 1)))))
        b = b * s
        up = F.interpolate(b, scale_factor=2, mode="nearest")
        y = self.dec(torch.cat([up, a], 1))
        y = self.cls(y)
        return F.interpolate(y, size=x.shape[-2:], mode="bilinear", align_corners=False)


class OpZoo(nn.Module):
    """Ops the torchvision nets do not use: asymmetric Pad, pools with ceil_mode / count_include_pad / padding,
    ReLU6, Hardswish, LeakyReLU, Sub/Div by constants, align_corners upsampling, x.view(x.size(0), -1),
    ReduceMean, MatMul + Add and a final Softmax."""

    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.tensor([0.3]).view(1, 1, 1, 1))
        self.register_buffer("std", torch.tensor([0.4]).view(1, 1, 1, 1))
        self.c1 = nn.Conv2d(1, 8, 4, 2, 0)  # after an asymmetric pad
        self.c2 = nn.Conv2d(8, 12, 3, 1, 1, groups=4)
        self.c3 = nn.Conv2d(12, 16, (1, 3), 1, (0, 1), dilation=(1, 1))
        self.c4 = nn.Conv2d(16, 16, 3, 1, 2, dilation=2)
        self.w = nn.Parameter(torch.randn(16 * 4, 10) * 0.1)
        self.b = nn.Parameter(torch.randn(10) * 0.1)

    def forward(self, x):
        x = (x - self.mean) / self.std
        x = F.pad(x, (1, 2, 0, 1))
        x = F.relu6(self.c1(x) * 3.0)
        x = F.max_pool2d(x, 3, 2, 1, ceil_mode=True)
        x = F.hardswish(self.c2(x))
        x = F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False)
        x = F.leaky_relu(self.c3(x), 0.2)
        x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)
        x = torch.sigmoid(self.c4(x)) - 0.5
        x = F.avg_pool2d(x, 2)
        x = x - x.mean([2, 3], keepdim=True)
        x = F.avg_pool2d(x, 3, 2)
        x = x.view(x.size(0), -1)
        x = torch.matmul(x, self.w) + self.b
        return F.softmax(x, dim=1)


class FmnistCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, 1, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
            nn.Conv2d(32, 32, 3, 1, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, 1, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU())
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(128, 10))

    def forward(self, x):
        x = self.features(x)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.classifier(x)


class UNetNhwc(nn.Module):
    """Takes NHWC images like a Keras model (a leading permute), upsamples with ConvTranspose2d (one with
    output_padding), crops a skip with a channel slice and ends in per-pixel logits at the input size."""

    def __init__(self, classes=4):
        super().__init__()
        self.down1 = nn.Sequential(nn.Conv2d(3, 12, 3, 2, 1), nn.BatchNorm2d(12), nn.ReLU())
        self.down2 = nn.Sequential(nn.Conv2d(12, 24, 3, 2, 1), nn.BatchNorm2d(24), nn.ReLU())
        self.up1 = nn.ConvTranspose2d(24, 12, 3, 2, 1, output_padding=1)
        self.up2 = nn.ConvTranspose2d(18, 8, 2, 2)
        self.head = nn.Conv2d(8, classes, 1)

    def forward(self, x):
        x = x.permute(0, 3, 1, 2)
        a = self.down1(x)
        b = self.down2(a)
        u = F.relu(self.up1(b))
        u = torch.cat([u, a[:, :6]], 1)
        return self.head(F.relu(self.up2(u)))


class TwoInputs(nn.Module):
    def forward(self, x, y):
        return x + y


class BatchDependent(nn.Module):
    """Computes with the batch size (a tensor built from x.shape[0]): a dynamic shape the importer cannot fix."""

    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(3, 4, 3)

    def forward(self, x):
        y = self.c(x).flatten(1)
        return y + torch.arange(x.shape[0] * y.shape[1], dtype=torch.float32).view(x.shape[0], -1)


class Unsupported(nn.Module):
    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(3, 4, 3)

    def forward(self, x):
        return torch.erf(self.c(x)).flatten(1)


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, count = struct.unpack(">II", data[:8])
    if magic == 2051:
        rows, cols = struct.unpack(">II", data[8:16])
        return np.frombuffer(data, np.uint8, offset=16).reshape(count, rows, cols)
    return np.frombuffer(data, np.uint8, offset=8)


def fmnist(root, split):
    prefix = "train" if split == "train" else "t10k"
    x = read_idx(os.path.join(root, prefix + "-images-idx3-ubyte.gz")).astype(np.float32) / 255.0
    y = read_idx(os.path.join(root, prefix + "-labels-idx1-ubyte.gz")).astype(np.int64)
    x = (x - 0.2860) / 0.3530  # the shipped recipes' normalize step
    return torch.from_numpy(x).unsqueeze(1), torch.from_numpy(y)


def export(model, x, path, opset, dynamic_batch=True, dynamic_spatial=False):
    axes = {}
    if dynamic_batch:
        axes = {"input": {0: "batch"}, "output": {0: "batch"}}
    if dynamic_spatial:
        axes["input"].update({2: "height", 3: "width"})
    torch.onnx.export(model, x, path, opset_version=opset, input_names=["input"], output_names=["output"],
                      dynamic_axes=axes or None, do_constant_folding=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--fmnist-root", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--fmnist-train", type=int, default=24000)
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(2)
    torch.manual_seed(0)
    index = {}

    def save(name, model, shape, opset, **kw):
        model.eval()
        g = torch.Generator().manual_seed(len(index) + 1)
        x = torch.randn(3, *shape, generator=g)
        with torch.no_grad():
            y = model(x)
        path = os.path.join(args.out, name + ".onnx")
        export(model, x, path, opset, **kw)
        x.numpy().astype(np.float32).tofile(os.path.join(args.out, name + ".in.bin"))
        y.numpy().astype(np.float32).tofile(os.path.join(args.out, name + ".out.bin"))
        index[name] = {"input": list(x.shape), "output": list(y.shape), "opset": opset}

    r18 = torchvision.models.resnet18(num_classes=10)
    randomize_bn(r18, 1)
    save("resnet18", r18, (3, 32, 32), 13)
    mv2 = torchvision.models.mobilenet_v2(num_classes=10)
    randomize_bn(mv2, 2)
    save("mobilenet_v2", mv2, (3, 40, 40), 11)
    mv3 = torchvision.models.mobilenet_v3_small(num_classes=10)
    randomize_bn(mv3, 3)
    save("mobilenet_v3_small", mv3, (3, 48, 48), 14)
    seg = SegNet()
    randomize_bn(seg, 4)
    save("segnet", seg, (3, 36, 44), 13, dynamic_spatial=True)
    save("opzoo", OpZoo(), (1, 30, 30), 17, dynamic_batch=False)
    # Channel shuffle (Reshape to 5-D, Transpose, Reshape) and channel split (Split).
    shuffle = torchvision.models.shufflenet_v2_x0_5(num_classes=10)
    randomize_bn(shuffle, 5)
    save("shufflenet_v2", shuffle, (3, 32, 32), 13)
    # GoogLeNet's input transform gathers single channels (Gather on the image, Unsqueeze, Concat).
    goog = torchvision.models.googlenet(num_classes=10, aux_logits=False, transform_input=True, init_weights=True)
    randomize_bn(goog, 6)
    save("googlenet", goog, (3, 64, 64), 13)
    unet = UNetNhwc()
    randomize_bn(unet, 7)
    save("unet_nhwc", unet, (28, 28, 3), 13)
    index["unet_nhwc"]["layout"] = "nhwc"

    # The Fashion-MNIST CNN, trained briefly (one pass over the first --fmnist-train images).
    x, y = fmnist(args.fmnist_root, "train")
    cnn = FmnistCnn()
    opt = torch.optim.Adam(cnn.parameters(), lr=2e-3)
    cnn.train()
    g = torch.Generator().manual_seed(0)
    order = torch.randperm(x.shape[0], generator=g)[: args.fmnist_train]
    for i in range(0, len(order), 128):
        idx = order[i:i + 128]
        loss = F.cross_entropy(cnn(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    cnn.eval()
    xt, yt = fmnist(args.fmnist_root, "test")
    with torch.no_grad():
        pred = torch.cat([cnn(xt[i:i + 1000]).argmax(1) for i in range(0, xt.shape[0], 1000)])
    top1 = float((pred == yt).float().mean() * 100.0)
    save("fmnist_cnn", cnn, (1, 28, 28), 13)
    index["fmnist_cnn"]["top1"] = top1
    index["fmnist_cnn"]["test_samples"] = int(xt.shape[0])

    # Broken files.
    with open(os.path.join(args.out, "resnet18.onnx"), "rb") as f:
        data = f.read()
    with open(os.path.join(args.out, "truncated.onnx"), "wb") as f:
        f.write(data[: len(data) // 3])
    rng = np.random.default_rng(7)
    with open(os.path.join(args.out, "garbage.onnx"), "wb") as f:
        f.write(rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())
    torch.onnx.export(TwoInputs(), (torch.randn(1, 3, 8, 8), torch.randn(1, 3, 8, 8)),
                      os.path.join(args.out, "two_inputs.onnx"), opset_version=13, input_names=["x", "y"])
    torch.onnx.export(Unsupported().eval(), torch.randn(1, 3, 8, 8), os.path.join(args.out, "unsupported.onnx"),
                      opset_version=13, input_names=["input"])
    torch.onnx.export(BatchDependent().eval(), torch.randn(2, 3, 8, 8), os.path.join(args.out, "batch_dependent.onnx"),
                      opset_version=13, input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})

    with open(os.path.join(args.out, "fixtures.json"), "w") as f:
        json.dump(index, f, indent=1)
    print("fixtures written to", args.out, "fmnist_cnn top1 %.2f" % top1)


if __name__ == "__main__":
    sys.exit(main())
