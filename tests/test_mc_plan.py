"""Task planning: whole stack groups, at most batch_size samples, shrinking last tasks with several workers."""
from __future__ import annotations

import numpy as np

from circuitlab.montecarlo import parse_spec
from circuitlab.montecarlo.engine import plan

SPEC = """
name = "plan"
builder = "circuitlab.montecarlo.examples:rc_bsource"
seed = 1
samples = 8000
batch_size = 500
stack_size = 100
[parameters]
r = 1e3
c = 1e-10
g3 = 1e-4
[record]
measures = ["vmax"]
"""


def covered(tasks):
    return [k for t in tasks for k in range(t.start, t.stop)]


def test_one_worker_gets_full_batches():
    tasks = plan(parse_spec(SPEC), "stacked", 8000, 8000, np.ones(8000, bool))
    assert [t.stop - t.start for t in tasks] == [500] * 16
    assert covered(tasks) == list(range(8000))


def test_several_workers_get_shrinking_last_tasks_of_whole_groups():
    for workers in (2, 3, 8):
        tasks = plan(parse_spec(SPEC), "stacked", 8000, 8000, np.ones(8000, bool), workers=workers)
        sizes = [t.stop - t.start for t in tasks]
        assert covered(tasks) == list(range(8000))
        assert max(sizes) == 500 and all(s % 100 == 0 for s in sizes)
        assert sizes == sorted(sizes, reverse=True)
        assert sizes[-workers:] == [100] * workers  # the last round is one stack group per worker


def test_pending_holes_and_a_partial_last_group():
    pending = np.zeros(1050, bool)
    pending[[0, 5, 250, 251, 900, 1049]] = True
    tasks = plan(parse_spec(SPEC), "stacked", 1050, 1100, pending, workers=2)
    assert [(t.start, t.stop, t.pad_stop) for t in tasks] == [(0, 100, 100), (200, 300, 300), (900, 1000, 1000),
                                                               (1000, 1050, 1100)]
