"""Campaign progress: a tqdm bar (samples/s, failures, ETA) on a terminal, periodic log lines otherwise."""
from __future__ import annotations

import logging
import sys
import time
from typing import Optional

log = logging.getLogger("circuitlab.montecarlo")


class Progress:
    """Counts finished samples; ``enabled=None`` picks the bar when stderr is a terminal."""

    def __init__(self, total: int, done: int = 0, *, enabled: Optional[bool] = None, interval: float = 10.0,
                 name: str = "campaign"):
        self.total, self.done, self.failed = total, done, 0
        self.interval, self.name = interval, name
        self.t0 = self.last = time.monotonic()
        self.start_done = done
        self.bar = None
        if enabled is None:
            enabled = sys.stderr.isatty()
        if enabled:
            from tqdm import tqdm
            self.bar = tqdm(total=total, initial=done, unit="sample", desc=name, dynamic_ncols=True, file=sys.stderr)

    def update(self, n: int, failed: int) -> None:
        self.done += n
        self.failed += failed
        if self.bar is not None:
            self.bar.update(n)
            self.bar.set_postfix(failed=self.failed, refresh=False)
            return
        now = time.monotonic()
        if now - self.last >= self.interval or self.done >= self.total:
            self.last = now
            rate = (self.done - self.start_done) / max(now - self.t0, 1e-9)
            eta = (self.total - self.done) / rate if rate > 0 else float("inf")
            log.info("%s: %d/%d samples, %d failed, %.1f samples/s, ETA %.0f s", self.name, self.done, self.total,
                     self.failed, rate, eta)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
