"""The E2 digit classifier: rendering, agreement statistics, learning, determinism."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
torch.set_num_threads(1)

from learned.classifier import (
    classify,
    digit_agreement,
    render_digits,
    train_digit_classifier,
)
from learned.data import mnist_digits, mnist_labels
from rdp_theory.exceptions import InvalidParameterError

pytestmark = pytest.mark.learned


def test_labels_match_the_bundled_digits() -> None:
    labels = mnist_labels()
    assert labels.shape == (len(mnist_digits(16)),)
    assert np.bincount(labels).tolist() == [500] * 10


def test_render_places_every_digit_whole_inside_the_frame() -> None:
    digits = mnist_digits(16)[:50]
    img = render_digits(digits, 32, np.random.default_rng(0))
    assert img.shape == (50, 32, 32)
    np.testing.assert_allclose(img.sum(axis=(1, 2)), digits.sum(axis=(1, 2)), rtol=1e-5)
    for b in range(50):  # the rendered frame contains the digit as one 16x16 window
        win = np.lib.stride_tricks.sliding_window_view(img[b], (16, 16))
        assert np.isclose(np.abs(win - digits[b]).sum(axis=(2, 3)), 0).any()
    with pytest.raises(InvalidParameterError, match="size"):
        render_digits(digits, 8, np.random.default_rng(0))


def test_agreement_counts_matches_and_kept_classes_with_binomial_errors() -> None:
    source = np.array([[1, 1, 1], [2, 2, 2], [3, 3, 3], [4, 4, 4]])
    recon = np.array([[7, 7, 7], [2, 5, 2], [3, 3, 9], [4, 0, 4]])
    a = digit_agreement(source, recon)
    np.testing.assert_array_equal(a["match"], [0.75, 0.25, 0.5])
    np.testing.assert_array_equal(a["kept"], [1.0, 0.5, 0.75])
    np.testing.assert_allclose(a["match_se"], np.sqrt([0.75 * 0.25 / 4, 0.75 * 0.25 / 4, 0.25 / 4]))
    np.testing.assert_array_equal(a["kept_se"][0], 0.0)
    with pytest.raises(InvalidParameterError, match="same shape"):
        digit_agreement(source, recon[:, :2])


def test_classify_applies_the_model_to_every_frame() -> None:
    class Brightest(torch.nn.Module):  # "class" = the row index of the brightest pixel
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x.amax(dim=2)

    x = np.zeros((3, 2, 4, 4), np.float32)
    for n in range(3):
        for t in range(2):
            x[n, t, (n + t) % 4, 0] = 1.0
    assert classify(Brightest(), x).tolist() == [[0, 1], [1, 2], [2, 3]]
    with pytest.raises(InvalidParameterError, match="frames"):
        classify(Brightest(), x[0])


def test_classifier_learns_and_is_a_deterministic_function_of_its_rng() -> None:
    r = train_digit_classifier(32, np.random.default_rng(0), steps=60, batch_size=64)
    assert r.test_samples == 1000 and r.steps == 60
    assert r.test_accuracy > 0.3  # chance is 0.1; 600 steps (the E2 default) reach about 0.96
    a = train_digit_classifier(32, np.random.default_rng(5), steps=3, batch_size=8)
    b = train_digit_classifier(32, np.random.default_rng(5), steps=3, batch_size=8)
    for pa, pb in zip(a.model.parameters(), b.model.parameters(), strict=True):
        assert torch.equal(pa, pb)
    assert a.test_accuracy == b.test_accuracy
    with pytest.raises(InvalidParameterError, match="steps"):
        train_digit_classifier(32, np.random.default_rng(0), steps=0)
