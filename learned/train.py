"""Training stages with exact checkpoint/resume.

Stages (``TrainConfig.stage``):

* ``"mse"``: encoder and decoder trained for MSE (``plf`` must be ``"mse"``);
* ``"universal"``: encoder frozen (the MSE "universal" representation), decoder trained for
  MSE + ``lam`` x critic loss for ``plf``;
* ``"e2e"``: the same objective, encoder included.

Image codecs also return the encoder's reference reconstructions ``"x_ref"``; their MSE is added
to the loss whenever the encoder trains (stages ``"mse"`` and ``"e2e"``) and is logged as
``"ref_mse"``. In ``"universal"`` the reference is frozen with the rest of the encoder.

Every random draw (data, shared dither, decoder noise, gradient-penalty interpolation) comes from a
generator owned by the :class:`Trainer`; checkpoints hold the states of all of them, of the models
and of the optimisers, so on CPU ``--resume`` reproduces the uninterrupted run bit for bit.

Checkpoints hold only tensors and plain containers (dicts, lists, tuples, str, int, float, bool,
None: the torch generators' states are byte tensors, the numpy ones nested dicts of ints, the
configs dicts), so they are read with ``torch.load(..., weights_only=True)``: a file that holds
anything else (a pickled object whose ``__reduce__`` would run code) is refused before anything in
it runs, with a :class:`CheckpointError` naming the file.
"""

from __future__ import annotations

import io
import math
import os
import pickle
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import torch
from torch import nn

from rdp_theory.exceptions import InvalidParameterError, RDPError
from rdp_theory.io import atomic_write_bytes
from rdp_theory.perception import PLF_NAMES

from ._checks import check_choice, check_int, check_number
from .critics import make_critics
from .losses import codec_loss, critic_loss, distortion_terms, moment_loss
from .models import CausalCodec, init_parameters_

__all__ = ["CheckpointError", "DataStream", "TrainConfig", "Trainer", "TrainingDivergedError"]

STAGES = ("mse", "universal", "e2e")
PERCEPTION_LOSSES = ("critic", "moments")
#: Learning-rate factor of an entropy-coded codec's prior (relative to ``TrainConfig.lr``).
PRIOR_LR_FACTOR = 10.0
PLF_CHOICES: tuple[str, ...] = ("mse", *PLF_NAMES)


class TrainingDivergedError(RDPError, FloatingPointError):
    """A loss became NaN or infinite; the last good checkpoint is left untouched."""


class CheckpointError(InvalidParameterError):
    """A checkpoint file cannot be used: unsafe content (anything but tensors and plain
    containers), corrupt or truncated, or written by another run. The message names the file."""


#: The keys of :meth:`Trainer.state_dict`.
CHECKPOINT_KEYS = frozenset(
    (
        "step",
        "config",
        "codec_config",
        "codec",
        "opt",
        "critics",
        "critic_opt",
        "dither",
        "noise",
        "gp_gen",
        "data",
        "history",
    )
)


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def load_checkpoint(path: str | os.PathLike[str], map_location: Any = "cpu") -> dict[str, Any]:
    """Read a :meth:`Trainer.save` checkpoint with ``torch.load(weights_only=True)``.

    Raises
    ------
    CheckpointError
        The file holds something other than tensors and plain containers (nothing in it is run),
        is corrupt or truncated, cannot be read, or is not a trainer checkpoint; the message
        names the file.
    """
    name = os.fspath(path)
    try:
        fh = open(name, "rb")  # noqa: SIM115 -- closed below; OSError here is the file's fault
    except OSError as exc:
        raise CheckpointError(f"checkpoint {name} cannot be read: {exc.strerror or exc}") from exc
    try:
        with fh, warnings.catch_warnings():
            # torch warns about pickle protocols it did not write; the refusal below says more
            warnings.simplefilter("ignore", UserWarning)
            state = torch.load(fh, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        if "Weights only load failed" not in str(exc):  # e.g. "pickle data was truncated"
            raise CheckpointError(
                f"checkpoint {name} is corrupt or truncated ({_one_line(str(exc))}). "
                "Delete it to start afresh"
            ) from exc
        lines = [ln for ln in str(exc).splitlines() if "Unsupported" in ln or "GLOBAL" in ln]
        detail = _one_line(lines[0]) if lines else "not a torch checkpoint"
        raise CheckpointError(
            f"checkpoint {name} refused: it holds more than tensors and plain containers "
            f"({detail}); nothing in it was run. Delete it to start afresh"
        ) from exc
    except Exception as exc:  # a damaged archive: RuntimeError, EOFError, OSError, ...
        detail = _one_line(str(exc).split(". ")[0]) or type(exc).__name__
        raise CheckpointError(
            f"checkpoint {name} is corrupt or truncated ({detail}). Delete it to start afresh"
        ) from exc
    if not isinstance(state, dict) or not CHECKPOINT_KEYS <= set(state):
        missing = sorted(CHECKPOINT_KEYS - set(state)) if isinstance(state, dict) else None
        what = f"missing keys {missing}" if missing else f"a {type(state).__name__}"
        raise CheckpointError(f"checkpoint {name} is not a trainer checkpoint ({what})")
    return state


class DataStream(Protocol):
    """What a trainer needs from a data source."""

    def next_batch(self) -> torch.Tensor: ...
    def state_dict(self) -> dict[str, Any]: ...
    def load_state_dict(self, state: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of one training stage.

    Parameters
    ----------
    stage : {"mse", "universal", "e2e"}
    plf : {"mse", "jd", "fmd", "sa"}
    steps : int
        Total number of codec updates.
    lr, critic_lr : float
        Adam learning rates (codec, critics).
    n_critic : int
        Critic updates per codec update (on the current batch).
    gp_weight : float
        Gradient-penalty weight.
    lam : float
        Weight of the critic (perception) term.
    seed : int
        Seeds the dither, noise and gradient-penalty generators.
    checkpoint_every : int
        Write a checkpoint every this many steps (0: only at the end).
    critic_hidden : int
        Critic width.
    betas : (float, float)
        Adam betas of the codec optimiser (the critics always use ``(0.5, 0.9)``, the WGAN-GP
        choice; PLF stages are more stable with the same for the codec).
    rate_lr : float
        Entropy-coded codecs: step of the dual ascent on the log Lagrange multipliers of the rate
        constraints, ``log beta_j += rate_lr * (R_j - target_j)`` after every codec update
        (``R_j``: the batch's code length under the prior, bits per sample). Stages that train
        the encoder (``"mse"``, ``"e2e"``) add ``sum_j beta_j R_j`` to the loss; the frozen
        encoder of ``"universal"`` keeps its rates.
    perception_loss : {"critic", "moments"}
        How a PLF stage measures perception: ``"critic"`` (WGAN-GP critics, the W1 estimate of
        :func:`~learned.losses.codec_loss`, any data) or ``"moments"`` (the differentiable
        Gaussian-fit W2^2 of :func:`~learned.losses.moment_loss`; exact for Gaussian laws, no
        critic; vector frames).
    lr_decay : float
        Final learning-rate factor of a cosine schedule over the stage,
        ``lr * (d + (1 - d) (1 + cos(pi t / steps)) / 2)`` at step ``t`` (``1``: constant). A
        function of the step alone, so a resumed run follows it exactly.
    """

    stage: str
    plf: str
    steps: int
    lr: float = 1e-3
    critic_lr: float = 1e-3
    n_critic: int = 2
    gp_weight: float = 10.0
    lam: float = 1.0
    seed: int = 0
    checkpoint_every: int = 0
    critic_hidden: int = 64
    betas: tuple[float, float] = (0.9, 0.999)
    rate_lr: float = 0.02
    lr_decay: float = 1.0
    perception_loss: str = "critic"

    def __post_init__(self) -> None:
        check_choice(self.stage, "stage", STAGES)
        check_choice(self.plf, "plf", PLF_CHOICES)
        if self.stage == "mse" and self.plf != "mse":
            raise InvalidParameterError(f"stage 'mse' needs plf 'mse', got plf {self.plf!r}")
        if self.stage != "mse" and self.plf == "mse":
            raise InvalidParameterError(
                f"stage {self.stage!r} needs a PLF (one of {PLF_NAMES}), got plf 'mse'"
            )
        for name in ("steps", "n_critic", "critic_hidden"):
            check_int(getattr(self, name), name)
        check_int(self.checkpoint_every, "checkpoint_every", 0)
        check_choice(self.perception_loss, "perception_loss", PERCEPTION_LOSSES)
        if len(self.betas) != 2 or not all(0 <= b < 1 for b in self.betas):
            raise InvalidParameterError(f"betas must be two numbers in [0, 1), got {self.betas!r}")
        for name in ("lr", "critic_lr", "gp_weight", "lam", "rate_lr"):
            check_number(getattr(self, name), name)
        if isinstance(self.lr_decay, bool) or not (
            isinstance(self.lr_decay, (int, float)) and 0 < self.lr_decay <= 1
        ):
            raise InvalidParameterError(f"lr_decay must be a number in (0, 1], got {self.lr_decay!r}")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["betas"] = list(self.betas)  # a checkpoint round trip must compare equal
        return d


def _generator(device: torch.device, seed: int) -> torch.Generator:
    g = torch.Generator(device=device)
    g.manual_seed(seed)
    return g


class Trainer:
    """Runs one :class:`TrainConfig` stage on a codec.

    Parameters
    ----------
    codec : CausalCodec
        Modified in place (move it to ``device`` first or let the trainer do it).
    data : DataStream
        Training batches ``(B, T, *frame_shape)``; its state is checkpointed.
    config : TrainConfig
    device : str or torch.device
        ``"cpu"`` or ``"cuda"``.
    """

    def __init__(
        self,
        codec: CausalCodec,
        data: DataStream,
        config: TrainConfig,
        device: str | torch.device = "cpu",
    ) -> None:
        self.device = torch.device(device)
        if self.device.type == "cuda" and not torch.cuda.is_available():
            raise InvalidParameterError(
                "device 'cuda' requested but torch.cuda.is_available() is False"
            )
        self.codec = codec.to(self.device)
        self.data = data
        self.config = config
        c = config
        if c.perception_loss == "moments" and codec.config.is_image:
            raise InvalidParameterError(
                "perception_loss='moments' needs vector frames (n,); image codecs use 'critic'"
            )
        self.dither = _generator(self.device, 3 * c.seed)
        self.noise = _generator(self.device, 3 * c.seed + 1)
        self.gp_gen = _generator(self.device, 3 * c.seed + 2)
        freeze = c.stage == "universal"
        for p in self.codec.encoder.parameters():
            p.requires_grad_(not freeze)
        prior = self.codec.encoder.prior
        prior_ids = set() if prior is None else {id(p) for p in prior.parameters()}
        params = self.codec.decoder.parameters() if freeze else self.codec.parameters()
        rest = [p for p in params if id(p) not in prior_ids]
        groups: list[dict[str, Any]] = [{"params": rest, "lr": c.lr}]
        if prior is not None and not freeze:
            # the prior follows the latents it codes: a slow prior makes the rate term push the
            # latents to a constant (zero information at a positive rate) before it narrows
            groups.append({"params": list(prior.parameters()), "lr": c.lr * PRIOR_LR_FACTOR})
        self._base_lrs = [g["lr"] for g in groups]
        self.opt = torch.optim.Adam(groups, lr=c.lr, betas=(c.betas[0], c.betas[1]))
        self.critics: nn.ModuleList | None = None
        self.critic_opt: torch.optim.Optimizer | None = None
        if c.plf != "mse" and c.perception_loss == "critic":
            self.critics = make_critics(
                c.plf, codec.config.frame_shape, codec.config.T, c.critic_hidden
            )
            init_parameters_(self.critics, torch.Generator().manual_seed(3 * c.seed + 2))
            self.critics.to(self.device)
            self.critic_opt = torch.optim.Adam(
                self.critics.parameters(), lr=c.critic_lr, betas=(0.5, 0.9)
            )
        self.step = 0
        self.history: list[dict[str, Any]] = []

    # ------------------------------------------------------------------ checkpointing
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue exactly: models, optimisers, generators, data, history."""
        return {
            "step": self.step,
            "config": self.config.to_dict(),
            "codec_config": self.codec.config.to_dict(),
            "codec": self.codec.state_dict(),
            "opt": self.opt.state_dict(),
            "critics": None if self.critics is None else self.critics.state_dict(),
            "critic_opt": None if self.critic_opt is None else self.critic_opt.state_dict(),
            "dither": self.dither.get_state(),
            "noise": self.noise.get_state(),
            "gp_gen": self.gp_gen.get_state(),
            "data": self.data.state_dict(),
            "history": self.history,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a :meth:`state_dict` (the configs must match)."""
        ours = self.config.to_dict()
        if state["config"] != ours:
            theirs = state["config"] if isinstance(state["config"], dict) else {}
            diff = ", ".join(
                f"{k} {theirs.get(k, '<missing>')!r} (run: {ours.get(k, '<missing>')!r})"
                for k in sorted(set(theirs) | set(ours))
                if theirs.get(k, "<missing>") != ours.get(k, "<missing>")
            )
            raise InvalidParameterError(
                f"checkpoint config differs from the run config in {diff or repr(state['config'])}"
            )
        self.codec.load_state_dict(state["codec"])
        self.opt.load_state_dict(state["opt"])
        if self.critics is not None:
            self.critics.load_state_dict(state["critics"])
            assert self.critic_opt is not None
            self.critic_opt.load_state_dict(state["critic_opt"])
        self.dither.set_state(state["dither"])
        self.noise.set_state(state["noise"])
        self.gp_gen.set_state(state["gp_gen"])
        self.data.load_state_dict(state["data"])
        self.history = list(state["history"])
        self.step = int(state["step"])

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write a checkpoint atomically."""
        buf = io.BytesIO()
        torch.save(self.state_dict(), buf)
        return atomic_write_bytes(path, buf.getvalue())

    def load(self, path: str | os.PathLike[str]) -> None:
        """Load a checkpoint written by :meth:`save` (see :func:`load_checkpoint`).

        Raises
        ------
        CheckpointError
            The file is unsafe, corrupt, or from a different configuration or model; it names
            the file. The trainer may then be partly loaded: build a fresh one.
        """
        state = load_checkpoint(path, map_location=self.device)
        try:
            self.load_state_dict(state)
        except CheckpointError:
            raise
        except (InvalidParameterError, KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise CheckpointError(
                f"checkpoint {os.fspath(path)} does not fit this run ({_one_line(str(exc))}). "
                "Delete it to start afresh"
            ) from exc

    # ------------------------------------------------------------------ training
    def train_step(self) -> dict[str, Any]:
        """One codec update (preceded by ``n_critic`` critic updates for a PLF stage)."""
        c = self.config
        self.codec.train()
        x = self.data.next_batch().to(self.device)
        out = self.codec(x, self.dither, self.noise, training=True)
        x_hat = out["x_hat"]
        rec: dict[str, Any] = {"step": self.step + 1}
        if self.critics is not None:
            assert self.critic_opt is not None
            for _ in range(c.n_critic):
                self.critic_opt.zero_grad(set_to_none=True)
                cl = critic_loss(self.critics, c.plf, x, x_hat.detach(), c.gp_weight, self.gp_gen)
                self._check_finite(cl["loss"], "critic loss")
                cl["loss"].backward()
                self.critic_opt.step()
            rec["critic_loss"] = float(cl["loss"].detach())
        self.opt.zero_grad(set_to_none=True)
        if c.lr_decay != 1.0:
            d = c.lr_decay
            f = d + (1 - d) * 0.5 * (1 + math.cos(math.pi * self.step / c.steps))
            for group, base in zip(self.opt.param_groups, self._base_lrs):
                group["lr"] = base * f
        if c.plf != "mse" and c.perception_loss == "moments":
            terms = moment_loss(c.plf, x, x_hat, c.lam)
        else:
            terms = codec_loss(self.critics, c.plf, x, x_hat, c.lam)
        loss = terms["loss"]
        if "x_ref" in out and c.stage != "universal":
            # image codecs: the encoder's reference (local) decoder is trained for MSE with it
            ref_mse = distortion_terms(x, out["x_ref"])["loss"]
            loss = loss + ref_mse
            rec["ref_mse"] = float(ref_mse.detach())
        cc = self.codec.config
        rate_term = cc.entropy_coded and c.stage != "universal"
        if rate_term:  # entropy coding codes every frame (CodecConfig refuses lossless ones)
            est = out["rate_est"]
            target = torch.tensor(cc.rates(), dtype=est.dtype, device=est.device)
            beta = self.codec.log_beta.exp()
            loss = loss + (beta * est).sum()
            rec["rate"] = [float(v) for v in est.detach()]
            rec["beta"] = [float(v) for v in beta]
        self._check_finite(loss, "codec loss")
        loss.backward()
        self.opt.step()
        if rate_term:
            with torch.no_grad():  # dual ascent on the rate constraints
                gap = est.detach() - target
                self.codec.log_beta.add_(c.rate_lr * gap).clamp_(-20.0, 10.0)
        rec["loss"] = float(loss.detach())
        rec["mse"] = [float(v) for v in terms["mse"]]
        rec["w1"] = [float(v) for v in terms["w1"]]
        self.step += 1
        self.history.append(rec)
        return rec

    def _check_finite(self, value: torch.Tensor, what: str) -> None:
        if not torch.isfinite(value).all():
            raise TrainingDivergedError(
                f"{what} is {float(value.detach())} at step {self.step + 1} of stage {self.config.stage!r} "
                f"(plf {self.config.plf!r}); training aborted, the last good checkpoint is kept"
            )

    def run(
        self,
        checkpoint: str | os.PathLike[str] | None = None,
        resume: bool = False,
        progress: bool = True,
        stop_after: int | None = None,
    ) -> list[dict[str, Any]]:
        """Train up to ``config.steps`` (or only ``stop_after`` more steps), checkpointing.

        Parameters
        ----------
        checkpoint : path-like, optional
            Checkpoint file (written every ``checkpoint_every`` steps and at the end).
        resume : bool
            Load ``checkpoint`` first when it exists.
        progress : bool
            Show a tqdm bar with the step, losses, rate and D.
        stop_after : int, optional
            Stop after this many steps of this call (simulates an interrupted run in tests).

        Returns
        -------
        list of dict
            The full loss history (including steps done before a resume).
        """
        from tqdm.auto import tqdm

        c = self.config
        if resume and checkpoint is not None and Path(checkpoint).exists():
            self.load(checkpoint)
        end = c.steps if stop_after is None else min(c.steps, self.step + stop_after)
        rate = sum(r for r in self.codec.config.rates() if math.isfinite(r))
        bar = tqdm(
            total=c.steps,
            initial=self.step,
            disable=not progress,
            leave=False,
            desc=f"{c.stage}/{c.plf}",
        )
        try:
            while self.step < end:
                rec = self.train_step()
                bar.update(1)
                if self.step % 10 == 0 or self.step == end:
                    post = {
                        "loss": f"{rec['loss']:.4f}",
                        "D": f"{sum(rec['mse']) / len(rec['mse']):.4f}",
                        "R": f"{rate:.3g}b",
                    }
                    if "critic_loss" in rec:
                        post["critic"] = f"{rec['critic_loss']:.3f}"
                    bar.set_postfix(post)
                if (
                    checkpoint is not None
                    and c.checkpoint_every
                    and self.step % c.checkpoint_every == 0
                ):
                    self.save(checkpoint)
        finally:
            bar.close()
        if checkpoint is not None:
            self.save(checkpoint)
        return self.history
