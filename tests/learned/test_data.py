"""Data: Gauss-Markov streams, bouncing digits, Moving MNIST and KTH loaders on synthetic files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
torch.set_num_threads(1)  # the CI box is small and shared

import rdp_theory as rt
from learned.data import (
    ArrayStream,
    GaussMarkovStream,
    load_kth,
    load_moving_mnist,
    moving_digits,
)
from rdp_theory.exceptions import InvalidParameterError

pytestmark = pytest.mark.learned


def test_gauss_markov_stream_layout_and_covariance() -> None:
    """Batches are (B, T, n); pooled over coordinates the frame covariance is the source's.
    Tolerance: 5 standard errors of a covariance estimate from 40 000 pairs (~0.005 each)."""
    src = rt.GaussMarkovSource(sigmas=(1.0, 2.0, 0.5), rhos=(0.8, -0.5))
    x = GaussMarkovStream(src, 8, 1, np.random.default_rng(0)).sample(5000)
    assert x.shape == (5000, 3, 8) and x.dtype == torch.float32
    flat = x.permute(0, 2, 1).reshape(-1, 3).double().numpy()
    emp = np.cov(flat, rowvar=False)
    se = np.sqrt((src.covariance() ** 2 + np.outer(src.variances, src.variances)) / len(flat))
    assert np.all(np.abs(emp - src.covariance()) < 5 * se)


def test_stream_state_restores_the_same_batches() -> None:
    s = GaussMarkovStream(rt.GaussMarkovSource.stationary(3), 2, 4, np.random.default_rng(1))
    s.next_batch()
    state = s.state_dict()
    a = s.next_batch()
    s.next_batch()
    s.load_state_dict(state)
    assert torch.equal(s.next_batch(), a)


@pytest.mark.parametrize("size", [32, 64])
def test_moving_digits_deterministic_in_range_and_moving(size: int) -> None:
    a = moving_digits(3, 5, np.random.default_rng(4), size=size)
    b = moving_digits(3, 5, np.random.default_rng(4), size=size)
    c = moving_digits(3, 5, np.random.default_rng(5), size=size)
    assert a.shape == (3, 5, size, size) and a.dtype == np.float32
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert a.min() >= 0 and a.max() <= 1 and a.max() > 0.5
    assert all(a[i, t].sum() > 0 for i in range(3) for t in range(5))  # digit never leaves
    assert not np.array_equal(a[:, 0], a[:, -1])  # it moves


def test_moving_mnist_loader_on_a_synthetic_file(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    arr = rng.integers(0, 256, size=(20, 3, 64, 64), dtype=np.uint8)
    path = tmp_path / "mnist_test_seq.npy"
    np.save(path, arr)
    clips = load_moving_mnist(path, T=5)
    assert clips.shape == (3 * 4, 5, 64, 64)
    np.testing.assert_allclose(clips[0], arr[:5, 0] / 255.0, rtol=0, atol=1e-7)
    np.testing.assert_allclose(clips[5], arr[5:10, 1] / 255.0, rtol=0, atol=1e-7)
    small = load_moving_mnist(path, T=5, size=32)
    expect = arr[:5, 0].reshape(5, 32, 2, 32, 2).mean(axis=(2, 4)) / 255.0
    np.testing.assert_allclose(small[0], expect, rtol=0, atol=1e-5)
    np.save(tmp_path / "bad.npy", arr.astype(np.float32))
    with pytest.raises(InvalidParameterError, match="uint8"):
        load_moving_mnist(tmp_path / "bad.npy", T=5)


def _write_avi(path: Path, frames: np.ndarray) -> None:
    av = pytest.importorskip("av")
    with av.open(str(path), "w") as out:
        st = out.add_stream("mpeg4", rate=25)
        st.width, st.height = frames.shape[2], frames.shape[1]
        st.pix_fmt = "yuv420p"
        st.options = {"qscale": "1"}
        for f in frames:
            rgb = np.repeat(f[..., None], 3, axis=2)
            for pkt in st.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                out.mux(pkt)
        for pkt in st.encode():
            out.mux(pkt)


def test_kth_loader_on_tiny_videos(tmp_path: Path) -> None:
    """Two synthetic greyscale .avi clips (a bright square moving right); frames decode to within
    codec error (mpeg4 at best quality: a few grey levels) and split into T-frame clips."""
    H, W = 48, 64
    vids = []
    for k, n in enumerate((9, 7)):
        frames = np.full((n, H, W), 30, np.uint8)
        for t in range(n):
            frames[t, 10:26, 4 * t + k : 4 * t + k + 16] = 220
        _write_avi(tmp_path / f"person0{k}_walking_d1.avi", frames)
        vids.append(frames)
    clips = load_kth(sorted(tmp_path.glob("*.avi")), T=3, size=32)
    assert clips.shape == (3 + 2, 3, 32, 32)
    assert clips.min() >= 0 and clips.max() <= 1
    ref = torch.nn.functional.interpolate(
        torch.from_numpy(vids[0][:3].astype(np.float32) / 255)[:, None], size=(32, 32), mode="area"
    )[:, 0].numpy()
    assert np.abs(clips[0] - ref).mean() < 0.03
    with pytest.raises(InvalidParameterError, match="T = 50"):
        load_kth(sorted(tmp_path.glob("*.avi")), T=50)


def test_array_stream_batches_come_from_the_clips() -> None:
    clips = np.arange(4 * 2 * 3, dtype=np.float32).reshape(4, 2, 3)
    s = ArrayStream(clips, 6, np.random.default_rng(0))
    b = s.next_batch().numpy()
    assert b.shape == (6, 2, 3)
    assert all(any(np.array_equal(r, c) for c in clips) for r in b)


@pytest.mark.parametrize("bad, name", [({"num": 0}, "num"), ({"T": -1}, "T")])
def test_bad_generator_arguments_are_named(bad: dict, name: str) -> None:
    args = {"num": 2, "T": 3, "rng": np.random.default_rng(0)} | bad
    with pytest.raises(InvalidParameterError, match=name):
        moving_digits(**args)
