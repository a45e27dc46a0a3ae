"""The import graph of ``rdp_theory`` has no cycles, and ``convex/`` imports top-down only.

Every ``import`` statement counts, wherever it stands (module level, inside a function, under
``if TYPE_CHECKING:``): a lazy or typing-only import still makes the importing module depend on
the imported one, which is what the layering is about. Relative imports are resolved against
the importing module's package; ``from . import x`` is an edge to the submodule ``x`` when
there is one, else to the package itself (its ``__init__``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import rdp_theory

Graph = dict[str, set[str]]


def module_graph(package_dir: Path) -> Graph:
    """Module-level import graph of the package at ``package_dir`` (edges inside it only)."""
    root = package_dir.parent
    modules: dict[str, tuple[Path, bool]] = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        modules[".".join(parts)] = (path, is_package)
    top = package_dir.name
    graph: Graph = {}
    for name, (path, is_package) in modules.items():
        package = name if is_package else name.rpartition(".")[0]
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                deps.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - (node.level - 1)]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    deps.add(sub if sub in modules else target)
        graph[name] = {
            _known(d, modules) for d in deps if d.split(".")[0] == top and _known(d, modules)
        } - {name}
    return graph


def _known(name: str, modules: dict[str, tuple[Path, bool]]) -> str:
    """``name`` or its longest prefix that is a module ('' if none)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name


def find_cycle(graph: Graph) -> list[str] | None:
    """One cycle of ``graph`` as a list of nodes (first == last), or None (depth-first search)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


PACKAGE = Path(rdp_theory.__file__).parent


def test_rdp_theory_has_no_import_cycle() -> None:
    graph = module_graph(PACKAGE)
    assert "rdp_theory.convex._backend" in graph  # the walk found the subpackage
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_convex_floors_import_downwards_only() -> None:
    """rate -> api -> _exact -> _lexicographic -> _kl_stage -> _stage -> _weighted -> _certify -> _backend ->
    _settings -> _model -> _instance; result at the bottom; ``__init__`` re-exports. A module imports only floors
    below it."""
    floors = ["rate", "api", "_exact", "_lexicographic", "_kl_stage", "_stage", "_weighted", "_certify",
              "_backend", "_settings", "_model", "_instance", "result"]
    graph = module_graph(PACKAGE)
    prefix = "rdp_theory.convex."
    for i, name in enumerate(floors):
        inside = {d[len(prefix):] for d in graph[prefix + name] if d.startswith(prefix)}
        assert inside <= set(floors[i + 1 :]), (name, inside - set(floors[i + 1 :]))
        assert "rdp_theory.convex" not in graph[prefix + name]  # never through the package face
    # the solver's lower floors never import the public face or the Monte Carlo layer eagerly
    assert "rdp_theory" not in graph[prefix + "_backend"]


def test_only_the_backend_touches_cvxpy_internals() -> None:
    """Outside ``convex/_backend.py`` the solver uses cvxpy's public API only: no Clarabel, no
    cvxpy submodule, no private attribute of another object."""
    for path in sorted((PACKAGE / "convex").glob("*.py")):
        if path.name == "_backend.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            for name in names:
                assert name.split(".")[0] != "clarabel" and not name.startswith("cvxpy."), (
                    path.name, name)
            if isinstance(node, ast.Attribute):
                private = node.attr.startswith("_") and not node.attr.startswith("__")
                assert not private, (path.name, node.lineno, node.attr)


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root / "pkg"


def test_detector_resolves_relative_imports(tmp_path: Path) -> None:
    pkg = _write(tmp_path, {
        "pkg/__init__.py": "from .sub import api\n",
        "pkg/util.py": "import os\n",
        "pkg/sub/__init__.py": "",
        "pkg/sub/api.py": "from . import low\nfrom .. import util\nfrom ..util import thing\n",
        "pkg/sub/low.py": "import pkg.util\n\ndef f():\n    from pkg.sub import api  # lazy: still an edge\n",
    })
    graph = module_graph(pkg)
    assert graph["pkg"] == {"pkg.sub.api"}
    assert graph["pkg.sub.api"] == {"pkg.sub.low", "pkg.util"}  # `from . import low`: the module
    assert graph["pkg.sub.low"] == {"pkg.util", "pkg.sub.api"}
    assert graph["pkg.util"] == set()
    assert find_cycle(graph) in (
        ["pkg.sub.api", "pkg.sub.low", "pkg.sub.api"], ["pkg.sub.low", "pkg.sub.api", "pkg.sub.low"]
    )


def test_detector_finds_an_injected_cycle(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/a.py": "from .b import x\n",
        "pkg/b.py": "from . import c\n",
        "pkg/c.py": "from typing import TYPE_CHECKING\n",
    }
    assert find_cycle(module_graph(_write(tmp_path / "clean", files))) is None
    files["pkg/c.py"] += "if TYPE_CHECKING:\n    from .a import y\n"
    cycle = find_cycle(module_graph(_write(tmp_path / "cyclic", files)))
    assert cycle is not None and set(cycle) == {"pkg.a", "pkg.b", "pkg.c"}
    assert find_cycle({"a": {"b"}, "b": {"a"}}) == ["a", "b", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
