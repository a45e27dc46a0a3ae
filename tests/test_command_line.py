"""The ``rdp-theory`` command (:mod:`rdp_theory.cli`).

Subprocess runs of the installed entry point and of ``python -m rdp_theory.cli``, always from a
folder outside the checkout (so ``figures`` must come from the install, not from the current
directory); the JSON of ``bound`` is compared with a direct :func:`rdp_theory.solve_rdp` call.
Usage errors are checked in-process (one line on stderr, exit status 2), the rest as a user sees
them. About 10 s on 2 cores.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import rdp_theory as rt
from rdp_theory import cli

ENTRY_POINT = Path(sys.executable).with_name("rdp-theory")
#: Two processes solving the same program: interior-point round-off at most (the solver is
#: deterministic; the tolerance allows a different BLAS thread schedule).
RTOL = 1e-9

SA_ARGS = ["--sigmas", "1", "1.5", "0.8", "--rhos", "0.9,0.7", "--rates", "0.5", "1", "2",
           "--perception", "0.05", "--plf", "sa", "--objective", "1", "1", "1"]


def _run(args: list[str], cwd: Path, module: bool = False) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "rdp_theory.cli"] if module else [str(ENTRY_POINT)]
    return subprocess.run([*cmd, *args], cwd=cwd, capture_output=True, text=True, timeout=300,
                          check=False)


def test_the_entry_point_is_installed() -> None:
    """``pip install -e .`` (or a wheel) installs the command next to the interpreter."""
    assert ENTRY_POINT.is_file(), (
        f"{ENTRY_POINT} is missing: reinstall the package (python -m pip install -e .)"
    )


def test_bound_json_equals_a_direct_call(tmp_path: Path) -> None:
    """``bound --json`` (installed command, run outside the checkout) prints the solution of the
    same ``solve_rdp`` call, with the solver's warnings."""
    res = _run(["bound", *SA_ARGS, "--json"], tmp_path)
    assert res.returncode == 0, res.stderr
    got = json.loads(res.stdout)
    src = rt.GaussMarkovSource((1.0, 1.5, 0.8), (0.9, 0.7))
    sol = rt.solve_rdp(src, (0.5, 1, 2), 0.05, plf="sa", objective=(1, 1, 1))
    want = sol.to_dict()
    for key in ("distortions", "perception_values", "rates_used", "reconstruction_covariance"):
        np.testing.assert_allclose(got[key], want[key], rtol=RTOL, atol=1e-12, err_msg=key)
    for key in ("plf", "representation", "status", "solver", "objective", "sigmas", "rhos"):
        assert got[key] == want[key], key
    assert got["warnings"] == [] and got["solve_time"] > 0
    assert list(tmp_path.iterdir()) == []  # bound writes nothing


def test_bound_table_as_module(tmp_path: Path) -> None:
    """``python -m rdp_theory.cli bound`` prints one row per frame with the solution's numbers
    (8 significant digits), one value repeated for every frame, ``inf`` accepted."""
    res = _run(["bound", "--sigmas", "1", "--rhos", "0.9", "--frames", "3", "--rates", "0.05",
                "1", "3", "--perception", "0", "--plf", "jd"], tmp_path, module=True)
    assert res.returncode == 0, res.stderr
    sol = rt.solve_rdp(rt.GaussMarkovSource.stationary(3, 1.0, 0.9), (0.05, 1, 3), 0.0)
    lines = res.stdout.splitlines()
    assert "PLF-JD, objective lexicographic" in res.stdout and "status optimal" in res.stdout
    rows = [ln.split() for ln in lines if ln.strip()[:1].isdigit()]
    assert [r[0] for r in rows] == ["1", "2", "3"]
    np.testing.assert_allclose([float(r[4]) for r in rows], sol.distortions, rtol=1e-7)


def test_bound_with_kl_perception(tmp_path: Path) -> None:
    """``--measure kl`` solves with KL levels in nats (the same call as the library's); SA under
    KL is refused as a usage error that says why."""
    args = ["bound", "--sigmas", "1", "--rhos", "0.9", "--frames", "3", "--rates", "0.5", "1",
            "2", "--perception", "0.05", "--plf", "jd", "--measure", "kl", "--json"]
    res = _run(args, tmp_path)
    assert res.returncode == 0, res.stderr
    got = json.loads(res.stdout)
    sol = rt.solve_rdp(rt.GaussMarkovSource.stationary(3, 1.0, 0.9), (0.5, 1, 2), 0.05,
                       perception_measure="kl")
    np.testing.assert_allclose(got["distortions"], sol.distortions, rtol=RTOL)
    assert got["perception_measure"] == "kl" and got["kl_direction"] == "xhat||x"
    table = _run(args[:-1], tmp_path)
    assert "perception in KL xhat||x, nats" in table.stdout
    bad = _run([*args[:-4], "sa", "--measure", "kl"], tmp_path)
    assert bad.returncode == 2 and "not available for plf='sa'" in bad.stderr


def test_figures_default_to_the_current_directory(tmp_path: Path) -> None:
    """``rdp-theory figures`` works outside the checkout and writes into the current folder."""
    res = _run(["figures", "--quick", "--only", "error_permanence"], tmp_path)
    assert res.returncode == 0, res.stderr + res.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"error_permanence.{e}" for e in ("csv", "json", "pdf", "png")
    ]
    meta = json.loads((tmp_path / "error_permanence.json").read_text(encoding="utf-8"))
    assert meta["generated_by"] == "rdp-theory figures"
    assert meta["rdp_theory_version"] == rt.__version__


def test_help_on_every_command(tmp_path: Path) -> None:
    """``--help`` documents every command and option (and needs no matplotlib)."""
    top = _run(["--help"], tmp_path)
    assert top.returncode == 0 and "bound" in top.stdout and "figures" in top.stdout
    bound = _run(["bound", "--help"], tmp_path, module=True)
    for opt in ("--sigmas", "--rhos", "--frames", "--rates", "--perception", "--plf",
                "--objective", "--targets", "--json", "--verbose"):
        assert opt in bound.stdout, opt
    figs = _run(["figures", "--help"], tmp_path)
    for opt in ("--quick", "--only", "--out", "--list", "--jobs", "--learned-results"):
        assert opt in figs.stdout, opt
    assert all(r.returncode == 0 for r in (bound, figs))


def test_cli_module_imports_neither_matplotlib_nor_torch() -> None:
    code = ("import sys, rdp_theory.cli; "
            "print(','.join(m for m in ('matplotlib', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_figures_without_matplotlib_is_one_line() -> None:
    """A missing plot extra is one line naming the install command, exit status 1."""
    code = ("import sys; sys.modules['matplotlib'] = None; from rdp_theory.cli import main; "
            "sys.exit(main(['figures', '--list']))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=False)
    assert res.returncode == cli.EXIT_FAILURE
    assert len(res.stderr.splitlines()) == 1 and "rdp-theory[plot]" in res.stderr


# ------------------------------------------------------------------- errors, in-process
BASE = ["bound", "--sigmas", "1", "1", "--rhos", "0.9"]


@pytest.mark.parametrize(
    ("args", "status", "says"),
    [
        ([*BASE, "--rates", "-1", "--perception", "0"], 2, "rates must be >= 0"),
        ([*BASE, "--rates", "1", "2", "3", "--perception", "0"], 2, "rates must be a scalar"),
        ([*BASE, "--rates", "abc", "--perception", "0"], 2, "--rates: 'abc' is not a number"),
        ([*BASE, "--rates", "1"], 2, "--perception"),
        ([*BASE, "--rates", "1", "--perception", "0", "--plf", "xx"], 2, "--plf"),
        ([*BASE, "--rates", "1", "--perception", "0", "--objective", "lexicographic", "1"], 2,
         "'lexicographic' alone"),
        (["bound", "--sigmas", "1", "--rates", "1", "--perception", "0", "--frames", "2"], 2,
         "--rhos is required"),
        (["bound", "--sigmas", "1", "1", "1", "--rhos", "0.9", "0.9", "0.9", "--rates", "1",
          "--perception", "0"], 2, "--sigmas has 3 values and --rhos 3"),
        (["bound", "--sigmas", "1", "1", "1", "--rhos", "0.9", "0.9", "--frames", "4", "--rates",
          "1", "--perception", "0"], 2, "--sigmas must have 1 or T = 4 values, got 3"),
        (["bound", "--sigmas", "-1", "--rates", "1", "--perception", "0"], 2, "sigmas"),
        ([*BASE, "--rates", "1", "--perception", "nan"], 2, "perception"),
        ([*BASE, "--rates", "1", "--perception", "0", "--targets", "0.5"], 2, "targets"),
        ([*BASE, "--rates", "1", "--perception", "0", "--objective", "0", "1", "--targets",
          "0.01", "inf"], 1, "infeasible: distortion target D_1 <= 0.01 cannot be met"),
        (["figures", "--only", "no_such_figure"], 2, "valid names: rd_low_first_rate"),
        (["figures", "--jobs", "0"], 2, "--jobs must be >= 1"),
        ([], 2, "COMMAND"),
        (["nope"], 2, "invalid choice"),
    ],
)
def test_errors_are_one_line_with_a_status(
    args: list[str], status: int, says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Usage errors exit 2, a target that cannot be met exits 1; either way one line on stderr
    naming the problem, nothing on stdout."""
    try:
        code = cli.main(args)
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    out, err = capsys.readouterr()
    assert code == status
    assert out == "" and len(err.splitlines()) == 1, err
    assert err.startswith("rdp-theory") and says in err, err


def test_solver_warnings_are_reported_not_swallowed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A SolverWarning from the solve is one ``warning:`` line on stderr and in the JSON."""
    import warnings

    real = rt.solve_rdp

    def flagged(*args: object, **kwargs: object) -> rt.RDPSolution:
        warnings.warn("pretend inaccuracy", rt.SolverWarning, stacklevel=2)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("rdp_theory.convex.solve_rdp", flagged)
    assert cli.main([*BASE, "--rates", "1", "--perception", "inf", "--json"]) == 0
    out, err = capsys.readouterr()
    assert err.strip() == "rdp-theory bound: warning: pretend inaccuracy"
    assert json.loads(out)["warnings"] == ["pretend inaccuracy"]
