"""Hypothesis strategies for property-based tests of RDP bounds (needs the ``test`` extra).

Shared by this package's own tests and by users' tests, in the style of ``dit.utils.testing``
(this example runs as a doctest, ``tests/test_doctests.py``):

>>> import rdp_theory as rt
>>> from hypothesis import given, settings
>>> from hypothesis import strategies as st
>>> from rdp_theory.testing import ORDER_TOL, gauss_markov_sources, rate_vectors
>>> @settings(max_examples=10, deadline=None)
... @given(data=st.data())
... def test_fmd_costs_at_least_mse(data):
...     src = data.draw(gauss_markov_sources(max_T=4))
...     rates = data.draw(rate_vectors(src.T))
...     fmd, mse = rt.fmd_distortions(src, rates, 0.0), rt.mmse_distortions(src, rates)
...     assert (fmd >= mse - ORDER_TOL * src.variances.max()).all()
>>> test_fmd_costs_at_least_mse()

The default ranges are the box in which the solver is certified: T <= 6, sigma in [0.1, 10],
``|rho| <= 0.999``, R in [0, 8] bits, P in {0} U [1e-4, 10 sigma^2] (plus inf where allowed).

The strategies live in ``_strategies``, the fuzz targets of every public entry point (issue 12)
in ``_fuzz``; this module is their one public face.
"""

from __future__ import annotations

from ._fuzz import (
    FUZZ_RTOL,
    FUZZ_TARGETS,
    FuzzTarget,
    arbitrary_values,
    fuzz_outcome,
    fuzz_targets,
    is_wrong_type,
)
from ._strategies import (
    CLOSED_FORM_RTOL,
    MC_SIGMAS,
    ORDER_TOL,
    PLF_NAMES,
    gauss_markov_sources,
    perception_vectors,
    rate_vectors,
    scenarios,
)

__all__ = [
    "CLOSED_FORM_RTOL",
    "ORDER_TOL",
    "MC_SIGMAS",
    "gauss_markov_sources",
    "rate_vectors",
    "perception_vectors",
    "scenarios",
    "PLF_NAMES",
    "FuzzTarget",
    "FUZZ_TARGETS",
    "arbitrary_values",
    "fuzz_outcome",
    "is_wrong_type",
    "fuzz_targets",
    "FUZZ_RTOL",
]
