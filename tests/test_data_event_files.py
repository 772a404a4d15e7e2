"""AEDAT 2.0 / 3.1 readers and writers, DVS128-Gesture labels, folder readers: hand-made bytes decoded to
known events (the format definitions in circuitlab/data/event_aedat.py), round trips and typed errors."""
import struct

import numpy as np
import pytest

from circuitlab.data.event_aedat import (cut_segments, read_aedat2, read_aedat31, read_gesture_labels, write_aedat2,
                                        write_aedat31)
from circuitlab.data.event_io import write_nmnist
from circuitlab.data.event_tasks import load_cifar10_dvs_folder, load_events, load_gesture_folder, load_nmnist_folder
from circuitlab.data.errors import DataError
from circuitlab.data.events import EventFormatError, make_events


def _events(n=300, size=128, seed=0, t_max=10**6):
    rng = np.random.default_rng(seed)
    return make_events(np.sort(rng.integers(0, t_max, n)), rng.integers(0, size, n), rng.integers(0, size, n),
                       rng.integers(0, 2, n))


def test_aedat2_hand_made_bytes_decode_to_known_events(tmp_path):
    # DVS128 address: y << 8 | x << 1 | p, big-endian, then the timestamp
    body = struct.pack(">IIII", (5 << 8) | (3 << 1) | 1, 1000, (127 << 8) | (0 << 1) | 0, 999_999)
    f = tmp_path / "a.aedat"
    f.write_bytes(b"#!AER-DAT2.0\r\n# This is a raw AE data file\r\n" + body)
    ev = read_aedat2(f)
    assert ev["t"].tolist() == [1000, 999_999]
    assert ev["x"].tolist() == [3, 0] and ev["y"].tolist() == [5, 127] and ev["p"].tolist() == [1, 0]
    assert read_aedat2(f, flip_x=True)["x"].tolist() == [124, 127]


def test_aedat31_hand_made_packets_decode_polarity_events_and_skip_others(tmp_path):
    head = b"#!AER-DAT3.1\r\n#Format: RAW\r\n#Source 1: DVS128\r\n#!END-HEADER\r\n"
    # packet 1: two polarity events, the second invalid (bit 0 clear); timestamp overflow 1
    pk1 = struct.pack("<hhiiiiii", 1, 1, 8, 4, 1, 2, 2, 1)
    pk1 += struct.pack("<Ii", (10 << 17) | (20 << 2) | (1 << 1) | 1, 500)
    pk1 += struct.pack("<Ii", (11 << 17) | (21 << 2) | 0, 600)
    # packet 2: a special event (type 0, 8 bytes) to skip; packet 3: one OFF event
    pk2 = struct.pack("<hhiiiiii", 0, 1, 8, 4, 0, 1, 1, 1) + struct.pack("<Ii", 0xFFFFFFFF, 7)
    pk3 = struct.pack("<hhiiiiii", 1, 1, 8, 4, 0, 1, 1, 1) + struct.pack("<Ii", (127 << 17) | (0 << 2) | 1, 42)
    f = tmp_path / "g.aedat"
    f.write_bytes(head + pk1 + pk2 + pk3)
    ev = read_aedat31(f)
    assert ev["t"].tolist() == [42, (1 << 31) | 500]       # sorted by the full time
    assert ev["x"].tolist() == [127, 10] and ev["y"].tolist() == [0, 20] and ev["p"].tolist() == [0, 1]


@pytest.mark.parametrize("fmt", ["2.0", "3.1"])
def test_aedat_round_trip(tmp_path, fmt):
    ev = _events()
    f = tmp_path / "r.aedat"
    (write_aedat2 if fmt == "2.0" else write_aedat31)(f, ev)
    back = (read_aedat2 if fmt == "2.0" else read_aedat31)(f)
    for k in ("t", "x", "y", "p"):
        np.testing.assert_array_equal(back[k], ev[k])


def test_aedat_errors_name_the_problem(tmp_path):
    ev = _events(10)
    f2, f3 = tmp_path / "a2.aedat", tmp_path / "a3.aedat"
    write_aedat2(f2, ev)
    write_aedat31(f3, ev)
    f2.write_bytes(f2.read_bytes()[:-3])
    with pytest.raises(EventFormatError, match="not a multiple of 8; the AEDAT 2.0 file is truncated"):
        read_aedat2(f2)
    with pytest.raises(EventFormatError, match="read it with read_aedat31"):
        read_aedat2(f3)
    with pytest.raises(EventFormatError, match="not an AEDAT 3.x file"):
        read_aedat31(f2)
    f3.write_bytes(f3.read_bytes()[:-5])
    with pytest.raises(EventFormatError, match="the file is truncated"):
        read_aedat31(f3)
    with pytest.raises(EventFormatError, match="outside the DVS128"):
        write_aedat2(tmp_path / "big.aedat", make_events([0], [200], [0], [1]))


def test_gesture_labels_cut_recordings_into_labelled_samples(tmp_path):
    ev = make_events(np.arange(0, 1000, 10), np.zeros(100), np.zeros(100), np.ones(100))
    csv = tmp_path / "user01_led_labels.csv"
    csv.write_text("class,startTime_usec,endTime_usec\n1,100,300\n11,500,505\n")
    lab = read_gesture_labels(csv)
    assert lab.tolist() == [[0, 100, 300], [10, 500, 505]]          # classes stored 1-11, returned 0-10
    seg = cut_segments(ev, lab)
    assert [len(s) for s, _ in seg] == [20, 1] and [c for _, c in seg] == [0, 10]
    assert seg[0][0]["t"].min() == 100 and seg[0][0]["t"].max() == 290
    csv.write_text("class,startTime_usec,endTime_usec\n12,1,2\n")
    with pytest.raises(EventFormatError, match="class 12"):
        read_gesture_labels(csv)


def test_folder_readers_label_by_folder_and_recording(tmp_path):
    for c in ("0", "1", "2"):
        (tmp_path / "nm" / c).mkdir(parents=True)
        (tmp_path / "dvs" / c).mkdir(parents=True)
        for i in range(3):
            write_nmnist(tmp_path / "nm" / c / f"{i}.bin", _events(50, 34, seed=i))
            write_aedat2(tmp_path / "dvs" / c / f"{i}.aedat", _events(50, 128, seed=i))
    nm = load_nmnist_folder(tmp_path / "nm", n_per_class=2, seed=1)
    assert len(nm) == 6 and np.bincount(nm.labels).tolist() == [2, 2, 2] and nm.classes == ("0", "1", "2")
    dvs = load_events(f"cifar10-dvs:{tmp_path / 'dvs'}", n_per_class=None)
    assert len(dvs) == 9 and dvs.width == 128
    assert dvs.frames(4, pool=4).shape == (9, 4, 2, 32, 32)
    assert dvs.frames(4, pool=4).sum() == 9 * 50                  # pooling keeps every event
    g = tmp_path / "gest"
    g.mkdir()
    write_aedat31(g / "user01_led.aedat", _events(400, 128, t_max=10**5))
    (g / "user01_led_labels.csv").write_text("class,startTime_usec,endTime_usec\n3,0,50000\n4,50000,100000\n")
    gs = load_gesture_folder(g)
    assert gs.labels.tolist() == [2, 3] and sum(len(s) for s in gs.streams) == 400
    with pytest.raises(DataError, match="no class sub-folders"):
        load_cifar10_dvs_folder(g)
    with pytest.raises(DataError, match="KIND:PATH"):
        load_events("mnist-dvs")
