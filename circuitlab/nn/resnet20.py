"""ResNet-20 for 32x32 images (He et al. 2016, section 4.2, the CIFAR variant): a 3x3 16-channel stem,
three stages of three basic blocks (16, 32, 64 channels, stride 2 at the start of stages 2 and 3),
global average pooling and one linear layer; 19 convolutions + 1 linear = 20 weight layers, 0.27 M
parameters. Shortcuts where the shape changes are 1x1 convolutions with BatchNorm (option B), so
every weight layer maps onto RRAM. ``width`` scales the channel counts (``width=1``: the paper's).
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ["ResNet20", "BasicBlock"]


class BasicBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut = nn.Sequential()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(h)) + self.shortcut(x))


class ResNet20(nn.Module):
    """ResNet-20 (n = 3 blocks per stage); ``in_channels`` 3 for RGB, ``classes`` outputs.

    The network is a chain of :meth:`segments` (stem, nine blocks, head), which is what chip-in-the-loop
    fine-tuning programs one at a time."""

    def __init__(self, classes: int = 10, in_channels: int = 3, width: int = 1, blocks: int = 3):
        super().__init__()
        c = [16 * width, 32 * width, 64 * width]
        self.stem = nn.Sequential(nn.Conv2d(in_channels, c[0], 3, 1, 1, bias=False), nn.BatchNorm2d(c[0]), nn.ReLU())
        layers, c_in = [], c[0]
        for i, c_out in enumerate(c):
            for b in range(blocks):
                layers.append(BasicBlock(c_in, c_out, 2 if (b == 0 and i > 0) else 1))
                c_in = c_out
        self.layers = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c_in, classes))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def segments(self) -> list:
        """[stem, block 1, ..., block 9, head]: applying them in turn is the forward pass."""
        return [self.stem, *self.layers, self.head]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.layers(self.stem(x)))
