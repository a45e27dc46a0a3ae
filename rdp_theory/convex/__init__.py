r"""Certified convex (SDP) solver for the Gaussian sequential RDP problem (THEORY.md section 3).

The program
-----------
For jointly Gaussian schemes let :math:`U_i` be the normalised innovation of the representation,
:math:`c_i = \operatorname{Cov}(X_i, U_i) \ge 0`, :math:`q_i = c_i^2`, :math:`p_i =
\operatorname{Var}(X_i \mid U_{<i})`, and :math:`e_i = p_i - q_i` the MMSE after frame ``i``. A
decoder is :math:`\hat X_k = \sum_{i\le k} g_{k,i} U_i + W_k` with independent noise ``W``.

THEORY.md writes the program in :math:`(\hat\Sigma, H, q)`. That form subtracts numbers of size
:math:`\sigma^2` to obtain distortions of size :math:`\sigma^2 2^{-2R}` and so loses about five
digits at 8 bits. We solve the *same* program after an invertible affine change of variables to
small quantities. With :math:`\tilde X_k = E[X_k \mid U_{\le k}]` and
:math:`\Delta = \hat X - \tilde X`:

.. math::

    \Psi = \operatorname{Cov}(\Delta), \qquad H' = H - A\,\operatorname{diag}(q)
    \ (\text{so } h'_{k,i} = \sqrt{q_i}\,(g_{k,i} - A_{k,i}\sqrt{q_i})),

    p_1 = \sigma_1^2,\quad p_{k+1} = a_k^2 e_k + s_k,\quad q = p - e,\quad
    e_k \ge 2^{-2R_k} p_k \ (\text{rate}),\quad e \ge 0,

    \begin{bmatrix}\Psi & H' \\ H'^\top & \operatorname{diag}(q)\end{bmatrix} \succeq 0,
    \qquad D_k = e_k + \Psi_{kk},

    \hat\Sigma - \Sigma = -(L + L^\top) + \operatorname{diag}(e) + A H'^\top + H' A^\top + \Psi,
    \quad L = A \operatorname{diag}(e),

    \operatorname{Cov}(\hat X_m, X_k) - \Sigma_{mk} = -A_{k,m} e_m + (H' A^\top)_{mk}\quad (m < k).

(:math:`D_k = e_k + \Psi_{kk}` because the estimation error :math:`X_k - \tilde X_k` is
orthogonal to everything the decoder sees; the identity for :math:`\hat\Sigma - \Sigma` uses
:math:`\sum_{i\le m} A_{m,i}^2 q_i = \sigma_m^2 - e_m`.) Perception constraints come from
:mod:`rdp_theory.perception`, measured by W2^2 (coupling LMIs) or, with
``perception_measure="kl"``, by the KL divergence (log-det cones for PLF-JD, variance intervals
for PLF-FMD; docs/theory.md 4.12). Frame ``k`` is normalised by :math:`\sigma_k` (an exact
congruence, under which KL is invariant; see ``_model.parameter_values``) so that mixed-scale
sources keep every frame's variables O(1).

Each problem structure is compiled once with ``cp.Parameter`` (DPP); sweeps only re-bind values.
Clarabel is tried first with tight tolerances, then with its defaults, then SCS. A result comes
with a :class:`Certificate` recomputed from the primal matrices in THEORY.md's own variables.

Modules, top floor first (each imports only from floors below it)
-----------------------------------------------------------------
``rate``           :func:`minimum_total_rate`: the rate form (least total rate), its result
``api``            :func:`solve_rdp`, :func:`pareto_sweep`: checks, dispatch, warnings (once)
``_lexicographic`` the lexicographic chain
``_weighted``      formulations, the fallback loop, coupling generation
``_certify``       primal -> THEORY.md's variables, residuals, :class:`Certificate`
``_backend``       the only module touching cvxpy/Clarabel internals; one attempt, values out
``_settings``      the solver settings the fallback lists are made of, with their measurements
``_model``         the DPP program, its cache and the normalisation (no per-call state)
``_instance``      the frozen problem instance; ``result``: public results, accuracy constants

Solves are re-entrant: concurrent calls (threads) share the compiled models but no per-call
state, and give the same results as sequential ones.
"""

from __future__ import annotations

from ._lexicographic import clear_cache
from .api import pareto_sweep, solve_rdp
from .rate import RateSolution, minimum_total_rate
from .result import (
    ACCEPTABLE,
    ACCURACY,
    REL_GAP,
    REL_GAP_WARN,
    Certificate,
    DecoderMatrices,
    Objective,
    RDPSolution,
)

__all__ = [
    "Certificate",
    "DecoderMatrices",
    "RDPSolution",
    "solve_rdp",
    "pareto_sweep",
    "minimum_total_rate",
    "RateSolution",
    "Objective",
    "ACCURACY",
    "ACCEPTABLE",
    "REL_GAP",
    "REL_GAP_WARN",
    "clear_cache",
]
