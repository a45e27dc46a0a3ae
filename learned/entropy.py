r"""Entropy-coded mode of the learned codec: a learned conditional prior and real bitstreams.

Quantisation (subtractive dither, step :math:`\Delta = 1`, shared dither :math:`u \sim
\mathcal U[-\tfrac12, \tfrac12)`): the encoder sends the signed integers
:math:`s = \operatorname{clip}(\operatorname{round}(y + u), -B, B)` and the decoder forms
:math:`\hat y = s - u`. The **learned prior** of frame :math:`j` is a Gaussian
:math:`y \sim \mathcal N(\mu_j, \varsigma_j^2)` per latent coordinate whose mean and scale are
computed from the representations of the earlier frames, :math:`(\mu_j, \varsigma_j) =
h_j(\hat Y_{<j})` (frame 1: learned constants), so a P-frame is coded *conditionally* on the past:
the prior predicts it, as DPCM's predictor does. Given the dither, the symbol's probability is

.. math::

    p(s \mid u, \hat Y_{<j}) = \Phi\Bigl(\frac{s + \tfrac12 - u - \mu_j}{\varsigma_j}\Bigr)
                           - \Phi\Bigl(\frac{s - \tfrac12 - u - \mu_j}{\varsigma_j}\Bigr),

a quantised Gaussian of mean :math:`\mu_j + u`. Its code length
:math:`-\log_2 p = -\log_2 P(y \in [\hat y - \tfrac12, \hat y + \tfrac12])` is a function of
:math:`\hat y` alone; :func:`code_length_bits` evaluates it (differentiably, for training: the rate
term of the loss) and :func:`encode_streams` writes the symbols with ``constriction``'s range
coder under exactly this model, so the **rate is the length of a real bitstream**;
:func:`decode_streams` reads them back frame by frame, recomputing each prior from the
representations it has decoded so far, and returns the same symbols (tested).

One stream per frame holds the frame's symbols of every sequence of the evaluation set (the
prior is causal in the frames, so a decoder can decode frame ``j`` once frames ``< j`` are
decoded); its rate in bits per sample is ``32 * words / (sequences * n)``: the 32-bit words
written, nothing estimated. The prior's parameters are part of the codec (trained once, shared
by encoder and decoder), not side information.

References
----------
.. [1] J. Ballé, V. Laparra, E. P. Simoncelli, "End-to-end optimized image compression", ICLR 2017.
.. [2] R. Zamir, M. Feder, "On universal quantization by randomized uniform/lattice quantizers",
   IEEE Trans. IT, 1992.
.. [3] R. Bamler, "Understanding entropy coding with asymmetric numeral systems (ANS)",
   arXiv:2201.01741 (``constriction``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import Tensor, nn

from rdp_theory.exceptions import InvalidParameterError, MissingDependencyError

from .layers import SkipMLP

__all__ = [
    "SCALE_MIN",
    "SYMBOL_BOUND",
    "ConditionalGaussianPrior",
    "code_length_bits",
    "decode_streams",
    "encode_streams",
    "stream_bits",
]

#: Symbols are clipped to ``[-SYMBOL_BOUND, SYMBOL_BOUND]`` (the coder's alphabet).
SYMBOL_BOUND = 4096
#: Lower bound of the prior's scale (in quantisation steps): keeps every code length finite.
SCALE_MIN = 0.02
#: Probability floor of the training proxy (30 bits per symbol at most).
_P_MIN = 2.0**-30
_WORD_BITS = 32


def code_length_bits(y_hat: Tensor, mean: Tensor, scale: Tensor) -> Tensor:
    r"""Code length in bits of each dequantised latent under its Gaussian prior.

    :math:`-\log_2[\Phi((\tfrac12 - |v|)/\varsigma) - \Phi((-\tfrac12 - |v|)/\varsigma)]` with
    :math:`v = \hat y - \mu` (the symmetric form, accurate in both tails), floored at
    :math:`2^{-30}`. Shapes broadcast; the result has the shape of ``y_hat``.
    """
    v = (y_hat - mean).abs()
    p = torch.special.ndtr((0.5 - v) / scale) - torch.special.ndtr((-0.5 - v) / scale)
    return -torch.log2(p.clamp_min(_P_MIN))


class ConditionalGaussianPrior(nn.Module):
    """Per-frame Gaussian prior of the latents, conditioned on the earlier representations.

    Parameters
    ----------
    latent_dims : sequence of int or None
        Latent width per frame (``None``: a lossless frame, no prior).
    context_dims : sequence of int
        Width of the concatenated representations :math:`\\hat Y_{<j}` of each frame.
    hidden : int
        Hidden width of the conditioning networks.
    """

    def __init__(
        self, latent_dims: Sequence[int | None], context_dims: Sequence[int], hidden: int
    ) -> None:
        super().__init__()
        self.latent_dims = tuple(latent_dims)
        self.nets = nn.ModuleList()
        self.first = nn.ParameterDict()
        for j, k in enumerate(self.latent_dims):
            if k is None or context_dims[j] == 0:
                self.nets.append(nn.Identity())
                if k is not None:
                    self.first[str(j)] = nn.Parameter(torch.zeros(2, k))
                continue
            self.nets.append(SkipMLP(context_dims[j], hidden, 2 * k))

    def forward(self, j: int, reps: list[Tensor], batch: int) -> tuple[Tensor, Tensor]:
        """``(mean, scale)`` of frame ``j`` (0-based), each ``(batch, k)``, from ``reps[:j]``."""
        k = self.latent_dims[j]
        if k is None:
            raise InvalidParameterError(f"frame {j + 1} is lossless and has no prior")
        if str(j) in self.first:
            out = self.first[str(j)].unsqueeze(1).expand(2, batch, k)
            mean, raw = out[0], out[1]
        else:
            h = self.nets[j](torch.cat(reps[:j], dim=1))
            mean, raw = h[:, :k], h[:, k:]
        # softplus keeps the scale smooth and positive; shifted so that raw = 0 gives scale 1
        scale = SCALE_MIN + torch.nn.functional.softplus(raw + math.log(math.e - 1.0))
        return mean, scale


def _constriction() -> Any:
    try:
        import constriction
    except ImportError as exc:  # pragma: no cover - the learned extra installs it
        raise MissingDependencyError(
            "the entropy-coded mode needs 'constriction'; install the learned extra: "
            "pip install -e '.[learned]'"
        ) from exc
    return constriction


def _family(constriction: Any) -> Any:
    return constriction.stream.model.QuantizedGaussian(-SYMBOL_BOUND, SYMBOL_BOUND)


def encode_streams(
    symbols: Sequence[NDArray[np.int64]],
    dither: Sequence[NDArray[np.floating[Any]]],
    means: Sequence[NDArray[np.floating[Any]]],
    scales: Sequence[NDArray[np.floating[Any]]],
) -> list[NDArray[np.uint32]]:
    """Range-code each frame's symbols under its quantised-Gaussian prior of mean ``mean + u``.

    Every argument holds one array per frame of shape ``(N, k_j)``. Returns one stream (uint32
    words) per frame; its length in bits is ``32 * len(stream)``.
    """
    c = _constriction()
    family = _family(c)
    out = []
    for s, u, m, sc in zip(symbols, dither, means, scales, strict=True):
        s = np.asarray(s)
        if s.size and int(np.abs(s).max()) > SYMBOL_BOUND:
            raise InvalidParameterError(f"symbols must lie in [-{SYMBOL_BOUND}, {SYMBOL_BOUND}]")
        enc = c.stream.queue.RangeEncoder()
        mu = (np.asarray(m, np.float64) + np.asarray(u, np.float64)).ravel()
        enc.encode(s.astype(np.int32).ravel(), family, mu, np.asarray(sc, np.float64).ravel())
        out.append(np.asarray(enc.get_compressed(), dtype=np.uint32))
    return out


def stream_bits(streams: Sequence[NDArray[np.uint32]]) -> NDArray[np.int64]:
    """Length of each stream in bits (``32 *`` its words)."""
    return np.array([_WORD_BITS * s.size for s in streams], dtype=np.int64)


def decode_streams(
    streams: Sequence[NDArray[np.uint32]],
    dither: Sequence[NDArray[np.floating[Any]]],
    prior: Any,
    shapes: Sequence[tuple[int, int]],
) -> list[NDArray[np.int64]]:
    """Decode the frames in order, each prior computed from the representations decoded so far.

    Parameters
    ----------
    streams : one uint32 array per frame (from :func:`encode_streams`)
    dither : the shared dither, one ``(N, k_j)`` array per frame
    prior : callable ``(j, reps) -> (mean, scale)`` numpy arrays ``(N, k_j)``; ``reps`` are the
        dequantised representations :math:`\\hat y = s - u` of frames ``< j``
    shapes : ``(N, k_j)`` per frame

    Returns
    -------
    list of int64 arrays ``(N, k_j)``: the symbols.
    """
    c = _constriction()
    family = _family(c)
    reps: list[NDArray[np.float32]] = []
    out: list[NDArray[np.int64]] = []
    for j, (stream, u, shape) in enumerate(zip(streams, dither, shapes, strict=True)):
        m, sc = prior(j, reps)
        mu = (np.asarray(m, np.float64) + np.asarray(u, np.float64)).ravel()
        dec = c.stream.queue.RangeDecoder(np.asarray(stream, np.uint32))
        s = np.asarray(dec.decode(family, mu, np.asarray(sc, np.float64).ravel()), np.int64)
        s = s.reshape(shape)
        out.append(s)
        # the representation as the codec forms it (float32 ``s - u``): the next prior sees the
        # same bits as the encoder's did
        reps.append(s.astype(np.float32) - np.asarray(u, np.float32))
    return out
