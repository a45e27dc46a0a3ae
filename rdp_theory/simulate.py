r"""Monte Carlo simulation of a jointly Gaussian causal scheme.

The representation is built exactly as in the Gaussian reduction, by the linear model of
:mod:`rdp_theory.scheme` (re-exported here as :func:`joint_model`), and the decoder outputs
:math:`\hat X = G U + W`. Everything is a linear map of independent standard normals, so the same
coefficient matrices give exact covariances (:func:`joint_model`) and samples.

The simulator estimates, with standard errors from ``batches`` independent batches:
the distortions, the perception values under the solution's PLF (W2^2, or the KL divergence in
nats for a solution with ``perception_measure="kl"``, between Gaussian fits),
and the rates :math:`I(X_j; U_j \mid U_{<j})` (from regression residual variances).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from ._validation import check_positive_int
from .perception import get_plf
from .scheme import JointModel, SolvedScheme, joint_model
from .source import RNGLike, as_generator
from .wasserstein import psd_sqrt

if TYPE_CHECKING:
    import pandas

__all__ = ["JointModel", "joint_model", "SimulationResult", "simulate_solution"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class SimulationResult:
    """Monte Carlo estimates with standard errors (all arrays shape (T,)).

    Attributes
    ----------
    n : int
        Number of simulated sequences.
    distortions, distortions_se : ndarray
        Empirical MSE per frame and its standard error.
    perception, perception_se : ndarray
        W2^2 (or KL in nats, as the solution's ``perception_measure``) between Gaussian fits
        under the solution's PLF, and its batch standard error.
    rates, rates_se : ndarray
        Empirical :math:`I(X_j; U_j \\mid U_{<j})` in bits and its batch standard error.
    reconstruction_covariance : ndarray, shape (T, T)
        Empirical Cov(Xhat).
    """

    n: int
    distortions: FloatArray
    distortions_se: FloatArray
    perception: FloatArray
    perception_se: FloatArray
    rates: FloatArray
    rates_se: FloatArray
    reconstruction_covariance: FloatArray

    def to_dict(self) -> dict[str, object]:
        """Plain Python values (int, lists of floats) for JSON."""
        out: dict[str, object] = {"n": int(self.n)}
        for name in ("distortions", "distortions_se", "perception", "perception_se", "rates",
                     "rates_se", "reconstruction_covariance"):
            out[name] = np.asarray(getattr(self, name), dtype=np.float64).tolist()
        return out

    def to_dataframe(self) -> pandas.DataFrame:
        """One row per frame (needs pandas): ``frame`` (1-based), ``distortion``,
        ``distortion_se``, ``perception``, ``perception_se``, ``rate``, ``rate_se``, ``n``.

        Raises
        ------
        MissingDependencyError
            pandas is not installed.
        """
        from ._tables import data_frame

        T = len(self.distortions)
        return data_frame({
            "frame": np.arange(1, T + 1),
            "distortion": self.distortions, "distortion_se": self.distortions_se,
            "perception": self.perception, "perception_se": self.perception_se,
            "rate": self.rates, "rate_se": self.rates_se, "n": [int(self.n)] * T,
        })

    def _repr_html_(self) -> str:
        """Estimates with their standard errors, one column per frame (for notebooks)."""
        from ._tables import html_table, number

        def pm(values: FloatArray, se: FloatArray) -> list[str]:
            return [f"{number(v)} ± {number(e)}" for v, e in zip(values, se)]

        T = len(self.distortions)
        return html_table(
            f"SimulationResult: Monte Carlo, n = {self.n} sequences (± one standard error)",
            [f"k = {k}" for k in range(1, T + 1)],
            [("distortion D_k", pm(self.distortions, self.distortions_se)),
             ("perception φ_k", pm(self.perception, self.perception_se)),
             ("rate (bits)", pm(self.rates, self.rates_se))],
        )


def _stats(
    x: FloatArray, xhat: FloatArray, u: FloatArray, plf: str, measure: str = "w2",
    direction: str | None = None,
) -> tuple[FloatArray, FloatArray]:
    n, T = x.shape
    sx = x.T @ x / n  # zero means are known: second moments are unbiased covariance estimates
    sh = xhat.T @ xhat / n
    cross = xhat.T @ x / n
    phi = get_plf(plf).values(sx, sh, cross, measure, direction)
    rates = np.empty(T)
    for j in range(T):
        before = _residual_var(x[:, j], u[:, :j])
        after = _residual_var(x[:, j], u[:, : j + 1])
        rates[j] = 0.5 * np.log2(before / after) if after > 0 else np.inf
    return phi, rates


def _residual_var(y: FloatArray, z: FloatArray) -> float:
    if z.shape[1] == 0:
        return float(y @ y / y.size)
    coef, *_ = np.linalg.lstsq(z, y, rcond=None)
    r = y - z @ coef
    return float(r @ r / y.size)


def simulate_solution(
    solution: SolvedScheme, n: int, rng: RNGLike, *, batches: int = 20
) -> SimulationResult:
    """Simulate ``n`` sequences through the scheme of ``solution``.

    Parameters
    ----------
    solution : RDPSolution
        Or anything with its ``source``, ``p``, ``q``, ``plf`` and ``decoder``
        (:class:`rdp_theory.scheme.SolvedScheme`).
    n : int
        Number of sequences, ``n >= 10 * batches``.
    rng : numpy.random.Generator or int
    batches : int
        Number of batches for the standard errors of the perception and rate estimates (>= 2).
    """
    batches = check_positive_int(batches, "batches", minimum=2)
    n = check_positive_int(n, "n", minimum=10 * batches)
    gen = as_generator(rng)
    src = solution.source
    T = src.T
    jm = joint_model(src, solution.p, solution.q)
    xi = gen.standard_normal((n, 2 * T))
    x = xi @ jm.mx.T
    u = xi @ jm.mu.T
    w = gen.standard_normal((n, T)) @ psd_sqrt(solution.decoder.noise_covariance)
    xhat = u @ solution.decoder.gain.T + w
    sq = (x - xhat) ** 2
    dist = sq.mean(axis=0)
    dist_se = sq.std(axis=0, ddof=1) / np.sqrt(n)
    # the solution's own perception measure (W2^2 for schemes that do not say)
    measure = getattr(solution, "perception_measure", "w2")
    direction = getattr(solution, "kl_direction", None)
    phi, rates = _stats(x, xhat, u, solution.plf, measure, direction)
    bphi = np.empty((batches, T))
    brate = np.empty((batches, T))
    for b, idx in enumerate(np.array_split(np.arange(n), batches)):
        bphi[b], brate[b] = _stats(x[idx], xhat[idx], u[idx], solution.plf, measure, direction)
    phi_se = bphi.std(axis=0, ddof=1) / np.sqrt(batches)
    finite = np.isfinite(brate).all(axis=0) & np.isfinite(rates)
    rate_se = np.zeros(T)
    rate_se[finite] = brate[:, finite].std(axis=0, ddof=1) / np.sqrt(batches)
    rates = np.where(finite, rates, np.inf)
    return SimulationResult(
        n=n,
        distortions=dist,
        distortions_se=dist_se,
        perception=phi,
        perception_se=phi_se,
        rates=rates,
        rates_se=rate_se,
        reconstruction_covariance=xhat.T @ xhat / n,
    )
