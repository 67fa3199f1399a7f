"""The code's shape: folders that follow the pipeline, imports that only go downstream, small parts.

Each folder's __init__ docstring says what it may import; this test holds the code to it, and
keeps the reference independent of everything that writes formulas.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "sheetnet"
LEAVES = {"sheetnet", "sheetnet.errors", "sheetnet.cellref", "sheetnet.files", "sheetnet.progress"}
# folder -> the sheetnet folders (and leaf modules) it may import, besides itself
ALLOWED = {
    "model": {"sheetnet.errors", "sheetnet.files"},
    "units": {"sheetnet.model.options"},
    "layout": {"sheetnet.model", "sheetnet.cellref", "sheetnet.errors"},
    "sheets": {"sheetnet.model", "sheetnet.layout", "sheetnet.units", "sheetnet.files", "sheetnet.cellref",
               "sheetnet.errors"},
    "evaluate": {"sheetnet.errors", "sheetnet.cellref", "sheetnet.files"},
    "reference": {"sheetnet.model"},
    "verify": {"sheetnet.model", "sheetnet.layout", "sheetnet.evaluate", "sheetnet.reference", "sheetnet.errors",
              "sheetnet.cellref"},
    "api": {"sheetnet.model", "sheetnet.layout", "sheetnet.sheets", "sheetnet.evaluate", "sheetnet.reference",
            "sheetnet.verify", "sheetnet.errors", "sheetnet.files", "sheetnet.cellref"},
}
MAX_MODULE_LINES = 350
MAX_FUNCTION_LINES = 60


def _modules() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    return modules


def _imports(path: Path) -> set[str]:
    """Every sheetnet module a file imports, at any depth (inside functions too)."""
    found = set()
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parents = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parents + ([base] if base else []))
            if base.startswith("sheetnet"):
                found.add(base)
                found.update(f"{base}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("sheetnet"))
    modules = _modules()
    return {name for name in found if name in modules}


def _within(name: str, prefixes) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


@pytest.mark.parametrize("folder", sorted(ALLOWED))
def test_each_folder_imports_only_what_its_docstring_allows(folder):
    own = f"sheetnet.{folder}"
    for name, path in _modules().items():
        if not _within(name, [own]):
            continue
        for target in _imports(path):
            assert _within(target, [own, *ALLOWED[folder]]) or target == "sheetnet", f"{name} imports {target}"


def test_every_folder_says_what_it_may_import():
    for folder in ALLOWED:
        text = (PACKAGE / folder / "__init__.py").read_text()
        assert "import" in ast.get_docstring(ast.parse(text)), folder


def test_the_reference_never_reaches_formula_code():
    """Transitively: nothing the reference imports writes or knows a formula or a cell."""
    modules = _modules()
    seen, todo = set(), [n for n in modules if _within(n, ["sheetnet.reference"])]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(_imports(modules[name]))
    assert not [n for n in seen if _within(n, ["sheetnet.sheets", "sheetnet.units", "sheetnet.layout"])]


# The writer's side of an optimizer or schedule record (model.optimizers, model.schedules): formula texts and notes.
FORMULA_MEMBERS = {"update_formula", "first_formula", "next_formula", "formula", "update_note", "note"}


def test_the_reference_reads_only_the_numpy_side_of_a_record():
    """An optimizer's record holds its formula beside its numpy update; the reference may call the numpy update
    but never touch a formula, so the check compares two independent writings of each rule."""
    for name, path in _modules().items():
        if not _within(name, ["sheetnet.reference"]):
            continue
        touched = {node.attr for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Attribute)}
        assert not touched & FORMULA_MEMBERS, f"{name} reads {sorted(touched & FORMULA_MEMBERS)}"


def test_the_record_check_sees_a_formula_read():
    """Control: the scan above finds a formula member read in code like the reference's."""
    tree = ast.parse("def f(record):\n    return record.update_formula(cells)\n")
    touched = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    assert touched & FORMULA_MEMBERS == {"update_formula"}


def test_no_import_cycles():
    modules = _modules()
    graph = {name: {t for t in _imports(path) if t != name} for name, path in modules.items()}
    # A package's __init__ re-exporting its own modules is not a cycle of ideas.
    graph = {name: {t for t in targets if not name.startswith(t + ".") and name not in LEAVES}
             for name, targets in graph.items()}
    state: dict[str, int] = {}

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for target in graph[name]:
            if state.get(target) == 1:
                raise AssertionError(" -> ".join([*path, name, target]))
            if target not in state:
                visit(target, [*path, name])
        state[name] = 2

    for name in graph:
        if name not in state:
            visit(name, [])


def test_modules_and_functions_are_small():
    for name, path in _modules().items():
        text = path.read_text()
        assert len(text.splitlines()) <= MAX_MODULE_LINES, f"{name}: {len(text.splitlines())} lines"
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                assert length <= MAX_FUNCTION_LINES, f"{name}.{node.name}: {length} lines"


def test_every_planted_mutant_still_finds_its_snippet():
    """scripts/mutants.py plants each bug by replacing a snippet that must occur once: a refactor that changes the
    snippet silently retires the mutant (one did, in the convolution work), so the list is held to the source."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, str(PACKAGE.parent / "scripts" / "mutants.py"), "--list"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
