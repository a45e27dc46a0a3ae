"""Sweeps: bounds over grids of operating points, as tidy xarray datasets (:func:`sweep`).

The package is named ``sweeps`` so that the function ``rdp_theory.sweep`` does not shadow it.
It needs the ``sweep`` extra (xarray, joblib, dask.distributed, zarr, tqdm, pandas), imported
only when :func:`sweep` runs: ``import rdp_theory`` stays light.

Modules, top floor first
------------------------
``api``        :func:`sweep`: checks, the two routes, the store, the dataset
``_execute``   chunks to joblib / dask / this process, results as they complete
``_store``     the resumable zarr store (atomic per chunk)
``_closed``    the closed-form route, vectorised (and batched W2 for MSE-only JD/SA)
``_solve``     grouping by structure, chunks, the worker (``solve_rdp`` per point)
``_results``   the per-point arrays and their packed form
``_grid``      the arguments as a checked grid of named axes
"""

from __future__ import annotations

from .api import sweep

__all__ = ["sweep"]
