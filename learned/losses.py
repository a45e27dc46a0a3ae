r"""Training losses; each returns a dict of named terms (``"loss"`` is the one to minimise).

The critic maximises the Kantorovich-Rubinstein dual
:math:`\widehat W_1 = \mathbb E f(\text{real}) - \mathbb E f(\text{fake})` with a gradient penalty
on random interpolates (WGAN-GP); the codec minimises
:math:`\sum_j \mathrm{MSE}_j + \lambda \sum_j \widehat W_{1,j}`.

References
----------
.. [1] I. Gulrajani et al., "Improved training of Wasserstein GANs", NeurIPS 2017.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from rdp_theory.exceptions import InvalidParameterError

from .critics import critic_inputs

__all__ = ["codec_loss", "critic_loss", "distortion_terms", "gaussian_fit_w2", "moment_loss"]


def distortion_terms(x: Tensor, x_hat: Tensor) -> dict[str, Tensor]:
    """Per-frame MSE (mean over batch and samples): ``{"mse": (T,), "loss": sum}``."""
    dims = tuple(range(2, x.ndim))
    per_frame = ((x - x_hat) ** 2).mean(dim=(0, *dims))
    return {"mse": per_frame, "loss": per_frame.sum()}


def _gradient_penalty(
    critic: nn.Module, real: Tensor, fake: Tensor, gen: torch.Generator
) -> Tensor:
    shape = (real.shape[0],) + (1,) * (real.ndim - 1)
    eps = torch.rand(shape, generator=gen, device=gen.device)
    mix = (eps * real + (1 - eps) * fake).requires_grad_(True)
    out = critic(mix)
    (grad,) = torch.autograd.grad(out.sum(), mix, create_graph=True)
    norm = grad.flatten(1).norm(dim=1)
    return ((norm - 1.0) ** 2).mean()


def critic_loss(
    critics: nn.ModuleList,
    plf: str,
    x: Tensor,
    x_hat: Tensor,
    gp_weight: float,
    gen: torch.Generator,
) -> dict[str, Tensor]:
    """WGAN-GP critic objective summed over frames (``x_hat`` should be detached).

    Returns ``{"loss", "w1": (T,), "gp": (T,)}``.
    """
    w1s, gps = [], []
    for j, critic in enumerate(critics):
        real, fake = critic_inputs(plf, x, x_hat, j)
        w1s.append(critic(real).mean() - critic(fake).mean())
        gps.append(_gradient_penalty(critic, real, fake, gen))
    w1 = torch.stack(w1s)
    gp = torch.stack(gps)
    return {"loss": (-w1 + gp_weight * gp).sum(), "w1": w1.detach(), "gp": gp.detach()}


def codec_loss(
    critics: nn.ModuleList | None,
    plf: str,
    x: Tensor,
    x_hat: Tensor,
    lam: float,
    frame_weights: Tensor | None = None,
) -> dict[str, Tensor]:
    """Codec objective: weighted per-frame MSE plus ``lam`` times the critics' W1 estimates.

    With ``plf == "mse"`` (or ``critics is None``) only the distortion term is used.
    Returns ``{"loss", "mse": (T,), "w1": (T,)}``.
    """
    d = distortion_terms(x, x_hat)
    mse = d["mse"]
    w = torch.ones_like(mse) if frame_weights is None else frame_weights.to(mse)
    loss = (w * mse).sum()
    if plf == "mse" or critics is None:
        return {"loss": loss, "mse": mse.detach(), "w1": torch.zeros_like(mse)}
    w1s = []
    for j, critic in enumerate(critics):
        real, fake = critic_inputs(plf, x, x_hat, j)
        w1s.append(critic(real).mean() - critic(fake).mean())
    w1 = torch.stack(w1s)
    return {"loss": loss + lam * w1.sum(), "mse": mse.detach(), "w1": w1.detach()}


def _trace_sqrt_product(a: Tensor, b: Tensor, floor: float = 1e-12) -> Tensor:
    """``tr (A^{1/2} B A^{1/2})^{1/2}`` for batches of PSD ``(..., m, m)`` matrices.

    With :math:`A + \\epsilon I = L L^\\top` (Cholesky), :math:`A^{1/2} B A^{1/2}` has the
    eigenvalues of :math:`L^\\top B L`, a symmetric matrix, so only eigenvalues are
    differentiated (``eigvalsh``: no division by eigenvalue gaps, finite gradients also for
    repeated eigenvalues, e.g. a constant reconstruction).
    """
    m = a.shape[-1]
    eye = torch.eye(m, dtype=a.dtype, device=a.device)
    scale = torch.diagonal(a, dim1=-2, dim2=-1).mean(-1).detach().clamp_min(1.0)
    L = torch.linalg.cholesky(a + (1e-10 * scale)[..., None, None] * eye)
    w = torch.linalg.eigvalsh(L.transpose(-1, -2) @ b @ L)
    return w.clamp_min(floor).sqrt().sum(-1)


def gaussian_fit_w2(real: Tensor, fake: Tensor) -> Tensor:
    r"""Differentiable W2^2 between the Gaussian fits of two sample sets, per coordinate, averaged.

    ``real`` and ``fake`` have shape ``(B, m, n)`` (``m`` stacked frames of ``n`` i.i.d.
    coordinates, as :func:`learned.critics.critic_inputs` returns them); for each coordinate the
    ``m``-dimensional batch mean and covariance are fitted and

    .. math::

        W_2^2 = \lVert \mu_r - \mu_f \rVert^2 + \operatorname{tr} S_r + \operatorname{tr} S_f
                - 2 \operatorname{tr}\bigl(S_r^{1/2} S_f S_r^{1/2}\bigr)^{1/2};

    the mean over coordinates is returned (a scalar): the training form of
    :func:`learned.metrics.perception_gaussian_fit`, which evaluates the same functional on
    held-out data in float64.
    """
    r = real.permute(2, 0, 1)  # (n, B, m)
    f = fake.permute(2, 0, 1)
    mr, mf = r.mean(1), f.mean(1)
    dr, df = r - mr.unsqueeze(1), f - mf.unsqueeze(1)
    B = r.shape[1]
    sr = dr.transpose(1, 2) @ dr / (B - 1)
    sf = df.transpose(1, 2) @ df / (B - 1)
    tr = torch.diagonal(sr + sf, dim1=-2, dim2=-1).sum(-1) - 2 * _trace_sqrt_product(sr, sf)
    return (((mr - mf) ** 2).sum(-1) + tr).clamp_min(0.0).mean()


def moment_loss(
    plf: str, x: Tensor, x_hat: Tensor, lam: float
) -> dict[str, Tensor]:
    """Codec objective with the Gaussian-fit perception of each frame (no critic).

    ``sum_j MSE_j + lam * sum_j W2^2_fit(real_j, fake_j)`` with the laws ``plf`` compares
    (:func:`learned.critics.critic_inputs`). For a Gaussian source the Gaussian-fit W2^2 is the
    perception measure the bounds are stated in (:mod:`learned.metrics`), so this trains the
    decoder on the quantity it is evaluated on. Returns ``{"loss", "mse": (T,), "w1": (T,)}``
    with the per-frame W2^2 under ``"w1"`` (the key the trainer logs).
    """
    if x.ndim != 3 or x.shape != x_hat.shape or x.shape[0] < 2:
        raise InvalidParameterError(
            "moment_loss needs x and x_hat of the same shape (B, T, n) with B >= 2, got "
            f"{tuple(x.shape)} and {tuple(x_hat.shape)}"
        )
    d = distortion_terms(x, x_hat)
    per = torch.stack(
        [gaussian_fit_w2(*critic_inputs(plf, x, x_hat, j)) for j in range(x.shape[1])]
    )
    return {"loss": d["loss"] + lam * per.sum(), "mse": d["mse"].detach(), "w1": per.detach()}
