r"""Universal (subtractive dithered) quantisation with a finite alphabet and shared dither.

The encoder and the decoder share a dither :math:`u \sim \mathcal U[-\tfrac12, \tfrac12)^k` drawn
from a common :class:`torch.Generator` (the shared randomness :math:`K` of the coding model). The
encoder sends the integer symbols

.. math::

    s = \operatorname{clip}\bigl(\operatorname{round}(y/\Delta + u),\ 0,\ L - 1\bigr),

and the decoder outputs :math:`\hat y = \Delta (s - u)`. For latents inside the representable range
:math:`y \in [0, (L-1)\Delta]` the clip never acts and the error :math:`\hat y - y` lies in
:math:`[-\Delta/2, \Delta/2]` (it is uniform and independent of :math:`y`).

Rate: every symbol takes one of ``L`` values, so a fixed-length code spends exactly
``latent_dim * log2(L)`` bits per frame; divided by the number of samples in the frame this is
an **achievable** rate in bits per sample (no entropy estimate is involved).

References
----------
.. [1] R. Zamir, M. Feder, "On universal quantization by randomized uniform/lattice quantizers",
   IEEE Trans. IT, 1992.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from rdp_theory.exceptions import InvalidParameterError

from ._checks import check_choice, check_int, check_number

__all__ = ["SignedDitheredQuantizer", "UniformDitheredQuantizer", "fixed_length_rate"]


def fixed_length_rate(latent_dim: int, levels: int, samples_per_frame: int) -> float:
    """Bits per sample of a fixed-length code for ``latent_dim`` symbols over ``levels`` values.

    Parameters
    ----------
    latent_dim : int
        Number of quantised symbols sent for the frame (``>= 0``; 0 sends nothing).
    levels : int
        Alphabet size ``L >= 2`` of each symbol.
    samples_per_frame : int
        Number of source samples in the frame (``n`` for a Gauss-Markov frame, pixels for images).

    Returns
    -------
    float
        ``latent_dim * log2(levels) / samples_per_frame``.
    """
    check_int(latent_dim, "latent_dim", 0)
    check_int(levels, "levels", 2)
    check_int(samples_per_frame, "samples_per_frame")
    return latent_dim * math.log2(levels) / samples_per_frame


class UniformDitheredQuantizer:
    r"""Subtractive dithered scalar quantiser with step ``step`` and ``levels`` symbols.

    Parameters
    ----------
    levels : int
        Alphabet size ``L >= 2``.
    step : float
        Quantisation step :math:`\Delta > 0`.
    mode : {"ste", "noise"}
        Training surrogate used by :meth:`__call__` when ``training`` is true. ``"ste"`` (default)
        returns the exact dithered reconstruction with a straight-through gradient; ``"noise"``
        returns :math:`y + \Delta(u' )` with fresh uniform noise (the additive-noise proxy, which
        has the same error distribution as the real quantiser for in-range latents).
    """

    def __init__(self, levels: int, step: float = 1.0, mode: str = "ste") -> None:
        check_int(levels, "levels", 2)
        check_number(step, "step", strict=True)
        check_choice(mode, "mode", ("ste", "noise"))
        self.levels = levels
        self.step = float(step)
        self.mode = mode

    @property
    def high(self) -> float:
        """Upper end of the representable latent range ``[0, (L-1) * step]``."""
        return (self.levels - 1) * self.step

    def squash(self, h: Tensor) -> Tensor:
        """Map an unconstrained activation into the representable range (a scaled sigmoid)."""
        return self.high * torch.sigmoid(h)

    def dither(self, shape: torch.Size | tuple[int, ...], generator: torch.Generator) -> Tensor:
        """Shared dither :math:`u \\sim \\mathcal U[-1/2, 1/2)` drawn from ``generator``."""
        return torch.rand(shape, generator=generator, device=generator.device) - 0.5

    def encode(self, y: Tensor, u: Tensor) -> Tensor:
        """Integer symbols in ``{0, ..., L-1}`` (dtype int64) for latents ``y`` and dither ``u``."""
        s = torch.round(y / self.step + u)
        return s.clamp_(0, self.levels - 1).to(torch.int64)

    def decode(self, symbols: Tensor, u: Tensor) -> Tensor:
        """Reconstruction :math:`\\Delta (s - u)` from the symbols and the same dither."""
        if symbols.dtype != torch.int64:
            raise InvalidParameterError(f"symbols must be int64, got {symbols.dtype}")
        if (symbols < 0).any() or (symbols >= self.levels).any():
            raise InvalidParameterError(f"symbols must lie in [0, {self.levels - 1}]")
        return self.step * (symbols.to(u.dtype) - u)

    def __call__(self, y: Tensor, generator: torch.Generator, training: bool) -> Tensor:
        """Quantise ``y`` with a fresh shared dither from ``generator``.

        At evaluation (``training=False``) and in ``"ste"`` mode the value is exactly
        ``decode(encode(y, u), u)``; in ``"ste"`` mode the gradient is the identity.
        """
        u = self.dither(y.shape, generator)
        if training and self.mode == "noise":
            return y + self.step * u
        y_hat = self.decode(self.encode(y.detach(), u), u)
        if training:
            return y + (y_hat - y).detach()
        return y_hat


class SignedDitheredQuantizer(UniformDitheredQuantizer):
    r"""The entropy-coded mode's quantiser: signed symbols in ``[-bound, bound]``, no squashing.

    :math:`s = \operatorname{clip}(\operatorname{round}(y/\Delta + u), -B, B)`, reconstruction
    :math:`\Delta(s - u)`. The latent is unconstrained (the rate term of the loss, not a fixed
    alphabet, keeps it small); ``bound`` only fixes the entropy coder's alphabet and is never
    reached by a trained codec (a clipped symbol still decodes exactly, to the clipped value).
    """

    def __init__(self, bound: int, step: float = 1.0, mode: str = "ste") -> None:
        super().__init__(2 * check_int(bound, "bound") + 1, step, mode)
        self.bound = bound

    @property
    def high(self) -> float:
        """Largest representable latent, ``bound * step`` (the range is ``[-high, high]``)."""
        return self.bound * self.step

    def squash(self, h: Tensor) -> Tensor:
        """The identity: the latent is not confined to a range."""
        return h

    def encode(self, y: Tensor, u: Tensor) -> Tensor:
        s = torch.round(y / self.step + u)
        return s.clamp_(-self.bound, self.bound).to(torch.int64)

    def decode(self, symbols: Tensor, u: Tensor) -> Tensor:
        if symbols.dtype != torch.int64:
            raise InvalidParameterError(f"symbols must be int64, got {symbols.dtype}")
        if (symbols.abs() > self.bound).any():
            raise InvalidParameterError(f"symbols must lie in [-{self.bound}, {self.bound}]")
        return self.step * (symbols.to(u.dtype) - u)
