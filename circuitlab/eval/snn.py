"""The spiking-CNN experiments of the domain-wall P2M seed (dwmtj_p2m_snn_paper.txt, Tables 1-2, Fig. 7).

- Table 1 analogue (:func:`run_table1`): the digital baseline vs the P2M first layer at several
  variation levels, each trained from scratch with the same seeds (paired), accuracy mean and 95 %
  Student-t interval over seeds. The seed (NMNIST): 98.10 baseline, 98.04 / 97.82 / 97.71 / 95.42 at
  0 / 10 / 20 / 40 % variation.
- Table 2 analogue (:func:`run_reprogramming`): a P2M network trained on task A moved to task B, the
  back end retrained in both cases, the first layer either frozen (as fabricated) or fine-tuned inside
  its programmable range (the seed: "fine-tuning, especially of the first layer, is essential").
- Fig. 7 analogue (:func:`bandwidth_energy`): normalised bandwidth (first-layer output spikes / input
  events; the seed: 0.54 / 0.62 / 0.77 with the l1 regulariser) and back-end energy from operation
  counts (:mod:`circuitlab.eval.snn_energy`).

Data come as event-count frames (N, T, 2, H, W) with labels (:class:`FrameSet`); every function is
seeded and returns plain dataclasses; the CLI writes the tables and plots.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import torch

from ..errors import ConfigError
from ..nn.p2m import P2MConv2d
from ..nn.spiking_cnn import SpikingCNN
from .stats import mean_ci95, resolve_device

__all__ = ["FrameSet", "SNNConfig", "RunResult", "train_snn", "run_table1", "run_reprogramming", "Table1"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FrameSet:
    """Event-count frames (N, T, C, H, W) (float32 or uint8) and labels (N,), with the class names."""
    frames: torch.Tensor
    labels: torch.Tensor
    classes: tuple
    name: str

    def __post_init__(self):
        if self.frames.ndim != 5 or self.labels.shape != (self.frames.shape[0],):
            raise ConfigError(f"{self.name}: frames must be (N, T, C, H, W) with N labels, got "
                              f"{tuple(self.frames.shape)} and {tuple(self.labels.shape)}")

    def __len__(self):
        return int(self.frames.shape[0])

    @classmethod
    def from_events(cls, events, n_frames: int, split_by: str = "number", pool: int = 1) -> "FrameSet":
        """Frames of a :class:`circuitlab.data.event_tasks.EventSet` (SpikingJelly's fixed-frames binning)."""
        fr = torch.from_numpy(events.frames(n_frames, split_by, pool))
        return cls(fr, torch.as_tensor(events.labels, dtype=torch.long), tuple(events.classes), events.name)

    def split(self, test_fraction: float, seed: int = 0) -> tuple["FrameSet", "FrameSet"]:
        """A seeded stratified (train, test) split."""
        gen = np.random.default_rng(seed)
        y = self.labels.numpy()
        test = np.concatenate([gen.permutation(np.flatnonzero(y == c))[:max(1, round(test_fraction * (y == c).sum()))]
                               for c in np.unique(y)])
        mask = np.zeros(y.size, bool)
        mask[test] = True
        pick = lambda m: FrameSet(self.frames[torch.from_numpy(m)], self.labels[torch.from_numpy(m)],  # noqa: E731
                                  self.classes, self.name)
        return pick(~mask), pick(mask)

    def on_sensor(self, height: int, width: int) -> "FrameSet":
        """The same streams centred on a ``height`` x ``width`` pixel array: zero rows/columns added (no
        events there) or the border cropped. Moving a task onto another chip's sensor (Table 2)."""
        H, W = self.frames.shape[-2:]
        if (H, W) == (height, width):
            return self
        dy, dx = height - H, width - W          # negative: that many rows/columns cropped
        out = torch.nn.functional.pad(self.frames, (dx // 2, dx - dx // 2, dy // 2, dy - dy // 2))
        return FrameSet(out, self.labels, self.classes, self.name)


@dataclass(frozen=True)
class SNNConfig:
    """Training settings. ``channels``: the four conv-block widths (the seed's network; reduce on a CPU)."""
    epochs: int = 10
    batch: int = 32
    lr: float = 1e-3
    l1: float = 0.0                       # weight of the bit-level l1 regulariser (first-layer spikes)
    channels: Sequence[int] = (64, 128, 128, 256)
    hidden: int = 512
    configuration: str = "hybrid"         # P2M weight configuration of the p2m_f1 model
    f1: str = "p2m_f1"
    f2: str = "p2m_f2"
    device: str = "auto"
    p2m_kw: dict = field(default_factory=dict)   # extra P2MConv2d.from_models arguments


@dataclass
class RunResult:
    """One trained network: test accuracy (fraction), bandwidth, first-layer energy (J per sample),
    training wall time (s)."""
    accuracy: float
    bandwidth: float
    first_layer_energy: float
    wall_s: float
    model: Optional[torch.nn.Module] = None


def make_first(kind: str, cfg: SNNConfig, variation: Optional[float], in_channels: int, seed: int):
    """"digital" or a P2MConv2d at ``variation`` (fraction, None = the model's own), its weights drawn after
    ``torch.manual_seed(seed)``: the same seed gives the same layer whatever ran before (a resumed table
    equals an uninterrupted one)."""
    if kind == "digital":
        return "digital"
    torch.manual_seed(seed)
    return P2MConv2d.from_models(cfg.f1, cfg.f2, cfg.configuration, variation=variation, in_channels=in_channels,
                                 **cfg.p2m_kw)


def _batches(n: int, batch: int, gen: torch.Generator):
    order = torch.randperm(n, generator=gen)
    for a in range(0, n, batch):
        yield order[a:a + batch]


def evaluate(net: SpikingCNN, data: FrameSet, cfg: SNNConfig, device, seed: int = 0):
    """(accuracy, bandwidth, first-layer energy per sample in J) on ``data``."""
    net.eval()
    gen = torch.Generator(device=device).manual_seed(seed)
    correct, spikes, events, energy = 0, 0.0, 0.0, 0.0
    with torch.no_grad():
        for a in range(0, len(data), cfg.batch):
            x = data.frames[a:a + cfg.batch].to(device, torch.float32).transpose(0, 1)
            out = net(x, generator=gen)
            correct += int((out.logits.argmax(1).cpu() == data.labels[a:a + cfg.batch]).sum())
            spikes += float(out.first_spikes.sum())
            events += float(x.sum())
            if isinstance(net.first, P2MConv2d):
                energy += net.first.energy(x)
    n = len(data)
    return correct / n, spikes / max(events, 1.0), energy / n


def recalibrate_bn(net: SpikingCNN, data: FrameSet, cfg: SNNConfig, device, generator=None) -> None:
    """Re-estimate every BatchNorm's running mean and variance on ``data`` with the final weights (the
    cumulative average over one pass). Short runs otherwise evaluate with statistics still weighted towards
    their initial values (momentum 0.1: 0.9^20 = 12 % after 20 steps), which silences the LIF layers."""
    bns = [m for m in net.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    saved = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
    net.train()
    try:
        with torch.no_grad():
            for a in range(0, len(data), cfg.batch):
                net(data.frames[a:a + cfg.batch].to(device, torch.float32).transpose(0, 1), generator=generator)
    finally:
        for m, mom in zip(bns, saved):
            m.momentum = mom


def build_net(first, data: FrameSet, cfg: SNNConfig) -> SpikingCNN:
    """The seed's network for ``data``'s frame shape and classes, first layer ``first``."""
    _, _, C, H, W = data.frames.shape
    return SpikingCNN(first, in_channels=C, channels=cfg.channels, hidden=cfg.hidden, classes=len(data.classes),
                      input_size=(H, W))


def train_snn(first, train: FrameSet, test: FrameSet, cfg: SNNConfig, seed: int,
              net: Optional[SpikingCNN] = None, params: Optional[Callable] = None,
              progress: Optional[Callable[[str], None]] = None) -> RunResult:
    """Train a SpikingCNN (or continue ``net``) on ``train``; ``params`` picks the trained parameters
    (default: all). Returns the test result; the model rides along in ``RunResult.model``."""
    device = resolve_device(cfg.device)
    torch.manual_seed(seed)
    if net is None:
        net = build_net(first, train, cfg)
    net = net.to(device)
    chosen = list(params(net)) if params is not None else list(net.parameters())
    opt = torch.optim.Adam(chosen, lr=cfg.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(1, cfg.epochs))
    gen = torch.Generator().manual_seed(seed)
    noise = torch.Generator(device=device).manual_seed(seed + 1)
    t0 = time.monotonic()
    for epoch in range(cfg.epochs):
        net.train()
        total = 0.0
        for idx in _batches(len(train), cfg.batch, gen):
            x = train.frames[idx].to(device, torch.float32).transpose(0, 1)
            y = train.labels[idx].to(device)
            out = net(x, generator=noise)
            loss = torch.nn.functional.cross_entropy(out.logits, y)
            if cfg.l1 > 0:
                loss = loss + cfg.l1 * out.first_spikes.mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
        sched.step()
        if progress is not None:
            progress(f"epoch {epoch + 1}/{cfg.epochs}: loss {total / len(train):.4f}")
    recalibrate_bn(net, train, cfg, device, noise)
    wall = time.monotonic() - t0
    acc, bw, energy = evaluate(net, test, cfg, device, seed)
    return RunResult(acc, bw, energy, wall, net)


@dataclass
class Table1:
    """Accuracy per seed: ``baseline`` list and ``p2m[variation]`` lists (fractions), seeds used;
    ``deployed[variation]``: the network trained at the first level tested at each level."""
    seeds: List[int]
    baseline: List[float]
    p2m: Dict[float, List[float]]
    bandwidth: Dict[str, List[float]]
    first_layer_energy: Dict[float, List[float]]
    deployed: Dict[float, List[float]] = field(default_factory=dict)

    def summary(self) -> dict:
        """Means and 95 % intervals in percent, the JSON shape of ``circuitlab eval snn --json``."""
        def pct(v):
            m, lo, hi = mean_ci95(v)
            return round(100 * m, 3), [round(100 * lo, 3), round(100 * hi, 3)]
        def per_level(table):
            means, cis = {}, {}
            for v, accs in table.items():
                key = "device" if v is None else str(int(round(100 * v)))
                means[key], cis[key] = pct(accs)
            return means, cis

        base, base_ci = pct(self.baseline)
        p2m, ci = per_level(self.p2m)
        bw = {k: round(float(np.mean(v)), 4) for k, v in self.bandwidth.items()}
        out = {"baseline": base, "p2m": p2m, "ci95": {"baseline": base_ci, **ci}, "bandwidth": bw, "seeds": self.seeds}
        if self.deployed:
            dep, dep_ci = per_level(self.deployed)
            out["deployed"] = {"trained_at": next(iter(p2m)), "accuracy": dep, "ci95": dep_ci}
        return out


def run_table1(train: FrameSet, test: FrameSet, cfg: SNNConfig, variations: Sequence[Optional[float]],
               seeds: Sequence[int], progress: Optional[Callable[[str], None]] = None, cells=None) -> Table1:
    """Baseline and P2M at each variation, each seed: the same seed gives the same initialisation of
    the shared layers and the same batch order (paired comparison). ``cells`` (a :class:`~.resume.Cells`)
    keeps each trained network's result, so an interrupted table resumes at the next network."""
    base, p2m, bw, energy = [], {v: [] for v in variations}, {"baseline": [], "p2m": []}, {v: [] for v in variations}
    deployed = {v: [] for v in variations}
    C = train.frames.shape[2]

    def one(first, key: str, seed: int, deploy: bool = False) -> dict:
        name = f"table1-{key}-seed{seed}"

        def compute():
            r = train_snn(first(), train, test, cfg, seed, progress=progress)
            cell = {"accuracy": r.accuracy, "bandwidth": r.bandwidth, "first_layer_energy": r.first_layer_energy,
                    "wall_s": r.wall_s}
            if deploy:
                cell["deployed"] = deployed_accuracy(r.model, test, cfg, variations, seed)
                if cells is not None:   # kept so that more levels later need no training
                    cells.put_tensors(name, {"state": r.model.state_dict()})
            return cell
        if cells is None:
            return compute()
        cell = cells.run(name, compute)
        if deploy:
            missing = [v for v in variations if _level_key(v) not in cell.get("deployed", {})]
            saved = cells.get_tensors(name) if missing else None
            if saved is not None:        # new levels: the kept network tested there
                net = build_net(first(), train, cfg)
                net.load_state_dict(saved["state"])
                net.to(resolve_device(cfg.device))
                cell = {**cell, "deployed": {**cell.get("deployed", {}),
                                             **deployed_accuracy(net, test, cfg, missing, seed)}}
                cells.put(name, cell)
            elif missing:                # a cell of an older circuitlab without the network: trained again
                cell = compute()
                cells.put(name, cell)
        return cell

    for seed in seeds:
        r = one(lambda: "digital", "baseline", seed)
        base.append(r["accuracy"])
        bw["baseline"].append(r["bandwidth"])
        log.info("seed %d baseline: %.2f %%", seed, 100 * r["accuracy"])
        for v in variations:
            first_level = v == variations[0]
            r = one(lambda v=v: make_first("p2m", cfg, v, C, seed), f"p2m{v}", seed, deploy=first_level)
            p2m[v].append(r["accuracy"])
            energy[v].append(r["first_layer_energy"])
            if first_level:
                bw["p2m"].append(r["bandwidth"])
                for u in variations:
                    deployed[u].append(r["deployed"][_level_key(u)])
            log.info("seed %d P2M variation %s: %.2f %%", seed, v, 100 * r["accuracy"])
    return Table1(list(seeds), base, p2m, bw, energy, deployed)


def _level_key(v: Optional[float]) -> str:
    return "model" if v is None else repr(float(v))


def deployed_accuracy(net: SpikingCNN, test: FrameSet, cfg: SNNConfig, variations: Sequence[Optional[float]],
                      seed: int) -> dict:
    """Test accuracy of one trained P2M network with its first layer set to each variation level in turn,
    nothing retrained (BatchNorm statistics as trained): a network trained on the nominal model deployed on
    chips of growing variation, beside Table 1's noise-aware training. Keys: repr of each level."""
    device = next(net.parameters()).device
    saved = net.first.variation
    try:
        out = {}
        for v in variations:
            net.first.variation = v
            out[_level_key(v)] = evaluate(net, test, cfg, device, seed)[0]
        return out
    finally:
        net.first.variation = saved


def run_reprogramming(task_a: tuple, task_b: tuple, cfg: SNNConfig, variation: Optional[float], seed: int,
                      programmable_range: Optional[float] = None) -> dict:
    """Train on task A (train, test FrameSets), then move to task B: back end retrained with the first
    layer frozen, and with the first layer fine-tuned inside its programmable range. Accuracies on B.
    B's frames are centred on A's sensor size (:meth:`FrameSet.on_sensor`): the chip does not change."""
    train_a, test_a = task_a
    train_b, test_b = task_b
    C = train_a.frames.shape[2]
    if train_a.frames.shape[1:3] != train_b.frames.shape[1:3]:
        raise ConfigError("the two tasks must share the windows and polarity channels (T, C): "
                          f"{tuple(train_a.frames.shape[1:3])} vs {tuple(train_b.frames.shape[1:3])}; bin them "
                          "with the same --frames")
    # the chip's pixel array is task A's: task B's streams are centred on it (padded or cropped)
    train_b, test_b = (f.on_sensor(*train_a.frames.shape[-2:]) for f in (train_b, test_b))
    a = train_snn(make_first("p2m", cfg, variation, C, seed), train_a, test_a, cfg, seed)
    state = {k: v.clone() for k, v in a.model.state_dict().items()}
    out = {"trained_on_a": a.accuracy}
    for mode in ("frozen", "fine-tuned"):
        net = a.model
        net.fc2 = torch.nn.Linear(net.fc2.in_features, len(train_a.classes)).to(net.fc2.weight.device)
        net.load_state_dict(state)
        torch.manual_seed(seed + 7)     # the same fresh read-out for B in both modes
        net.fc2 = torch.nn.Linear(net.fc2.in_features, len(train_b.classes)).to(net.fc2.weight.device)
        first = net.first
        if mode == "frozen":
            first.unrestrict()
            params = lambda m: (p for n, p in m.named_parameters() if not n.startswith("first."))  # noqa: E731
        else:
            first.restrict(programmable_range)
            params = None
        r = train_snn(None, train_b, test_b, cfg, seed, net=net, params=params)
        out[mode] = r.accuracy
        first.unrestrict()
    return out
