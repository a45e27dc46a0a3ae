"""rdp-theory: rate-distortion-perception bounds for causal coding of Gauss-Markov sources.

Importing this package never imports torch or matplotlib (figures live in the separate
:mod:`figures` package, the learned codec in :mod:`learned`).
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
    sa_zero_perception_distortions,
)
from .convex import (
    Certificate,
    DecoderMatrices,
    RateSolution,
    RDPSolution,
    minimum_total_rate,
    pareto_sweep,
    solve_rdp,
)
from .exceptions import (
    InfeasibleError,
    InvalidParameterError,
    MissingDependencyError,
    RDPError,
    SolverError,
    SolverWarning,
    SweepStoreError,
)
from .io import package_version
from .kl import VarianceRatioBounds, fmd_distortions_kl, gaussian_rdp_kl, kl_variance_bounds
from .perception import PLF_NAMES, PLFS, PerceptionLoss
from .randomness import DistortionBounds, common_randomness_distortion, fmd_no_common_randomness
from .simulate import SimulationResult
from .source import GaussMarkovSource
from .stationary import stationary_distortion, stationary_rate
from .sweeps import sweep
from .universality import (
    UniversalityResult,
    UniversalitySweep,
    universality_gap,
    universality_sweep,
)
from .wasserstein import gaussian_w2_squared

__version__ = package_version()  # from the installed metadata: pyproject.toml is the one source

__all__ = [
    "Certificate",
    "DecoderMatrices",
    "PLFS",
    "PLF_NAMES",
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
    "sweep",
    "SweepStoreError",
    "minimum_total_rate",
    "RateSolution",
    "GaussMarkovSource",
    "GreedyRepresentation",
    "InfeasibleError",
    "InvalidParameterError",
    "MissingDependencyError",
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
    "sa_zero_perception_distortions",
    "stationary_distortion",
    "stationary_rate",
    "DistortionBounds",
    "common_randomness_distortion",
    "fmd_no_common_randomness",
    "VarianceRatioBounds",
    "kl_variance_bounds",
    "gaussian_rdp_kl",
    "fmd_distortions_kl",
]
