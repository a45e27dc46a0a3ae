r"""Causal sequence codecs: an MLP codec for Gauss-Markov frames and a small conv codec for images.

Structure (one network per frame, :math:`j = 1..T`):

* **Encoder** :math:`j` sees :math:`X_j` and the previous *representations*
  :math:`\hat Y_{<j}` and emits a latent :math:`Y_j` in the quantiser's range. Frame 1 is an
  I-frame (no context). Conditioning the encoder on representations rather than on a particular
  decoder's reconstructions is the Markov chain of the theory,
  :math:`X_{r,j} - (X_j, X_{r,<j}) - X_{<j}`, and it is what lets one frozen encoder serve every
  decoder in the universality experiments (swapping the decoder cannot change the code).
* **Quantiser**: :class:`~learned.quantization.UniformDitheredQuantizer` with shared dither.
* **Decoder** :math:`j` sees the representations :math:`\hat Y_{1..j}`, the previous
  reconstructions :math:`\hat X_{<j}` and private noise :math:`Z_j` (the independent noise
  :math:`W` of the Gaussian schemes, needed to reach low perception at low rate).

A frame with ``latent_dims[j] = None`` is sent losslessly (rate ``inf``): its representation is the
frame itself and the decoder returns it unchanged (the seed's ``R_1 = inf`` scenario).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import Tensor, nn

from rdp_theory.exceptions import InvalidParameterError

from .quantization import UniformDitheredQuantizer, fixed_length_rate

__all__ = ["CausalCodec", "CausalDecoder", "CausalEncoder", "CodecConfig", "init_parameters_"]


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
    """

    frame_shape: tuple[int, ...]
    latent_dims: tuple[int | None, ...]
    levels: int = 4
    step: float = 1.0
    hidden: int = 64
    noise_dim: int = 0

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
        if (
            isinstance(self.noise_dim, bool)
            or not isinstance(self.noise_dim, int)
            or self.noise_dim < 0
        ):
            raise InvalidParameterError(
                f"noise_dim must be an integer >= 0, got {self.noise_dim!r}"
            )
        if isinstance(self.hidden, bool) or not isinstance(self.hidden, int) or self.hidden < 1:
            raise InvalidParameterError(f"hidden must be an integer >= 1, got {self.hidden!r}")
        UniformDitheredQuantizer(self.levels, self.step)  # validates levels and step

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

    def rep_dim(self, j: int) -> int:
        """Width of frame ``j``'s representation (latent dim, or the frame size if lossless)."""
        k = self.latent_dims[j]
        return self.samples_per_frame if k is None else k

    def rates(self) -> list[float]:
        """Achievable fixed-length rate of every frame in bits per sample (``inf`` if lossless)."""
        return [
            math.inf if k is None else fixed_length_rate(k, self.levels, self.samples_per_frame)
            for k in self.latent_dims
        ]

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return asdict(self)


def init_parameters_(module: nn.Module, generator: torch.Generator) -> nn.Module:
    """Initialise every weight and bias of ``module`` in place from ``generator``.

    Uniform on :math:`[-1/\\sqrt{f}, 1/\\sqrt{f}]` with :math:`f` the fan-in (PyTorch's default
    scale), but drawn from an explicit generator so model construction never depends on the
    global RNG.
    """
    with torch.no_grad():
        for m in module.modules():
            w = getattr(m, "weight", None)
            if not isinstance(w, Tensor) or w.ndim < 2:
                continue
            fan_in = math.prod(w.shape[1:])
            bound = 1.0 / math.sqrt(fan_in)
            w.copy_((torch.rand(w.shape, generator=generator) * 2 - 1) * bound)
            b = getattr(m, "bias", None)
            if isinstance(b, Tensor):
                b.copy_((torch.rand(b.shape, generator=generator) * 2 - 1) * bound)
    return module


def _mlp(d_in: int, hidden: int, d_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(d_in, hidden),
        nn.ReLU(),
        nn.Linear(hidden, hidden),
        nn.ReLU(),
        nn.Linear(hidden, d_out),
    )


class _ConvFeatures(nn.Module):
    """Image ``(B, C, H, W)`` -> feature vector ``(B, hidden)``."""

    def __init__(self, channels: int, frame_shape: tuple[int, ...], hidden: int) -> None:
        super().__init__()
        h, w = frame_shape
        self.net = nn.Sequential(
            nn.Conv2d(channels, 16, 4, 2, 1),
            nn.ReLU(),
            nn.Conv2d(16, 32, 4, 2, 1),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(32 * (h // 4) * (w // 4), hidden),
            nn.ReLU(),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


class CausalEncoder(nn.Module):
    """Per-frame encoders :math:`Y_j = f_j(X_j, \\hat Y_{<j})`, squashed into the quantiser range."""

    def __init__(self, config: CodecConfig) -> None:
        super().__init__()
        self.config = config
        self.quantizer = UniformDitheredQuantizer(config.levels, config.step)
        h = config.hidden
        self.features = nn.ModuleList()
        self.heads = nn.ModuleList()
        for j, k in enumerate(config.latent_dims):
            if k is None:
                self.features.append(nn.Identity())
                self.heads.append(nn.Identity())
                continue
            ctx = sum(config.rep_dim(i) for i in range(j))
            if config.is_image:
                self.features.append(_ConvFeatures(1, config.frame_shape, h))
            else:
                self.features.append(
                    nn.Sequential(nn.Linear(config.samples_per_frame, h), nn.ReLU())
                )
            self.heads.append(_mlp(h + ctx, h, k))

    def latent(self, j: int, x_j: Tensor, reps: list[Tensor]) -> Tensor:
        """Unquantised latent of frame ``j`` (index from 0) in ``[0, (L-1) step]``."""
        feat_in = x_j.unsqueeze(1) if self.config.is_image else x_j
        feat = self.features[j](feat_in)
        h = torch.cat([feat, *reps], dim=1) if reps else feat
        return self.quantizer.squash(self.heads[j](h))

    def forward(
        self, x: Tensor, dither: torch.Generator, training: bool
    ) -> dict[str, list[Tensor]]:
        """Encode and quantise every frame.

        Parameters
        ----------
        x : Tensor, shape (B, T, *frame_shape)
        dither : torch.Generator
            Shared dither generator (the decoder uses the same draws).
        training : bool
            Straight-through surrogate when true, exact quantisation otherwise.

        Returns
        -------
        dict
            ``"y"``: unquantised latents, ``"y_hat"``: representations (quantised latents, or the
            flattened frame when lossless), one entry per frame.
        """
        reps: list[Tensor] = []
        ys: list[Tensor] = []
        for j, k in enumerate(self.config.latent_dims):
            x_j = x[:, j]
            if k is None:
                r = x_j.reshape(x.shape[0], -1)
                ys.append(r)
                reps.append(r)
                continue
            y = self.latent(j, x_j, reps)
            ys.append(y)
            reps.append(self.quantizer(y, dither, training))
        return {"y": ys, "y_hat": reps}


class CausalDecoder(nn.Module):
    """Per-frame decoders :math:`\\hat X_j = g_j(\\hat Y_{1..j}, \\hat X_{<j}, Z_j)`."""

    def __init__(self, config: CodecConfig) -> None:
        super().__init__()
        self.config = config
        c = config
        h = c.hidden
        self.nets = nn.ModuleList()
        self.refine = nn.ModuleList()
        for j in range(c.T):
            if c.latent_dims[j] is None:
                self.nets.append(nn.Identity())
                self.refine.append(nn.Identity())
                continue
            reps = sum(c.rep_dim(i) for i in range(j + 1))
            if c.is_image:
                hh, ww = c.frame_shape
                self.nets.append(
                    nn.Sequential(
                        nn.Linear(reps + c.noise_dim, h),
                        nn.ReLU(),
                        nn.Linear(h, 32 * (hh // 4) * (ww // 4)),
                        nn.ReLU(),
                        nn.Unflatten(1, (32, hh // 4, ww // 4)),
                        nn.ConvTranspose2d(32, 16, 4, 2, 1),
                        nn.ReLU(),
                        nn.ConvTranspose2d(16, 16, 4, 2, 1),
                        nn.ReLU(),
                    )
                )
                # the previous reconstruction enters as an extra channel (motion-compensation-free P-frame)
                self.refine.append(
                    nn.Sequential(
                        nn.Conv2d(17, 16, 3, 1, 1),
                        nn.ReLU(),
                        nn.Conv2d(16, 1, 3, 1, 1),
                    )
                )
            else:
                n = c.samples_per_frame
                self.nets.append(_mlp(reps + c.noise_dim + j * n, h, n))
                self.refine.append(nn.Identity())

    def forward(self, reps: list[Tensor], noise: torch.Generator) -> Tensor:
        """Decode every frame causally.

        Parameters
        ----------
        reps : list of Tensor
            Representations ``y_hat`` from :meth:`CausalEncoder.forward`.
        noise : torch.Generator
            Generator of the decoder's private noise.

        Returns
        -------
        Tensor, shape (B, T, *frame_shape)
        """
        c = self.config
        B = reps[0].shape[0]
        outs: list[Tensor] = []
        for j in range(c.T):
            if c.latent_dims[j] is None:
                outs.append(reps[j].reshape(B, *c.frame_shape))
                continue
            parts = list(reps[: j + 1])
            if c.noise_dim:
                parts.append(torch.randn((B, c.noise_dim), generator=noise, device=noise.device))
            if c.is_image:
                feat = self.nets[j](torch.cat(parts, dim=1))
                prev = outs[-1].unsqueeze(1) if outs else torch.zeros_like(feat[:, :1])
                outs.append(self.refine[j](torch.cat([feat, prev], dim=1)).squeeze(1))
            else:
                parts.extend(o.reshape(B, -1) for o in outs)
                outs.append(self.nets[j](torch.cat(parts, dim=1)))
        return torch.stack(outs, dim=1)


class CausalCodec(nn.Module):
    """Encoder + shared-dither quantiser + decoder.

    ``forward`` returns a dict with ``"x_hat"`` (B, T, *frame_shape), ``"y"`` and ``"y_hat"``
    (per-frame latents and representations) and ``"rate_bits"`` (T,), the achievable
    fixed-length rate of each frame in bits per sample (``inf`` for a lossless frame).
    Weights are initialised from ``generator`` (see :func:`init_parameters_`).
    """

    def __init__(self, config: CodecConfig, generator: torch.Generator) -> None:
        super().__init__()
        self.config = config
        self.encoder = CausalEncoder(config)
        self.decoder = CausalDecoder(config)
        init_parameters_(self, generator)

    def forward(
        self, x: Tensor, dither: torch.Generator, noise: torch.Generator, training: bool = False
    ) -> dict[str, Any]:
        c = self.config
        if x.ndim != 2 + len(c.frame_shape) or tuple(x.shape[1:]) != (c.T, *c.frame_shape):
            raise InvalidParameterError(
                f"x must have shape (B, {c.T}, {', '.join(map(str, c.frame_shape))}), "
                f"got {tuple(x.shape)}"
            )
        enc = self.encoder(x, dither, training)
        x_hat = self.decoder(enc["y_hat"], noise)
        return {
            "x_hat": x_hat,
            "y": enc["y"],
            "y_hat": enc["y_hat"],
            "rate_bits": torch.tensor(c.rates(), dtype=torch.float64),
        }
