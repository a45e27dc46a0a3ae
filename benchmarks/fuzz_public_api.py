"""Fuzz every public entry point of rdp_theory and count the outcomes per entry point (issue 12).

Each entry point is a :class:`rdp_theory.testing.FuzzTarget` in
``rdp_theory.testing.fuzz_targets()``; adding the solver (``solve_rdp``, ``pareto_sweep``,
``universality_gap``, ``universality_sweep``, ``RDPSolution.simulate``) is one entry there.

Outcomes (see :func:`rdp_theory.testing.fuzz_outcome`): the name of an ``RDPError`` subclass
(typed error, the promise kept), ``ok``, ``accepted_wrong_type`` and ``bad_result`` (silent
acceptance / a wrong number), and ``untyped:<Class>`` (an exception outside the family).

    python benchmarks/fuzz_public_api.py --examples 2000 --json fuzz.json

To count the outcomes of another version of the package with the same targets (for example the
original code in a read-only worktree), put that version first on ``PYTHONPATH`` and pass
``--targets-from path/to/new/rdp_theory/testing.py``: the targets module is loaded from that file
but resolved against the ``rdp_theory`` package found on the path.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings

import rdp_theory


def load_targets(path: str | None) -> Any:
    """The fuzz module: ``rdp_theory.testing`` itself, or one loaded from ``path`` inside the
    ``rdp_theory`` package on the path (relative imports resolve against that package)."""
    if path is None:
        import rdp_theory.testing as mod

        return mod
    spec = importlib.util.spec_from_file_location("rdp_theory._fuzz_targets", path)
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[spec.name] = mod  # type: ignore[union-attr]
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def run(mod: Any, examples: int, only: list[str] | None = None) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for target in mod.fuzz_targets():
        if only and target.name not in only:
            continue
        counts[target.name] = _run_one(mod, target, examples)
    return counts


def _run_one(mod: Any, target: Any, examples: int) -> dict[str, int]:
    tally: Counter[str] = Counter()

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(kwargs=target.arguments)
    def probe(kwargs: dict[str, Any]) -> None:
        tally[mod.fuzz_outcome(target, kwargs)] += 1

    probe()
    return dict(sorted(tally.items()))


def table(counts: dict[str, dict[str, int]]) -> str:
    cols = sorted({k for c in counts.values() for k in c}, key=lambda k: (k.startswith("untyped"), k))
    width = max(len(n) for n in counts) + 2
    head = "entry point".ljust(width) + " ".join(c.rjust(max(len(c), 6)) for c in cols)
    lines = [head, "-" * len(head)]
    total: Counter[str] = Counter()
    for name, c in counts.items():
        total.update(c)
        lines.append(name.ljust(width) + " ".join(str(c.get(k, 0)).rjust(max(len(k), 6)) for k in cols))
    lines.append("-" * len(head))
    lines.append("TOTAL".ljust(width) + " ".join(str(total.get(k, 0)).rjust(max(len(k), 6)) for k in cols))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--examples", type=int, default=2000, help="hypothesis examples per entry point")
    ap.add_argument("--only", nargs="*", help="entry-point names to run")
    ap.add_argument("--json", type=Path, help="write the counts as JSON (rdp_theory.io.write_json)")
    ap.add_argument("--targets-from", help="path of a testing.py defining fuzz_targets()")
    args = ap.parse_args(argv)
    mod = load_targets(args.targets_from)
    t0 = time.perf_counter()
    counts = run(mod, args.examples, args.only)
    print(table(counts))
    print(f"\n{sum(sum(c.values()) for c in counts.values())} calls in {time.perf_counter() - t0:.1f} s "
          f"(rdp_theory from {Path(rdp_theory.__file__).parent})")
    if args.json:
        from rdp_theory.io import write_json

        write_json(args.json, {"examples_per_target": args.examples,
                               "package": str(Path(rdp_theory.__file__).parent), "counts": counts})
    broken = sum(n for c in counts.values() for k, n in c.items()
                 if k.startswith("untyped") or k in ("accepted_wrong_type", "bad_result"))
    return 1 if broken else 0


if __name__ == "__main__":
    raise SystemExit(main())
