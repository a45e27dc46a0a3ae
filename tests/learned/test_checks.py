"""The one validation style of learned: InvalidParameterError naming the argument and its range."""

from __future__ import annotations

import math

import numpy as np
import pytest

from learned._checks import (
    check_choice,
    check_int,
    check_number,
    check_odd_int,
    check_rng,
    check_subset,
)
from rdp_theory.exceptions import InvalidParameterError


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: check_int(0, "steps"), "steps must be an integer >= 1, got 0"),
        (lambda: check_int(True, "n"), "n must be an integer >= 1"),
        (lambda: check_int(1.0, "n", 0), "n must be an integer >= 0"),
        (lambda: check_odd_int(4, "window"), "window must be an odd integer >= 1, got 4"),
        (lambda: check_number(math.nan, "lr"), "lr must be a finite number >= 0"),
        (lambda: check_number(0.0, "step", strict=True), "step must be a finite number > 0"),
        (lambda: check_rng(0), "rng must be a numpy.random.Generator, got int"),
        (lambda: check_choice("x", "plf", ("jd", "fmd")), "plf must be one of ('jd', 'fmd')"),
        (lambda: check_subset((), "scenarios", ("a",)), "scenarios must be a non-empty subset"),
        (lambda: check_subset(("b",), "scenarios", ("a",)), "scenarios must be a non-empty subset"),
    ],
)
def test_bad_values_raise_named_errors(call, message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call()


def test_good_values_come_back_normalised() -> None:
    assert check_int(np.int64(3), "n") == 3 and type(check_int(np.int64(3), "n")) is int
    assert check_odd_int(5, "k") == 5
    assert check_number(2, "lam") == 2.0
    rng = np.random.default_rng(0)
    assert check_rng(rng) is rng
    assert check_choice("jd", "plf", ("jd",)) == "jd"
    assert check_subset(["a", "a"], "s", ("a",)) == ("a", "a")
