"""Small rooms: no module of ours past 500 lines (past that it becomes a package split by
subject), and no view past 30 lines (fetch with an access helper, validate a form, call
one service, render; the rest goes to a helper, a service or a selector)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_MODULE_LINES = 500
MAX_VIEW_LINES = 30
# Not ours to size: generated migrations, the tests themselves, the benchmarks.
SKIPPED_DIRS = {"migrations", "tests", "bench", "node_modules"}


def our_modules() -> list[Path]:
    found = []
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts[:-1]
        if any(part.startswith(".") or part in SKIPPED_DIRS for part in parts):
            continue
        found.append(path)
    return sorted(found)


def view_modules() -> list[Path]:
    return [
        path
        for path in (ROOT / "web").rglob("*.py")
        if path.name.startswith("views") or path.parent.name == "views"
    ]


def view_functions(path: Path) -> list[tuple[str, int, int]]:
    """(name, line of its `def`, lines from the `def` to its last line) of every function
    taking `request` first."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        params = node.args.posonlyargs + node.args.args
        if params and params[0].arg == "request":
            found.append((node.name, node.lineno, node.end_lineno - node.lineno + 1))
    return found


def test_no_module_of_ours_is_over_500_lines():
    too_long = []
    for path in our_modules():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_MODULE_LINES:
            too_long.append(f"{path.relative_to(ROOT)}: {lines} lines")
    assert too_long == []


def test_no_view_is_over_30_lines():
    too_long = [
        f"{path.relative_to(ROOT)}:{line} {name}: {length} lines"
        for path in view_modules()
        for name, line, length in view_functions(path)
        if length > MAX_VIEW_LINES
    ]
    assert too_long == []


def test_the_size_checks_see_the_project():
    # An empty list from a moved directory would pass both tests above for nothing.
    assert ROOT / "orders" / "models" / "order.py" in our_modules()
    assert len([view for path in view_modules() for view in view_functions(path)]) > 30
