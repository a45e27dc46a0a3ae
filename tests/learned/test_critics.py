"""Critic input wiring per PLF (the FMD critic never sees other frames; JD sees all up to j)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
torch.set_num_threads(1)  # the CI box is small and shared

from learned.critics import critic_frames, critic_inputs, make_critics
from rdp_theory.exceptions import InvalidParameterError

pytestmark = pytest.mark.learned

T = 4


def _pair(seed: int, frame_shape: tuple[int, ...] = (3,)) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(5, T, *frame_shape, generator=g), torch.randn(
        5, T, *frame_shape, generator=g
    )


def _perturb(z: torch.Tensor, frame: int) -> torch.Tensor:
    out = z.clone()
    out[:, frame] += 1.0
    return out


@pytest.mark.parametrize("j", range(T))
def test_fmd_critic_never_sees_other_frames(j: int) -> None:
    x, xh = _pair(0)
    real, fake = critic_inputs("fmd", x, xh, j)
    for i in range(T):
        if i == j:
            continue
        r2, f2 = critic_inputs("fmd", _perturb(x, i), _perturb(xh, i), j)
        assert torch.equal(r2, real) and torch.equal(f2, fake)
    assert torch.equal(real[:, 0], x[:, j]) and torch.equal(fake[:, 0], xh[:, j])


@pytest.mark.parametrize("j", range(T))
def test_jd_critic_sees_all_frames_up_to_j_and_no_later(j: int) -> None:
    x, xh = _pair(1)
    real, fake = critic_inputs("jd", x, xh, j)
    assert real.shape[1] == fake.shape[1] == j + 1 == critic_frames("jd", j)
    for i in range(T):
        r2, f2 = critic_inputs("jd", _perturb(x, i), _perturb(xh, i), j)
        changed = not torch.equal(r2, real) and not torch.equal(f2, fake)
        assert changed == (i <= j)


@pytest.mark.parametrize("j", range(T))
def test_sa_critic_shares_past_reconstructions(j: int) -> None:
    """SA: real = (Xhat_<j, X_j), fake = (Xhat_<j, Xhat_j); the source's past is never used."""
    x, xh = _pair(2)
    real, fake = critic_inputs("sa", x, xh, j)
    assert torch.equal(real[:, :j], xh[:, :j]) and torch.equal(fake[:, :j], xh[:, :j])
    assert torch.equal(real[:, j], x[:, j]) and torch.equal(fake[:, j], xh[:, j])
    for i in range(j):
        r2, _ = critic_inputs("sa", _perturb(x, i), xh, j)
        assert torch.equal(r2, real)


@pytest.mark.parametrize("plf", ["jd", "fmd", "sa"])
@pytest.mark.parametrize("frame_shape", [(3,), (8, 8)])
def test_critics_accept_their_wiring(plf: str, frame_shape: tuple[int, ...]) -> None:
    x, xh = _pair(3, frame_shape)
    critics = make_critics(plf, frame_shape, T)
    for j, c in enumerate(critics):
        real, fake = critic_inputs(plf, x, xh, j)
        assert c(real).shape == (5,) and c(fake).shape == (5,)


def test_bad_plf_is_named() -> None:
    x, xh = _pair(4)
    with pytest.raises(InvalidParameterError, match="plf"):
        critic_inputs("kl", x, xh, 0)
    with pytest.raises(InvalidParameterError, match="j must"):
        critic_inputs("jd", x, xh, T)


def _old_wiring(plf: str, x: torch.Tensor, x_hat: torch.Tensor, j: int) -> tuple:
    """The explicit wiring critic_inputs had before it read the core registry."""
    if plf == "fmd":
        return x[:, j : j + 1], x_hat[:, j : j + 1]
    if plf == "jd":
        return x[:, : j + 1], x_hat[:, : j + 1]
    return torch.cat([x_hat[:, :j], x[:, j : j + 1]], dim=1), x_hat[:, : j + 1]


@pytest.mark.parametrize("plf", ["jd", "fmd", "sa"])
@pytest.mark.parametrize("frame_shape", [(2,), (4, 4)])
def test_registry_wiring_equals_the_old_explicit_wiring(
    plf: str, frame_shape: tuple[int, ...]
) -> None:
    """critic_inputs, built from rdp_theory.perception's compared_laws, gives the same tensors
    (values and shapes; for FMD and JD the same views of x and x_hat) as the old hand wiring.
    (SA at frame 1 is now a view of x too; the old wiring concatenated an empty slice, a copy.)"""
    g = torch.Generator().manual_seed(0)
    T = 4
    x = torch.randn((3, T, *frame_shape), generator=g)
    x_hat = torch.randn((3, T, *frame_shape), generator=g)
    for j in range(T):
        new, old = critic_inputs(plf, x, x_hat, j), _old_wiring(plf, x, x_hat, j)
        for a, b in zip(new, old):
            assert a.shape == b.shape and torch.equal(a, b)
            if plf != "sa":
                assert a.stride() == b.stride() and a.data_ptr() == b.data_ptr()
        assert critic_frames(plf, j) == new[0].shape[1]
