r"""WGAN-GP critics and their input wiring for the three perception loss functions.

For frame :math:`j` (0-based index ``j`` below) the critic compares

=====  =====================================================  =====================================================
PLF    "real" input                                           "fake" input
=====  =====================================================  =====================================================
FMD    :math:`X_j`                                            :math:`\hat X_j`
JD     :math:`(X_1, \dots, X_j)`                              :math:`(\hat X_1, \dots, \hat X_j)`
SA     :math:`(\hat X_1, \dots, \hat X_{j-1}, X_j)`           :math:`(\hat X_1, \dots, \hat X_{j-1}, \hat X_j)`
=====  =====================================================  =====================================================

Inputs are stacked along a frame axis: shape ``(B, m, *frame_shape)`` with ``m`` frames.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from rdp_theory.exceptions import InvalidParameterError

__all__ = ["PLFS", "Critic", "critic_frames", "critic_inputs", "make_critics"]

PLFS: tuple[str, ...] = ("jd", "fmd", "sa")


def critic_frames(plf: str, j: int) -> int:
    """Number of frames the frame-``j`` critic of ``plf`` sees (``j`` is 0-based)."""
    if plf not in PLFS:
        raise InvalidParameterError(f"plf must be one of {PLFS}, got {plf!r}")
    return 1 if plf == "fmd" else j + 1


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
    if plf not in PLFS:
        raise InvalidParameterError(f"plf must be one of {PLFS}, got {plf!r}")
    if x.shape != x_hat.shape:
        raise InvalidParameterError(
            f"x and x_hat must have the same shape, got {x.shape}, {x_hat.shape}"
        )
    if not 0 <= j < x.shape[1]:
        raise InvalidParameterError(f"j must be in [0, {x.shape[1] - 1}], got {j}")
    if plf == "fmd":
        return x[:, j : j + 1], x_hat[:, j : j + 1]
    if plf == "jd":
        return x[:, : j + 1], x_hat[:, : j + 1]
    real = torch.cat([x_hat[:, :j], x[:, j : j + 1]], dim=1)
    return real, x_hat[:, : j + 1]


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
