#!/usr/bin/python3
"""Reference values for tests/core/test_losses.cpp, computed with Debian's python3-torch (LibTorch 1.13)
from the reference implementations (Hinton KD, RepDistiller AT, SP, PKT, NST and RKD, the official CWD,
structured-KD, DKD (mdistiller) and DIST code, RepDistiller's VID with given regressor weights, and CC
written from its paper's formulas).
Run: /usr/bin/python3 tests/oracle/loss_oracle.py"""
import math

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


def sp_loss(s, t):  # RepDistiller Similarity (Tung & Mori 2019)
    n = s.shape[0]
    gs = F.normalize(s.reshape(n, -1) @ s.reshape(n, -1).t())
    gt = F.normalize(t.reshape(n, -1) @ t.reshape(n, -1).t())
    return ((gt - gs) ** 2).sum() / (n * n)


def cc_loss(s, t, gamma=0.4, order=2):  # correlation congruence (Peng et al. 2019): Gaussian RBF, Taylor order P
    def k(f):
        f = F.normalize(f.reshape(f.shape[0], -1))
        g = f @ f.t()
        out = torch.zeros_like(g)
        for p in range(order + 1):
            out = out + math.exp(-2 * gamma) * (2 * gamma) ** p / math.factorial(p) * g ** p
        return out
    return ((k(s) - k(t)) ** 2).sum() / (s.shape[0] ** 2)


def rkd_loss(s, t, wd=25.0, wa=50.0):  # RepDistiller RKDLoss
    s, t = s.reshape(s.shape[0], -1), t.reshape(t.shape[0], -1)

    def pdist(e, eps=1e-12):
        sq = e.pow(2).sum(1)
        prod = e @ e.t()
        res = (sq.unsqueeze(1) + sq.unsqueeze(0) - 2 * prod).clamp(min=eps).sqrt().clone()
        res[range(len(e)), range(len(e))] = 0
        return res
    td = pdist(t)
    td = td / td[td > 0].mean()
    d = pdist(s)
    d = d / d[d > 0].mean()
    loss_d = F.smooth_l1_loss(d, td)

    def angle(e):
        diff = F.normalize(e.unsqueeze(0) - e.unsqueeze(1), p=2, dim=2)
        return torch.bmm(diff, diff.transpose(1, 2)).view(-1)
    loss_a = F.smooth_l1_loss(angle(s), angle(t))
    return wd * loss_d + wa * loss_a


def pkt_loss(s, t, eps=1e-7):  # RepDistiller PKT
    def sim(f):
        f = f.reshape(f.shape[0], -1)
        f = f / (torch.sqrt((f ** 2).sum(1, keepdim=True)) + eps)
        m = (f @ f.t() + 1.0) / 2.0
        return m / m.sum(1, keepdim=True)
    ms, mt = sim(s), sim(t)
    return torch.mean(mt * torch.log((mt + eps) / (ms + eps)))


def nst_loss(s, t):  # RepDistiller NSTLoss (polynomial kernel, d = 2, c = 0)
    sh, th = s.shape[2], t.shape[2]
    if sh > th:
        s = F.adaptive_avg_pool2d(s, (th, th))
    elif sh < th:
        t = F.adaptive_avg_pool2d(t, (sh, sh))
    s = F.normalize(s.reshape(s.shape[0], s.shape[1], -1), dim=2)
    t = F.normalize(t.reshape(t.shape[0], t.shape[1], -1), dim=2)
    poly = lambda a, b: (a.unsqueeze(1) * b.unsqueeze(2)).sum(-1).pow(2)
    return poly(t, t).mean() + poly(s, s).mean() - 2 * poly(s, t).mean()


def dkd_loss(s, t, target, alpha, beta, tau):  # mdistiller DKD
    gt = torch.zeros_like(s).scatter_(1, target.unsqueeze(1), 1).bool()
    other = ~gt
    ps, pt = F.softmax(s / tau, 1), F.softmax(t / tau, 1)
    cat = lambda p: torch.cat([(p * gt).sum(1, keepdim=True), (p * other).sum(1, keepdim=True)], 1)
    ps2, pt2 = cat(ps), cat(pt)
    tckd = F.kl_div(torch.log(ps2), pt2, reduction="sum") * tau ** 2 / target.shape[0]
    pt3 = F.softmax(t / tau - 1000.0 * gt, 1)
    ls3 = F.log_softmax(s / tau - 1000.0 * gt, 1)
    nckd = F.kl_div(ls3, pt3, reduction="sum") * tau ** 2 / target.shape[0]
    return alpha * tckd + beta * nckd


def dist_loss(s, t, beta, gamma, tau):  # official DIST
    def pearson(a, b, eps=1e-8):
        a, b = a - a.mean(1, keepdim=True), b - b.mean(1, keepdim=True)
        return (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1) + eps)
    ys, yt = (s / tau).softmax(1), (t / tau).softmax(1)
    inter = tau ** 2 * (1 - pearson(ys, yt).mean())
    intra = tau ** 2 * (1 - pearson(ys.t(), yt.t()).mean())
    return beta * inter + gamma * intra


def vid_loss(s, t, w1, w2, w3, log_scale, eps=1e-5):  # RepDistiller VIDLoss with given weights
    h, w = min(s.shape[2], t.shape[2]), min(s.shape[3], t.shape[3])
    if s.shape[2:] != (h, w):
        s = F.adaptive_avg_pool2d(s, (h, w))
    if t.shape[2:] != (h, w):
        t = F.adaptive_avg_pool2d(t, (h, w))
    mean = F.conv2d(F.relu(F.conv2d(F.relu(F.conv2d(s, w1)), w2)), w3)
    var = (torch.log(1.0 + torch.exp(log_scale)) + eps).view(1, -1, 1, 1)
    return torch.mean(0.5 * ((mean - t) ** 2 / var + torch.log(var)))


def vid_weights(cs, ct):
    return (det((ct, cs, 1, 1), 0.05, 0.1, 0.5), det((ct, ct, 1, 1), 0.09, 0.3, 0.5),
            det((ct, ct, 1, 1), 0.13, 0.7, 0.5), det((ct,), 0.4, 0.2, 1.0))


def crd_contrast(vs, vt, idx, mem_s, mem_t, T, momentum):
    """RepDistiller's ContrastMemory (v1 = student, v2 = teacher) and its two ContrastLoss terms, with the
    negatives given in idx[:, 1:] and the banks updated in place."""
    B, K1 = idx.shape
    D, n = vs.shape[1], mem_s.shape[0]
    out_v2 = torch.exp(torch.bmm(mem_s[idx.view(-1)].view(B, K1, D), vt.view(B, D, 1)) / T)
    out_v1 = torch.exp(torch.bmm(mem_t[idx.view(-1)].view(B, K1, D), vs.view(B, D, 1)) / T)
    z1, z2 = (out_v1.mean() * n).item(), (out_v2.mean() * n).item()
    out_v1, out_v2 = out_v1 / z1, out_v2 / z2

    def contrast_loss(x):
        bsz, m, pn, eps = x.shape[0], x.size(1) - 1, 1 / float(n), 1e-7
        p_pos = x.select(1, 0)
        log_d1 = torch.div(p_pos, p_pos.add(m * pn + eps)).log_()
        p_neg = x.narrow(1, 1, m)
        log_d0 = torch.div(p_neg.clone().fill_(m * pn), p_neg.add(m * pn + eps)).log_()
        return -(log_d1.sum(0) + log_d0.view(-1, 1).sum(0)) / bsz
    loss = contrast_loss(out_v1) + contrast_loss(out_v2)
    with torch.no_grad():
        y = idx[:, 0]
        for mem, v in ((mem_s, vs), (mem_t, vt)):
            pos = mem[y] * momentum + v * (1 - momentum)
            mem[y] = pos / pos.pow(2).sum(1, keepdim=True).pow(0.5)
    return loss.sum(), z1, z2


def fsp_loss(g_s, g_t):  # RepDistiller FSP: compute_fsp over consecutive taps, sum of compute_loss
    def compute_fsp(g):
        fsp_list = []
        for i in range(len(g) - 1):
            bot, top = g[i], g[i + 1]
            b_H, t_H = bot.shape[2], top.shape[2]
            if b_H > t_H:
                bot = F.adaptive_avg_pool2d(bot, (t_H, t_H))
            elif b_H < t_H:
                top = F.adaptive_avg_pool2d(top, (b_H, b_H))
            bot = bot.unsqueeze(1)
            top = top.unsqueeze(2)
            bot = bot.view(bot.shape[0], bot.shape[1], bot.shape[2], -1)
            top = top.view(top.shape[0], top.shape[1], top.shape[2], -1)
            fsp_list.append((bot * top).mean(-1))
        return fsp_list
    return sum((s - t).pow(2).mean() for s, t in zip(compute_fsp(g_s), compute_fsp(g_t)))


def hcl_loss(fstudent, fteacher):  # mdistiller ReviewKD hcl_loss
    loss_all = 0.0
    for fs, ft in zip(fstudent, fteacher):
        n, c, h, w = fs.shape
        loss = F.mse_loss(fs, ft, reduction="mean")
        cnt = 1.0
        tot = 1.0
        for l in [4, 2, 1]:
            if l >= h:
                continue
            tmpfs = F.adaptive_avg_pool2d(fs, (l, l))
            tmpft = F.adaptive_avg_pool2d(ft, (l, l))
            cnt /= 2.0
            loss += F.mse_loss(tmpfs, tmpft, reduction="mean") * cnt
            tot += cnt
        loss = loss / tot
        loss_all = loss_all + loss
    return loss_all


class ABF(torch.nn.Module):  # ReviewKD's attention-based fusion (official code), given weights
    def __init__(self, in_channel, mid_channel, out_channel, fuse, k):
        super().__init__()
        nn = torch.nn
        self.conv1 = nn.Sequential(nn.Conv2d(in_channel, mid_channel, kernel_size=1, bias=False),
                                   nn.BatchNorm2d(mid_channel))
        self.conv2 = nn.Sequential(nn.Conv2d(mid_channel, out_channel, kernel_size=3, stride=1, padding=1,
                                             bias=False), nn.BatchNorm2d(out_channel))
        self.att_conv = nn.Sequential(nn.Conv2d(mid_channel * 2, 2, kernel_size=1), nn.Sigmoid()) if fuse else None
        with torch.no_grad():
            for conv, shape, a in ((self.conv1[0], (mid_channel, in_channel, 1, 1), 0.11),
                                   (self.conv2[0], (out_channel, mid_channel, 3, 3), 0.07)):
                conv.weight.copy_(det(shape, a + 0.01 * k, 0.3 * k, 0.4))
            if fuse:
                self.att_conv[0].weight.copy_(det((2, 2 * mid_channel, 1, 1), 0.19 + 0.01 * k, 0.5, 0.6))
                self.att_conv[0].bias.copy_(det((2,), 0.7, 0.1 * k, 0.2))

    def forward(self, x, y=None, shape=None, out_shape=None):
        n, _, h, w = x.shape
        x = self.conv1(x)
        if self.att_conv is not None:
            y = F.interpolate(y, (shape, shape), mode="nearest")
            z = torch.cat([x, y], dim=1)
            z = self.att_conv(z)
            x = (x * z[:, 0].view(n, 1, h, w) + y * z[:, 1].view(n, 1, h, w))
        if x.shape[-1] != out_shape:
            x = F.interpolate(x, (out_shape, out_shape), mode="nearest")
        y = self.conv2(x)
        return y, x


def reviewkd_loss(feats_s, feats_t):
    """ReviewKD as the reference runs it: ABFs from the deepest student feature up (mid = min(512, C_last)),
    each output at its teacher feature's size, HCL against the teacher's features."""
    mid = min(512, feats_s[-1].shape[1])
    abfs = [ABF(f.shape[1], mid, t.shape[1], i < len(feats_s) - 1, i)
            for i, (f, t) in enumerate(zip(feats_s, feats_t))]
    x = feats_s[::-1]
    out, res = abfs[-1](x[0], out_shape=feats_t[-1].shape[-1])
    results = [out]
    for i in range(len(feats_s) - 2, -1, -1):
        out, res = abfs[i](feats_s[i], res, feats_s[i].shape[-1], feats_t[i].shape[-1])
        results.insert(0, out)
    return hcl_loss(results, feats_t)


def ab_loss(g_s, g_t, margin=1.0):  # RepDistiller ABLoss (the connectors already applied)
    feat_num = len(g_s)
    w = [2 ** (i - feat_num + 1) for i in range(feat_num)]

    def criterion_alternative_l2(source, target, margin):
        loss = ((source + margin) ** 2 * ((source > -margin) & (target <= 0)).float() +
                (source - margin) ** 2 * ((source <= margin) & (target > 0)).float())
        return torch.abs(loss).sum()
    bsz = g_s[0].shape[0]
    losses = [criterion_alternative_l2(s, t, margin) for s, t in zip(g_s, g_t)]
    losses = [wi * l for wi, l in zip(w, losses)]
    losses = [l / bsz for l in losses]
    losses = [l / 1000 * 3 for l in losses]
    return sum(losses)


def ft_loss(f_s, f_t, p1=2, p2=1):  # RepDistiller FactorTransfer.factor_loss
    s_H, t_H = f_s.shape[2], f_t.shape[2]
    if s_H > t_H:
        f_s = F.adaptive_avg_pool2d(f_s, (t_H, t_H))
    elif s_H < t_H:
        f_t = F.adaptive_avg_pool2d(f_t, (s_H, s_H))
    factor = lambda f: F.normalize(f.pow(p1).mean(1).view(f.size(0), -1))
    return (factor(f_s) - factor(f_t)).abs().mean()


def paraphraser_rec_loss(t):
    """RepDistiller's Paraphraser (k = 0.5, no BN) with given weights: MSE of its reconstruction, as its
    initialisation stage trains it."""
    c = t.shape[1]
    k = int(c * 0.5)
    leaky = lambda x: F.leaky_relu(x, 0.1)
    shapes = [(c, c), (k, c), (k, k)]
    x = t
    for i, (o, ii) in enumerate(shapes):
        x = leaky(F.conv2d(x, det((o, ii, 3, 3), 0.03 + 0.01 * i, 0.2 * i, 0.1), det((o,), 0.5, 0.1 * i, 0.1),
                           padding=1))
    dshapes = [(k, k), (k, c), (c, c)]  # ConvTranspose2d weight: (in, out, kh, kw)
    for i, (ii, o) in enumerate(dshapes):
        x = leaky(F.conv_transpose2d(x, det((ii, o, 3, 3), 0.05 + 0.01 * i, 0.3 * i, 0.1),
                                     det((o,), 0.6, 0.2 * i, 0.1), padding=1))
    return F.mse_loss(x, t)


def crd_inputs():
    vs = F.normalize(det((4, 5), 0.23, 0.4, 1.0))
    vt = F.normalize(det((4, 5), 0.31, 0.9, 1.0))
    idx = (torch.arange(4 * 7).reshape(4, 7) * 5 + 1) % 12
    idx[:, 0] = torch.tensor([3, 0, 9, 5])
    mem_s = F.normalize(det((12, 5), 0.17, 0.2, 1.0))
    mem_t = F.normalize(det((12, 5), 0.11, 0.6, 1.0))
    return vs, vt, idx, mem_s, mem_t


def idd_loss(s, t, labels, tau, position):  # inter-class distance distillation, as docs/METHODS.md states it
    n, _, h, w = t.shape
    lab = F.interpolate(labels[:, None].float(), size=(h, w), mode="nearest")[:, 0].long()
    fs, ft = F.normalize(s, dim=1), F.normalize(t, dim=1)
    icd_terms, pos_terms = [], []
    for i in range(n):
        classes = sorted(set(lab[i].flatten().tolist()) - {255})
        if not classes:
            continue
        cs = [fs[i][:, lab[i] == c].mean(1) for c in classes]
        ct = [ft[i][:, lab[i] == c].mean(1) for c in classes]
        if len(classes) >= 2:
            diffs = []
            for a in range(len(classes)):
                for b in range(a + 1, len(classes)):
                    diffs.append((torch.norm(cs[a] - cs[b]) - torch.norm(ct[a] - ct[b])) ** 2)
            icd_terms.append(torch.stack(diffs).mean())
        kls = []
        for a in range(len(classes)):
            ms = (F.normalize(cs[a], dim=0)[:, None, None] * fs[i]).sum(0).flatten() / tau
            mt = (F.normalize(ct[a], dim=0)[:, None, None] * ft[i]).sum(0).flatten() / tau
            kls.append(F.kl_div(F.log_softmax(ms, 0), F.log_softmax(mt, 0), log_target=True, reduction="sum"))
        pos_terms.append(torch.stack(kls).mean())
    icd = torch.stack(icd_terms).mean() if icd_terms else torch.tensor(0.0)
    pos = torch.stack(pos_terms).mean() if pos_terms else torch.tensor(0.0)
    return icd + position * pos


def idd_labels():
    labels = (torch.arange(2 * 10 * 14).reshape(2, 10, 14) // 3) % 4
    labels[0, :2, :] = 255
    labels[1] = torch.where(labels[1] < 2, labels[1], torch.full_like(labels[1], 255))
    return labels


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
    # Relation and similarity losses: student and teacher taps of different widths (N = 4).
    fs, ft = det((4, 6, 3, 3), 0.21, 0.3, 1.7), det((4, 5, 3, 3), 0.27, 0.8, 2.2)
    out["sp"] = sp_loss(fs, ft).item()
    out["cc"] = cc_loss(fs, ft).item()
    out["rkd"] = rkd_loss(fs, ft).item()
    out["rkd_distance"] = rkd_loss(fs, ft, 1.0, 0.0).item()
    out["pkt"] = pkt_loss(fs, ft).item()
    ns, nt = det((2, 6, 4, 4), 0.19, 0.6, 1.3), det((2, 5, 2, 2), 0.33, 0.1, 2.1)
    out["nst"] = nst_loss(ns, nt).item()
    labels = torch.tensor([3, 0, 9, 5])
    out["dkd"] = dkd_loss(s2, t2, labels, 1.0, 8.0, 4.0).item()
    out["dkd_a2_b1_t1"] = dkd_loss(s2, t2, labels, 2.0, 1.0, 1.0).item()
    out["dist"] = dist_loss(s2, t2, 1.0, 1.0, 1.0).item()
    out["dist_b2_g3_t4"] = dist_loss(s2, t2, 2.0, 3.0, 4.0).item()
    out["vid"] = vid_loss(fs, ft, *vid_weights(6, 5)).item()
    out["vid_pooled"] = vid_loss(ns, nt, *vid_weights(6, 5)).item()
    vs, vt, idx, mem_s, mem_t = crd_inputs()
    g = vs.clone().requires_grad_(True)
    loss, z1, z2 = crd_contrast(g, vt, idx, mem_s, mem_t, 0.07, 0.5)
    loss.backward()
    out["crd"], out["crd_z1"], out["crd_z2"] = loss.item(), z1, z2
    out["crd_grad_dot"] = (g.grad * det((4, 5), 0.07, 0.2, 1.0)).sum().item()
    out["crd_mem_s_3_0"], out["crd_mem_t_9_4"] = mem_s[3, 0].item(), mem_t[9, 4].item()
    out["crd_mem_s_1_2"] = mem_s[1, 2].item()  # not in the batch: unchanged
    # A bank larger than the draws (40 rows): the engine gathers the drawn rows instead of scoring the bank.
    vs, vt, idx, _, _ = crd_inputs()
    big_s, big_t = F.normalize(det((40, 5), 0.17, 0.2, 1.0)), F.normalize(det((40, 5), 0.11, 0.6, 1.0))
    g = vs.clone().requires_grad_(True)
    loss, _, _ = crd_contrast(g, vt, idx, big_s, big_t, 0.07, 0.5)
    loss.backward()
    out["crd_bigbank"] = loss.item()
    out["crd_bigbank_grad_dot"] = (g.grad * det((4, 5), 0.07, 0.2, 1.0)).sum().item()
    # FSP over three taps (the first pooled 8x8 -> 4x4) and ReviewKD over three levels (the last a vector).
    gs = [det((2, 3, 8, 8), 0.13, 0.2, 1.1), det((2, 4, 4, 4), 0.29, 0.5, 1.4), det((2, 5, 4, 4), 0.41, 0.8, 0.9)]
    gt = [det((2, 3, 8, 8), 0.17, 0.6, 1.3), det((2, 4, 4, 4), 0.23, 0.1, 1.2), det((2, 5, 4, 4), 0.37, 0.4, 1.6)]
    out["fsp"] = fsp_loss(gs, gt).item()
    g = gs[0].clone().requires_grad_(True)
    fsp_loss([g] + gs[1:], gt).backward()
    out["fsp_grad_dot"] = (g.grad * det((2, 3, 8, 8), 0.07, 0.2, 1.0)).sum().item()
    rs = [det((2, 4, 6, 6), 0.13, 0.2, 1.1), det((2, 6, 3, 3), 0.29, 0.5, 1.4), det((2, 8), 0.41, 0.8, 0.9)]
    rt = [det((2, 5, 12, 12), 0.17, 0.6, 1.3), det((2, 7, 3, 3), 0.23, 0.1, 1.2), det((2, 9), 0.37, 0.4, 1.6)]
    as4 = lambda f: f.view(f.shape[0], f.shape[1], 1, 1) if f.dim() == 2 else f
    out["hcl"] = hcl_loss([rs[0], rs[1]], [rt[0][:, :4, :6, :6], rt[1][:, :6]]).item()
    g = rs[0].clone().requires_grad_(True)
    loss = reviewkd_loss([g, rs[1], as4(rs[2])], [rt[0], rt[1], as4(rt[2])])
    loss.backward()
    out["reviewkd"] = loss.item()
    out["reviewkd_grad_dot"] = (g.grad * det((2, 4, 6, 6), 0.07, 0.2, 1.0)).sum().item()
    # AB over two levels (margin 1 and 0.5) and FT (student map larger: pooled to the teacher's size).
    a_s = [det((2, 3, 4, 4), 0.13, 0.2, 1.5), det((2, 5, 2, 2), 0.29, 0.5, 1.4)]
    a_t = [det((2, 3, 4, 4), 0.17, 0.6, 1.3), det((2, 5, 2, 2), 0.23, 0.1, 1.2)]
    out["ab"] = ab_loss(a_s, a_t).item()
    out["ab_m05"] = ab_loss(a_s, a_t, 0.5).item()
    g = a_s[0].clone().requires_grad_(True)
    ab_loss([g, a_s[1]], a_t).backward()
    out["ab_grad_dot"] = (g.grad * det((2, 3, 4, 4), 0.07, 0.2, 1.0)).sum().item()
    f_s, f_t = det((2, 3, 8, 8), 0.19, 0.3, 1.2), det((2, 4, 4, 4), 0.31, 0.7, 1.6)
    out["ft"] = ft_loss(f_s, f_t).item()
    g = f_s.clone().requires_grad_(True)
    ft_loss(g, f_t).backward()
    out["ft_grad_dot"] = (g.grad * det((2, 3, 8, 8), 0.07, 0.2, 1.0)).sum().item()
    out["ft_paraphraser_rec"] = paraphraser_rec_loss(det((2, 4, 5, 5), 0.21, 0.4, 1.1)).item()
    # Gradients (against a fixed direction w: d/dx sum(grad * w)).
    for name, fn in [("sp", sp_loss), ("cc", cc_loss), ("rkd", rkd_loss), ("pkt", pkt_loss),
                     ("vid", lambda a, b: vid_loss(a, b, *vid_weights(6, 5)))]:
        g = fs.clone().requires_grad_(True)
        fn(g, ft).backward()
        out[f"{name}_grad_dot"] = (g.grad * det((4, 6, 3, 3), 0.07, 0.2, 1.0)).sum().item()
    g = ns.clone().requires_grad_(True)
    nst_loss(g, nt).backward()
    out["nst_grad_dot"] = (g.grad * det((2, 6, 4, 4), 0.07, 0.2, 1.0)).sum().item()
    g = s2.clone().requires_grad_(True)
    dkd_loss(g, t2, labels, 1.0, 8.0, 4.0).backward()
    out["dkd_grad_dot"] = (g.grad * det((4, 10), 0.07, 0.2, 1.0)).sum().item()
    g = s2.clone().requires_grad_(True)
    dist_loss(g, t2, 1.0, 1.0, 1.0).backward()
    out["dist_grad_dot"] = (g.grad * det((4, 10), 0.07, 0.2, 1.0)).sum().item()
    labels = idd_labels()
    out["idd_tau05_pos1"] = idd_loss(sp, tp, labels, 0.5, 1.0).item()
    out["idd_icd_only"] = idd_loss(sp, tp, labels, 0.1, 0.0).item()
    g = sp.clone().requires_grad_(True)
    idd_loss(g, tp, labels, 0.5, 1.0).backward()
    out["idd_grad_dot"] = (g.grad * det((2, 6, 5, 7), 0.07, 0.2, 1.0)).sum().item()
    for k, v in out.items():
        print(f"{k} {v:.9g}")


if __name__ == "__main__":
    main()
