"""Training step of the seed's spiking CNN: circuitlab (P2M first layer, circuitlab LIF) against the same
network written with snnTorch layers (digital first layer, ``snntorch.Leaky``), measured in one run.

Run: ``.venv/bin/python benchmarks/bench_snn_step.py [--batch 16] [--frames 8] [--reps 7]``. Steps are
interleaved (snnTorch, then circuitlab, ``reps`` times after a warm-up); the printed ratio is the median of
snnTorch time / circuitlab time per repetition (>= 1: circuitlab is no slower). Needs snntorch (test extra).
The last line is a one-line summary.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from circuitlab.nn.p2m import P2MConv2d  # noqa: E402
from circuitlab.nn.spiking_cnn import SpikingCNN  # noqa: E402



class SnnTorchCNN(nn.Module):
    """The seed's network with snnTorch Leaky neurons (beta 0.5 = 1 - 1/tau, threshold 1, reset to zero)."""

    def __init__(self, channels=(64, 128, 128, 256), hidden=512, classes=10, size=34):
        super().__init__()
        import snntorch as snn
        from snntorch import surrogate
        kw = dict(beta=0.5, threshold=1.0, reset_mechanism="zero", spike_grad=surrogate.atan(), init_hidden=False)
        self.convs = nn.ModuleList([nn.Conv2d(2, 32, 3, stride=2, padding=1, bias=False)])
        self.bns = nn.ModuleList([nn.BatchNorm2d(32)])
        self.lifs = nn.ModuleList([snn.Leaky(**kw)])
        self.pools = [nn.Identity()]
        cin, h = 32, (size - 1) // 2 + 1
        for cout in channels:
            self.convs.append(nn.Conv2d(cin, cout, 3, padding=1, bias=False))
            self.bns.append(nn.BatchNorm2d(cout))
            self.lifs.append(snn.Leaky(**kw))
            pool = h >= 2
            self.pools.append(nn.MaxPool2d(2) if pool else nn.Identity())
            h = h // 2 if pool else h
            cin = cout
        self.fc1, self.bn_fc, self.lif_fc = nn.Linear(cin * h * h, hidden, bias=False), nn.BatchNorm1d(hidden), \
            snn.Leaky(**kw)
        self.fc2 = nn.Linear(hidden, classes)

    def forward(self, frames):
        mems = [lif.init_leaky() for lif in self.lifs]
        mem_fc = self.lif_fc.init_leaky()
        out = 0.0
        for x in frames:
            for i, (conv, bn, lif, pool) in enumerate(zip(self.convs, self.bns, self.lifs, self.pools)):
                x, mems[i] = lif(bn(conv(x)), mems[i])
                x = pool(x)
            x, mem_fc = self.lif_fc(self.bn_fc(self.fc1(x.flatten(1))), mem_fc)
            out = out + self.fc2(x)
        return out / frames.shape[0]


def _step(net, opt, x, y, ours):
    t0 = time.perf_counter()
    logits = net(x).logits if ours else net(x)
    loss = nn.functional.cross_entropy(logits, y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--narrow", action="store_true", help="channels (16, 32, 32, 64), hidden 128")
    args = ap.parse_args()
    torch.manual_seed(0)
    ch, hid = ((16, 32, 32, 64), 128) if args.narrow else ((64, 128, 128, 256), 512)
    x = torch.poisson(torch.full((args.frames, args.batch, 2, 34, 34), 0.5))
    y = torch.randint(0, 10, (args.batch,))
    ours = SpikingCNN(P2MConv2d.from_models(in_channels=2), channels=ch, hidden=hid)
    theirs = SnnTorchCNN(channels=ch, hidden=hid)
    o1, o2 = torch.optim.Adam(ours.parameters()), torch.optim.Adam(theirs.parameters())
    _step(ours, o1, x, y, True), _step(theirs, o2, x, y, False)       # warm-up
    ratios, t_ours, t_theirs = [], [], []
    for _ in range(args.reps):
        a = _step(theirs, o2, x, y, False)
        b = _step(ours, o1, x, y, True)
        t_theirs.append(a)
        t_ours.append(b)
        ratios.append(a / b)
    print(f"snntorch step {statistics.median(t_theirs) * 1e3:.0f} ms, circuitlab P2M step "
          f"{statistics.median(t_ours) * 1e3:.0f} ms (batch {args.batch}, T {args.frames}, 34x34, "
          f"{torch.get_num_threads()} threads)")
    print(f"bench_snn_step: circuitlab P2M network {statistics.median(ratios):.2f}x the speed of the snntorch network "
          f"(>= 1.0 is the target; min {min(ratios):.2f}, max {max(ratios):.2f} over {args.reps} reps)")


if __name__ == "__main__":
    main()
