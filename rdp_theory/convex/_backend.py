"""The only module that touches cvxpy's and Clarabel's internals: one solver attempt, values out.

:func:`run` takes a compiled :class:`~._model.Model`, the parameter values of an instance and
the solver settings, and *returns* the raw solver report and the primal values the certificate
needs; nothing is left on the shared model. Two routes:

* the fast path (:class:`FastPath`): parameters -> Clarabel data by one sparse product, and
  Clarabel's ``x`` -> our variables by a fixed selection. Pure functions of immutable compiled
  data and the given values, so concurrent callers need no lock.
* cvxpy's public path (first solve of a model, SCS, or when the fast path failed its
  self-check): parameter values are bound on the shared ``cp.Problem``, whose compiled data and
  variable values are then read back, so it runs under the model's lock.

A cvxpy or Clarabel upgrade touches this file only.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import threading
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import cvxpy as cp
import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from ..exceptions import SolverError
from ._model import Model
from ._settings import TIGHT, SolverSettings

__all__ = ["Raw", "Values", "FastPath", "View", "run", "run_problem", "has_view"]

FloatArray = NDArray[np.float64]


#: cvxpy's canonicalisation backend for every compile. cvxpy 1.9 switches to its new "COO"
#: backend by itself once a problem's parameters hold 1000 numbers or more, and that backend
#: compiled a wrong program for the T = 10 rate form under KL (nine log-det constraints: the
#: solver's optimum broke the distortion caps by 1.7, found by our certificate, which refused
#: every attempt; the "CPP" backend, cvxpy's default below the threshold, and a compile without
#: DPP agree on the right one). The same backend for every size also keeps results independent of
#: where that threshold falls. Cost: compiling a T = 30 model takes 0.35 s against 0.06 s (once
#: per structure); T <= 20 was already compiled by "CPP".
CANON_BACKEND = cp.CPP_CANON_BACKEND


# ---------------------------------------------------------------------------- results of a run
@dataclass(frozen=True)
class Raw:
    r"""The solver's own report on one attempt.

    ``dual_residual`` is :math:`|r^\top x^*|`, :math:`r = A^\top z + c` the residual of the
    dual iterate in the unscaled data (Clarabel; 0 for SCS): the dual value bounds the optimum
    only up to :math:`r^\top x^\circ` at the optimum :math:`x^\circ`, estimated at the
    solution (docs/theory.md 4.12, where it was 1e4 times the primal-dual difference).
    """

    status: str
    solver: str
    primal: float
    dual: float
    iterations: int
    dual_residual: float = 0.0

    @property
    def gap(self) -> float:
        """The duality gap the certificate reports (solver units): ``|primal - dual|`` plus
        ``dual_residual``."""
        return abs(self.primal - self.dual) + self.dual_residual


@dataclass(frozen=True)
class Values:
    """Primal values of the variables the certificate needs (normalised units)."""

    e: FloatArray
    psi: FloatArray
    hvec: FloatArray | None


# ---------------------------------------------------------------------------- process-wide state
# fd 2 is one per process: concurrent solves share one redirection (the first in saves and
# redirects, the last out restores), or a later one would save /dev/null as "the" stderr.
_STDERR_LOCK = threading.Lock()
_stderr_users = 0
_stderr_saved: tuple[int, ...] = ()
# warnings.catch_warnings saves and restores the process-wide filter list: two interleaved
# blocks could leave one's filter installed for good, so they never overlap.
_WARNINGS_LOCK = threading.Lock()


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Silence file descriptors 1 and 2 while native code runs.

    A Rust panic inside Clarabel prints its message (and, with RUST_BACKTRACE set, a backtrace)
    straight to fd 2 before Python sees the PanicException, which we catch and answer with the
    next fallback; the message is kept in the exception, so nothing is lost. SCS's C code prints
    "ERROR: could not determine problem status." to fd 1; its status reaches us through cvxpy.
    Python's own buffered streams are flushed first, so nothing of the caller's is swallowed.
    Counted across threads: the descriptors are restored when the last solve leaves.
    """
    global _stderr_users, _stderr_saved
    with _STDERR_LOCK:
        if _stderr_users == 0:
            saved: list[int] = []
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(Exception):
                    stream.flush()
            try:
                with open(os.devnull, "w") as null:
                    for fd in (1, 2):
                        saved.append(os.dup(fd))
                        os.dup2(null.fileno(), fd)
            except OSError:  # pragma: no cover - no usable fd 1/2
                for fd, old in zip((1, 2), saved):
                    os.dup2(old, fd)
                    os.close(old)
                saved = []
            _stderr_saved = tuple(saved)
        _stderr_users += 1
    try:
        yield
    finally:
        with _STDERR_LOCK:
            _stderr_users -= 1
            if _stderr_users == 0 and _stderr_saved:
                for fd, old in zip((1, 2), _stderr_saved):
                    os.dup2(old, fd)
                    os.close(old)
                _stderr_saved = ()


def _assign(param: cp.Parameter, value: FloatArray) -> None:
    """Set a parameter's value with our own checks (shape, finite) instead of cvxpy's.

    cvxpy validates every assignment against the parameter's attributes (convert, project,
    compare: ~0.1 ms each, a quarter of a T = 3 re-solve). Ours carry no attributes and their
    values are computed by ``_model.parameter_values``, so the shape and finiteness checks below
    are the whole contract. Falls back to the public setter if cvxpy's internals change.
    """
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape != param.shape or not np.all(np.isfinite(arr)):  # pragma: no cover - internal
        raise SolverError(f"internal error: bad value for parameter {param.name()}")
    if hasattr(param, "_value"):
        param._value = arr
    else:  # pragma: no cover - future cvxpy
        param.value = arr


def _bind(model: Model, values: Mapping[str, FloatArray]) -> None:
    """Bind ``values`` on the model's parameters (cvxpy's path only; hold ``model.lock``)."""
    for param in model.problem.parameters():
        _assign(param, values[param.name()])


def _clarabel(
    P: Any, c: FloatArray, A: Any, b: FloatArray, cones: list[Any], opts: Mapping[str, Any]
) -> Any:
    """Run Clarabel on conic data (min c'x s.t. Ax + s = b, s in cones), primal only.

    The certificate is recomputed from the primal, so cvxpy's dual recovery (a dense
    triangle-to-full conversion per PSD cone) would be wasted work on every re-solve.
    """
    import clarabel

    settings = clarabel.DefaultSettings()
    settings.verbose = False
    # one thread: these KKT systems are small, and faer's threading costs more than it saves
    # (measured T = 10 with a coupling: 61 ms on one thread against 79 ms on two); sweeps
    # parallelise across processes instead (joblib)
    settings.max_threads = 1
    for name, value in opts.items():
        setattr(settings, name, value)
    return clarabel.DefaultSolver(P, c, A, b, cones, settings).solve()


class FastPath:
    """Parameters -> Clarabel data -> primal values, without cvxpy on the hot path.

    A DPP program's conic data is a *linear* function of the vector ``theta`` of parameter
    values (with a trailing 1): cvxpy keeps it as a sparse matrix whose product with ``theta``
    gives the nonzeros of ``[A | b]`` in a fixed sparsity pattern, and ``q`` for ``[c | d]``.
    Re-solves then cost one sparse product, not cvxpy's per-call reassembly (about half of a
    T = 3 re-solve). Likewise the map from Clarabel's ``x`` to our variables is a fixed
    selection, found once by probing cvxpy's own inversion with ``x = 1, 2, ..., n``.

    Built from cvxpy internals, so :meth:`build` *checks itself* against cvxpy's public path
    (the data exactly, the unpacked values on a random ``x``) and returns None on any mismatch
    or exception; the model then keeps using cvxpy's path.
    """

    def __init__(
        self, model: Model, data: dict[str, Any], chain: Any, inv: Any,
        values: Mapping[str, FloatArray],
    ) -> None:
        from cvxpy.reductions.solvers.conic_solvers.clarabel_conif import dims_to_solver_cones

        prog = data[cp.settings.PARAM_PROB]
        prog.reduced_A.cache(False)
        self.tensor = sp.csr_matrix(prog.reduced_A.reduced_mat)
        indices, indptr, shape = prog.reduced_A.problem_data_index
        self.m, self.n = int(shape[0]), int(shape[1]) - 1
        self.nA = int(indptr[self.n])
        self.indices = np.asarray(indices[: self.nA], dtype=np.int64)
        self.indptr = np.asarray(indptr[: self.n + 1], dtype=np.int64)
        self.b_rows = np.asarray(indices[self.nA : indptr[self.n + 1]], dtype=np.int64)
        self.q = sp.csr_matrix(prog.q)
        self.size = int(prog.total_param_size) + 1
        by_id = {p.id: p for p in model.problem.parameters()}
        self.slots = [
            (by_id[pid].name(), by_id[pid].shape, int(col), int(prog.param_id_to_size[pid]))
            for pid, col in prog.param_id_to_col.items()
            if pid in by_id
        ]
        const = [col for pid, col in prog.param_id_to_col.items() if pid not in by_id]
        if len(const) != 1 or len(self.slots) != len(by_id):
            raise ValueError("unexpected parameter layout")
        self.const_col = int(const[0])
        self.cones = dims_to_solver_cones(data["dims"])
        self.P = sp.csc_matrix((self.n, self.n))
        # x -> variables: probe cvxpy's inversion with distinct integers
        probe = np.arange(1.0, self.n + 1.0)
        self.e_idx, self.psi_idx, self.h_idx = self._probe(model, probe, chain, inv)
        # each coupling's own columns, for views (None: not a selection, so no views)
        self.coupling_cols: dict[int, Any] | None
        try:
            self.coupling_cols = {
                j: np.unique(np.concatenate([_selection(v.value).ravel() for v in variables]))
                for j, variables in model.coupling_vars.items()
            }
        except ValueError:
            self.coupling_cols = None
        self.views: dict[frozenset[int], View | None] = {}
        self._views_lock = threading.Lock()
        # self-check: data against cvxpy's public path, values on a random x
        c, A, b = self.data(values)
        ref_A = sp.csc_matrix(data["A"])
        if (
            A.shape != ref_A.shape
            or abs(A - ref_A).max() != 0
            or not np.array_equal(b, np.asarray(data["b"], dtype=np.float64))
            or not np.array_equal(c, np.asarray(data["c"], dtype=np.float64))
        ):
            raise ValueError("fast-path data differ from cvxpy's")
        x = np.random.default_rng(0).standard_normal(self.n)
        _unpack_with_cvxpy(model, x, chain, inv)
        ours = self.values(x)
        ref = _values_from_variables(model)
        if ref is None:
            raise ValueError("cvxpy did not unpack the check point")
        if ours.hvec is None or ref.hvec is None:
            same_h = ours.hvec is None and ref.hvec is None
        else:
            same_h = np.array_equal(ours.hvec, ref.hvec)
        if not (np.array_equal(ours.e, ref.e) and np.array_equal(ours.psi, ref.psi) and same_h):
            raise ValueError("fast-path unpacking differs from cvxpy's")

    @staticmethod
    def _probe(model: Model, probe: FloatArray, chain: Any, inv: Any) -> tuple[Any, Any, Any]:
        _unpack_with_cvxpy(model, probe, chain, inv)
        vals = _values_from_variables(model)
        if vals is None:
            raise ValueError("probe not unpacked")

        return (
            _selection(vals.e), _selection(vals.psi),
            None if vals.hvec is None else _selection(vals.hvec),
        )

    def theta(self, values: Mapping[str, FloatArray]) -> FloatArray:
        """The parameter vector of ``values``, with ``_assign``'s checks (shape, finite)."""
        th = np.zeros(self.size)
        for name, shape, col, size in self.slots:
            arr = np.asarray(values[name], dtype=np.float64)
            if arr.shape != shape or not np.all(np.isfinite(arr)):  # pragma: no cover - internal
                raise SolverError(f"internal error: bad value for parameter {name}")
            th[col : col + size] = arr.reshape(-1, order="F")
        th[self.const_col] = 1.0
        return th

    def data(self, values: Mapping[str, FloatArray]) -> tuple[FloatArray, Any, FloatArray]:
        th = self.theta(values)
        flat = self.tensor @ th
        A = sp.csc_matrix((-flat[: self.nA], self.indices, self.indptr), shape=(self.m, self.n))
        b = np.zeros(self.m)
        np.add.at(b, self.b_rows, flat[self.nA :])
        c = np.asarray(self.q @ th, dtype=np.float64).ravel()[: self.n]
        return c, A, b

    def values(self, x: FloatArray) -> Values:
        return Values(
            e=x[self.e_idx], psi=x[self.psi_idx], hvec=None if self.h_idx is None else x[self.h_idx]
        )

    def view(self, keep: frozenset[int]) -> View | None:
        """The program with only the couplings in ``keep`` (cached; None if it cannot be cut)."""
        with self._views_lock:
            if keep not in self.views:
                try:
                    self.views[keep] = View(self, keep)
                except ValueError:
                    self.views[keep] = None
            return self.views[keep]

    @staticmethod
    def build(
        model: Model, data: dict[str, Any], chain: Any, inv: Any, values: Mapping[str, FloatArray]
    ) -> FastPath | None:
        try:
            return FastPath(model, data, chain, inv, values)
        except Exception:  # noqa: BLE001 - any surprise in cvxpy's internals: use the public path
            return None


def _selection(value: Any) -> Any:
    """Indices into ``x`` from a variable's value after unpacking ``x = 1, 2, ..., n``."""
    v = np.asarray(value, dtype=np.float64)
    idx = np.rint(v).astype(np.int64) - 1
    if not np.array_equal(idx + 1.0, v) or (idx.size and idx.min() < 0):
        raise ValueError("variables are not a selection of x")
    return idx


class View:
    """A compiled program with some of its coupling LMIs cut out: a submatrix of its data.

    Frame j's coupling owns its variables (Gamma_j, diag E_j, and E_j in the robust form) and
    every constraint that touches them: equality and inequality rows one by one, its PSD cone
    as a whole. Deleting those columns and rows leaves exactly the program without that
    coupling, so the rounds of coupling generation (see _weighted.solve_weighted) need no new compile.
    Checked on construction: the deleted columns are touched by deleted rows only and carry no
    objective, and the deleted PSD cones are exactly one per cut coupling, of size 2(j + 1).
    """

    def __init__(self, fast: FastPath, keep: frozenset[int]) -> None:
        import clarabel

        owned = fast.coupling_cols
        if owned is None:
            raise ValueError("the couplings' columns are unknown")
        cut = [j for j in owned if j not in keep]
        if not cut or not keep <= set(owned):
            raise ValueError("nothing to cut, or an unknown coupling")
        drop_cols = np.concatenate([owned[j] for j in cut])
        counts = np.diff(fast.indptr)
        col_of = np.repeat(np.arange(fast.n), counts)
        touched = np.zeros(fast.m, dtype=bool)
        touched[fast.indices[np.isin(col_of, drop_cols)]] = True
        keep_rows = np.ones(fast.m, dtype=bool)
        cones: list[Any] = []
        dropped_psd: list[int] = []
        offset = 0
        for cone in fast.cones:
            name = type(cone).__name__
            if name in ("ZeroConeT", "NonnegativeConeT"):
                rows = slice(offset, offset + cone.dim)
                keep_rows[rows] = ~touched[rows]
                kept = int(keep_rows[rows].sum())
                if kept:
                    cones.append(getattr(clarabel, name)(kept))
                offset += cone.dim
            elif name == "PSDTriangleConeT":
                size = cone.dim * (cone.dim + 1) // 2
                if touched[offset : offset + size].any():
                    keep_rows[offset : offset + size] = False
                    dropped_psd.append(int(cone.dim))
                else:
                    cones.append(cone)
                offset += size
            elif name == "ExponentialConeT":  # the rate form's: never a coupling's
                if touched[offset : offset + 3].any():
                    raise ValueError("a cut coupling touches an exponential cone")
                cones.append(cone)
                offset += 3
            else:
                raise ValueError(f"unexpected cone {name}")
        if offset != fast.m or sorted(dropped_psd) != sorted(2 * (j + 1) for j in cut):
            raise ValueError("cone layout does not match the couplings")
        keep_cols = np.ones(fast.n, dtype=bool)
        keep_cols[drop_cols] = False
        if fast.q[drop_cols].nnz:
            raise ValueError("a cut variable is in the objective")
        self.rows = np.flatnonzero(keep_rows)
        self.cols = np.flatnonzero(keep_cols)
        self.cones = cones
        self.n = fast.n
        self.P = sp.csc_matrix((self.cols.size, self.cols.size))

    def data(self, c: FloatArray, A: Any, b: FloatArray) -> tuple[FloatArray, Any, FloatArray]:
        return c[self.cols], A[self.rows][:, self.cols], b[self.rows]

    def lift(self, x_sub: FloatArray) -> FloatArray:
        x = np.zeros(self.n)
        x[self.cols] = x_sub
        return x


def _unpack_with_cvxpy(model: Model, x: FloatArray, chain: Any, inv: Any) -> None:
    raw = SimpleNamespace(
        x=x, z=None, s=None, status="Solved", obj_val=0.0, obj_val_dual=0.0,
        solve_time=0.0, iterations=0,
    )
    model.problem.unpack_results(raw, chain, inv)


def _values_from_variables(model: Model) -> Values | None:
    if model.e.value is None or model.Psi.value is None:
        return None
    h = None if model.hvec is None else np.asarray(model.hvec.value, dtype=np.float64)
    return Values(
        e=np.asarray(model.e.value, dtype=np.float64),
        psi=np.asarray(model.Psi.value, dtype=np.float64),
        hvec=h,
    )


_CLARABEL_STATUS = {"Solved": cp.OPTIMAL, "AlmostSolved": cp.OPTIMAL_INACCURATE,
                    "PrimalInfeasible": cp.INFEASIBLE, "AlmostPrimalInfeasible": cp.INFEASIBLE_INACCURATE,
                    "DualInfeasible": cp.UNBOUNDED, "AlmostDualInfeasible": cp.UNBOUNDED_INACCURATE}


def has_view(model: Model, values: Mapping[str, FloatArray], keep: frozenset[int]) -> bool:
    """Whether :func:`run` can solve the view of ``model`` with only the couplings ``keep``
    (compiles and self-checks the fast path first if that was never tried)."""
    if model.fast is None:
        with model.lock:
            if model.fast is None:
                _bind(model, values)
                data, chain, inv = model.problem.get_problem_data(
                    cp.CLARABEL, canon_backend=CANON_BACKEND, solver_opts=TIGHT.opts
                )
                model.fast = FastPath.build(model, data, chain, inv, values) or False
    return bool(model.fast) and model.fast.view(keep) is not None


def run(
    model: Model,
    values: Mapping[str, FloatArray],
    settings: SolverSettings,
    keep: frozenset[int] | None = None,
) -> tuple[Raw, Values | None]:
    """One solver attempt on ``model`` with parameter ``values``; returns the solver's report and
    the primal values (None when there is no solution).

    ``keep``: solve the view with only these couplings (see :class:`View`, :func:`has_view`).
    """
    solver, opts = settings.solver, settings.opts
    fast = model.fast
    view = None
    if keep is not None:
        view = fast.view(keep) if fast and solver == cp.CLARABEL else None
        if view is None:  # pragma: no cover - _weighted.solve_pattern checks has_view
            raise SolverError("internal error: no view of the program for the requested couplings")
    if not (solver == cp.CLARABEL and fast):
        with model.lock:
            return _run_with_cvxpy(model, values, settings)
    c, A, b = fast.data(values)
    cones, P = fast.cones, fast.P
    if view is not None:
        c, A, b = view.data(c, A, b)
        cones, P = view.cones, view.P
    with _native_stderr_silenced():
        sol = _clarabel(P, c, A, b, cones, opts)
    status = _CLARABEL_STATUS.get(str(sol.status), cp.SOLVER_ERROR)
    out = None
    if status in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
        x = np.asarray(sol.x, dtype=np.float64)
        out = fast.values(x if view is None else view.lift(x))
    return _clarabel_raw(sol, status, settings, c, A), out


def _clarabel_raw(sol: Any, status: str, settings: SolverSettings, c: Any, A: Any) -> Raw:
    """The report of a Clarabel run on ``min c'x s.t. Ax + s = b`` (P = 0, as every program
    here), with :attr:`Raw.dual_residual` computed from the data the solver was given."""
    if settings.almost_solved_is_optimal and str(sol.status) == "AlmostSolved":
        status = cp.OPTIMAL  # met Clarabel's default full-accuracy tolerances (see TIGHT)
    x, z = np.asarray(sol.x, dtype=np.float64), np.asarray(sol.z, dtype=np.float64)
    residual = 0.0
    if x.shape == (A.shape[1],) and z.shape == (A.shape[0],):
        with np.errstate(all="ignore"):
            residual = abs(float((A.T @ z + np.asarray(c, dtype=np.float64)) @ x))
        if not math.isfinite(residual):
            residual = math.inf
    return Raw(status, settings.solver, float(sol.obj_val), float(sol.obj_val_dual),
               int(sol.iterations), residual)


def _run_with_cvxpy(
    model: Model, values: Mapping[str, FloatArray], settings: SolverSettings
) -> tuple[Raw, Values | None]:
    """cvxpy's public path (hold ``model.lock``): bind, compile, solve, unpack; builds the fast
    path on a model's first Clarabel solve."""
    _bind(model, values)
    raw = run_problem(model.problem, settings, model)
    out = None
    if raw.status in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
        out = _values_from_variables(model)
    return raw, out


def run_problem(prob: cp.Problem, settings: SolverSettings, model: Model | None = None) -> Raw:
    """One attempt on a cvxpy problem whose parameters are bound (the caller holds the lock of
    whatever shares ``prob``); on success its variables hold the primal values.

    ``model``: the :class:`~._model.Model` owning ``prob``, whose fast path is built on its
    first Clarabel solve (None for other problems).
    """
    solver, opts = settings.solver, settings.opts
    data, chain, inv = prob.get_problem_data(solver, canon_backend=CANON_BACKEND, solver_opts=opts)
    if model is not None and solver == cp.CLARABEL and model.fast is None:
        model.fast = FastPath.build(model, data, chain, inv, {
            p.name(): np.asarray(p.value, dtype=np.float64) for p in prob.parameters()
        }) or False
    raw: Any
    with _native_stderr_silenced():
        if solver == cp.CLARABEL:
            A = data["A"].tocsc() if hasattr(data["A"], "tocsc") else data["A"]
            n = A.shape[1]
            from cvxpy.reductions.solvers.conic_solvers.clarabel_conif import dims_to_solver_cones

            c = np.asarray(data["c"], dtype=np.float64)
            sol = _clarabel(
                sp.csc_matrix((n, n)), c, A, np.asarray(data["b"], dtype=np.float64),
                dims_to_solver_cones(data["dims"]), opts,
            )
            raw = SimpleNamespace(
                x=sol.x, z=None, s=None, status=sol.status, obj_val=sol.obj_val,
                obj_val_dual=sol.obj_val_dual, solve_time=sol.solve_time,
                iterations=sol.iterations,
            )
        else:
            raw = chain.solve_via_data(prob, data, warm_start=False, verbose=False, solver_opts=opts)
    with _WARNINGS_LOCK, warnings.catch_warnings():
        # cvxpy's generic "may be inaccurate" note; the certificate decides
        warnings.filterwarnings("ignore", message="Solution may be inaccurate", category=UserWarning)
        prob.unpack_results(raw, chain, inv)
    status = str(prob.status)
    if solver != cp.CLARABEL:
        info = raw["info"]
        return Raw(status, solver, float(info["pobj"]), float(info["dobj"]), int(info["iter"]))
    return _clarabel_raw(sol, status, settings, c, A)
