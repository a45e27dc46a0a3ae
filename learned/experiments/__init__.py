"""Experiments E1 (Gauss-Markov over the bounds), E2 (moving digits), E3 (universality).

=====================  ==================================================================
module                 holds
=====================  ==================================================================
``configs``            the configs and presets (torch-free; the command line reads them)
``gauss_markov``       :func:`run_e1`, :func:`run_e3`
``digits``             :func:`run_e2`
``_common``            training stages from the settings, evaluation, writing
=====================  ==================================================================

Each ``run_*`` function trains (or resumes) its models, evaluates them on a fresh held-out set and
writes CSV (columns declared in :mod:`learned.schema`) + JSON (with the full configuration) into
``out_dir`` atomically. Plotting reads only these files. Checkpoints go to ``checkpoint_dir``
(default ``out_dir/checkpoints``).

Importing the package or :mod:`.configs` does not import torch: the runners are loaded on first
use (module ``__getattr__``), so the command line parses and prints help without torch.
"""

from __future__ import annotations

import importlib
from typing import Any

from . import configs
from .configs import (  # noqa: F401 - re-exported: __all__ is configs.__all__
    DATASETS,
    DEFAULT_PRESET,
    E1_FULL,
    E1_QUICK,
    E2_FULL,
    E2_MEDIUM,
    E2_QUICK,
    E2_SCENARIOS,
    E3_FULL,
    E3_QUICK,
    PRESETS,
    DigitsConfig,
    GaussMarkovConfig,
)

_LAZY = {
    "digit_streams": "digits",
    "run_e2": "digits",
    "run_e1": "gauss_markov",
    "run_e3": "gauss_markov",
    "reconstruct": "_common",
    "stage_config": "_common",
}

__all__ = [*configs.__all__, *sorted(_LAZY)]  # the configs' names, then the lazy runners


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
