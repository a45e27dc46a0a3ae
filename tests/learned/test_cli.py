"""CLI: --help works; the E1 quick path with tiny step counts writes its files with full config."""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
torch.set_num_threads(1)  # the CI box is small and shared

from learned.__main__ import main
from learned.schema import BASELINE_POINTS, GAUSS_MARKOV_POINTS

pytestmark = pytest.mark.learned

E1_COLUMNS = list(GAUSS_MARKOV_POINTS.names)
BASELINE_COLUMNS = list(BASELINE_POINTS.names)


def test_help_runs_in_a_fresh_process() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "learned", "--help"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert out.returncode == 0
    assert all(e in out.stdout for e in ("e1", "e2", "e3"))
    sub = subprocess.run(
        [sys.executable, "-m", "learned", "e1", "--help"],
        capture_output=True,
        check=False,
        text=True,
        timeout=60,
    )
    assert sub.returncode == 0 and "--resume" in sub.stdout and "--retrain" in sub.stdout


def test_e1_smoke_writes_points_and_config(tmp_path: Path) -> None:
    rc = main(
        [
            "e1",
            "--quick",
            "--out",
            str(tmp_path),
            "--mse-steps",
            "3",
            "--gan-steps",
            "2",
            "--eval-samples",
            "400",
            "--no-progress",
        ]
    )
    assert rc == 0
    with open(tmp_path / "e1_points.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == E1_COLUMNS
    meta = json.loads((tmp_path / "e1_config.json").read_text())
    cfg = meta["config"]
    assert cfg["mse_steps"] == 3 and cfg["gan_steps"] == 2 and meta["experiment"] == "E1"
    # per rate point: 1 MSE decoder + variants x PLFs x lams decoders (plus the lam sweep's at
    # its rate point), T frames each
    points = len(cfg["rate_targets"])
    lams = [len(set(cfg["lams"]) | (set(cfg["lam_sweep"]) if rp == cfg["lam_sweep_point"]
                                    else set())) for rp in range(points)]  # fmt: skip
    n_dec = sum(1 + len(cfg["variants"]) * len(cfg["plfs"]) * k for k in lams)
    assert len(rows) == n_dec * cfg["T"]
    assert {r["plf"] for r in rows} == {"mse", "jd", "fmd", "sa"}
    assert {r["scenario"] for r in rows} == {"equal", "eps_first"}
    assert {r["coding"] for r in rows} == {"entropy"}
    # the entropy-coded rates are real bitstreams (whole 32-bit words) next to the prior's
    # estimate; the provenance names the code and the thread count
    n = meta["config"]["eval_samples"] * meta["config"]["n"]
    for r in rows:
        bits = float(r["rate_bits"]) * n
        assert bits == pytest.approx(round(bits / 32) * 32, abs=1e-6)
        assert float(r["rate_estimate"]) > 0
    env = meta["environment"]
    assert env["torch_threads"] == 1 and len(env["git_revision"]) in (40, len("unknown"))
    assert "git_dirty" in env and meta["n_jobs"] == 1
    with open(tmp_path / "e1_baselines.csv") as fh:
        base = list(csv.DictReader(fh))
    assert list(base[0]) == BASELINE_COLUMNS
    assert {b["baseline"] for b in base} >= {"dpcm-ecsq", "dpcm-lloyd-max"}
    assert (tmp_path / "checkpoints").is_dir()
    # nothing beats the theory: no point significantly below its bound, distances are finite
    assert not any(r["below_bound"] == "True" for r in rows)
    assert all(float(r["db_to_bound"]) > -0.5 for r in rows)
    # resuming finished stages retrains nothing and reproduces the same numbers
    main(
        [
            "e1",
            "--quick",
            "--out",
            str(tmp_path),
            "--mse-steps",
            "3",
            "--gan-steps",
            "2",
            "--eval-samples",
            "400",
            "--no-progress",
            "--resume",
        ]
    )
    with open(tmp_path / "e1_points.csv") as fh:
        assert list(csv.DictReader(fh)) == rows


def test_e2_and_e3_smoke(tmp_path: Path) -> None:
    """Tiny E2 (conv codec, both scenarios) and E3 runs write their files."""
    main(
        [
            "e2",
            "--out",
            str(tmp_path / "e2"),
            "--mse-steps",
            "2",
            "--gan-steps",
            "1",
            "--eval-samples",
            "16",
            "--eval-critic-steps",
            "1",
            "--classifier-steps",
            "1",
            "--no-progress",
        ]
    )
    with open(tmp_path / "e2" / "e2_frames.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["scenario"] for r in rows} == {"inf_eps_eps", "eps_eps_eps"}
    assert {r["decoder"] for r in rows} == {"mse", "jd", "fmd"}
    lossless = [r for r in rows if r["scenario"] == "inf_eps_eps" and r["frame"] == "1"]
    assert all(float(r["mse"]) == 0.0 for r in lossless)  # R1 = inf is coded losslessly
    assert (tmp_path / "e2" / "e2_grid_eps_eps_eps.png").stat().st_size > 0
    # the conv codec's checkpoints (bouncing-digit stream, critics) are weights-only loadable
    ckpts = sorted((tmp_path / "e2" / "checkpoints").glob("*.pt"))
    assert ckpts and all(torch.load(p, weights_only=True)["step"] >= 1 for p in ckpts)
    for r in rows:  # the digit classifier's identity columns are fractions of sequences
        assert 0.0 <= float(r["digit_match"]) <= 1.0 and 0.0 <= float(r["digit_kept"]) <= 1.0
        if r["frame"] == "1":
            assert float(r["digit_kept"]) == 1.0
    meta = json.loads((tmp_path / "e2" / "e2_config.json").read_text())
    assert meta["classifier"]["steps"] == 1 and 0.0 <= meta["classifier"]["test_accuracy"] <= 1.0
    main(
        [
            "e3",
            "--out",
            str(tmp_path / "e3"),
            "--mse-steps",
            "2",
            "--gan-steps",
            "1",
            "--eval-samples",
            "200",
            "--no-progress",
        ]
    )
    summary = json.loads((tmp_path / "e3" / "e3_summary.json").read_text())
    assert set(summary["summary"]) == {"rp0_jd", "rp0_fmd"}


def test_e2_scenario_selection_and_overrides(tmp_path: Path) -> None:
    """--scenarios runs only the named scenario; the lr/lam overrides reach the config."""
    main(
        [
            "e2", "--out", str(tmp_path / "e2"), "--scenarios", "eps_eps_eps", "--mse-steps", "1",
            "--gan-steps", "1", "--eval-samples", "8", "--eval-critic-steps", "1",
            "--gan-lr", "5e-4", "--critic-lr", "4e-4", "--lam", "2", "--classifier-steps", "2",
            "--no-progress",
        ]
    )  # fmt: skip
    meta = json.loads((tmp_path / "e2" / "e2_config.json").read_text())
    assert meta["config"]["scenarios"] == ["eps_eps_eps"]
    assert (meta["config"]["gan_lr"], meta["config"]["critic_lr"], meta["config"]["lam"]) == (
        5e-4,
        4e-4,
        2.0,
    )
    assert set(meta["scenarios"]) == {"eps_eps_eps"}
    with open(tmp_path / "e2" / "e2_frames.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["scenario"] for r in rows} == {"eps_eps_eps"}
    assert all(float(r["mse_se"]) >= 0.0 for r in rows)
    assert not (tmp_path / "e2" / "e2_grid_inf_eps_eps.png").exists()
    from dataclasses import replace

    from learned.experiments import E2_QUICK, run_e2
    from rdp_theory.exceptions import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="scenarios"):
        run_e2(replace(E2_QUICK, scenarios=("eps_inf_eps",)), tmp_path / "bad", progress=False)


def test_e2_high_rate_p_frames_scenario(tmp_path: Path) -> None:
    """(eps, high, high): frame 1 at eps bits, the P-frames at high_symbols * log2(levels) bits;
    the CLI accepts every scenario of the library and nothing else."""
    from dataclasses import replace

    from learned.__main__ import build_parser
    from learned.experiments import E2_QUICK, E2_SCENARIOS
    from rdp_theory.exceptions import InvalidParameterError

    parser = build_parser()
    for scenario in E2_SCENARIOS:
        assert parser.parse_args(["e2", "--scenarios", scenario]).scenarios == [scenario]
    with pytest.raises(SystemExit):
        parser.parse_args(["e2", "--scenarios", "eps_inf_eps"])
    main(
        [
            "e2", "--out", str(tmp_path / "e2"), "--scenarios", "eps_high_high", "--mse-steps", "1",
            "--gan-steps", "1", "--eval-samples", "8", "--eval-critic-steps", "1",
            "--high-symbols", "3", "--classifier-steps", "0", "--no-progress",
        ]
    )  # fmt: skip
    with open(tmp_path / "e2" / "e2_frames.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["scenario"] for r in rows} == {"eps_high_high"}
    bits = {int(r["frame"]): float(r["rate_bits_per_frame"]) for r in rows}
    per_symbol = math.log2(E2_QUICK.levels)
    assert bits == {1: E2_QUICK.eps_symbols * per_symbol, 2: 3 * per_symbol, 3: 3 * per_symbol}
    # --classifier-steps 0: no classifier, the identity columns say so with nan
    assert all(math.isnan(float(r[c])) for r in rows for c in ("digit_match", "digit_kept"))
    meta = json.loads((tmp_path / "e2" / "e2_config.json").read_text())
    assert meta["config"]["high_symbols"] == 3 and meta["classifier"] is None
    for bad in (["--high-symbols", "0"], ["--classifier-steps", "-1"]):
        assert main(["e2", "--out", str(tmp_path / "bad"), "--no-progress", *bad]) == 2
        assert not (tmp_path / "bad").exists()
    with pytest.raises(InvalidParameterError, match="high_symbols"):  # the library checks too
        from learned.experiments import run_e2

        run_e2(replace(E2_QUICK, high_symbols=0), tmp_path / "bad", progress=False)


def test_e2_runs_on_a_user_supplied_moving_mnist_file(tmp_path: Path) -> None:
    """--dataset moving_mnist trains and evaluates on clips of the given file (synthetic here)."""
    import numpy as np

    arr = np.random.default_rng(0).integers(0, 256, size=(20, 2, 64, 64), dtype=np.uint8)
    np.save(tmp_path / "mnist_test_seq.npy", arr)
    main(
        [
            "e2", "--out", str(tmp_path / "mm"), "--dataset", "moving_mnist",
            "--data-path", str(tmp_path / "mnist_test_seq.npy"), "--mse-steps", "1",
            "--gan-steps", "1", "--eval-samples", "4", "--eval-critic-steps", "1",
            "--classifier-steps", "1", "--no-progress",
        ]
    )  # fmt: skip
    meta = json.loads((tmp_path / "mm" / "e2_config.json").read_text())
    assert meta["config"]["dataset"] == "moving_mnist"
    with open(tmp_path / "mm" / "e2_frames.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 2 * 3 * 3  # scenarios x decoders x frames
    from dataclasses import replace

    from learned.experiments import E2_QUICK, digit_streams
    from rdp_theory.exceptions import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="data_path"):
        digit_streams(replace(E2_QUICK, dataset="kth"), 0)


def test_e2_lossless_p_frames_scenario(tmp_path: Path) -> None:
    """(eps, inf, inf): THEORY.md's permanence limit; the P-frames are lossless (rate inf) and
    decoded by learned networks (the decoders are not forced to copy them)."""
    main(
        [
            "e2", "--out", str(tmp_path / "e2"), "--scenarios", "eps_inf_inf", "--mse-steps", "1",
            "--gan-steps", "1", "--eval-samples", "8", "--eval-critic-steps", "1",
            "--classifier-steps", "1", "--no-progress",
        ]
    )  # fmt: skip
    with open(tmp_path / "e2" / "e2_frames.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["scenario"] for r in rows} == {"eps_inf_inf"}
    for r in rows:
        assert math.isinf(float(r["rate_bits"])) == (r["frame"] != "1")
        if r["frame"] != "1":  # decoded, not copied: an untrained decoder misses the source
            assert float(r["mse"]) > 0.0
    meta = json.loads((tmp_path / "e2" / "e2_config.json").read_text())
    assert meta["scenarios"]["eps_inf_inf"] == [2, None, None]


def test_cli_choices_and_defaults_come_from_the_configs() -> None:
    """The presets, E2 scenarios and datasets of the CLI are those of learned.experiments.configs,
    and a bare run selects each experiment's default preset."""
    from learned.__main__ import build_parser, config_from_args
    from learned.experiments import configs

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "experiment").choices
    assert set(sub) == set(configs.PRESETS)
    for name, presets in configs.PRESETS.items():
        flags = {o for a in sub[name]._actions for o in a.option_strings}
        assert {f"--{p}" for p in presets} <= flags
        assert config_from_args(parser.parse_args([name])) == presets[configs.DEFAULT_PRESET[name]]
        for p, cfg in presets.items():
            assert config_from_args(parser.parse_args([name, f"--{p}"])) == cfg
    e2 = {a.dest: a for a in sub["e2"]._actions}
    assert tuple(e2["scenarios"].choices) == configs.E2_SCENARIOS
    assert tuple(e2["dataset"].choices) == configs.DATASETS


def test_config_constants_agree_with_the_modules() -> None:
    """configs.py spells out the codings and perception losses (to stay torch-free)."""
    from learned.experiments import configs
    from learned.models import CODINGS
    from learned.train import PERCEPTION_LOSSES

    assert configs.CODINGS == CODINGS
    assert configs.PERCEPTION_LOSSES == PERCEPTION_LOSSES


def test_a_point_below_its_bound_fails_loudly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bound that the learned codec beats is a bug: the run writes its files and raises, the
    CLI exits 1 naming the file."""
    import learned.experiments.gauss_markov as gm
    from learned.metrics import distortion_bounds

    def inflated(*args: object, **kwargs: object) -> dict[str, object]:
        b = distortion_bounds(*args, **kwargs)  # type: ignore[arg-type]
        return {**b, "best": b["best"] * 100}

    monkeypatch.setattr(gm, "distortion_bounds", inflated)
    args = ["e1", "--quick", "--out", str(tmp_path), "--mse-steps", "3", "--gan-steps", "2",
            "--eval-samples", "200", "--no-progress"]  # fmt: skip
    with pytest.raises(gm.BoundViolationError, match="below their matched bound"):
        main([*args, "--debug"])
    assert (tmp_path / "e1_points.csv").is_file()
    assert main(args) == 1


def test_e1_rates_and_lams_options(tmp_path: Path) -> None:
    """--rates builds the (R, R, R) and (eps, R, R) points of a grid, --lams the weights,
    an empty --lam-sweep none; bad values are usage errors naming the option."""
    from learned.experiments.configs import E1_EPS

    assert main(["e1", "--quick", "--out", str(tmp_path), "--rates", "0.5", "--lams", "3",
                 "--lam-sweep", "--mse-steps", "3", "--gan-steps", "2", "--eval-samples", "200",
                 "--no-progress"]) == 0  # fmt: skip
    cfg = json.loads((tmp_path / "e1_config.json").read_text())["config"]
    assert cfg["rate_targets"] == [[0.5, 0.5, 0.5], [E1_EPS, 0.5, 0.5]]
    assert cfg["lams"] == [3.0] and cfg["lam_sweep"] == []
    with open(tmp_path / "e1_points.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert {float(r["lam"]) for r in rows if r["variant"] != "mse"} == {3.0}
    assert {r["scenario"] for r in rows} == {"equal", "eps_first"}
    assert not (tmp_path / "e1_universality.csv").exists()
    assert main(["e1", "--rates", "0", "1"]) == 2
    assert main(["e1", "--lams", "nan"]) == 2
