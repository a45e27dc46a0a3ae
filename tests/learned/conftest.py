"""Shared fixtures for the learned-codec tests (single-threaded torch: the CI box is small)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)
