"""The synthetic event-task families: classes, sensor, polarity balance, frames, and that the gesture classes
move the way their names say (rotation sense from the event centroids, an independent read-out)."""
import numpy as np
import pytest

from circuitlab.data.event_tasks import (GESTURE_CLASSES, LETTERS10, LETTERS26, gesture_synth, letter_images,
                                        letters_synth, nmnist_synth)
from circuitlab.data.events import validate_events
from circuitlab.data.letters import render_letters


@pytest.fixture(scope="module")
def gestures():
    return gesture_synth(n_per_class=6, seed=3)


def test_gesture_synth_has_eleven_balanced_classes_on_a_32px_sensor(gestures):
    assert len(GESTURE_CLASSES) == 11
    assert np.bincount(gestures.labels).tolist() == [6] * 11
    for ev in gestures.streams:
        validate_events(ev, 32, 32)
        assert ev["t"].max() <= 500_000
    on = np.mean([ev["p"].mean() for ev in gestures.streams])
    assert abs(on - 0.5) < 0.05          # a blob that comes and goes makes as many ON as OFF crossings
    counts = np.array([len(ev) for ev in gestures.streams])
    assert counts.min() > 100            # every sample moves


def _rotation_sense(ev, n=40):
    """Sign of the mean angular step of the event centroid about its own mean (image axes, y down):
    positive = clockwise on screen."""
    ev = ev[ev["p"] == 1]
    bins = np.array_split(np.arange(len(ev)), n)
    cx = np.array([ev["x"][b].mean() for b in bins])
    cy = np.array([ev["y"][b].mean() for b in bins])
    ang = np.unwrap(np.arctan2(cy - cy.mean(), cx - cx.mean()))
    return np.sign(ang[-1] - ang[0])


def test_clockwise_and_anticlockwise_classes_turn_opposite_ways(gestures):
    senses = {c: [_rotation_sense(ev) for ev, y in zip(gestures.streams, gestures.labels) if y == c]
              for c in (3, 4, 5, 6)}
    # "right-cw" and "left-cw" turn clockwise on screen (angle grows with y down), the others the other way
    assert np.mean(senses[3]) > 0.6 and np.mean(senses[5]) > 0.6
    assert np.mean(senses[4]) < -0.6 and np.mean(senses[6]) < -0.6


def test_waves_sit_on_their_side(gestures):
    x_right = np.mean([ev["x"].mean() for ev, y in zip(gestures.streams, gestures.labels) if y == 1])
    x_left = np.mean([ev["x"].mean() for ev, y in zip(gestures.streams, gestures.labels) if y == 2])
    assert x_right > 16 + 3 and x_left < 16 - 3


def test_frames_keep_every_event_and_the_polarity_channels(gestures):
    fr = gestures.frames(5)
    assert fr.shape == (66, 5, 2, 32, 32)
    np.testing.assert_array_equal(fr.sum((1, 2, 3, 4)), [len(ev) for ev in gestures.streams])
    np.testing.assert_array_equal(fr[:, :, 1].sum((1, 2, 3)), [int(ev["p"].sum()) for ev in gestures.streams])
    pooled = gestures.frames(5, pool=2)
    np.testing.assert_array_equal(pooled, fr.reshape(66, 5, 2, 16, 2, 16, 2).sum((4, 6)))


def test_nmnist_and_letters_synth_are_nmnist_like_tasks():
    nm = nmnist_synth(n_per_class=3, seed=0)
    le = letters_synth(n_per_class=2, seed=0)
    assert np.bincount(nm.labels).tolist() == [3] * 10 and nm.classes == tuple(str(i) for i in range(10))
    assert le.classes == tuple(LETTERS26) and np.bincount(le.labels).tolist() == [2] * 26
    # the first half of every class capitals, the second small letters (EMNIST Letters' merged cases)
    np.testing.assert_array_equal(le.labels, np.tile(np.arange(26), 2))
    images, labels, _ = letter_images(3, seed=0)
    kw = dict(size=28, rotation_deg=20.0, scale=(0.7, 1.1), shift=0.10)
    np.testing.assert_array_equal(images[:52], render_letters(LETTERS26, 2, seed=0, **kw).images[:, 0].numpy())
    np.testing.assert_array_equal(images[52:], render_letters(LETTERS26.lower(), 1, seed=7919, **kw).images[:, 0])
    assert not np.array_equal(images[52], images[0])
    assert letters_synth(n_per_class=1, seed=0, letters=LETTERS10, both_cases=False).classes == tuple(LETTERS10)
    for s in (nm, le):
        n = np.array([len(ev) for ev in s.streams])
        # the NMNIST range (real: about 4,300 events per sample; calibration in README "Event data")
        assert 1500 < n.mean() < 8000
        assert abs(np.mean([ev["p"].mean() for ev in s.streams]) - 0.5) < 0.05
    assert nmnist_synth(n_per_class=3, seed=0).streams[5].tobytes() == nm.streams[5].tobytes()   # seeded
