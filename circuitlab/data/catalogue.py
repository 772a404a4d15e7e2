"""One entry point, :func:`load`: a built-in data set by name, or a path to data a user has."""
from __future__ import annotations

from pathlib import Path

from .errors import DataError
from .colour_mnist import load_colour_mnist
from .folder import load_image_folder
from .idx import load_idx
from .images import ImageSet, load_digits
from .letters import letter_patterns, render_letters
from .mnist import load_mnist5k
from .transforms import resize

__all__ = ["load", "BUILTIN"]

BUILTIN = {"digits": load_digits, "mnist": load_mnist5k, "mnist5k": load_mnist5k,
           "letters": render_letters, "patterns": letter_patterns, "colour-mnist": load_colour_mnist}


def _idx_pair(folder: Path) -> tuple[Path, Path | None] | None:
    """The (images, labels) IDX files in an MNIST-style folder, training set first."""
    for stem in ("train", "t10k", ""):
        for images in sorted(folder.glob(f"{stem}*images*idx3-ubyte*")):
            labels = Path(str(images).replace("images", "labels").replace("idx3", "idx1"))
            return images, labels if labels.is_file() else None
    return None


def load(name_or_path: str | Path, *, size: int | None = None, **kw) -> ImageSet:
    """A data set by name ("digits", "mnist" = MNIST 5k, "letters", "patterns", "colour-mnist") or path.

    A path may be an IDX images file (its labels file is found by the MNIST naming: "images" ->
    "labels", "idx3" -> "idx1"), a folder of IDX files (the training pair first), or a folder of
    images (:func:`load_image_folder`; ``size`` defaults to 64 there). ``kw`` goes to the loader;
    ``size`` resizes a built-in set or an IDX set (``size`` is the render size for letters/patterns).
    """
    key = str(name_or_path)
    if key.lower() in BUILTIN:
        loader = BUILTIN[key.lower()]
        if loader in (render_letters, letter_patterns, load_colour_mnist) and size is not None:
            return loader(size=size, **kw)
        data = loader(**kw)
    else:
        path = Path(name_or_path).expanduser()
        if path.is_dir():
            pair = _idx_pair(path)
            if pair is None:
                return load_image_folder(path, 64 if size is None else size, **kw)
            data = load_idx(*pair, **kw)
        elif path.is_file():
            labels = Path(str(path).replace("images", "labels").replace("idx3", "idx1"))
            data = load_idx(path, labels if labels != path and labels.is_file() else None, **kw)
        else:
            raise DataError(f"{key!r} is neither a built-in data set ({', '.join(BUILTIN)}) nor an existing "
                            "file or folder; check the spelling or the path")
    return data if size is None else resize(data, size)
