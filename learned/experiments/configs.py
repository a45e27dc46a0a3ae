"""Configurations of the experiments E1-E3 and their presets: the one home of their settings.

Torch-free and light (it imports neither torch nor :mod:`rdp_theory`, whose solvers take a second
to import), so the command line (:mod:`learned.__main__`) reads its choices and defaults from here
(presets, E2 scenarios, datasets, default steps) and checks its arguments at once. The
training settings shared by both configs (``mse_steps``, ``gan_lr``, ...) become
:class:`~learned.train.TrainConfig` stages in one place,
:func:`learned.experiments._common.stage_config`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import rdp_theory as rt

#: The codec's coding modes (:data:`learned.models.CODINGS`) and the PLF stages' perception
#: losses (:data:`learned.train.PERCEPTION_LOSSES`), spelled out for the same reason as PLF_NAMES
#: (``tests/learned/test_cli.py`` checks that they agree).
CODINGS: tuple[str, ...] = ("fixed", "entropy")
PERCEPTION_LOSSES: tuple[str, ...] = ("critic", "moments")

#: :data:`rdp_theory.perception.PLF_NAMES`, spelled out so that this module does not import
#: :mod:`rdp_theory` (``tests/learned/test_cli.py`` checks that the two agree).
PLF_NAMES: tuple[str, ...] = ("jd", "fmd", "sa")

__all__ = [
    "DATASETS",
    "DEFAULT_PRESET",
    "E1_FULL",
    "E1_QUICK",
    "E2_FULL",
    "E2_MEDIUM",
    "E2_QUICK",
    "E1_EPS",
    "E1_RATES",
    "e1_targets",
    "E2_SCENARIOS",
    "E3_FULL",
    "E3_QUICK",
    "PRESETS",
    "DigitsConfig",
    "GaussMarkovConfig",
    "scenario_of",
]

#: E2's rate scenarios: the issue's two; (eps, high, high), whose P-frames carry ``high_symbols``
#: symbols, meant to carry some of the digit's shape; and (eps, inf, inf), THEORY.md's permanence
#: limit R_1 -> 0, R_2 -> inf itself: the P-frames are sent losslessly and decoded by learned
#: networks that see the exact frame (``CodecConfig.decode_lossless``), so a decoder *can* output
#: the true digit from frame 2 on, and PLF-JD's consistency with a wrong frame 1 is a free choice.
E2_SCENARIOS = ("inf_eps_eps", "eps_eps_eps", "eps_high_high", "eps_inf_inf")

#: E2's data sets: bouncing digits (bundled), a Moving MNIST ``.npy`` file, a folder of KTH ``.avi``.
DATASETS = ("bouncing", "moving_mnist", "kth")


@dataclass(frozen=True)
class GaussMarkovConfig:
    """Configuration of E1/E3 (Gauss-Markov source, MLP codec).

    Two coding modes (:class:`~learned.models.CodecConfig`):

    * ``coding="fixed"``: ``rate_points`` lists the per-frame symbol counts; the rate of frame
      ``j`` is ``latent_dims[j] * log2(levels) / n`` bits per sample.
    * ``coding="entropy"``: ``rate_targets`` lists the per-frame target rates (bits per sample) of
      each rate point; the codec has one latent per sample, entropy-codes it under a learned
      conditional prior and the rate reported is the bitstream's. The scenario of a rate point
      is read off its targets (:func:`scenario_of`).

    ``lams`` lists the perception weights of every rate point (E1 uses one, E3 sweeps several
    to match perception between variants); ``lam_sweep`` adds, at rate point
    ``lam_sweep_point`` only, decoders of every variant and PLF at these weights (E1's
    distortion-perception curves). ``lr_decay`` and ``rate_lr`` are the trainer's
    (:class:`~learned.train.TrainConfig`); ``baselines`` adds the classical DPCM baselines of
    :mod:`learned.baselines` at the same rates (entropy mode).
    """

    T: int = 3
    sigma: float = 1.0
    rho: float = 0.9
    n: int = 2
    rate_points: tuple[tuple[int, ...], ...] = ((1, 1, 1),)
    levels: int = 4
    hidden: int = 64
    batch_size: int = 256
    mse_steps: int = 1000
    gan_steps: int = 300
    mse_lr: float = 2e-3
    gan_lr: float = 1e-4
    gan_betas: tuple[float, float] = (0.5, 0.9)
    critic_lr: float = 1e-3
    n_critic: int = 5
    gp_weight: float = 10.0
    lams: tuple[float, ...] = (1.0,)
    plfs: tuple[str, ...] = PLF_NAMES
    variants: tuple[str, ...] = ("universal", "e2e")
    eval_samples: int = 10000
    seed: int = 0
    checkpoint_every: int = 200
    coding: str = "fixed"
    rate_targets: tuple[tuple[float, ...], ...] = ()
    lam_sweep: tuple[float, ...] = ()
    lam_sweep_point: int = 0
    lr_decay: float = 1.0
    rate_lr: float = 0.02
    perception_loss: str = "critic"
    baselines: bool = False

    def validate(self) -> GaussMarkovConfig:
        """Check every field (``InvalidParameterError`` naming it); returns ``self``.

        Called by :func:`~learned.experiments.run_e1` and :func:`~learned.experiments.run_e3`
        before anything is trained (not at construction: this module stays free of
        :mod:`rdp_theory`, whose import loads the solvers).
        """
        from rdp_theory.exceptions import InvalidParameterError

        from .._checks import check_choice, check_int, check_number

        check_int(self.T, "T", 2)
        check_int(self.n, "n")
        check_choice(self.coding, "coding", CODINGS)
        check_choice(self.perception_loss, "perception_loss", PERCEPTION_LOSSES)
        check_number(self.rate_lr, "rate_lr", strict=True)
        if isinstance(self.lr_decay, bool) or not (
            isinstance(self.lr_decay, (int, float)) and 0 < self.lr_decay <= 1
        ):
            raise InvalidParameterError(f"lr_decay must be a number in (0, 1], got {self.lr_decay!r}")
        for i, lam in enumerate((*self.lams, *self.lam_sweep)):
            check_number(lam, f"lams/lam_sweep[{i}]")
        if not self.lams:
            raise InvalidParameterError("lams must hold at least one perception weight")
        if self.coding == "entropy":
            if not self.rate_targets:
                raise InvalidParameterError("coding='entropy' needs rate_targets (one per point)")
            for i, point in enumerate(self.rate_targets):
                if len(point) != self.T:
                    raise InvalidParameterError(
                        f"rate_targets[{i}] must have T = {self.T} entries, got {point!r}"
                    )
                for j, r in enumerate(point):
                    check_number(r, f"rate_targets[{i}][{j}]", strict=True)
        elif not self.rate_points:
            raise InvalidParameterError("coding='fixed' needs rate_points (one per point)")
        if self.lam_sweep:
            check_int(self.lam_sweep_point, "lam_sweep_point", 0)
            if self.lam_sweep_point >= self.points():
                raise InvalidParameterError(
                    f"lam_sweep_point must be a rate point index in [0, {self.points() - 1}], "
                    f"got {self.lam_sweep_point}"
                )
        return self

    def points(self) -> int:
        """Number of rate points."""
        return len(self.rate_targets) if self.coding == "entropy" else len(self.rate_points)

    def source(self) -> rt.GaussMarkovSource:
        import rdp_theory as rt

        return rt.GaussMarkovSource.stationary(T=self.T, sigma=self.sigma, rho=self.rho)


def scenario_of(targets: tuple[float, ...]) -> str:
    """``"equal"`` for ``(R, ..., R)``, ``"eps_first"`` for ``(eps, R, ..., R)`` with
    ``eps < R``, ``"custom"`` otherwise."""
    if len(set(targets)) == 1:
        return "equal"
    if len(set(targets[1:])) == 1 and targets[0] < targets[1]:
        return "eps_first"
    return "custom"


#: E1's rate grid (bits per sample of each P-frame) and the first frame's rate ``eps`` of the
#: low-first-rate scenario ``(eps, R, R)``.
E1_RATES = (0.25, 0.5, 1.0, 1.5, 2.0, 3.0)
E1_EPS = 0.05


def e1_targets(rates: tuple[float, ...], T: int = 3) -> tuple[tuple[float, ...], ...]:
    """E1's rate points for a grid of rates ``R``: ``(R, ..., R)`` for each, then
    ``(E1_EPS, R, ..., R)`` for each."""
    equal = tuple((r,) * T for r in rates)
    eps = tuple((E1_EPS,) + (r,) * (T - 1) for r in rates)
    return equal + eps


@dataclass(frozen=True)
class DigitsConfig:
    """Configuration of E2 (bouncing MNIST digits, conv codec).

    ``eps_symbols`` symbols of ``levels`` values per low-rate frame, i.e.
    ``eps_symbols * log2(levels)`` bits per frame ("eps"); the default 2 x 16 levels = 8 bits is
    one symbol per axis, enough for a displacement within the ``motion_kernel`` window or the
    digit's position. ``motion_kernel`` is the side of the P-frames' motion kernel
    (:class:`~learned.models.CodecConfig`); ``drift_window`` the side of the displacement search
    of :func:`~learned.metrics.identity_drift`. ``scenarios`` selects which of
    :data:`E2_SCENARIOS` are trained and evaluated (the issue's two by default);
    ``high_symbols`` is the P-frames' symbol count in ``"eps_high_high"``. ``classifier_steps``
    trains the digit classifier of :mod:`learned.classifier` that measures which digit each
    reconstruction shows (0 disables it; it is never used for ``dataset="kth"``). ``dataset`` is
    one of :data:`DATASETS` (``data_path`` names the file or folder of the last two).
    """

    T: int = 3
    size: int = 32
    eps_symbols: int = 2
    levels: int = 16
    hidden: int = 128
    noise_dim: int = 16
    motion_kernel: int = 11
    batch_size: int = 32
    mse_steps: int = 400
    gan_steps: int = 120
    mse_lr: float = 3e-3
    gan_lr: float = 1e-4
    gan_betas: tuple[float, float] = (0.5, 0.9)
    critic_lr: float = 2e-4
    n_critic: int = 2
    gp_weight: float = 10.0
    lam: float = 0.5
    plfs: tuple[str, ...] = ("jd", "fmd")
    eval_samples: int = 512
    eval_critic_steps: int = 60
    grid_samples: int = 4
    drift_window: int = 21
    seed: int = 0
    checkpoint_every: int = 200
    dataset: str = "bouncing"
    data_path: str | None = None
    scenarios: tuple[str, ...] = ("inf_eps_eps", "eps_eps_eps")
    high_symbols: int = 16
    classifier_steps: int = 600

    def high_bits(self) -> float:
        """Bits of one ``eps_high_high`` P-frame: ``high_symbols * log2(levels)``."""
        return self.high_symbols * math.log2(self.levels)


#: E1 (entropy-coded, n = 1): 12 rate points, equal rates and (eps, R, R), the six decoders of
#: each at lam = 10 (near perfect realism: the paper's regime), and a lam sweep at R = 1 (the
#: distortion-perception trade-off).
E1_FULL = GaussMarkovConfig(
    n=1,
    coding="entropy",
    rate_targets=e1_targets(E1_RATES),
    mse_steps=2000,
    gan_steps=600,
    mse_lr=3e-3,
    lr_decay=0.05,
    gan_lr=1e-3,
    perception_loss="moments",
    eval_samples=20000,
    lams=(10.0,),
    lam_sweep=(0.1, 0.3, 1.0, 3.0, 30.0),
    lam_sweep_point=E1_RATES.index(1.0),
    baselines=True,
)
#: The quick E1 (tests, ``--retrain`` reproducibility): two rate points, short training.
E1_QUICK = replace(
    E1_FULL,
    rate_targets=((1.0, 1.0, 1.0), (E1_EPS, 1.0, 1.0)),
    mse_steps=300,
    gan_steps=60,
    eval_samples=4000,
    lam_sweep=(1.0,),
    lam_sweep_point=0,
)
E3_QUICK = GaussMarkovConfig(lams=(0.3, 1.0, 3.0), plfs=("jd", "fmd"))
E3_FULL = GaussMarkovConfig(
    rate_points=((1, 1, 1),),
    mse_steps=6000,
    gan_steps=3000,
    eval_samples=100000,
    lams=(0.1, 0.3, 1.0, 3.0),
)
E2_QUICK = DigitsConfig()
E2_MEDIUM = DigitsConfig(mse_steps=1000, gan_steps=150)
E2_FULL = DigitsConfig(mse_steps=5000, gan_steps=3000, eval_samples=2000, eval_critic_steps=1000)

#: The presets of each experiment, by the command-line flag that selects them.
PRESETS: dict[str, dict[str, GaussMarkovConfig | DigitsConfig]] = {
    "e1": {"quick": E1_QUICK, "full": E1_FULL},
    "e2": {"quick": E2_QUICK, "medium": E2_MEDIUM, "full": E2_FULL},
    "e3": {"quick": E3_QUICK, "full": E3_FULL},
}

#: The preset each experiment runs when no flag is given.
DEFAULT_PRESET: dict[str, str] = {"e1": "quick", "e2": "medium", "e3": "quick"}
