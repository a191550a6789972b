#!/usr/bin/python3
"""ONNX files for bench/run_import_benchmark.sh: torchvision models as users export them (eval mode, opset 13,
dynamic batch; seeded random weights, no downloads).
    /usr/bin/python3 bench/make_import_models.py OUTDIR"""
import os
import sys

import torch
import torchvision


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    for name, model, size in (("resnet18", torchvision.models.resnet18(num_classes=10), 32),
                              ("mobilenet_v2", torchvision.models.mobilenet_v2(num_classes=10), 32)):
        model.eval()
        torch.onnx.export(model, torch.randn(1, 3, size, size), os.path.join(out, name + ".onnx"), opset_version=13,
                          input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    print("exported to", out)


if __name__ == "__main__":
    main()
