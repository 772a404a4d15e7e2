"""Small shared plotting helpers (matplotlib with the Agg backend, imported only when a plot is made)."""
from __future__ import annotations

from pathlib import Path
from typing import Tuple


def axes(title: str, xlabel: str, ylabel: str, size: Tuple[float, float] = (5.2, 3.8)):
    """A new figure with one titled, labelled axes."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=size)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return fig, ax


def save(fig, path, dpi: int = 120) -> str:
    """Lay out, write (PNG by the suffix) and close ``fig``; return the path as a string."""
    import matplotlib.pyplot as plt
    fig.tight_layout()
    fig.savefig(Path(path), dpi=dpi)
    plt.close(fig)
    return str(path)
