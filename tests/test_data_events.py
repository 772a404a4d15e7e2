"""Event data: synthesiser statistics vs real NMNIST (reference/nn.md), binning, NMNIST reader."""
import numpy as np
import pytest

from circuitlab.data.event_io import read_nmnist, write_nmnist
from circuitlab.data.event_synth import SynthParams, images_to_events, saccade_shift
from circuitlab.data.events import EventError, EventFormatError, make_events, to_frames, validate_events


def _digits(n=40):
    rng = np.random.default_rng(3)
    img = np.zeros((n, 28, 28), np.float32)
    for i in range(n):  # hand-made stroke digits: a ring or a bar of random size
        yy, xx = np.mgrid[:28, :28]
        r = np.hypot(xx - 14, yy - 14)
        img[i] = ((r > 5 + rng.uniform(0, 2)) & (r < 8 + rng.uniform(0, 2))) if i % 2 else \
            ((abs(xx - 14) < 2) & (abs(yy - 14) < 9))
    return img


@pytest.fixture(scope="module")
def streams():
    return images_to_events(_digits(), seed=5)


def test_statistics_in_nmnist_range(streams):
    # real NMNIST sample: 4,325 events, 49.6 % ON, 0-311 ms, x, y 0-33 (reference/nn.md); these strokes are
    # simpler than MNIST digits, so a wide band (1,000-8,000) for the count, tight for the ON fraction
    n = np.array([len(e) for e in streams])
    assert 1000 < n.mean() < 8000
    on = np.mean([e["p"].mean() for e in streams])
    assert 0.4 < on < 0.6
    for e in streams:
        validate_events(e, 34, 34)
        assert e["t"].min() >= 0 and e["t"].max() <= 315_000
        sac = [((e["t"] >= a) & (e["t"] < a + 105_000)).sum() for a in (0, 105_000, 210_000)]
        assert max(sac) < 3 * min(sac)


def test_saccade_timing(streams):
    # the events' centroid (noise excluded by the mean) moves with the path: displacement between
    # windows centred at 20 and 95 ms vs the path's, within 1.5 px (edge pixels lag/lead by < 1 px)
    ev = np.concatenate(streams)
    def centroid(t0):
        m = (ev["t"] >= t0 - 10_000) & (ev["t"] < t0 + 10_000)
        return ev["x"][m].mean(), ev["y"][m].mean()
    for a, b in ((20_000, 95_000), (125_000, 195_000), (230_000, 300_000)):
        (xa, ya), (xb, yb) = centroid(a), centroid(b)
        sx, sy = saccade_shift([a, b])
        assert abs((xb - xa) - (sx[1] - sx[0])) < 1.5 and abs((yb - ya) - (sy[1] - sy[0])) < 1.5


def test_determinism():
    a = images_to_events(_digits(4), seed=11)
    b = images_to_events(_digits(4), seed=11)
    c = images_to_events(_digits(4), seed=12)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))


def test_constant_image_gives_noise_at_rate():
    # a blank image equals the background, so the moving scene is constant: only Poisson noise remains
    rate = 20.0
    evs = images_to_events(np.zeros((50, 28, 28), np.float32), seed=2, params=SynthParams(noise_rate_hz=rate))
    n = np.array([len(e) for e in evs])
    lam = rate * 0.315 * 34 * 34  # Poisson mean per sample
    assert abs(n.mean() - lam) < 4 * np.sqrt(lam / n.size)


def _frames_reference(ev, w, h, T, split_by):
    out = np.zeros((T, 2, h, w))
    N = len(ev)
    if split_by == "number":
        k = N // T
        seg = [(i * k, (i + 1) * k if i < T - 1 else N) for i in range(T)]
        for i, (s, e) in enumerate(seg):
            for j in range(s, e):
                out[i, ev["p"][j], ev["y"][j], ev["x"][j]] += 1
    else:
        t0 = ev["t"][0]; dt = (ev["t"][-1] - t0) // T
        for j in range(N):
            i = min((ev["t"][j] - t0) // dt, T - 1)
            out[i, ev["p"][j], ev["y"][j], ev["x"][j]] += 1
    return out


@pytest.mark.parametrize("split_by", ["number", "time"])
def test_binning_against_reference(streams, split_by):
    ev = streams[0]
    np.testing.assert_array_equal(to_frames(ev, 34, 34, 7, split_by), _frames_reference(ev, 34, 34, 7, split_by))


def test_nmnist_round_trip_and_known_bytes(tmp_path, streams):
    f = tmp_path / "s.bin"
    write_nmnist(f, streams[0])
    np.testing.assert_array_equal(read_nmnist(f), streams[0])
    # hand-made: x=3, y=5, ON, t = 0x01_02_03 = 66051 us; x=33, y=0, OFF, t = 0x7F_FF_FF
    f.write_bytes(bytes([3, 5, 0x81, 0x02, 0x03, 33, 0, 0x7F, 0xFF, 0xFF]))
    np.testing.assert_array_equal(read_nmnist(f), make_events([66051, 2**23 - 1], [3, 33], [5, 0], [1, 0]))
    f.write_bytes(bytes(7))
    with pytest.raises(EventFormatError, match="multiple of 5"):
        read_nmnist(f)


def test_errors():
    with pytest.raises(EventError, match="not sorted"):
        validate_events(make_events([5, 1], [0, 0], [0, 0], [1, 1]), 34, 34)
    with pytest.raises(EventError, match="outside the sensor"):
        validate_events(make_events([1], [40], [0], [1]), 34, 34)
    with pytest.raises(EventError, match="scale them"):
        images_to_events(np.full((1, 4, 4), 2.0, np.float32))
