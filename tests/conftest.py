"""Shared test configuration: hypothesis profiles and named tolerances."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# Closed form vs convex program: the contract of THEORY.md section 5 (relative error <= 1e-5).
REL_TOL = 1e-5
# Theorem-level inequalities between two solver outputs (orderings, monotonicity) are checked up
# to the certified accuracy of each solve (ACCURACY = 1e-7 relative to max sigma^2), doubled.
ORDER_TOL = 2e-7
# Monte Carlo: estimates must lie within this many standard errors of the exact value.
MC_SIGMAS = 4.0

settings.register_profile(
    "default",
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)
settings.register_profile(
    "thorough",
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20231210)
