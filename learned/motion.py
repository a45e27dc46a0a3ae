r"""Motion compensation of the image codec's P-frames: exact integer translations, soft
(kernel-weighted) translations and block matching.

A P-frame decoder predicts a per-sample softmax kernel over the translates of its previous
reconstruction (:func:`motion_kernel`) and applies it (:func:`motion_compensate`); the encoder sees
the block-matching correlation of the current frame with every translate of its context image
(:func:`translation_correlation`). A one-hot kernel is an exact integer translation (tested in
``tests/learned/test_motion.py``). Used by :mod:`learned.models` and :mod:`learned.metrics`.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn import functional as F

__all__ = ["motion_compensate", "motion_kernel", "translates", "translation_correlation"]


def translates(img: Tensor, kernel: int) -> Tensor:
    """Every integer translate of ``img`` within a ``kernel x kernel`` window (zero fill).

    Parameters
    ----------
    img : Tensor, shape (B, H, W)
    kernel : int
        Odd window side ``K``; shifts ``(dy, dx)`` range over ``[-K//2, K//2]^2``.

    Returns
    -------
    Tensor, shape (B, K * K, H, W)
        Entry ``(K//2 + dy) * K + (K//2 + dx)`` is ``img`` moved by ``(dy, dx)`` pixels
        (down, right): ``out[y, x] = img[y - dy, x - dx]``, zero where that leaves the frame.
    """
    B, H, W = img.shape
    cols = F.unfold(img.unsqueeze(1), kernel, padding=kernel // 2)  # row u*K+v: img[y+u-r, x+v-r]
    return cols.flip(1).reshape(B, kernel * kernel, H, W)


def motion_compensate(prev: Tensor, kernel: Tensor) -> Tensor:
    """Apply a per-sample motion kernel to the previous frame (a soft translation).

    Parameters
    ----------
    prev : Tensor, shape (B, H, W)
        Previous reconstruction.
    kernel : Tensor, shape (B, K, K)
        Weights of the translates (:func:`translates`): ``kernel[b, K//2 + dy, K//2 + dx]`` is the
        weight of ``prev[b]`` moved by ``(dy, dx)``. A one-hot kernel is an exact integer
        translation; the decoders use a softmax (non-negative, summing to one).

    Returns
    -------
    Tensor, shape (B, H, W)
    """
    B, H, W = prev.shape
    K = kernel.shape[-1]
    # grouped convolution (one group per sample); conv2d correlates, so the kernel is flipped
    out = F.conv2d(
        prev.reshape(1, B, H, W), kernel.flip(-2, -1).unsqueeze(1), padding=K // 2, groups=B
    )
    return out.reshape(B, H, W)


def translation_correlation(x: Tensor, ref: Tensor, kernel: int) -> Tensor:
    """Block matching: cosine similarity of ``x`` with every translate of ``ref``.

    Parameters
    ----------
    x, ref : Tensor, shape (B, H, W)
    kernel : int
        Odd window side (see :func:`translates`).

    Returns
    -------
    Tensor, shape (B, kernel * kernel)
        Standardised per sample (zero mean, unit spread; all zeros for a blank ``ref``), so that
        the peak (the displacement of ``x`` relative to ``ref``) stands out for the encoder.
    """
    B, H, W = ref.shape
    r = kernel // 2
    # out[u, v] = sum_p x[p] ref[p + (u - r, v - r)]: the translate by d = (r - u, r - v)
    dot = F.conv2d(ref.reshape(1, B, H, W), x.unsqueeze(1), padding=r, groups=B)
    dot = dot.reshape(B, kernel, kernel).flip(-2, -1).reshape(B, kernel * kernel)
    norm = x.flatten(1).norm(dim=1, keepdim=True) * ref.flatten(1).norm(dim=1, keepdim=True)
    cos = dot / (norm + 1e-6)
    return (cos - cos.mean(1, keepdim=True)) / (cos.std(1, keepdim=True) + 1e-3)


def motion_kernel(params: Tensor, kernel: int) -> Tensor:
    """Softmax motion kernel ``(B, K, K)`` from ``(B, K*K + 3)`` predicted parameters.

    The logits are free logits plus a Gaussian bump ``-prec/2 |d - mu|^2`` with displacement
    ``mu = (K//2) tanh(.)`` (two entries) and precision ``prec = softplus(.)``: the bump makes
    the displacement a smooth regression target (fast to learn), the free logits keep the
    kernel a general softmax kernel.
    """
    K = kernel
    r = K // 2
    free, mu, log_prec = params[:, : K * K], params[:, K * K : K * K + 2], params[:, -1:]
    mu = r * torch.tanh(mu)
    prec = F.softplus(log_prec).unsqueeze(-1)
    d = torch.arange(-r, r + 1, device=params.device, dtype=params.dtype)
    dy = (d.view(1, K, 1) - mu[:, 0].view(-1, 1, 1)) ** 2
    dx = (d.view(1, 1, K) - mu[:, 1].view(-1, 1, 1)) ** 2
    logits = free.reshape(-1, K, K) - 0.5 * prec * (dy + dx)
    return torch.softmax(logits.flatten(1), dim=1).reshape(-1, K, K)
