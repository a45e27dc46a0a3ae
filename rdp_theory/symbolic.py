r"""Symbolic (sympy) derivations of the closed forms of THEORY.md section 4.

Everything here is *derived* from the Gaussian model of THEORY.md section 3, not retyped from
:mod:`rdp_theory.closed_form`: covariances are assembled from the innovation parametrisation

.. math::

    X_k = A_{k,i} X_i + \sum_{l=i}^{k-1} A_{k,l+1} N_l, \qquad
    \operatorname{Cov}(X_k, U_i) = A_{k,i}\sqrt{q_i}\ (i \le k), \qquad
    \operatorname{Cov}(U) = I,

and distortions are computed as :math:`E(X_k - \hat X_k)^2 = \sigma_k^2 + \operatorname{Var}\hat X_k
- 2\operatorname{Cov}(X_k, \hat X_k)`. The numeric module is then checked against these
expressions at exact rational points (``tests/test_symbolic.py``).

All public functions take sympy expressions or plain numbers and return sympy expressions, so the
same code serves both proofs (with :class:`sympy.Symbol` arguments) and high-precision evaluation
(with :class:`sympy.Rational` arguments, see :func:`exact` and :func:`evaluate`). Python floats are
converted to the *exact* rational they represent, so that a symbolic value and the float64 function
see the same input. Use ``sympy.oo`` for an infinite rate or perception level.

This module imports sympy (about 0.3 s), so :mod:`rdp_theory` does not import it eagerly.

References
----------
.. [1] S. Salehkalaibar, B. Phan, J. Chen, W. Yu, A. Khisti, "On the choice of perception loss
   function for learned video compression", NeurIPS 2023.
.. [2] Y. Blau, T. Michaeli, "Rethinking lossy compression: the rate-distortion-perception
   tradeoff", ICML 2019.
.. [3] G. Zhang, J. Qian, J. Chen, A. Khisti, "Universal rate-distortion-perception
   representations for lossy compression", NeurIPS 2021.
.. [4] C. R. Givens, R. M. Shortt, "A class of Wasserstein metrics for probability
   distributions", Michigan Math. J. 31 (1984).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Union

import sympy as sp

from .exceptions import InvalidParameterError

__all__ = [
    "SingleFrameDerivation",
    "SymbolicRepresentation",
    "derive_single_frame",
    "error_permanence_limit",
    "evaluate",
    "exact",
    "fmd_distortions",
    "fmd_error_permanence_limit",
    "gaussian_w2_squared",
    "innovation_covariance",
    "jd_zero_perception_decoder",
    "jd_zero_perception_distortions",
    "jd_zero_perception_distortions_given_q",
    "jd_zero_perception_excess",
    "mse_recursion",
    "operational_rate",
    "prior_variances_from_model",
    "single_frame_distortion",
    "single_frame_identity_residual",
    "source_covariance",
    "transfer_matrix",
    "w2_squared_1d",
    "w2_squared_coupling_1d",
    "zero_perception_residual",
]

Scalar = Union[sp.Expr, int, float, Fraction, str]  # noqa: UP007 (runtime alias, py3.10)


# --------------------------------------------------------------------------- conversion helpers
def exact(value: Scalar) -> sp.Expr:
    """Convert ``value`` to an exact sympy number or pass a sympy expression through.

    Floats become the exact binary rational they represent (``exact(0.1) != Rational(1, 10)``),
    so symbolic and float64 evaluations are fed the same input. ``float('inf')`` becomes
    ``sympy.oo``.
    """
    if isinstance(value, sp.Basic):
        return value  # type: ignore[return-value]
    if isinstance(value, bool):
        raise InvalidParameterError(f"expected a number, got the boolean {value!r}")
    if isinstance(value, float):
        if math.isnan(value):
            raise InvalidParameterError("value must not be NaN")
        if value == float("inf"):
            return sp.oo
        return sp.Rational(value)
    if isinstance(value, Fraction):
        return sp.Rational(value.numerator, value.denominator)
    if isinstance(value, (int, str)):
        return sp.sympify(value)
    try:
        return sp.sympify(value)
    except (sp.SympifyError, TypeError) as exc:
        raise InvalidParameterError(f"cannot convert {value!r} to a sympy expression") from exc


def _seq(values: Sequence[Scalar] | Scalar, name: str, length: int | None = None) -> list[sp.Expr]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        if length is None:
            raise InvalidParameterError(f"{name} must be a sequence")
        return [exact(values)] * length  # type: ignore[arg-type]
    out = [exact(v) for v in values]
    if length is not None and len(out) != length:
        raise InvalidParameterError(f"{name} must have length {length}, got {len(out)}")
    return out


def evaluate(
    expr: sp.Expr, subs: Mapping[sp.Symbol, Scalar] | None = None, digits: int = 30
) -> sp.Float:
    """Substitute exact values into ``expr`` and evaluate it to ``digits`` significant digits.

    sympy's ``evalf`` raises its working precision adaptively when terms cancel, so the result is
    correct to about ``digits`` digits even where a float64 evaluation of the same formula would
    lose everything. An imaginary part below ``10**(5 - digits)`` times the real part (round-off
    of complex intermediates of a real quantity) is dropped; a larger one is kept.
    """
    if subs:
        expr = expr.xreplace({k: exact(v) for k, v in subs.items()})
    out = sp.N(expr, digits)
    if not out.is_number:
        raise InvalidParameterError(
            f"expression still has free symbols {sorted(map(str, out.free_symbols))}"
        )
    re_part, im_part = out.as_real_imag()
    if im_part != 0 and abs(im_part) <= sp.Float(10) ** (5 - digits) * abs(re_part):
        # numerical residue of complex intermediates (e.g. cubic eigenvalues written with I)
        out = re_part
    return out  # type: ignore[return-value]


# --------------------------------------------------------------------------- the source model
def _source_parameters(
    sigmas: Sequence[Scalar], rhos: Sequence[Scalar]
) -> tuple[list[sp.Expr], list[sp.Expr], list[sp.Expr]]:
    """Return sigma_j, a_j = rho_j sigma_{j+1}/sigma_j and s_j = sigma_{j+1}^2 (1 - rho_j^2)."""
    sig = _seq(sigmas, "sigmas")
    if len(sig) < 1:
        raise InvalidParameterError("sigmas must have at least one entry (T >= 1)")
    rho = _seq(rhos, "rhos", len(sig) - 1)
    a = [rho[j] * sig[j + 1] / sig[j] for j in range(len(rho))]
    s = [sig[j + 1] ** 2 * (1 - rho[j] ** 2) for j in range(len(rho))]
    return sig, a, s


def transfer_matrix(sigmas: Sequence[Scalar], rhos: Sequence[Scalar]) -> sp.Matrix:
    r"""Lower-triangular :math:`A_{k,i} = a_i a_{i+1}\cdots a_{k-1}` (:math:`A_{i,i} = 1`), shape (T, T)."""
    sig, a, _ = _source_parameters(sigmas, rhos)
    T = len(sig)
    A = sp.zeros(T, T)
    for i in range(T):
        A[i, i] = sp.Integer(1)
        for k in range(i + 1, T):
            A[k, i] = A[k - 1, i] * a[k - 1]
    return A


def source_covariance(sigmas: Sequence[Scalar], rhos: Sequence[Scalar]) -> sp.Matrix:
    r"""Covariance of :math:`(X_1,\dots,X_T)` computed from the recursion :math:`X_{j+1} = a_j X_j + N_j`.

    :math:`X = B Z` with :math:`Z = (X_1, N_1, \dots, N_{T-1})` independent, so
    :math:`\Sigma = B \operatorname{diag}(\sigma_1^2, s_1, \dots, s_{T-1}) B^T` with
    :math:`B_{k,i} = A_{k,i}`.
    """
    sig, _, s = _source_parameters(sigmas, rhos)
    A = transfer_matrix(sigmas, rhos)
    var_z = sp.diag(sig[0] ** 2, *s) if s else sp.diag(sig[0] ** 2)
    return (A * var_z * A.T).applyfunc(sp.factor)


def innovation_covariance(
    sigmas: Sequence[Scalar], rhos: Sequence[Scalar], q: Sequence[Scalar]
) -> sp.Matrix:
    r""":math:`\operatorname{Cov}(X_k, U_i) = A_{k,i}\sqrt{q_i}` for :math:`i \le k`, else 0; shape (T, T).

    :math:`U_i` is independent of :math:`N_i, N_{i+1}, \dots` (the representation at step ``i``
    sees only :math:`X_1..X_i`), and :math:`X_k = A_{k,i} X_i + (\text{those noises})`.
    For :math:`i > k` the entry is set to 0; it is never used by a causal decoder of frame ``k``.
    """
    A = transfer_matrix(sigmas, rhos)
    qq = _seq(q, "q", A.shape[0])
    return sp.Matrix(A.shape[0], A.shape[1], lambda k, i: A[k, i] * sp.sqrt(qq[i]) if i <= k else 0)


def prior_variances_from_model(
    sigmas: Sequence[Scalar], rhos: Sequence[Scalar], q: Sequence[Scalar]
) -> list[sp.Expr]:
    r""":math:`p_k = \operatorname{Var}(X_k \mid U_1..U_{k-1})` by Gaussian conditioning (Schur complement).

    .. math::

        p_k = \sigma_k^2 - c_k^T \operatorname{Cov}(U_{<k})^{-1} c_k,
        \qquad c_k = (\operatorname{Cov}(X_k, U_i))_{i<k}.
    """
    C = innovation_covariance(sigmas, rhos, q)
    sig, _, _ = _source_parameters(sigmas, rhos)
    out: list[sp.Expr] = []
    for k in range(len(sig)):
        if k == 0:
            out.append(sig[0] ** 2)
            continue
        c = C[k, :k].T
        cov_u = sp.eye(k)  # normalised, mutually independent innovations
        out.append(sp.expand(sig[k] ** 2 - (c.T * cov_u.inv() * c)[0, 0]))
    return out


# --------------------------------------------------------------------------- Wasserstein-2
def gaussian_w2_squared(K1: sp.Matrix, K2: sp.Matrix) -> sp.Expr:
    r"""Squared Wasserstein-2 distance between :math:`\mathcal N(0, K_1)` and :math:`\mathcal N(0, K_2)`.

    .. math::

        W_2^2 = \operatorname{tr}K_1 + \operatorname{tr}K_2
        - 2\operatorname{tr}\bigl(K_1^{1/2} K_2 K_1^{1/2}\bigr)^{1/2}
        = \operatorname{tr}K_1 + \operatorname{tr}K_2 - 2\sum_i \sqrt{\lambda_i(K_1 K_2)},

    because :math:`K_1 K_2` is similar to :math:`K_1^{1/2} K_2 K_1^{1/2}` (non-negative
    eigenvalues). For 2x2 matrices the closed form
    :math:`\operatorname{tr}M^{1/2} = \sqrt{\operatorname{tr}M + 2\sqrt{\det M}}` is used, so
    symbolic entries are fine; larger sizes need numeric entries (eigenvalues are computed, and
    the real part of the sum is taken).

    References
    ----------
    .. [1] Givens and Shortt (1984); D. C. Dowson, B. V. Landau, J. Multivariate Anal. (1982).
    """
    K1 = sp.Matrix(K1)
    K2 = sp.Matrix(K2)
    if K1.shape != K2.shape or K1.shape[0] != K1.shape[1]:
        raise InvalidParameterError(
            f"K1 and K2 must be square of equal size, got {K1.shape}, {K2.shape}"
        )
    n = K1.shape[0]
    M = K1 * K2
    if n == 1:
        fid = sp.sqrt(M[0, 0])
    elif n == 2:
        fid = sp.sqrt(M.trace() + 2 * sp.sqrt(K1.det() * K2.det()))
    else:
        # The eigenvalues are real and >= 0, but sympy may write them with I (casus
        # irreducibilis of the cubic); taking the real part is exact.
        fid = sp.re(sp.Add(*[mult * sp.sqrt(lam) for lam, mult in M.eigenvals().items()]))
    return K1.trace() + K2.trace() - 2 * fid


def w2_squared_1d(sigma1: Scalar, sigma2: Scalar) -> sp.Expr:
    r""":math:`W_2^2(\mathcal N(0,\sigma_1^2), \mathcal N(0,\sigma_2^2))` from :func:`gaussian_w2_squared`.

    With :math:`\sigma_1, \sigma_2 \ge 0` this simplifies to :math:`(\sigma_1 - \sigma_2)^2`.
    """
    s1, s2 = exact(sigma1), exact(sigma2)
    return gaussian_w2_squared(sp.Matrix([[s1**2]]), sp.Matrix([[s2**2]]))


def w2_squared_coupling_1d(sigma1: Scalar, sigma2: Scalar) -> sp.Expr:
    r"""The coupling form of :math:`W_2^2` in 1-D, derived by maximising the cross-covariance.

    :math:`W_2^2 = \min_c\, \sigma_1^2 + \sigma_2^2 - 2c` over :math:`c` with
    :math:`\begin{pmatrix}\sigma_1^2 & c\\ c & \sigma_2^2\end{pmatrix} \succeq 0`, i.e.
    :math:`c^2 \le \sigma_1^2\sigma_2^2`; the largest root of the determinant is the optimum.
    This is the 1-D instance of the LMI of THEORY.md section 3.
    """
    s1, s2 = exact(sigma1), exact(sigma2)
    c = sp.Symbol("c", real=True)
    det = sp.Matrix([[s1**2, c], [c, s2**2]]).det()
    c_max = sp.Max(*sp.solve(sp.Eq(det, 0), c))
    return s1**2 + s2**2 - 2 * c_max


# --------------------------------------------------------------------------- one frame
@dataclass(frozen=True)
class SingleFrameDerivation:
    r"""The steps of the single-frame minimisation (for inspection and tests).

    Attributes
    ----------
    objective : sympy.Expr
        :math:`f(s) = \sigma^2 + s^2 - 2 s\sqrt v` (MSE of the best reconstruction of std ``s``).
    s : sympy.Symbol
        The reconstruction standard deviation.
    stationary_points : tuple of sympy.Expr
        Roots of :math:`f'(s)` (one: :math:`\sqrt v`).
    curvature : sympy.Expr
        :math:`f''(s)` (the constant 2, so ``f`` is strictly convex).
    lower, upper : sympy.Expr
        The feasible interval :math:`(\sigma - s)^2 \le P \iff s \in [\sigma - \sqrt P, \sigma + \sqrt P]`.
    s_opt : sympy.Expr
        :math:`\hat s = \max(\sqrt v, \sigma - \sqrt P)`.
    distortion : sympy.Expr
        :math:`f(\hat s)`.
    """

    objective: sp.Expr
    s: sp.Symbol
    stationary_points: tuple[sp.Expr, ...]
    curvature: sp.Expr
    lower: sp.Expr
    upper: sp.Expr
    s_opt: sp.Expr
    distortion: sp.Expr


def _mmse(sigma: sp.Expr, R: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """e = sigma^2 2^{-2R} and v = sigma^2 - e."""
    e = sigma**2 * sp.Integer(2) ** (-2 * R)
    return e, sigma**2 - e


def derive_single_frame(sigma: Scalar, R: Scalar, P: Scalar) -> SingleFrameDerivation:
    r"""Minimise :math:`E(X-\hat X)^2` for one Gaussian frame under :math:`W_2^2 \le P`.

    For a representation with MMSE :math:`e = \sigma^2 2^{-2R}`, the MMSE estimate
    :math:`Y` has variance :math:`v = \sigma^2 - e`, and any reconstruction of standard deviation
    ``s`` has :math:`\operatorname{Cov}(X,\hat X) = \operatorname{Cov}(Y, \hat X) \le s\sqrt v`
    (Cauchy-Schwarz, attained by :math:`\hat X = (s/\sqrt v) Y`), so

    .. math::

        D = \min_{s \ge 0,\ (\sigma - s)^2 \le P} f(s), \qquad f(s) = \sigma^2 + s^2 - 2 s\sqrt v.

    The case analysis is done here in sympy: ``f`` is strictly convex (``f'' = 2``) with the single
    stationary point :math:`\sqrt v`; the feasible set is the interval
    :math:`[\max(0,\sigma-\sqrt P), \sigma+\sqrt P]`, whose upper end is never active because
    :math:`\sqrt v \le \sigma`. Hence :math:`\hat s = \max(\sqrt v, \sigma - \sqrt P)`: either the
    unconstrained optimum is feasible (:math:`D = e`) or the constraint binds at its lower end.
    """
    sigma, R, P = exact(sigma), exact(R), exact(P)
    _, v = _mmse(sigma, R)
    s = sp.Symbol("s", nonnegative=True)
    f = sigma**2 + s**2 - 2 * s * sp.sqrt(v)
    crit = tuple(sp.solve(sp.diff(f, s), s))
    curv = sp.diff(f, s, 2)
    if len(crit) != 1 or curv != 2:  # pragma: no cover - guards the derivation itself
        raise RuntimeError(f"unexpected single-frame derivation: f'={crit}, f''={curv}")
    lower, upper = sigma - sp.sqrt(P), sigma + sp.sqrt(P)
    # Projection of the stationary point onto the interval; the upper clip is inactive since
    # sqrt(v) <= sigma <= sigma + sqrt(P), and clipping at 0 is implied by Max with sqrt(v) >= 0.
    s_opt = sp.Max(crit[0], lower)
    return SingleFrameDerivation(
        objective=f,
        s=s,
        stationary_points=crit,
        curvature=curv,
        lower=lower,
        upper=upper,
        s_opt=s_opt,
        distortion=f.subs(s, s_opt),
    )


def single_frame_distortion(sigma: Scalar, R: Scalar, P: Scalar) -> sp.Expr:
    r"""Symbolic :math:`D(R, P)` of one Gaussian frame (MSE, :math:`W_2^2` perception).

    .. math::

        D(R,P) = \sigma^2 + \hat s^2 - 2\hat s\sqrt v, \qquad e = \sigma^2 2^{-2R},\
        v = \sigma^2 - e,\ \hat s = \max(\sqrt v, \sigma - \sqrt P).

    See :func:`derive_single_frame` for the derivation.
    """
    return derive_single_frame(sigma, R, P).distortion


def single_frame_identity_residual() -> sp.Expr:
    r"""Residual of the cancellation-free identity used by :mod:`rdp_theory.closed_form`.

    Returns :math:`f(\sigma-\sqrt P) - \bigl[e + (e/(\sigma+\sqrt v) - \sqrt P)^2\bigr]`,
    :math:`f(s) = \sigma^2 + s^2 - 2s\sqrt v`, :math:`v = \sigma^2 - e`. The rate enters only
    through :math:`e = \sigma^2 2^{-2R} \in (0, \sigma^2]`, and :math:`R \mapsto t = \sqrt v`
    is a bijection onto :math:`[0, \sigma)`, so the identity is stated in the free symbols
    ``sigma, t, P`` (``sigma, P`` positive, ``t`` non-negative) with :math:`e = \sigma^2 - t^2`.
    This removes the square root of a difference, and ``sympy.simplify`` reduces the residual to 0
    (the key step is :math:`e/(\sigma + t) = \sigma - t`).
    """
    sigma, P = sp.symbols("sigma P", positive=True)
    t = sp.Symbol("t", nonnegative=True)
    e = sigma**2 - t**2
    sqrt_v = sp.sqrt(sigma**2 - e)  # == t, by sympy's own simplification of sqrt(t**2)
    s = sigma - sp.sqrt(P)
    lhs = sigma**2 + s**2 - 2 * s * sqrt_v
    rhs = e + (e / (sigma + sqrt_v) - sp.sqrt(P)) ** 2
    return lhs - rhs


def zero_perception_residual() -> sp.Expr:
    r"""Residual :math:`D(R, 0) - 2\sigma^2(1 - \sqrt{1 - 2^{-2R}})` in free symbols ``sigma, R``.

    At :math:`P = 0` the feasible interval of :func:`derive_single_frame` is the single point
    :math:`s = \sigma` (so :math:`\hat s = \max(\sqrt v, \sigma) = \sigma`); the residual is the
    objective there minus the claimed closed form, and ``sympy.simplify`` reduces it to 0.
    """
    sigma, R = sp.symbols("sigma R", positive=True)
    der = derive_single_frame(sigma, R, 0)
    d0 = der.objective.subs(der.s, sigma)
    return d0 - 2 * sigma**2 * (1 - sp.sqrt(1 - sp.Integer(2) ** (-2 * R)))


# --------------------------------------------------------------------------- MSE recursion
@dataclass(frozen=True)
class SymbolicRepresentation:
    r"""Greedy (MSE-optimal) representation, symbolically: tuples of length ``T``.

    ``p[j]`` prior variance, ``q[j] = (1 - 2^{-2R_j}) p[j]``, ``e[j] = p[j] 2^{-2R_j}``.
    """

    p: tuple[sp.Expr, ...]
    q: tuple[sp.Expr, ...]
    e: tuple[sp.Expr, ...]


def _p_next(a: sp.Expr, s: sp.Expr, p: sp.Expr, q: sp.Expr) -> sp.Expr:
    r""":math:`\operatorname{Var}(a X + N \mid \text{past}) = a^2 (p - q) + s` (N independent of the past)."""
    return a**2 * (p - q) + s


def mse_recursion(
    sigmas: Sequence[Scalar], rhos: Sequence[Scalar], R: Sequence[Scalar] | Scalar
) -> SymbolicRepresentation:
    r"""Symbolic greedy representation for any ``T``.

    .. math::

        p_1 = \sigma_1^2, \quad q_j = (1 - 2^{-2R_j}) p_j, \quad e_j = p_j - q_j,
        \quad p_{j+1} = a_j^2 (p_j - q_j) + s_j.

    The rate constraint :math:`\tfrac12\log_2\frac{p_j}{p_j - q_j} \le R_j` gives the upper limit
    on :math:`q_j`; the update of :math:`p` is Gaussian conditioning of
    :math:`X_{j+1} = a_j X_j + N_j` (checked against the Schur complement of the innovation model
    by :func:`prior_variances_from_model`).
    """
    sig, a, s = _source_parameters(sigmas, rhos)
    T = len(sig)
    rates = _seq(R, "R", T)
    p: list[sp.Expr] = [sig[0] ** 2]
    q: list[sp.Expr] = []
    e: list[sp.Expr] = []
    for j in range(T):
        if j > 0:
            p.append(_p_next(a[j - 1], s[j - 1], p[j - 1], q[j - 1]))
        q.append((1 - sp.Integer(2) ** (-2 * rates[j])) * p[j])
        e.append(p[j] - q[j])
    return SymbolicRepresentation(p=tuple(p), q=tuple(q), e=tuple(e))


def fmd_distortions(
    sigmas: Sequence[Scalar],
    rhos: Sequence[Scalar],
    R: Sequence[Scalar] | Scalar,
    P: Sequence[Scalar] | Scalar,
) -> tuple[sp.Expr, ...]:
    r"""PLF-FMD distortions: the single-frame problem of each frame with MMSE :math:`e_j`.

    .. math::

        D_j = \sigma_j^2 + \hat s_j^2 - 2\hat s_j\sqrt{v_j}, \qquad v_j = \sigma_j^2 - e_j,\
        \hat s_j = \max(\sqrt{v_j}, \sigma_j - \sqrt{P_j}),

    with :math:`e_j` from :func:`mse_recursion`. The decoder :math:`\hat X_j = (\hat s_j/\sqrt{v_j})\,
    E[X_j \mid U_{1..j}]` attains it for every ``j`` at once; optimality is proved in
    ``docs/theory.md``.
    """
    sig, _, _ = _source_parameters(sigmas, rhos)
    T = len(sig)
    perc = _seq(P, "P", T)
    rep = mse_recursion(sigmas, rhos, R)
    out = []
    for j in range(T):
        v = sig[j] ** 2 - rep.e[j]
        s_opt = sp.Max(sp.sqrt(v), sig[j] - sp.sqrt(perc[j]))
        out.append(sig[j] ** 2 + s_opt**2 - 2 * s_opt * sp.sqrt(v))
    return tuple(out)


# --------------------------------------------------------------------------- 0-PLF-JD
def jd_zero_perception_decoder(sigmas: Sequence[Scalar], rhos: Sequence[Scalar]) -> sp.Matrix:
    r"""Coefficients ``G`` of the 0-PLF-JD decoder :math:`\hat X = G U`, lower triangular (T, T).

    :math:`\hat X_1 = \sigma_1 U_1`, :math:`\hat X_j = a_{j-1}\hat X_{j-1} + \sqrt{s_{j-1}}\,U_j`.
    Since ``Cov(U) = I``, :math:`\operatorname{Cov}(\hat X) = G G^T`, which equals the source
    covariance (law matching; see the tests).
    """
    sig, a, s = _source_parameters(sigmas, rhos)
    T = len(sig)
    G = sp.zeros(T, T)
    G[0, 0] = sig[0]
    for j in range(1, T):
        G[j, :] = a[j - 1] * G[j - 1, :]
        G[j, j] = sp.sqrt(s[j - 1])
    return G


def jd_zero_perception_distortions_given_q(
    sigmas: Sequence[Scalar], rhos: Sequence[Scalar], q: Sequence[Scalar]
) -> tuple[sp.Expr, ...]:
    r"""0-PLF-JD decoder distortions for an arbitrary representation ``q``.

    .. math::

        D_j = \sigma_j^2 + (G G^T)_{jj} - 2\sum_{i \le j} G_{j,i}\operatorname{Cov}(X_j, U_i)
            = \sigma_j^2 + (G G^T)_{jj} - 2\sum_{i\le j} G_{j,i} A_{j,i}\sqrt{q_i}.
    """
    G = jd_zero_perception_decoder(sigmas, rhos)
    C = innovation_covariance(sigmas, rhos, q)
    sig, _, _ = _source_parameters(sigmas, rhos)
    cov_hat = G * G.T
    return tuple(
        sig[j] ** 2
        + cov_hat[j, j]
        - 2 * sum((G[j, i] * C[j, i] for i in range(j + 1)), sp.Integer(0))
        for j in range(len(sig))
    )


def jd_zero_perception_distortions(
    sigmas: Sequence[Scalar], rhos: Sequence[Scalar], R: Sequence[Scalar] | Scalar
) -> tuple[sp.Expr, ...]:
    r"""0-PLF-JD lexicographic optimum: the law-matching decoder on the greedy representation.

    Built from :func:`jd_zero_perception_distortions_given_q` with ``q`` from :func:`mse_recursion`.
    Equivalent to :math:`D_j = 2\sigma_j^2 - 2c_j`, :math:`c_j = a_{j-1}^2 c_{j-1} + \sqrt{s_{j-1}q_j}`
    (THEORY.md section 4) and to :math:`D_j = e_j + \delta_j` (:func:`jd_zero_perception_excess`).
    """
    rep = mse_recursion(sigmas, rhos, R)
    return jd_zero_perception_distortions_given_q(sigmas, rhos, rep.q)


def jd_zero_perception_excess(
    sigmas: Sequence[Scalar], rhos: Sequence[Scalar], q: Sequence[Scalar]
) -> tuple[sp.Expr, ...]:
    r"""Excess :math:`\delta_j = D_j - e_j` of the 0-PLF-JD decoder as a sum of squares.

    .. math::

        \delta_j = \sum_{i \le j} A_{j,i}^2 \bigl(\sqrt{s_{i-1}} - \sqrt{q_i}\bigr)^2
        = a_{j-1}^2\delta_{j-1} + \bigl(\sqrt{s_{j-1}} - \sqrt{q_j}\bigr)^2,
        \qquad s_0 := \sigma_1^2.

    Every term is non-negative, which makes this the cancellation-free way to evaluate the JD
    distortions (see ``docs/theory.md``), and gives the factor-2 bound
    :math:`(\sqrt s - \sqrt q)^2 \le |s - q| = |e_i - a_{i-1}^2 e_{i-1}|`.
    """
    sig, _, s = _source_parameters(sigmas, rhos)
    A = transfer_matrix(sigmas, rhos)
    qq = _seq(q, "q", len(sig))
    s_prev = [sig[0] ** 2] + s
    return tuple(
        sum(
            (A[j, i] ** 2 * (sp.sqrt(s_prev[i]) - sp.sqrt(qq[i])) ** 2 for i in range(j + 1)),
            sp.Integer(0),
        )
        for j in range(len(sig))
    )


# --------------------------------------------------------------------------- limits
def error_permanence_limit(sigma2: Scalar, rho: Scalar, sigma1: Scalar | None = None) -> sp.Expr:
    r""":math:`\lim_{R_2\to\infty}\lim_{R_1\to 0} D_2^{\mathrm{JD}}` for ``T = 2``, by ``sympy.limit``.

    The result is :math:`2\sigma_2^2(1 - \sqrt{1 - \rho^2})`, independent of :math:`\sigma_1`
    (a free positive symbol unless given): the JD decoder must keep the first frame's
    (uninformed) reconstruction in its reconstruction of frame 2.
    """
    s1 = sp.Symbol("sigma_1", positive=True) if sigma1 is None else exact(sigma1)
    R1, R2 = sp.symbols("R_1 R_2", nonnegative=True)
    d2 = jd_zero_perception_distortions([s1, exact(sigma2)], [exact(rho)], [R1, R2])[1]
    inner = sp.limit(d2, R1, 0, "+")
    return sp.simplify(sp.limit(inner, R2, sp.oo))


def fmd_error_permanence_limit(
    sigma2: Scalar, rho: Scalar, sigma1: Scalar | None = None
) -> sp.Expr:
    r"""The same limit for 0-PLF-FMD (``P = 0``); it is 0: FMD forgets the first frame's error."""
    s1 = sp.Symbol("sigma_1", positive=True) if sigma1 is None else exact(sigma1)
    R1, R2 = sp.symbols("R_1 R_2", nonnegative=True)
    d2 = fmd_distortions([s1, exact(sigma2)], [exact(rho)], [R1, R2], 0)[1]
    # With P = 0 the Max resolves to sigma_2 (sqrt(v) <= sigma_2); write that branch explicitly.
    d2 = d2.replace(sp.Max, lambda *args: exact(sigma2))
    inner = sp.limit(d2, R1, 0, "+")
    return sp.simplify(sp.limit(inner, R2, sp.oo))


def operational_rate(R: Scalar) -> sp.Expr:
    r"""One-shot operational rate :math:`R + \log_2(R+1) + 5` (strong functional representation lemma)."""
    r = exact(R)
    return r + sp.log(r + 1, 2) + 5
