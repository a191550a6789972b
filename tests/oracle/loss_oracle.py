#!/usr/bin/python3
"""Reference values for tests/core/test_losses.cpp, computed with Debian's python3-torch (LibTorch 1.13)
from the reference implementations (Hinton KD, RepDistiller AT, the official CWD and structured-KD code).
Run: /usr/bin/python3 tests/oracle/loss_oracle.py"""
import torch
import torch.nn.functional as F


def det(shape, a, b, c=1.0):
    """Deterministic test tensor; test_losses.cpp builds the same one."""
    n = 1
    for s in shape:
        n *= s
    t = torch.arange(n, dtype=torch.float32).reshape(shape)
    return torch.sin(t * a + b) * c


def kd(s, t, tau):
    return F.kl_div(F.log_softmax(s / tau, 1), F.softmax(t / tau, 1), reduction="batchmean") * tau * tau


def cwd(s, t, tau):  # official ChannelWiseDivergence
    N, C, H, W = s.shape
    pt = F.softmax(t.reshape(-1, W * H) / tau, dim=1)
    loss = torch.sum(pt * F.log_softmax(t.reshape(-1, W * H) / tau, dim=1) -
                     pt * F.log_softmax(s.reshape(-1, W * H) / tau, dim=1)) * (tau ** 2)
    return loss / (C * N)


def at(s, t):
    a = lambda f: F.normalize(f.pow(2).mean(1).view(f.size(0), -1))
    return (a(s) - a(t)).pow(2).sum(1).mean()


def pixel_kd(s, t, tau):
    return F.kl_div(F.log_softmax(s / tau, 1), F.softmax(t / tau, 1), reduction="none").sum(1).mean()


def pair_kd(s, t, pool):  # structured KD, pair-wise term
    def sim(f):
        f = F.max_pool2d(f, kernel_size=pool, stride=pool, ceil_mode=True)
        norm = ((f ** 2).sum(1, keepdim=True)) ** 0.5
        f = (f / norm).reshape(f.shape[0], f.shape[1], -1)
        return torch.einsum("icm,icn->imn", f, f)
    return ((sim(s) - sim(t)) ** 2).mean()


def main():
    torch.set_printoptions(precision=10)
    s2, t2 = det((4, 10), 0.37, 0.1, 3.0), det((4, 10), 0.23, 0.7, 2.5)
    s4, t4 = det((2, 3, 4, 5), 0.31, 0.2, 2.0), det((2, 3, 4, 5), 0.17, 0.9, 3.0)
    sp, tp = det((2, 6, 5, 7), 0.13, 0.4, 1.5), det((2, 4, 5, 7), 0.29, 0.3, 2.0)
    out = {}
    out["ce"] = F.cross_entropy(s2, torch.tensor([3, 0, 9, 5])).item()
    seg_target = (torch.arange(2 * 4 * 5).reshape(2, 4, 5) % 3)
    seg_target[0, 0, :] = 255
    out["ce_seg_ignore"] = F.cross_entropy(s4, seg_target, ignore_index=255).item()
    out["kd_tau4"] = kd(s2, t2, 4.0).item()
    out["kd_tau1"] = kd(s2, t2, 1.0).item()
    out["cwd_tau4"] = cwd(s4, t4, 4.0).item()
    out["cwd_tau1"] = cwd(s4, t4, 1.0).item()
    out["at"] = at(sp, tp).item()
    out["pixel_kd_tau1"] = pixel_kd(s4, t4, 1.0).item()
    out["pixel_kd_tau2"] = pixel_kd(s4, t4, 2.0).item()
    out["pair_kd_pool2"] = pair_kd(sp, tp, 2).item()
    out["pair_kd_pool1"] = pair_kd(sp, tp, 1).item()
    out["mse"] = F.mse_loss(s4, t4).item()
    sg = s4.clone().requires_grad_(True)
    cwd(sg, t4, 4.0).backward()
    w = det((2, 3, 4, 5), 0.11, 0.5, 1.0)
    out["cwd_grad_dot"] = (sg.grad * w).sum().item()
    out["cwd_grad_000"] = sg.grad[0, 0, 0, 0].item()
    for k, v in out.items():
        print(f"{k} {v:.9g}")


if __name__ == "__main__":
    main()
