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
frame itself and the decoder returns it unchanged (the seed's ``R_1 = inf`` scenario). With
``decode_lossless=True`` (image codecs) a lossless *P-frame* is instead decoded by a learned
network that sees the exact frame next to everything a coded P-frame sees. ``R_j = inf`` lets the
encoder send ``X_j``; it does not oblige the decoder to output it, and under PLF-JD a decoder whose
earlier frames are wrong must not (THEORY.md, error permanence). Frame 1 is always passed through:
with no past, ``Xhat_1 = X_1`` is optimal under every PLF.

Image codecs (motion-compensated P-frames)
------------------------------------------
For ``(H, W)`` frames the P-frames are motion compensated, kept thin:

* **Reference (local) decoder.** The encoder carries its own deterministic decoder
  ``encoder.reference`` (a :class:`CausalDecoder` without noise, trained for MSE next to the
  codec), the local decoding loop of hybrid video coding. Its reconstruction
  :math:`\bar X_j = r_j(\hat Y_{1..j})` is a function of the *representations only* (a lossless
  frame is passed through, so with ``R_1 = inf`` the context of frame 2 is ``X_1`` itself).
* **Encoder** :math:`j` sees :math:`X_j`, the context image :math:`\bar X_{j-1}`, the global
  correlation of :math:`X_j` with every translate of :math:`\bar X_{j-1}` within the motion window
  (block matching, :func:`~learned.motion.translation_correlation`) and :math:`\hat Y_{<j}`.
* **Decoder** :math:`j` predicts from its inputs a per-sample softmax kernel of side
  ``motion_kernel`` and applies it to its *own* previous reconstruction :math:`\hat X_{j-1}`
  (:func:`~learned.motion.motion_compensate`: a one-hot kernel is an exact integer translation,
  a spread kernel a soft one), and adds a residual computed from the representations, the noise
  :math:`Z_j`, the prediction and :math:`\bar X_j` (which every decoder can compute from :math:`\hat Y_{1..j}`).

Theory constraint (universality): in stage 2 the encoder, reference decoder included, is frozen and
shared by all PLF decoders, so the context the encoder conditions on may depend only on the
representations, never on a particular PLF decoder's output or its private noise. That is why the
context is the reference decoder's :math:`\bar X_{j-1}` and not :math:`\hat X_{j-1}`; swapping the
decoder or its noise cannot change the code (tested). The vector (Gauss-Markov) path has no
reference decoder and is unchanged.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import torch
from torch import Tensor, nn

from rdp_theory.exceptions import InvalidParameterError

from .codec_config import CODINGS, CodecConfig
from .entropy import SYMBOL_BOUND, ConditionalGaussianPrior, code_length_bits
from .layers import SkipMLP
from .layers import mlp as _mlp
from .motion import motion_compensate, motion_kernel, translation_correlation
from .quantization import SignedDitheredQuantizer, UniformDitheredQuantizer

__all__ = [
    "CODINGS",
    "CausalCodec",
    "CausalDecoder",
    "CausalEncoder",
    "CodecConfig",
    "init_parameters_",
]


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
    """Per-frame encoders :math:`Y_j = f_j(X_j, \\hat Y_{<j})`, squashed into the quantiser range.

    For image frames the encoder also owns the deterministic reference decoder ``reference`` whose
    reconstruction :math:`\\bar X_{j-1} = r_{j-1}(\\hat Y_{<j})` is encoder ``j``'s context image
    (see the module docstring): a function of the representations only, so the code does not
    depend on which decoder is attached.
    """

    def __init__(self, config: CodecConfig) -> None:
        super().__init__()
        self.config = config
        self.quantizer: UniformDitheredQuantizer = (
            SignedDitheredQuantizer(SYMBOL_BOUND, config.step)
            if config.entropy_coded
            else UniformDitheredQuantizer(config.levels, config.step)
        )
        head = SkipMLP if config.entropy_coded else _mlp
        h = config.hidden
        K2 = config.motion_kernel**2
        self.features = nn.ModuleList()
        self.heads = nn.ModuleList()
        for j, k in enumerate(config.latent_dims):
            if k is None:
                self.features.append(nn.Identity())
                self.heads.append(nn.Identity())
                continue
            ctx = sum(config.rep_dim(i) for i in range(j))
            if config.is_image:
                # frame j > 0 sees (X_j, context image) and the block-matching correlation
                self.features.append(_ConvFeatures(1 if j == 0 else 2, config.frame_shape, h))
                self.heads.append(_mlp(h + ctx + (K2 if j else 0), h, k))
            else:
                self.features.append(
                    nn.Sequential(nn.Linear(config.samples_per_frame, h), nn.ReLU())
                )
                self.heads.append(head(h + ctx, h, k))
        self.prior: ConditionalGaussianPrior | None = (
            ConditionalGaussianPrior(
                config.latent_dims,
                [sum(config.rep_dim(i) for i in range(j)) for j in range(config.T)],
                h,
            )
            if config.entropy_coded
            else None
        )
        self.reference: CausalDecoder | None = (
            CausalDecoder(replace(config, noise_dim=0, decode_lossless=False))
            if config.is_image
            else None
        )

    def latent(
        self, j: int, x_j: Tensor, reps: list[Tensor], context: Tensor | None = None
    ) -> Tensor:
        """Unquantised latent of frame ``j`` (index from 0) in ``[0, (L-1) step]``.

        ``context`` is the reference reconstruction of frame ``j - 1`` (image codecs, ``j > 0``).
        """
        c = self.config
        if not c.is_image:
            feat = self.features[j](x_j)
            extra: list[Tensor] = []
        elif j == 0:
            feat = self.features[j](x_j.unsqueeze(1))
            extra = []
        else:
            if context is None:
                raise InvalidParameterError("image P-frames need the context image")
            feat = self.features[j](torch.stack([x_j, context], dim=1))
            extra = [translation_correlation(x_j, context, c.motion_kernel)]
        h = torch.cat([feat, *extra, *reps], dim=1) if reps or extra else feat
        return self.quantizer.squash(self.heads[j](h))

    def context(self, reps: list[Tensor]) -> Tensor:
        """Reference reconstructions :math:`\\bar X_{1..T}` from the representations alone.

        Any decoder can compute them; ``forward`` returns the same tensor as ``"x_ref"``.
        """
        if self.reference is None:
            raise InvalidParameterError("only image codecs have a reference decoder")
        return self.reference(reps, None)

    def forward(
        self, x: Tensor, dither: torch.Generator, training: bool
    ) -> dict[str, list[Tensor] | Tensor]:
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
            flattened frame when lossless), one entry per frame; for image codecs also
            ``"x_ref"`` (B, T, H, W), the reference decoder's reconstructions. Entropy-coded
            codecs add, per coded frame, ``"bits"`` (B,): the code length of the frame's symbols
            under the prior (differentiable), and ``"symbols"``, ``"dither"``, ``"mean"``,
            ``"scale"`` (B, k): what :func:`learned.entropy.encode_streams` writes (``None``
            entries for lossless frames).
        """
        reps: list[Tensor] = []
        ys: list[Tensor] = []
        refs: list[Tensor] = []
        coded: dict[str, list[Tensor | None]] = {
            key: [] for key in ("bits", "symbols", "dither", "mean", "scale")
        }
        q = self.quantizer
        for j, k in enumerate(self.config.latent_dims):
            x_j = x[:, j]
            if k is None:
                r = x_j.reshape(x.shape[0], -1)
                ys.append(r)
                reps.append(r)
                for v in coded.values():
                    v.append(None)
            else:
                y = self.latent(j, x_j, reps, refs[-1] if refs else None)
                ys.append(y)
                if self.prior is None:
                    reps.append(q(y, dither, training))
                else:
                    mean, scale = self.prior(j, reps, x.shape[0])
                    u = q.dither(y.shape, dither)
                    sym = q.encode(y.detach(), u)
                    y_hat = q.decode(sym, u)
                    if training:  # straight through: the value is exact, the gradient identity
                        y_hat = y + (y_hat - y).detach()
                    reps.append(y_hat)
                    bits = code_length_bits(y_hat / q.step, mean, scale).sum(dim=1)
                    for key, v in zip(coded, (bits, sym, u, mean, scale)):
                        coded[key].append(v)
            if self.reference is not None:
                refs.append(self.reference.step(j, reps, refs, None))
        out: dict[str, list[Tensor] | Tensor] = {"y": ys, "y_hat": reps}
        if self.prior is not None:
            out.update(coded)  # type: ignore[arg-type]
        if refs:
            out["x_ref"] = torch.stack(refs, dim=1)
        return out


class CausalDecoder(nn.Module):
    """Per-frame decoders :math:`\\hat X_j = g_j(\\hat Y_{1..j}, \\hat X_{<j}, Z_j)`.

    Image P-frames: ``motion_compensate(Xhat_{j-1}, softmax kernel) + residual`` (see the module
    docstring). With ``context=True`` the residual also sees the reference reconstruction
    :math:`\\bar X_j` of the current frame (a function of :math:`\\hat Y_{1..j}`).
    """

    def __init__(self, config: CodecConfig, context: bool = False) -> None:
        super().__init__()
        self.config = config
        self.use_context = context and config.is_image
        c = config
        h = c.hidden
        K2 = c.motion_kernel**2
        self.nets = nn.ModuleList()
        self.ups = nn.ModuleList()
        self.kernels = nn.ModuleList()
        self.refine = nn.ModuleList()
        for j in range(c.T):
            if not c.decoded(j):
                for m in (self.nets, self.ups, self.kernels, self.refine):
                    m.append(nn.Identity())
                continue
            reps = sum(c.rep_dim(i) for i in range(j + 1))
            if c.is_image:
                hh, ww = c.frame_shape
                self.nets.append(nn.Sequential(nn.Linear(reps + c.noise_dim, h), nn.ReLU()))
                self.ups.append(
                    nn.Sequential(
                        nn.Linear(h, 32 * (hh // 4) * (ww // 4)),
                        nn.ReLU(),
                        nn.Unflatten(1, (32, hh // 4, ww // 4)),
                        nn.ConvTranspose2d(32, 16, 4, 2, 1),
                        nn.ReLU(),
                        nn.ConvTranspose2d(16, 16, 4, 2, 1),
                        nn.ReLU(),
                    )
                )
                # P-frame: logits of the motion kernel applied to the previous reconstruction
                # (free logits, displacement mean (2), log precision (1)), see ``_kernel``
                # (a decoded lossless P-frame also sees the block matching of the exact frame
                # against the decoder's own previous reconstruction)
                exact = int(c.latent_dims[j] is None)
                self.kernels.append(nn.Linear(h + exact * K2, K2 + 3) if j else nn.Identity())
                # residual from (features, motion-compensated prediction[, reference frame]
                # [, the exact frame of a decoded lossless P-frame])
                self.refine.append(
                    nn.Sequential(
                        nn.Conv2d(17 + int(self.use_context) + exact, 16, 3, 1, 1),
                        nn.ReLU(),
                        nn.Conv2d(16, 1, 3, 1, 1),
                    )
                )
            else:
                n = c.samples_per_frame
                net = SkipMLP if c.entropy_coded else _mlp
                self.nets.append(net(reps + c.noise_dim + j * n, h, n))
                for m in (self.ups, self.kernels, self.refine):
                    m.append(nn.Identity())

    def _kernel(self, params: Tensor) -> Tensor:
        """Softmax motion kernel ``(B, K, K)`` (:func:`~learned.motion.motion_kernel`)."""
        return motion_kernel(params, self.config.motion_kernel)

    def step(
        self,
        j: int,
        reps: list[Tensor],
        outs: list[Tensor],
        noise: torch.Generator | None,
        context: Tensor | None = None,
    ) -> Tensor:
        """Reconstruction of frame ``j`` (0-based) from ``reps[:j+1]`` and ``outs[:j]``.

        ``noise`` may be ``None`` only when ``noise_dim == 0``; ``context`` is the reference
        reconstruction of frame ``j`` (required when the decoder was built with ``context``).
        """
        c = self.config
        B = reps[0].shape[0]
        if not c.decoded(j):
            return reps[j].reshape(B, *c.frame_shape)
        parts = list(reps[: j + 1])
        if c.noise_dim:
            if noise is None:
                raise InvalidParameterError("a decoder with noise_dim > 0 needs a noise generator")
            parts.append(torch.randn((B, c.noise_dim), generator=noise, device=noise.device))
        if not c.is_image:
            parts.extend(o.reshape(B, -1) for o in outs)
            return self.nets[j](torch.cat(parts, dim=1))
        hid = self.nets[j](torch.cat(parts, dim=1))
        feat = self.ups[j](hid)
        exact = reps[j].reshape(B, *c.frame_shape) if c.latent_dims[j] is None else None
        if j:
            k_in = hid
            if exact is not None:
                corr = translation_correlation(exact, outs[j - 1], c.motion_kernel)
                k_in = torch.cat([hid, corr], dim=1)
            pred = motion_compensate(outs[j - 1], self._kernel(self.kernels[j](k_in)))
        else:
            pred = torch.zeros_like(feat[:, 0])
        chans = [feat, pred.unsqueeze(1)]
        if self.use_context:
            if context is None:
                raise InvalidParameterError("this decoder needs the reference reconstruction")
            chans.append(context.unsqueeze(1))
        if exact is not None:  # a decoded lossless P-frame: the exact frame as a channel
            chans.append(exact.unsqueeze(1))
        return pred + self.refine[j](torch.cat(chans, dim=1)).squeeze(1)

    def forward(
        self, reps: list[Tensor], noise: torch.Generator | None, context: Tensor | None = None
    ) -> Tensor:
        """Decode every frame causally.

        Parameters
        ----------
        reps : list of Tensor
            Representations ``y_hat`` from :meth:`CausalEncoder.forward`.
        noise : torch.Generator or None
            Generator of the decoder's private noise (``None`` only if ``noise_dim == 0``).
        context : Tensor, shape (B, T, H, W), optional
            Reference reconstructions (``"x_ref"``), for a decoder built with ``context=True``.

        Returns
        -------
        Tensor, shape (B, T, *frame_shape)
        """
        outs: list[Tensor] = []
        for j in range(self.config.T):
            ctx = None if context is None else context[:, j]
            outs.append(self.step(j, reps, outs, noise, ctx))
        return torch.stack(outs, dim=1)


class CausalCodec(nn.Module):
    """Encoder + shared-dither quantiser + decoder.

    ``forward`` returns a dict with ``"x_hat"`` (B, T, *frame_shape), ``"y"`` and ``"y_hat"``
    (per-frame latents and representations) and ``"rate_bits"`` (T,), :meth:`CodecConfig.rates`:
    the achievable fixed-length rate of each frame in bits per sample (``inf`` for a lossless
    frame), or, for an entropy-coded codec, its *target* rates (what it spends is the
    bitstream's, :func:`learned.experiments._common.coded_evaluation`); image
    codecs add ``"x_ref"``, the encoder's reference reconstructions (trained for MSE next to
    ``x_hat`` whenever the encoder is trained). Entropy-coded codecs add ``"rate_est"`` (T,), the
    mean code length of each frame under the learned prior in bits per sample (differentiable;
    the bitstream's length agrees with it to within the coder's overhead), and the encoder's
    ``"bits"``, ``"symbols"``, ``"dither"``, ``"mean"``, ``"scale"``. Weights are initialised
    from ``generator`` (see :func:`init_parameters_`).
    """

    def __init__(self, config: CodecConfig, generator: torch.Generator) -> None:
        super().__init__()
        self.config = config
        self.encoder = CausalEncoder(config)
        self.decoder = CausalDecoder(config, context=config.is_image)
        init_parameters_(self, generator)
        if config.entropy_coded:
            #: log Lagrange multipliers of the rate constraints (one per frame), adapted by the
            #: trainer; a buffer, so checkpoints carry it
            self.register_buffer("log_beta", torch.full((config.T,), math.log(0.01)))

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
        x_ref = enc.get("x_ref")
        assert x_ref is None or isinstance(x_ref, Tensor)
        x_hat = self.decoder(enc["y_hat"], noise, x_ref)
        out: dict[str, Any] = {
            "x_hat": x_hat,
            "y": enc["y"],
            "y_hat": enc["y_hat"],
            "rate_bits": torch.tensor(c.rates(), dtype=torch.float64),
        }
        if x_ref is not None:
            out["x_ref"] = x_ref
        if c.entropy_coded:
            n = c.samples_per_frame  # every frame is coded (CodecConfig refuses lossless ones)
            out["rate_est"] = torch.stack([b.mean() / n for b in enc["bits"]]).to(x_hat.dtype)
            for key in ("bits", "symbols", "dither", "mean", "scale"):
                out[key] = enc[key]
        return out
