"""rdp-theory: rate-distortion-perception bounds for causal coding of Gauss-Markov sources.

Importing this package never imports torch or matplotlib (plotting lives in
:mod:`rdp_theory.plotting`, the learned codec in the separate :mod:`learned` package).
"""

from __future__ import annotations

from .closed_form import (
    GreedyRepresentation,
    error_permanence_limit,
    fmd_distortions,
    gaussian_rdp,
    greedy_representation,
    jd_zero_perception_distortions,
    mmse_distortions,
    operational_rates,
)
from .exceptions import (
    InfeasibleError,
    InvalidParameterError,
    RDPError,
    SolverError,
    SolverWarning,
)
from .source import GaussMarkovSource

__version__ = "0.1.0"

__all__ = [
    "GaussMarkovSource",
    "GreedyRepresentation",
    "InfeasibleError",
    "InvalidParameterError",
    "RDPError",
    "SolverError",
    "SolverWarning",
    "error_permanence_limit",
    "fmd_distortions",
    "gaussian_rdp",
    "greedy_representation",
    "jd_zero_perception_distortions",
    "mmse_distortions",
    "operational_rates",
]
