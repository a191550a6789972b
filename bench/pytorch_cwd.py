#!/usr/bin/python3
"""The Fashion-MNIST CWD recipe (resources/recipes/fmnist_cwd.yaml) written the usual way in PyTorch:
ResNet-20 teacher -> ResNet-8 student, CE + CWD(stage3, tau 1, weight 50), SGD Nesterov, batch 128, the same
augmentation (random crop with padding 2, horizontal flip, normalise) through torchvision transforms and a
DataLoader with worker processes. The baseline for bench/run_benchmarks.sh (Debian's python3-torch, the same
LibTorch 1.13 as the engine).

Every configuration a competent user would try is a flag: DataLoader --workers 0/1/2, --bf16 (CPU autocast to
bfloat16: convolutions and matmuls in bf16, the losses in fp32, as torch.autocast does), --channels-last
(models and batches in channels-last memory format).

Prints one JSON line: {"images_per_second": ..., "step_ms": ..., "steps": ..., "peak_rss_mb": ...}; the peak
RSS counts this process and its DataLoader workers.
"""
import contextlib
import resource
import argparse
import gzip
import json
import math
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision.transforms as T


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


class FashionMNIST(torch.utils.data.Dataset):
    def __init__(self, root, transform):
        self.images = torch.from_numpy(read_idx(f"{root}/train-images-idx3-ubyte.gz").copy())
        self.labels = torch.from_numpy(read_idx(f"{root}/train-labels-idx1-ubyte.gz").astype(np.int64))
        self.transform = transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        x = self.images[i].unsqueeze(0).float().div(255.0)
        return self.transform(x), self.labels[i]


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (x if self.down is None else self.down(x)))


class ResNet(nn.Module):
    """CIFAR ResNet as in the engine's zoo: stem 16, stages 16-32-64 (widths 32, 64-128-256 for the x4 models of
    RepDistiller), (depth-2)/6 blocks per stage."""

    def __init__(self, depth, widths=(16, 16, 32, 64), in_channels=1, classes=10):
        super().__init__()
        n = (depth - 2) // 6
        self.stem = nn.Sequential(nn.Conv2d(in_channels, widths[0], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[0]),
                                  nn.ReLU())
        stages, cin = [], widths[0]
        for i, c in enumerate(widths[1:]):
            blocks = []
            for b in range(n):
                blocks.append(BasicBlock(cin, c, 2 if i > 0 and b == 0 else 1))
                cin = c
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.ModuleList(stages)
        self.fc = nn.Linear(widths[-1], classes)

    def forward(self, x):
        x = self.stem(x)
        for s in self.stages:
            x = s(x)
        feat = x
        return self.fc(x.mean((2, 3))), feat


def cwd(s, t, tau):
    n, c, h, w = s.shape
    pt = F.softmax(t.reshape(-1, h * w) / tau, dim=1)
    loss = torch.sum(pt * F.log_softmax(t.reshape(-1, h * w) / tau, dim=1) -
                     pt * F.log_softmax(s.reshape(-1, h * w) / tau, dim=1)) * tau ** 2
    return loss / (n * c)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--batch", type=int, default=0, help="default: the pair's recipe (128, or 64 for x4)")
    ap.add_argument("--pair", choices=["resnet20-resnet8", "resnet32x4-resnet8x4"], default="resnet20-resnet8",
                    help="resnet32x4-resnet8x4: RepDistiller's pair at 32x32 "
                         "(bench/recipes/fmnist32_cwd_resnet32x4_resnet8x4.yaml)")
    ap.add_argument("--student-only", action="store_true")
    ap.add_argument("--bf16", action="store_true", help="bf16 autocast (CPU)")
    ap.add_argument("--channels-last", action="store_true", help="channels-last models and batches")
    ap.add_argument("--profile", metavar="TRACE.json",
                    help="record the timed steps' ops into a Chrome trace (compare with distillery-bench --profile)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    wide = args.pair == "resnet32x4-resnet8x4"
    if not args.batch:
        args.batch = 64 if wide else 128
    base_lr = 0.05 if wide else 0.1
    if wide:
        transform = T.Compose([T.Resize(32), T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(),
                               T.Normalize([0.2860], [0.3530])])
    else:
        transform = T.Compose([T.RandomCrop(28, padding=2), T.RandomHorizontalFlip(),
                               T.Normalize([0.2860], [0.3530])])
    loader = torch.utils.data.DataLoader(FashionMNIST(args.root, transform), batch_size=args.batch, shuffle=True,
                                         num_workers=args.workers, drop_last=True, persistent_workers=args.workers > 0)
    if wide:
        teacher, student = ResNet(32, (32, 64, 128, 256)).eval(), ResNet(8, (32, 64, 128, 256)).train()
    else:
        teacher, student = ResNet(20).eval(), ResNet(8).train()
    fmt = torch.channels_last if args.channels_last else torch.contiguous_format
    teacher, student = teacher.to(memory_format=fmt), student.to(memory_format=fmt)
    autocast = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if args.bf16 else contextlib.nullcontext
    opt = torch.optim.SGD(student.parameters(), lr=base_lr, momentum=0.9, nesterov=True, weight_decay=5e-4)
    total = args.warmup + args.steps
    steps_per_epoch = len(loader)
    step, t0, prof = 0, None, None
    while step < total:
        for x, y in loader:
            if step == args.warmup:
                t0 = time.perf_counter()
                if args.profile:
                    prof = torch.autograd.profiler.profile()
                    prof.__enter__()
            lr = base_lr * 0.5 * (1 + math.cos(math.pi * step / (3 * steps_per_epoch)))
            for g in opt.param_groups:
                g["lr"] = lr
            x = x.contiguous(memory_format=fmt)
            with autocast():
                logits, feat = student(x)
                if not args.student_only:
                    with torch.no_grad():
                        _, tfeat = teacher(x)
            # Losses in fp32 (autocast would run softmax in fp32 anyway).
            loss = F.cross_entropy(logits.float(), y)
            if not args.student_only:
                loss = loss + 50.0 * cwd(feat.float(), tfeat.float(), 1.0)
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            if step >= total:
                break
    elapsed = time.perf_counter() - t0
    if prof is not None:
        prof.__exit__(None, None, None)
        prof.export_chrome_trace(args.profile)
    rss_kb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss +
              resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    print(json.dumps({"images_per_second": args.steps * args.batch / elapsed,
                      "step_ms": 1000 * elapsed / args.steps, "steps": args.steps,
                      "peak_rss_mb": rss_kb / 1024.0}))


if __name__ == "__main__":
    main()
