"""The command line speaks like one: every argument is checked before torch or data are loaded,
an error is one line ``error: ...`` on stderr naming the option or file, exit status 2 for usage
errors and 1 for failures while running, no traceback (unless ``--debug``)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from learned.__main__ import UsageError, main

pytestmark = pytest.mark.learned

REPO = Path(__file__).resolve().parents[2]
TINY = ["--mse-steps", "1", "--gan-steps", "1", "--eval-samples", "2", "--no-progress"]


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert out == "" and len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["e1", "--mse-steps", "-5"], "--mse-steps must be an integer >= 1, got -5"),
        (["e1", "--gan-steps", "0"], "--gan-steps must be an integer >= 1, got 0"),
        (["e1", "--threads", "0"], "--threads must be an integer >= 1, got 0"),
        (["e3", "--seed", "-1"], "--seed must be an integer in [0, 4294967295], got -1"),
        (["e3", "--seed", str(2**32)], "--seed must be an integer in [0, 4294967295]"),
        (["e1", "--eval-samples", "1"], "--eval-samples must be an integer >= 2, got 1"),
        (["e2", "--eval-critic-steps", "0"], "--eval-critic-steps must be an integer >= 1"),
        (["e2", "--high-symbols", "0"], "--high-symbols must be an integer >= 1, got 0"),
        (["e2", "--classifier-steps", "-1"], "--classifier-steps must be an integer >= 0"),
        (["e2", "--gan-lr=-1e-3"], "--gan-lr must be a finite number >= 0, got -0.001"),
        (["e2", "--critic-lr", "inf"], "--critic-lr must be a finite number >= 0, got inf"),
        (["e2", "--lam", "nan"], "--lam must be a finite number >= 0, got nan"),
        (["e1", "--retrain", "--resume"], "--resume cannot be combined with --retrain"),
        (["e2", "--dataset", "kth"], "--dataset kth needs --data-path"),
        (["e2", "--dataset", "moving_mnist"], "--dataset moving_mnist needs --data-path"),
        (["e2", "--data-path", "x.npy"], "--data-path is read only with --dataset"),
        (["e1", "--mse-steps", "x"], "argument --mse-steps: invalid int value: 'x'"),
        (["e1", "--bogus"], "unrecognized arguments: --bogus"),
        (["e2", "--scenarios", "eps_inf_eps"], "argument --scenarios: invalid choice"),
        (["e4"], "argument experiment: invalid choice: 'e4'"),
        ([], "the following arguments are required: experiment"),
    ],
)
def test_a_bad_argument_is_one_line_naming_it_and_exit_2(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert expected in _one_error_line(capsys)


def test_missing_or_wrong_data_paths_are_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "file.npy").write_bytes(b"")
    cases = [
        (["--dataset", "kth", "--data-path", str(tmp_path / "nope")], "no such directory"),
        (["--dataset", "kth", "--data-path", str(tmp_path / "empty")], "holds no .avi files"),
        (["--dataset", "kth", "--data-path", str(tmp_path / "file.npy")], "no such directory"),
        (["--dataset", "moving_mnist", "--data-path", str(tmp_path / "no.npy")], "no such file"),
    ]
    for extra, expected in cases:
        assert main(["e2", "--out", str(tmp_path / "out"), *extra]) == 2
        line = _one_error_line(capsys)
        assert expected in line and extra[-1] in line
    assert main(["e1", "--out", str(tmp_path / "file.npy")]) == 2
    assert "--out" in _one_error_line(capsys)
    assert not (tmp_path / "out").exists()


def test_an_unreadable_data_file_is_a_runtime_error_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "mnist_test_seq.npy"
    bad.write_bytes(b"not an npy file")
    argv = ["e2", "--out", str(tmp_path / "o"), "--dataset", "moving_mnist", "--data-path", str(bad)]  # fmt: skip
    assert main([*argv, *TINY]) == 1
    line = _one_error_line(capsys)
    assert str(bad) in line and "moving_mnist" in line


@pytest.mark.skipif(
    pytest.importorskip("torch").cuda.is_available(), reason="needs a machine without CUDA"
)
def test_cuda_without_a_gpu_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["e1", "--device", "cuda", *TINY]) == 2
    assert "--device cuda" in _one_error_line(capsys)


def _write_marker(path: str) -> None:
    Path(path).write_text("pwned")


class Payload:
    """Unpickling this would write the marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (_write_marker, (os.fspath(self.marker),))


def _checkpoint_of_first_stage(out: Path) -> Path:
    """Where E1 (seed 0, rate point 0) keeps its MSE stage."""
    (out / "checkpoints").mkdir(parents=True)
    return out / "checkpoints" / "rp0_s0_mse.pt"


def test_a_corrupt_checkpoint_on_resume_is_named_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("torch")
    ckpt = _checkpoint_of_first_stage(tmp_path)
    ckpt.write_bytes(b"PK\x03\x04 truncated")
    assert main(["e1", "--out", str(tmp_path), "--resume", *TINY]) == 1
    line = _one_error_line(capsys)
    assert str(ckpt) in line and "corrupt or truncated" in line
    with pytest.raises(Exception, match=re.escape(str(ckpt))):  # --debug: the real exception
        main(["e1", "--out", str(tmp_path), "--resume", "--debug", *TINY])


def test_a_malicious_checkpoint_on_resume_is_refused_and_not_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    torch = pytest.importorskip("torch")
    ckpt, marker = _checkpoint_of_first_stage(tmp_path), tmp_path / "marker"
    torch.save({"step": 0, "config": Payload(marker)}, ckpt)
    assert main(["e1", "--out", str(tmp_path), "--resume", *TINY]) == 1
    line = _one_error_line(capsys)
    assert str(ckpt) in line and "refused" in line
    assert not marker.exists()


def test_debug_shows_the_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UsageError, match="--mse-steps"):
        main(["e1", "--mse-steps", "-5", "--debug"])
    monkeypatch.setenv("LEARNED_DEBUG", "1")
    with pytest.raises(UsageError, match="--threads"):
        main(["e1", "--threads", "0"])


def test_retrain_with_out_writes_its_checkpoints_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("torch")
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    out = tmp_path / "out"
    assert main(["e1", "--retrain", "--out", str(out), "--threads", "1", *TINY]) == 0
    assert (out / "e1_points.csv").is_file()
    assert sorted(p.name for p in (out / "checkpoints").glob("*.pt"))
    assert list(cwd.iterdir()) == []  # nothing under ./runs


def test_a_bad_option_fails_fast_in_a_fresh_process() -> None:
    """One line on stderr, exit 2, and neither torch nor rdp_theory (cvxpy) imported: the check
    comes first, so it returns in well under a second."""
    path = os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "learned", "e1", "--mse-steps", "-5"],
        capture_output=True, text=True, check=False, timeout=60, cwd=REPO, env=env,
    )  # fmt: skip
    elapsed = time.perf_counter() - t0
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr == "error: --mse-steps must be an integer >= 1, got -5\n"
    assert elapsed < 1.0, f"{elapsed:.2f} s"
    probe = subprocess.run(
        [
            sys.executable, "-c",
            "import sys; from learned.__main__ import main; rc = main(['e2', '--threads', '0']); "
            "print(rc, sorted(m for m in ('torch', 'rdp_theory', 'cvxpy', 'numpy') "
            "if m in sys.modules))",
        ],
        capture_output=True, text=True, check=False, timeout=60, cwd=REPO, env=env,
    )  # fmt: skip
    assert probe.stdout.split("\n")[0] == "2 []", probe.stdout + probe.stderr


def test_configs_spell_the_library_plf_names() -> None:
    """configs.PLF_NAMES is rdp_theory's, spelled out so the CLI need not import rdp_theory."""
    from learned.experiments import configs
    from rdp_theory.perception import PLF_NAMES

    assert configs.PLF_NAMES == PLF_NAMES
