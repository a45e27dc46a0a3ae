r"""The grid of a sweep: its arguments checked and laid out as named axes.

A sweep's arguments are turned into a frozen :class:`Grid`: the swept dimensions and their
coordinates, and for every point (flat index ``i`` in C order over ``Grid.shape``) its source,
PLF, objective, rate budgets and perception levels. :meth:`Grid.kinds` says which points have a
closed form. Nothing here solves anything.

Per-frame arguments (``rates``, ``perception``) take one of four forms, told apart by their type
so that no value can be read two ways:

================================  =====================================================
form                              meaning
================================  =====================================================
scalar                            the same value for every frame (no dimension)
1-D array of length ``T``         one value per frame (no dimension)
list or tuple of ``T`` entries    one entry per frame; an entry that is a 1-D array of
                                  values is swept along a dimension ``R<k>`` / ``P<k>``
                                  (frame ``k``, 1-based) whose coordinate is the values
2-D array, shape ``(n, 1)``       ``n`` values shared by every frame: dimension ``R`` / ``P``
2-D array, shape ``(n, T)``       ``n`` per-frame vectors: dimension ``rates`` /
                                  ``perception`` (coordinate ``0..n-1``)
================================  =====================================================

``plf``, ``objective`` and ``source`` are fixed when given one value and swept (dimensions
``plf``, ``objective``, ``source``) when given a list. With ``product=False`` the swept axes are
not crossed but zipped: they must all have the same length ``n``, and the grid is the single
dimension ``point`` (the explicit list of points).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._validation import _describe, check_choice, check_perception, check_rates, check_weights
from ..exceptions import InvalidParameterError
from ..perception import PLF_NAMES, check_measure
from ..source import GaussMarkovSource, check_source

__all__ = ["Grid", "build_grid", "MAX_FRAME_POINTS", "KIND_NAMES", "SOLVER_KIND"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

#: Largest number of (point, frame) pairs in one sweep: each per-frame variable of the result
#: is then at most 400 MB of float64. Larger grids are split by the caller.
MAX_FRAME_POINTS = 50_000_000

#: How a point is computed: by the solver, or by one of the vectorised closed forms.
KIND_NAMES = ("solver", "mse", "fmd", "jd_zero", "sa_zero")
SOLVER_KIND = 0

_LEX = "lexicographic"
Objective = str | tuple[float, ...]


@dataclass(frozen=True)
class _Axis:
    """One swept argument: ``name`` (its dimension in a product grid) and its ``size``."""

    name: str
    size: int
    coord: np.ndarray | None  # dimension coordinate (None: 0..size-1)


@dataclass(frozen=True)
class _PerFrame:
    """A per-frame argument: fixed ``base`` (T,), and the swept parts.

    ``axes`` pairs each axis with what it sets: a frame index ``k`` (values of shape (n,)),
    ``"all"`` (values (n,) for every frame) or ``"rows"`` (values (n, T)).
    """

    base: FloatArray
    axes: tuple[tuple[_Axis, int | str, FloatArray], ...]


def _is_scalar(x: object) -> bool:
    return np.ndim(x) == 0 if isinstance(x, (int, float, np.number, np.ndarray)) else False


def _per_frame(value: Any, name: str, letter: str, T: int, checker: Any) -> _PerFrame:
    """Parse ``rates`` or ``perception`` (see the module docstring)."""
    how = (
        f"{name} must be a scalar, a 1-D array of length T = {T}, a list or tuple of T entries "
        f"(an entry may be a 1-D array of values to sweep), or a 2-D array of shape (n, {T}) or "
        f"(n, 1)"
    )
    if isinstance(value, (list, tuple)):
        if len(value) != T:
            raise InvalidParameterError(
                f"{how}; got a {type(value).__name__} of length {len(value)} (a list or tuple is "
                f"read as one entry per frame; pass a 2-D numpy array for a list of vectors)"
            )
        base = np.empty(T)
        axes = []
        for k, entry in enumerate(value):
            arr = checker(entry, f"{name}[{k}]")
            if arr.ndim == 0:
                base[k] = float(arr)
                continue
            if arr.ndim != 1 or arr.size == 0:
                raise InvalidParameterError(
                    f"{name}[{k}] must be a scalar or a non-empty 1-D array of values to sweep, "
                    f"got shape {arr.shape}"
                )
            base[k] = arr[0]
            axes.append((_Axis(f"{letter}{k + 1}", arr.size, arr.copy()), k, arr.copy()))
        return _PerFrame(base, tuple(axes))
    arr = checker(value, name)
    if arr.ndim == 0:
        return _PerFrame(np.full(T, float(arr)), ())
    if arr.ndim == 1:
        if arr.size != T:
            raise InvalidParameterError(
                f"{how}; got a 1-D array of length {arr.size} (for {arr.size} levels shared by "
                f"every frame pass x[:, None], for one frame's sweep a tuple of T entries)"
            )
        return _PerFrame(arr.copy(), ())
    if arr.ndim == 2 and arr.shape[0] >= 1 and arr.shape[1] in (1, T):
        n = arr.shape[0]
        if arr.shape[1] == 1:  # shared by every frame (for T = 1: the one frame's values)
            col = arr[:, 0].copy()
            return _PerFrame(np.full(T, col[0]), ((_Axis(letter, n, col), "all", col),))
        rows = arr.reshape(n, T).copy()
        return _PerFrame(rows[0].copy(), ((_Axis(name, n, None), "rows", rows),))
    raise InvalidParameterError(f"{how}; got shape {arr.shape}")


def _choices(value: Any, name: str) -> tuple[tuple[str, ...], bool]:
    """``plf``: one name (fixed) or a non-empty list of distinct names (swept)."""
    if isinstance(value, (list, tuple, np.ndarray)):
        items = list(np.asarray(value, dtype=object).reshape(-1)) if isinstance(value, np.ndarray) else list(value)
        if not items:
            raise InvalidParameterError(f"{name} must be a name from {PLF_NAMES} or a non-empty list of them, got []")
        names = tuple(check_choice(x, f"{name}[{i}]", PLF_NAMES) for i, x in enumerate(items))
        if len(set(names)) != len(names):
            raise InvalidParameterError(f"{name} must not repeat a PLF, got {list(names)}")
        return names, True
    return (check_choice(value, name, PLF_NAMES),), False


def _objective(value: Any, name: str, T: int) -> Objective:
    if isinstance(value, str):
        return check_choice(value, name, (_LEX,))
    w = check_weights(value, name, length=T)
    return tuple(float(x) for x in w)


def _objectives(value: Any, T: int) -> tuple[tuple[Objective, ...], bool]:
    """``objective``: one objective (fixed) or a non-empty list of them (swept)."""
    name = "objective"
    if isinstance(value, np.ndarray) and value.ndim == 2:
        value = list(value)
    elif isinstance(value, (list, tuple)) and value and all(_is_scalar(x) for x in value):
        return (_objective(value, name, T),), False  # one weight vector
    if isinstance(value, (list, tuple)):
        if not value:
            raise InvalidParameterError(
                f"{name} must be 'lexicographic', a weight vector of length {T}, or a non-empty "
                f"list of them, got []"
            )
        objs = tuple(_objective(v, f"{name}[{i}]", T) for i, v in enumerate(value))
        if len(set(objs)) != len(objs):
            raise InvalidParameterError(f"{name} must not repeat an objective, got {list(value)}")
        return objs, True
    return (_objective(value, name, T),), False


def objective_label(obj: Objective) -> str:
    """``"lexicographic"`` or ``"weights(1, 0.5, 2)"`` (each weight written exactly: the
    shortest form that reads back as the same float)."""
    if isinstance(obj, str):
        return obj

    def text(w: float) -> str:
        short = f"{w:g}"
        return short if float(short) == w else repr(w)

    return "weights(" + ", ".join(text(w) for w in obj) + ")"


def _sources(value: Any) -> tuple[tuple[GaussMarkovSource, ...], bool]:
    if isinstance(value, (list, tuple)):
        if not value:
            raise InvalidParameterError("source must be a GaussMarkovSource or a non-empty list of them, got []")
        srcs = tuple(check_source(s, f"source[{i}]") for i, s in enumerate(value))
        if len({s.T for s in srcs}) != 1:
            raise InvalidParameterError(
                f"source: every source of a sweep must have the same number of frames T, got "
                f"T = {[s.T for s in srcs]}"
            )
        return srcs, True
    return (check_source(value),), False


@dataclass(frozen=True, eq=False)
class Grid:
    """A checked sweep grid (see the module docstring).

    Attributes
    ----------
    T : int
        Frames per source.
    dims, shape : tuple
        The swept dimensions and their lengths (``()`` when nothing is swept: one point).
    sources, plfs, objectives : tuple
        The distinct values of each argument; points refer to them by index.
    rates, perception : ndarray, shape ``shape + (T,)`` with 1 on dimensions they do not use
        Budgets (bits per sample) and levels (W2^2) of every point, broadcastable.
    source_index, plf_index, objective_index : ndarray of int, broadcastable to ``shape``
    rate_dims, perception_dims : tuple of str
        The dimensions ``rates`` and ``perception`` vary along.
    coords : dict
        xarray coordinates: ``name -> (dims, values)``.
    measure, kl_direction : str, str or None
        The perception measure (``"w2"`` or ``"kl"``) and the order of the KL divergence (None
        for ``"w2"``), as :func:`rdp_theory.perception.check_measure` returns them; the levels
        are in its units (W2^2: source units squared; KL: nats).
    """

    T: int
    dims: tuple[str, ...]
    shape: tuple[int, ...]
    sources: tuple[GaussMarkovSource, ...]
    plfs: tuple[str, ...]
    objectives: tuple[Objective, ...]
    rates: FloatArray
    perception: FloatArray
    source_index: IntArray
    plf_index: IntArray
    objective_index: IntArray
    rate_dims: tuple[str, ...]
    perception_dims: tuple[str, ...]
    coords: dict[str, tuple[tuple[str, ...], np.ndarray]]
    measure: str = "w2"
    kl_direction: str | None = None

    @property
    def size(self) -> int:
        """Number of points."""
        return math.prod(self.shape)

    def flat(self, arr: np.ndarray, per_frame: bool) -> np.ndarray:
        """``arr`` broadcast to every point: shape (N, T) if ``per_frame`` else (N,)."""
        tail = (self.T,) if per_frame else ()
        return np.broadcast_to(arr, self.shape + tail).reshape((self.size,) + tail)

    def point_rates(self) -> FloatArray:
        """Rate budgets of every point, shape (N, T)."""
        return self.flat(self.rates, True)

    def point_perception(self) -> FloatArray:
        """Perception levels of every point, shape (N, T)."""
        return self.flat(self.perception, True)

    def kinds(self) -> NDArray[np.int8]:
        """How each point is computed, shape (N,): an index into :data:`KIND_NAMES`.

        A closed form applies where the optimum is known exactly (the cases of
        ``solve_rdp(method="auto")``'s exact route, :func:`rdp_theory.convex._exact.exact_distortions`):
        no perception constraint at all (MSE only), PLF-FMD at any levels (any objective), and
        every level 0 under JD or SA with the lexicographic objective. The cases are the same
        under KL (its own PLF-FMD formula; KL = 0 iff W2 = 0, and PLF-SA is refused under KL),
        so the kinds do not depend on the measure.
        """
        p = self.perception
        all_inf = np.isinf(p).all(axis=-1)
        all_zero = (p == 0.0).all(axis=-1)
        plf = np.asarray(self.plfs)[self.plf_index]
        lex = np.array([o == _LEX for o in self.objectives])[self.objective_index]
        kind = np.full(np.broadcast_shapes(all_inf.shape, plf.shape, lex.shape), SOLVER_KIND, np.int8)
        zero = lex & all_zero
        kind[np.broadcast_to(zero & (plf == "sa"), kind.shape)] = KIND_NAMES.index("sa_zero")
        kind[np.broadcast_to(zero & (plf == "jd"), kind.shape)] = KIND_NAMES.index("jd_zero")
        kind[np.broadcast_to(plf == "fmd", kind.shape)] = KIND_NAMES.index("fmd")
        kind[np.broadcast_to(all_inf, kind.shape)] = KIND_NAMES.index("mse")
        return np.broadcast_to(kind, self.shape).reshape(-1)

    def fingerprint(self, extra: bytes = b"") -> str:
        """SHA-256 of everything that defines the grid's points, the perception measure
        included (and ``extra``)."""
        h = hashlib.sha256()
        h.update(repr((self.T, self.dims, self.shape, self.plfs, self.objectives)).encode())
        if self.measure != "w2":  # W2 grids keep the fingerprint they had before KL existed
            h.update(repr(("perception_measure", self.measure, self.kl_direction)).encode())
        for s in self.sources:
            h.update(np.asarray(s.sigmas + s.rhos, dtype=np.float64).tobytes())
        for arr in (self.rates, self.perception, self.source_index, self.plf_index, self.objective_index):
            h.update(repr(arr.shape).encode())
            h.update(np.ascontiguousarray(arr).tobytes())
        h.update(extra)
        return h.hexdigest()


def _place(arr: np.ndarray, own: Sequence[int], ndim: int, tail: int) -> np.ndarray:
    """Insert size-1 axes so that ``arr`` (axes ``own`` of the grid, then ``tail`` trailing
    axes) broadcasts against the full grid of ``ndim`` dimensions."""
    shape = [1] * ndim
    for pos, axis in enumerate(own):
        shape[axis] = arr.shape[pos]
    return arr.reshape(tuple(shape) + arr.shape[len(own):len(own) + tail])


def _fill(pf: _PerFrame, T: int, positions: list[int], sizes: list[int]) -> FloatArray:
    """The values of a per-frame argument over its own axes: shape ``sizes + (T,)`` (a product
    grid: axis ``i`` at position ``i``) or ``(n, T)`` (zipped: every axis on position 0)."""
    out = np.array(np.broadcast_to(pf.base, tuple(sizes) + (T,)))
    for (_axis, what, values), pos in zip(pf.axes, positions):
        shape = [1] * len(sizes)
        shape[pos] = values.shape[0]
        if what == "rows":
            out[...] = values.reshape(tuple(shape) + (T,))
        elif what == "all":
            out[...] = values.reshape(tuple(shape) + (1,))
        else:
            out[..., int(what)] = values.reshape(tuple(shape))
    return out


def build_grid(
    source: Any, rates: Any, perception: Any, plf: Any, objective: Any, product: bool,
    perception_measure: Any = "w2", kl_direction: Any = None,
) -> Grid:
    """Check the arguments of :func:`rdp_theory.sweep` and lay them out as a :class:`Grid`.

    ``perception_measure`` and ``kl_direction`` are checked for every PLF of the sweep exactly
    as :func:`rdp_theory.solve_rdp` checks them (:func:`rdp_theory.perception.check_measure`).
    """
    sources, src_swept = _sources(source)
    T = sources[0].T
    plfs, plf_swept = _choices(plf, "plf")
    measure, direction = "w2", None
    for name in plfs:
        measure, direction = check_measure(perception_measure, kl_direction, name)
    objectives, obj_swept = _objectives(objective, T)
    r = _per_frame(rates, "rates", "R", T, check_rates)
    p = _per_frame(perception, "perception", "P", T, check_perception)

    axes: list[_Axis] = []
    if src_swept:
        axes.append(_Axis("source", len(sources), None))
    if plf_swept:
        axes.append(_Axis("plf", len(plfs), np.array(plfs, dtype=object)))
    if obj_swept:
        axes.append(_Axis("objective", len(objectives), np.array([objective_label(o) for o in objectives], dtype=object)))
    first_rate = len(axes)
    axes.extend(a for a, _, _ in r.axes)
    first_perception = len(axes)
    axes.extend(a for a, _, _ in p.axes)
    names = [a.name for a in axes]
    if len(set(names)) != len(names):  # pragma: no cover - names are distinct by construction
        raise InvalidParameterError(f"swept dimensions must have distinct names, got {names}")

    coords: dict[str, tuple[tuple[str, ...], np.ndarray]] = {}
    if product:
        dims = tuple(names)
        shape = tuple(a.size for a in axes)
        pos = list(range(len(axes)))
        for a in axes:
            coords[a.name] = ((a.name,), a.coord if a.coord is not None else np.arange(a.size))
    else:
        sizes = {a.name: a.size for a in axes}
        if len(set(sizes.values())) > 1:
            raise InvalidParameterError(
                "with product=False every swept argument must have the same length (the points are "
                f"zipped, not crossed), got lengths {sizes}"
            )
        dims = ("point",) if axes else ()
        shape = (axes[0].size,) if axes else ()
        pos = [0] * len(axes)
        if axes:
            coords["point"] = (("point",), np.arange(axes[0].size))
        for a in axes:
            if a.coord is not None:
                coords[a.name] = (("point",), a.coord)
    n = len(dims)
    total = math.prod(shape) * T
    if total > MAX_FRAME_POINTS:
        raise InvalidParameterError(
            f"the sweep has {math.prod(shape)} points x {T} frames = {total} frame-points, above the "
            f"limit of {MAX_FRAME_POINTS}; split it into smaller sweeps (allowed: at most "
            f"{MAX_FRAME_POINTS} frame-points)"
        )

    def own(first: int, count: int) -> list[int]:
        return sorted(set(pos[first:first + count]))

    r_own = own(first_rate, len(r.axes))
    p_own = own(first_perception, len(p.axes))
    r_sizes = [shape[i] for i in r_own]
    p_sizes = [shape[i] for i in p_own]
    r_vals = _fill(r, T, [r_own.index(q) for q in pos[first_rate:first_rate + len(r.axes)]], r_sizes)
    p_vals = _fill(p, T, [p_own.index(q) for q in pos[first_perception:first_perception + len(p.axes)]], p_sizes)
    rate_dims = tuple(dims[i] for i in r_own)
    perception_dims = tuple(dims[i] for i in p_own)
    coords["frame"] = (("frame",), np.arange(1, T + 1))
    coords["rate"] = (rate_dims + ("frame",), r_vals)
    coords["perception_level"] = (perception_dims + ("frame",), p_vals)

    def index(swept: bool, k: int, count: int) -> IntArray:
        if not swept:
            return np.zeros((1,) * n, dtype=np.intp)
        return _place(np.arange(count), [pos[k]], n, 0)

    k = 0
    src_index = index(src_swept, k, len(sources))
    k += src_swept
    plf_index = index(plf_swept, k, len(plfs))
    k += plf_swept
    obj_index = index(obj_swept, k, len(objectives))

    sig = np.array([s.sigmas for s in sources])
    rho = np.array([s.rhos + (np.nan,) for s in sources])
    src_dims: tuple[str, ...] = (dims[pos[0]],) if src_swept else ()
    coords["source_sigma"] = (src_dims + ("frame",), sig if src_swept else sig[0])
    coords["source_rho"] = (src_dims + ("frame",), rho if src_swept else rho[0])
    if not plf_swept:
        coords["plf"] = ((), np.array(plfs[0], dtype=object))
    if not obj_swept:
        coords["objective"] = ((), np.array(objective_label(objectives[0]), dtype=object))

    return Grid(
        T=T, dims=dims, shape=shape, sources=sources, plfs=plfs, objectives=objectives,
        rates=_place(r_vals, r_own, n, 1), perception=_place(p_vals, p_own, n, 1),
        source_index=src_index, plf_index=plf_index, objective_index=obj_index,
        rate_dims=rate_dims, perception_dims=perception_dims, coords=coords,
        measure=measure, kl_direction=direction,
    )


def describe_point(grid: Grid, i: int) -> str:
    """The coordinates of flat point ``i`` for log messages, e.g. ``"R2=1.5, P=0.1"`` (in a
    zipped grid: ``point`` and every swept argument's value there)."""
    if not grid.dims:
        return "the single point"
    where = dict(zip(grid.dims, np.unravel_index(i, grid.shape)))
    parts = []
    for name, (dims, values) in grid.coords.items():
        if len(dims) == 1 and dims[0] in where:
            parts.append(f"{name}={values[where[dims[0]]]}")
    return ", ".join(parts)


def reject(name: str, value: object, allowed: str) -> InvalidParameterError:
    """A typed error for an argument of :func:`rdp_theory.sweep` outside ``allowed``."""
    return InvalidParameterError(f"{name} must be {allowed}, got {_describe(value)}")
