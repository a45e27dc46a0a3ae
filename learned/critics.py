r"""WGAN-GP critics and their input wiring for the three perception loss functions.

For frame :math:`j` (0-based index ``j`` below) the critic compares

=====  =====================================================  =====================================================
PLF    "real" input                                           "fake" input
=====  =====================================================  =====================================================
FMD    :math:`X_j`                                            :math:`\hat X_j`
JD     :math:`(X_1, \dots, X_j)`                              :math:`(\hat X_1, \dots, \hat X_j)`
SA     :math:`(\hat X_1, \dots, \hat X_{j-1}, X_j)`           :math:`(\hat X_1, \dots, \hat X_{j-1}, \hat X_j)`
=====  =====================================================  =====================================================

Inputs are stacked along a frame axis: shape ``(B, m, *frame_shape)`` with ``m`` frames. The
table is not written out here: :func:`critic_inputs` reads it from the core PLF registry
(:meth:`rdp_theory.perception.PerceptionLoss.compared_laws`), the one statement of what each PLF
compares, which the convex program, the certificates and the Gaussian-fit perception of
:mod:`learned.metrics` read too.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from rdp_theory.exceptions import InvalidParameterError
from rdp_theory.perception import PLF_NAMES, Law
from rdp_theory.perception import PLFS as _REGISTRY

from ._checks import check_choice

__all__ = ["PLFS", "Critic", "critic_frames", "critic_inputs", "make_critics"]

#: The PLF names, from the core registry (:data:`rdp_theory.perception.PLF_NAMES`).
PLFS: tuple[str, ...] = PLF_NAMES


def critic_frames(plf: str, j: int) -> int:
    """Number of frames the frame-``j`` critic of ``plf`` sees (``j`` is 0-based)."""
    check_choice(plf, "plf", PLFS)
    return len(_REGISTRY[plf].compared_laws(j)[0])


def _stack(law: Law, x: Tensor, x_hat: Tensor) -> Tensor:
    """The frames of ``law`` stacked along dim 1; a run of consecutive frames of one tensor is
    taken as one slice (so FMD and JD inputs are views of ``x`` and ``x_hat``, as before)."""
    runs: list[tuple[str, int, int]] = []  # (tensor, first frame, end frame)
    for which, k in law:
        if runs and runs[-1][0] == which and runs[-1][2] == k:
            runs[-1] = (which, runs[-1][1], k + 1)
        else:
            runs.append((which, k, k + 1))
    parts = [(x if which == "x" else x_hat)[:, a:b] for which, a, b in runs]
    return parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)


def critic_inputs(plf: str, x: Tensor, x_hat: Tensor, j: int) -> tuple[Tensor, Tensor]:
    """Real and fake critic inputs for frame ``j`` (0-based) under ``plf``.

    Parameters
    ----------
    plf : {"jd", "fmd", "sa"}
    x, x_hat : Tensor, shape (B, T, *frame_shape)
        Source and reconstruction.
    j : int
        Frame index, ``0 <= j < T``.

    Returns
    -------
    real, fake : Tensor, shape (B, m, *frame_shape)
        ``m = critic_frames(plf, j)``.
    """
    check_choice(plf, "plf", PLFS)
    if x.shape != x_hat.shape:
        raise InvalidParameterError(
            f"x and x_hat must have the same shape, got {x.shape}, {x_hat.shape}"
        )
    if not 0 <= j < x.shape[1]:
        raise InvalidParameterError(f"j must be in [0, {x.shape[1] - 1}], got {j}")
    real, fake = _REGISTRY[plf].compared_laws(j)
    return _stack(real, x, x_hat), _stack(fake, x, x_hat)


class Critic(nn.Module):
    """Lipschitz critic :math:`f: (B, m, *frame\\_shape) \\to (B,)` (MLP, or conv for images)."""

    def __init__(self, frame_shape: tuple[int, ...], n_frames: int, hidden: int = 64) -> None:
        super().__init__()
        self.frame_shape = tuple(frame_shape)
        self.n_frames = n_frames
        if len(self.frame_shape) == 2:
            h, w = self.frame_shape
            self.net: nn.Module = nn.Sequential(
                nn.Conv2d(n_frames, 32, 4, 2, 1),
                nn.LeakyReLU(0.2),
                nn.Conv2d(32, 64, 4, 2, 1),
                nn.LeakyReLU(0.2),
                nn.Flatten(),
                nn.Linear(64 * (h // 4) * (w // 4), 1),
            )
        else:
            d = n_frames * math.prod(self.frame_shape)
            self.net = nn.Sequential(
                nn.Flatten(),
                nn.Linear(d, hidden),
                nn.LeakyReLU(0.2),
                nn.Linear(hidden, hidden),
                nn.LeakyReLU(0.2),
                nn.Linear(hidden, 1),
            )

    def forward(self, z: Tensor) -> Tensor:
        if tuple(z.shape[1:]) != (self.n_frames, *self.frame_shape):
            raise InvalidParameterError(
                f"critic input must have shape (B, {self.n_frames}, *{self.frame_shape}), "
                f"got {tuple(z.shape)}"
            )
        return self.net(z).squeeze(1)


def make_critics(plf: str, frame_shape: tuple[int, ...], T: int, hidden: int = 64) -> nn.ModuleList:
    """One critic per frame, sized for the ``plf`` wiring."""
    return nn.ModuleList(Critic(frame_shape, critic_frames(plf, j), hidden) for j in range(T))
