"""The codec's architecture, as a frozen, validated dataclass (:class:`CodecConfig`).

Re-exported by :mod:`learned.models`, which builds the networks from it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from rdp_theory.exceptions import InvalidParameterError

from ._checks import check_int, check_odd_int
from .quantization import UniformDitheredQuantizer, fixed_length_rate

__all__ = ["CODINGS", "CodecConfig"]

#: The codec's coding modes: a fixed-length code of ``levels`` symbols, or entropy coding of
#: signed dithered symbols under a learned conditional prior (:mod:`learned.entropy`).
CODINGS = ("fixed", "entropy")


@dataclass(frozen=True)
class CodecConfig:
    """Architecture of a :class:`CausalCodec`.

    Parameters
    ----------
    frame_shape : tuple of int
        ``(n,)`` for vector frames (MLP backbone) or ``(H, W)`` for greyscale images (conv
        backbone; ``H`` and ``W`` divisible by 4).
    latent_dims : tuple of (int or None)
        Symbols per frame, one entry per frame (``T = len(latent_dims)``); ``None`` = lossless.
    levels : int
        Quantiser alphabet size ``L``.
    step : float
        Quantiser step.
    hidden : int
        Hidden width.
    noise_dim : int
        Dimension of the decoder's private noise per frame (0 = deterministic decoder).
    motion_kernel : int
        Odd side ``K`` of the motion-compensation kernel of image codecs (translations up to
        ``K // 2`` pixels per frame and axis); unused for vector frames.
    decode_lossless : bool
        Image codecs only: decode lossless P-frames (``latent_dims[j] = None``, ``j > 0``) with a
        learned network that sees the exact frame, instead of passing them through (see the
        module docstring). The encoder's reference decoder always passes them through.
    coding : {"fixed", "entropy"}
        ``"fixed"``: a fixed-length code, ``latent_dims[j] * log2(levels)`` bits per frame.
        ``"entropy"`` (vector frames only): signed dithered symbols range coded under a learned
        conditional Gaussian prior (:mod:`learned.entropy`); training adds the code length to the
        loss with one Lagrange multiplier per frame, adapted to meet ``target_rates``. The
        networks of this mode have linear skip connections (:class:`learned.layers.SkipMLP`).
    target_rates : tuple of float, optional
        ``"entropy"`` only (and required there): the rate each frame is trained to, bits per
        sample (``inf`` for a lossless frame). The achieved rate is measured from the bitstream.
    """

    frame_shape: tuple[int, ...]
    latent_dims: tuple[int | None, ...]
    levels: int = 4
    step: float = 1.0
    hidden: int = 64
    noise_dim: int = 0
    motion_kernel: int = 11
    decode_lossless: bool = False
    coding: str = "fixed"
    target_rates: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if len(self.frame_shape) not in (1, 2) or any(
            not isinstance(s, int) or s < 1 for s in self.frame_shape
        ):
            raise InvalidParameterError(
                f"frame_shape must be (n,) or (H, W) of positive ints, got {self.frame_shape!r}"
            )
        if len(self.frame_shape) == 2 and any(s % 4 for s in self.frame_shape):
            raise InvalidParameterError(
                f"frame_shape (H, W) must be divisible by 4, got {self.frame_shape!r}"
            )
        if len(self.latent_dims) < 1:
            raise InvalidParameterError("latent_dims must have one entry per frame (T >= 1)")
        for k in self.latent_dims:
            if k is not None and (isinstance(k, bool) or not isinstance(k, int) or k < 1):
                raise InvalidParameterError(
                    f"latent_dims entries must be integers >= 1 or None (lossless), got {k!r}"
                )
        check_int(self.noise_dim, "noise_dim", 0)
        check_int(self.hidden, "hidden")
        check_odd_int(self.motion_kernel, "motion_kernel")
        if not isinstance(self.decode_lossless, bool):
            raise InvalidParameterError(
                f"decode_lossless must be a bool, got {self.decode_lossless!r}"
            )
        if self.decode_lossless and not self.is_image:
            raise InvalidParameterError(
                "decode_lossless=True needs image frames (H, W); vector codecs pass lossless "
                "frames through"
            )
        UniformDitheredQuantizer(self.levels, self.step)  # validates levels and step
        if self.coding not in CODINGS:
            raise InvalidParameterError(f"coding must be one of {CODINGS}, got {self.coding!r}")
        if self.coding == "fixed":
            if self.target_rates is not None:
                raise InvalidParameterError(
                    "target_rates is for coding='entropy' only (a fixed-length code's rate is "
                    "latent_dims * log2(levels) / samples)"
                )
            return
        if self.is_image:
            raise InvalidParameterError("coding='entropy' needs vector frames (n,)")
        if self.step != 1.0:
            raise InvalidParameterError(
                f"coding='entropy' needs step = 1 (the prior is in quantisation steps; the "
                f"latent's scale is learned), got step {self.step!r}"
            )
        if any(k is None for k in self.latent_dims):
            raise InvalidParameterError(
                "coding='entropy' codes every frame: latent_dims must not hold None (lossless)"
            )
        t = self.target_rates
        if t is not None and not isinstance(t, tuple):
            raise InvalidParameterError(f"target_rates must be a tuple, got {type(t).__name__}")
        if t is None or len(t) != self.T:
            raise InvalidParameterError(
                f"coding='entropy' needs target_rates, one per frame (T = {self.T}), got {t!r}"
            )
        for j, r in enumerate(t):
            if isinstance(r, bool) or not (isinstance(r, (int, float)) and 0 < r < math.inf):
                raise InvalidParameterError(
                    f"target_rates[{j}] must be a finite number > 0, got {r!r}"
                )

    @property
    def T(self) -> int:
        """Number of frames."""
        return len(self.latent_dims)

    @property
    def samples_per_frame(self) -> int:
        """Source samples per frame (``n`` or ``H * W``)."""
        return math.prod(self.frame_shape)

    @property
    def is_image(self) -> bool:
        """Whether the conv backbone is used."""
        return len(self.frame_shape) == 2

    def decoded(self, j: int) -> bool:
        """Whether the decoder computes frame ``j`` (0-based) rather than passing it through."""
        return self.latent_dims[j] is not None or (self.decode_lossless and j > 0)

    def rep_dim(self, j: int) -> int:
        """Width of frame ``j``'s representation (latent dim, or the frame size if lossless)."""
        k = self.latent_dims[j]
        return self.samples_per_frame if k is None else k

    @property
    def entropy_coded(self) -> bool:
        """Whether the codec entropy-codes its symbols (``coding == "entropy"``)."""
        return self.coding == "entropy"

    def rates(self) -> list[float]:
        """Rate of every frame in bits per sample (``inf`` if lossless).

        Fixed-length coding: the achievable rate. Entropy coding: the *target* rates (the rate
        actually spent is the bitstream's, measured by :func:`learned.entropy.encode_streams`).
        """
        if self.target_rates is not None:
            return [float(r) for r in self.target_rates]
        return [
            math.inf if k is None else fixed_length_rate(k, self.levels, self.samples_per_frame)
            for k in self.latent_dims
        ]

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return asdict(self)
