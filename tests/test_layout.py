"""The house plan holds: bot/ grouped by kind, arrows pointing down only, handlers that do
not lean on one another, and packages that cost nothing to pass through."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOOSE = {"app", "callbacks", "commands", "context", "i18n", "permissions"}
KINDS = {"api", "cli", "delivery", "handlers", "render", "runtime", "sandbox", "sources"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, *, top_level_only: bool) -> set[str]:
    """The modules `path` imports; with `top_level_only`, those its import runs (not the
    ones under TYPE_CHECKING or inside functions)."""
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            # `from storage import days` imports the module storage.days; `from storage
            # import Storage`, the package itself.
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if is_module(submodule) else node.module)
    return found


def is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def test_bot_is_grouped_by_kind() -> None:
    loose = {p.stem for p in (ROOT / "bot").glob("*.py")} - {"__init__"}
    folders = {p.name for p in (ROOT / "bot").iterdir() if (p / "__init__.py").exists()}
    assert loose == LOOSE
    assert folders == KINDS


def test_no_handler_imports_another() -> None:
    """What several handlers need lives in bot.handlers.common."""
    handlers = {module_name(p) for p in sources("bot/handlers")} - {"bot.handlers"}
    for path in sources("bot/handlers"):
        leaning = imports(path, top_level_only=False) & handlers - {"bot.handlers.common"}
        assert not leaning - {module_name(path)}, path.name


def test_storage_knows_nothing_of_telegram_or_the_bot() -> None:
    for path in sources("storage"):
        names = imports(path, top_level_only=False)
        assert not {n for n in names if n.split(".")[0] in {"telegram", "bot"}}, path.name


def test_arrows_point_down_only() -> None:
    """No circle among the modules bot/ and storage/ import when they load."""
    modules = {module_name(p): p for p in sources("bot") + sources("storage")}
    graph = {
        name: {m for m in imports(path, top_level_only=True) if m in modules and m != name}
        for name, path in modules.items()
    }
    done: set[str] = set()

    def visit(name: str, trail: tuple[str, ...]) -> None:
        assert name not in trail, " -> ".join((*trail, name))
        if name in done:
            return
        for dependency in graph[name]:
            visit(dependency, (*trail, name))
        done.add(name)

    for name in graph:
        visit(name, ())


@pytest.mark.parametrize("package", ["api", "delivery", "handlers", "runtime", "sources"])
def test_packages_cost_nothing_to_pass_through(package: str) -> None:
    """Their `__init__` is a docstring: importing bot.sources.errors (as the CLI does)
    loads no feed parser, bot.runtime.logs no Telegram."""
    tree = ast.parse((ROOT / "bot" / package / "__init__.py").read_text())
    assert len(tree.body) == 1
    assert isinstance(tree.body[0], ast.Expr)
    assert isinstance(tree.body[0].value, ast.Constant)


def test_the_typed_context_does_not_load_the_services() -> None:
    """Every handler imports bot.context; it must not pull in the delivery engine, the
    feeds or the metrics (their types are only needed by the type checker)."""
    probe = (
        "import sys, bot.context; "
        "print(sorted(m for m in sys.modules if m.startswith(('bot.delivery', "
        "'bot.sources', 'bot.runtime.metrics', 'bot.runtime.health', 'bot.api.updates', "
        "'aiohttp', 'feedparser', 'prometheus_client'))))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.strip()
    assert loaded == "[]"
