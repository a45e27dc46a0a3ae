"""The small networks the codecs are built from (torch only; no dependency on the codecs)."""

from __future__ import annotations

from torch import Tensor, nn

__all__ = ["SkipMLP", "mlp"]


def mlp(d_in: int, hidden: int, d_out: int) -> nn.Sequential:
    """Two hidden ReLU layers of width ``hidden``: ``d_in -> hidden -> hidden -> d_out``."""
    return nn.Sequential(
        nn.Linear(d_in, hidden),
        nn.ReLU(),
        nn.Linear(hidden, hidden),
        nn.ReLU(),
        nn.Linear(hidden, d_out),
    )


class SkipMLP(nn.Module):
    """A two-hidden-layer ReLU MLP plus a linear skip path, ``mlp(x) + W x``.

    The entropy-coded codec's networks: the Gaussian optimum is linear (prediction, residual,
    MMSE scaling), which the skip path represents exactly and the MLP refines.
    """

    def __init__(self, d_in: int, hidden: int, d_out: int) -> None:
        super().__init__()
        self.mlp = mlp(d_in, hidden, d_out)
        self.linear = nn.Linear(d_in, d_out)

    def forward(self, x: Tensor) -> Tensor:
        return self.mlp(x) + self.linear(x)
