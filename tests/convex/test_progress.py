"""``solve_rdp(..., verbose=True)``: progress through ``logging`` (logger ``rdp_theory``).

The library emits records (INFO: route, lexicographic stages, attempts, coupling rounds) and
configures logging only for the duration of a ``verbose=True`` call. The stage values logged are
the ones the certificate reports.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest

import rdp_theory as rt

SRC = rt.GaussMarkovSource.stationary(3, 1.0, 0.9)


def test_lexicographic_stages_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    """One record per stage, solved or pinned, with the stage's value as certified."""
    with caplog.at_level(logging.INFO, logger="rdp_theory"):
        sol = rt.solve_rdp(SRC, (0.5, 1.0, 1.0), (0.05, 0.2, 0.2), plf="sa", method="sdp")
    stages = [r.getMessage() for r in caplog.records if "lexicographic stage" in r.getMessage()]
    assert [m.split(":")[0] for m in stages] == [f"lexicographic stage {k}/3" for k in (1, 2, 3)]
    for k, (msg, value) in enumerate(zip(stages, sol.certificate.lexicographic_stage_values)):
        assert ("solved" in msg or "pinned" in msg) and f"D_{k + 1} = {value:.8g}" in msg
    assert all(r.name.startswith("rdp_theory.") for r in caplog.records)
    assert caplog.records[-1].getMessage().startswith(f"solve_rdp: {sol.status}")


def test_pinned_jd_stage_is_logged_as_pinned(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="rdp_theory"):
        rt.solve_rdp(SRC, (0.5, 1.0, 1.0), 0.05, plf="jd")
    text = caplog.text
    assert "stage 1/3: solved" in text and "stage 2/3: pinned" in text


def test_weighted_attempts_and_coupling_rounds_are_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="rdp_theory"):
        sol = rt.solve_rdp(SRC, (1.0, 1.0, 1.0), 0.05, plf="sa", objective=(1.0, 1.0, 1.0))
    text = caplog.text
    assert "weighted program" in text and "coupling round 1" in text
    assert "attempt 1/" in text and "certified" in text
    assert f"{sol.certificate.attempts} attempt(s)" in caplog.records[-1].getMessage()


def test_verbose_prints_to_stderr_and_restores_the_logger(
    capsys: pytest.CaptureFixture[str],
) -> None:
    logger = logging.getLogger("rdp_theory")
    before = (logger.level, list(logger.handlers))
    quiet = rt.solve_rdp(SRC, (0.5, 1.0, 1.0), 0.05, plf="jd")
    assert capsys.readouterr().err == ""  # silent by default (no handler configured)
    loud = rt.solve_rdp(SRC, (0.5, 1.0, 1.0), 0.05, plf="jd", verbose=True)
    err = capsys.readouterr().err
    assert "lexicographic stage 3/3" in err and err.startswith("rdp_theory ")
    assert (logger.level, list(logger.handlers)) == before
    np.testing.assert_array_equal(quiet.distortions, loud.distortions)


@pytest.mark.parametrize("bad", [1, 0, "yes", None, 1.0])
def test_verbose_must_be_a_bool(bad: object) -> None:
    with pytest.raises(rt.InvalidParameterError, match="verbose must be True or False"):
        rt.solve_rdp(SRC, 1.0, 0.0, verbose=bad)  # type: ignore[arg-type]
