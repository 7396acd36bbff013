"""The tree shows the layers: each package imports only from the layers below it, and no two modules
import each other, even lazily or only for type checking (read from the source, nothing imported)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVER = ROOT / "server"

# Lowest first: a module may import from its own layer and the ones before it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("server.core", "server.format", "server.i18n"),
    ("server.log", "server.configs"),
    ("server.show", "server.obs", "server.online"),
    ("server.season",),
    ("server.transport",),
    ("server.app", "server.cli", "server.__main__"),
)
ROOT_MODULES_AT_MOST = 6


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> Iterator[str]:
    package = _module(path) if path.name == "__init__.py" else _module(path).rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            for alias in node.names:  # "from server.transport import protocol" imports a module
                yield f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base


MODULES = {_module(path): path for path in SERVER.rglob("*.py")}


def _graph() -> dict[str, set[str]]:
    return {
        name: {target for target in _imports(path) if target in MODULES and target != name}
        for name, path in MODULES.items()
    }


def _layer(module: str) -> int:
    for rank, layer in enumerate(LAYERS):
        if any(module == top or module.startswith(top + ".") for top in layer):
            return rank
    raise AssertionError(f"{module} is in no layer: add its package to LAYERS")


def test_every_module_imports_only_its_own_layer_and_those_below() -> None:
    wrong = [
        f"{module} (layer {_layer(module)}) imports {target} (layer {_layer(target)})"
        for module, targets in _graph().items()
        for target in sorted(targets)
        if _layer(target) > _layer(module)
    ]
    assert wrong == []


def test_no_two_modules_import_each_other() -> None:
    graph = _graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_the_root_of_server_holds_a_handful_of_modules() -> None:
    loose = sorted(p.name for p in SERVER.glob("*.py"))
    assert len(loose) <= ROOT_MODULES_AT_MOST, loose
