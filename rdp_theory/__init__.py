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
from .convex import Certificate, DecoderMatrices, RDPSolution, pareto_sweep, solve_rdp
from .exceptions import (
    InfeasibleError,
    InvalidParameterError,
    RDPError,
    SolverError,
    SolverWarning,
)
from .perception import PLFS, PerceptionLoss
from .simulate import SimulationResult
from .source import GaussMarkovSource
from .universality import (
    UniversalityResult,
    UniversalitySweep,
    universality_gap,
    universality_sweep,
)
from .wasserstein import gaussian_w2_squared

__version__ = "0.1.0"

__all__ = [
    "Certificate",
    "DecoderMatrices",
    "PLFS",
    "PerceptionLoss",
    "RDPSolution",
    "SimulationResult",
    "UniversalityResult",
    "UniversalitySweep",
    "gaussian_w2_squared",
    "universality_gap",
    "universality_sweep",
    "pareto_sweep",
    "solve_rdp",
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
