"""Exception tree of :mod:`rdp_theory`.

Every error the package raises on purpose derives from :class:`RDPError`, so callers can catch the
whole family with one clause while still telling the kinds apart::

    RDPError
    ├── InvalidParameterError (also a ValueError)   bad argument: names it and the allowed range
    ├── InfeasibleError                             targets that no scheme can meet
    ├── SolverError                                 the convex solver found no usable solution
    ├── MissingDependencyError (also an ImportError) an optional extra is not installed
    └── SweepStoreError                             a sweep's store is foreign, corrupt or another sweep's

A number is never returned from a failed solve: the solver raises instead.
"""

from __future__ import annotations

__all__ = [
    "RDPError",
    "InvalidParameterError",
    "InfeasibleError",
    "SolverError",
    "MissingDependencyError",
    "SweepStoreError",
    "SolverWarning",
]


class RDPError(Exception):
    """Base class of every error raised deliberately by :mod:`rdp_theory`."""


class InvalidParameterError(RDPError, ValueError):
    """An argument is outside its allowed range; the message names the argument and the range."""


class InfeasibleError(RDPError):
    """The requested targets (distortion caps, perception levels, rates) cannot all be met.

    The message says which constraint failed.
    """


class SolverError(RDPError):
    """The convex solver returned no usable solution (failure, or infeasibility it could not
    attribute to the caller's targets)."""


class MissingDependencyError(RDPError, ImportError):
    """An optional dependency is needed (e.g. pandas for ``to_dataframe()``); the message names
    the package and the ``pip install`` line that provides it."""


class SweepStoreError(RDPError):
    """The ``store`` of :func:`rdp_theory.sweep` cannot be used: it is not a sweep store, it
    holds another sweep (or another package version's), or a chunk of it cannot be read. The
    message names the store and the reason; the store is left as it was."""


class SolverWarning(UserWarning):
    """The solver reported an *inaccurate* solution; the result is returned with its certificate."""
