"""A small U-Net for epsilon prediction, sized for a CPU (Ronneberger et al. 2015; DDPM variant of Ho et
al. 2020 without attention).

Sinusoidal time embedding (Vaswani et al. 2017) -> MLP, added inside every residual block. Residual
block: GroupNorm, SiLU, 3x3 conv, + time projection, GroupNorm, SiLU, 3x3 conv, skip (1x1 conv where the
width changes). Levels ``mults`` (channel multiples of ``base``), one residual block per level on the way
down and up, stride-2 conv down, nearest-neighbour up + conv. Images whose side is not a multiple of
2^(levels-1) are zero-padded to one and cropped back.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import ConfigError

__all__ = ["UNet", "timestep_embedding"]


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """(N, dim) sinusoidal embedding of step indices t (N,): [sin(t f_k), cos(t f_k)], f_k = 10000^(-k/(dim/2))."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    arg = t.to(torch.float32)[:, None] * freqs[None, :]
    emb = torch.cat([torch.sin(arg), torch.cos(arg)], dim=1)
    return F.pad(emb, (0, dim % 2))


def _norm(c: int) -> nn.GroupNorm:
    return nn.GroupNorm(math.gcd(8, c), c)


class ResBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, t_dim: int):
        super().__init__()
        self.n1, self.c1 = _norm(c_in), nn.Conv2d(c_in, c_out, 3, padding=1)
        self.t = nn.Linear(t_dim, c_out)
        self.n2, self.c2 = _norm(c_out), nn.Conv2d(c_out, c_out, 3, padding=1)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor, temb: torch.Tensor) -> torch.Tensor:
        h = self.c1(F.silu(self.n1(x))) + self.t(temb)[:, :, None, None]
        h = self.c2(F.silu(self.n2(h)))
        return h + self.skip(x)


class UNet(nn.Module):
    """eps_hat = UNet(x_t, t) for images (N, C, H, W) and step indices t (N,)."""

    def __init__(self, channels: int = 1, base: int = 32, mults: tuple[int, ...] = (1, 2)):
        super().__init__()
        if channels < 1 or base < 1 or not mults or any(m < 1 for m in mults):
            raise ConfigError(f"U-Net needs channels >= 1, base >= 1 and positive channel multiples; got "
                              f"channels={channels}, base={base}, mults={mults}")
        self.channels, self.base, self.mults = int(channels), int(base), tuple(int(m) for m in mults)
        t_dim = 4 * self.base
        self.t_mlp = nn.Sequential(nn.Linear(self.base, t_dim), nn.SiLU(), nn.Linear(t_dim, t_dim))
        self.inc = nn.Conv2d(self.channels, self.base, 3, padding=1)
        widths = [self.base * m for m in self.mults]
        self.down, self.pool = nn.ModuleList(), nn.ModuleList()
        c = self.base
        for i, w in enumerate(widths):
            self.down.append(ResBlock(c, w, t_dim))
            c = w
            if i < len(widths) - 1:
                self.pool.append(nn.Conv2d(c, c, 3, stride=2, padding=1))
        self.mid = ResBlock(c, c, t_dim)
        self.up, self.unpool = nn.ModuleList(), nn.ModuleList()
        for i in reversed(range(len(widths))):
            self.up.append(ResBlock(c + widths[i], widths[i], t_dim))
            c = widths[i]
            if i > 0:
                self.unpool.append(nn.Conv2d(c, c, 3, padding=1))
        self.out = nn.Sequential(_norm(c), nn.SiLU(), nn.Conv2d(c, self.channels, 3, padding=1))
        nn.init.zeros_(self.out[-1].weight)
        nn.init.zeros_(self.out[-1].bias)

    def config(self) -> dict:
        return {"channels": self.channels, "base": self.base, "mults": list(self.mults)}

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or x.shape[1] != self.channels:
            raise ConfigError(f"U-Net expects (N, {self.channels}, H, W) images, got {tuple(x.shape)}")
        H, W = x.shape[-2:]
        m = 2 ** (len(self.mults) - 1)
        ph, pw = (-H) % m, (-W) % m
        if ph or pw:
            x = F.pad(x, (0, pw, 0, ph))
        temb = self.t_mlp(timestep_embedding(t, self.base))
        h = self.inc(x)
        skips = []
        for i, block in enumerate(self.down):
            h = block(h, temb)
            skips.append(h)
            if i < len(self.pool):
                h = self.pool[i](h)
        h = self.mid(h, temb)
        for j, block in enumerate(self.up):
            s = skips.pop()
            if h.shape[-2:] != s.shape[-2:]:
                h = self.unpool[j - 1](F.interpolate(h, size=s.shape[-2:], mode="nearest"))
            h = block(torch.cat([h, s], 1), temb)
        return self.out(h)[..., :H, :W]
