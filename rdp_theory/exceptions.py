"""Exception tree of :mod:`rdp_theory`.

Every error the package raises on purpose derives from :class:`RDPError`, so callers can catch the
whole family with one clause while still telling the kinds apart::

    RDPError
    ├── InvalidParameterError (also a ValueError)   bad argument: names it and the allowed range
    ├── InfeasibleError                             targets that no scheme can meet
    └── SolverError                                 the convex solver found no usable solution

A number is never returned from a failed solve: the solver raises instead.
"""

from __future__ import annotations

__all__ = ["RDPError", "InvalidParameterError", "InfeasibleError", "SolverError", "SolverWarning"]


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


class SolverWarning(UserWarning):
    """The solver reported an *inaccurate* solution; the result is returned with its certificate."""
