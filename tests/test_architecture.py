"""The layers hold: pages and tasks → pipeline → departments → notifications → orders →
core (docs/architecture.md), checked by import-linter's contracts in pyproject.toml."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = [
    "config",
    "core",
    "orders",
    "notifications",
    "invoices",
    "production",
    "logistics",
    "documents",
    "pipeline",
    "exchange",
    "statements",
    "web",
]
LINT = Path(sys.executable).with_name("lint-imports")

# Imports placed inside a function, each with its reason; any other is a cycle dodged.
FUNCTION_IMPORTS_ALLOWED = {
    # config/__init__.py loads Celery before Django's apps; the worker hook runs later.
    ("config/celery.py", "invoices.pdf"),
}


def lint(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def tree_copy(tmp_path: Path) -> Path:
    """Our packages and contracts, copied where a test may break them."""
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_contracts_hold():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "imports", "broken"),
    [
        ("invoices/probe.py", "from pipeline.flow import handle", "invoices.probe -> pipeline"),
        ("production/probe.py", "import pipeline.work", "production.probe -> pipeline"),
        ("orders/probe.py", "from invoices.models import Invoice", "orders.probe -> invoices"),
        ("logistics/probe.py", "from production.models import Product", "logistics.probe"),
        ("core/probe.py", "from orders.models import Order", "core.probe -> orders"),
    ],
)
def test_a_department_importing_upwards_breaks_a_contract(tree_copy, module, imports, broken):
    (tree_copy / module).write_text(f"def later():\n    {imports}\n")  # inside a function too
    result = lint(tree_copy)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout
    assert broken in result.stdout


def test_no_import_inside_a_function_reaches_another_package():
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            rel = str(path.relative_to(ROOT))
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                for inner in ast.walk(node):
                    if isinstance(inner, ast.ImportFrom) and inner.module and inner.level == 0:
                        top = inner.module.split(".")[0]
                        allowed = (rel, inner.module) in FUNCTION_IMPORTS_ALLOWED
                        if top in PACKAGES and top != package and not allowed:
                            found.append(f"{rel}:{inner.lineno} imports {inner.module}")
    assert found == []


def test_only_the_pipeline_runs_a_stage_transition():
    """Order's @transition methods are called in pipeline/flow.py and nowhere else."""
    from orders.models import Order

    transitions = {t.name for t in Order._meta.get_field("stage").get_all_transitions(Order)}
    callers = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts or path == ROOT / "pipeline" / "flow.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in transitions
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id in {"order", "obj", "o", "self", "locked"}
                ):
                    callers.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.func.attr}")
    assert callers == []
