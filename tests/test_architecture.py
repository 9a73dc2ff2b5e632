"""The package reads one way: every import runs down the floors of docs/architecture.md, and no
module imports itself round a circle.

Read from the source (the ``ast`` of every module), so that an import placed inside a function to
dodge a circle counts as much as one at the top; only imports under ``if TYPE_CHECKING:`` (never
run) are left out. Then every module is imported on its own, in a fresh set of the package's
modules, so that an import circle Python would trip over in some order fails here in every order.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "csp_assessment"

# The floors, lowest first: a module may import from its own floor (without a circle) and from any
# floor below, never above. Rooms on one floor in separate groups may not import one another:
# ingest/ reads the publishers' files and demo/ writes them, and neither knows the other.
FLOORS: list[tuple[str, list[list[str]]]] = [
    ("ground", [["errors", "params_schema", "config", "store", "names", "formats", "successions", "runlock",
                 "provenance"]]),
    ("stats", [["stats"]]),
    ("ingest | demo", [["ingest"], ["demo"]]),
    ("the data folder and the areas", [["geography", "areas", "inputs", "fetch"]]),
    ("display", [["display"]]),
    ("sections", [["sections"]]),
    ("report", [["report"]]),
    ("top", [["kernels", "execute", "engine", "run"]]),
]
DISPLAY_OR_ABOVE = ("display", "sections", "report", "execute", "engine", "run")


def modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its __init__)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def room(module: str) -> str:
    """The room a module belongs to: its subpackage (ingest, sections, ...) or its own name."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def floor_of(module: str) -> tuple[int, int]:
    """(floor, group on the floor) of a module's room."""
    name = room(module)
    for number, (_, groups) in enumerate(FLOORS):
        for group_number, group in enumerate(groups):
            if name in group:
                return number, group_number
    raise AssertionError(f"{module}: its room '{name}' is on no floor; add it to FLOORS and docs/architecture.md")


def _type_checking_only(node: ast.AST, parents: dict) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def imports_of(module: str, path: Path, known: dict[str, Path]) -> list[tuple[str, int]]:
    """The package's modules ``module`` imports anywhere in its source (top level or in a function),
    each with the line; a name imported from a package counts as its module when it is one."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    is_package = path.name == "__init__.py"
    found = []
    for node in ast.walk(tree):
        if _type_checking_only(node, parents):
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[:len(base) - (node.level - 1)]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            targets = [f"{origin}.{alias.name}" if f"{origin}.{alias.name}" in known else origin
                       for alias in node.names]
        else:
            continue
        for target in targets:
            while target not in known and "." in target:
                target = target.rsplit(".", 1)[0]
            if target in known and target != "csp_assessment" and target.startswith("csp_assessment."):
                found.append((target, node.lineno))
    return found


def import_graph() -> dict[str, list[tuple[str, int]]]:
    known = modules()
    return {module: imports_of(module, path, known) for module, path in known.items()}


def circles(graph: dict[str, list[tuple[str, int]]]) -> list[list[str]]:
    """Every set of modules that import one another round a circle (Tarjan's strongly connected
    components of more than one module, or a module importing itself)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target, _ in graph.get(node, []):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or any(t == node for t, _ in graph.get(node, [])):
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def uphill(graph: dict[str, list[tuple[str, int]]]) -> list[str]:
    """Every import that runs up a floor, or across to another group of the same floor."""
    wrong = []
    for module, targets in sorted(graph.items()):
        if module == "csp_assessment":
            continue
        floor, group = floor_of(module)
        for target, line in targets:
            target_floor, target_group = floor_of(target)
            if target_floor > floor or (target_floor == floor and target_group != group):
                wrong.append(f"{module} (line {line}) imports {target}: floor '{FLOORS[target_floor][0]}' "
                             f"from '{FLOORS[floor][0]}'")
    return wrong


def test_every_import_runs_downhill():
    assert uphill(import_graph()) == []


def test_no_module_imports_itself_round_a_circle():
    assert circles(import_graph()) == []


def test_the_checks_see_an_import_placed_in_a_function_to_dodge_a_circle(tmp_path):
    # config.py importing sections again, as it once did inside load_config, fails both checks
    graph = import_graph()
    source = PACKAGE.joinpath("config.py").read_text(encoding="utf-8") + (
        "\n\ndef _known_sections():\n    from .sections import SECTIONS  # here, not at import time\n"
        "    return SECTIONS\n")
    fake = tmp_path / "config.py"
    fake.write_text(source, encoding="utf-8")
    graph["csp_assessment.config"] = imports_of("csp_assessment.config", fake, modules())
    assert any(line.startswith("csp_assessment.config (line") and "csp_assessment.sections" in line
               for line in uphill(graph))
    assert any("csp_assessment.config" in circle and "csp_assessment.sections" in circle for circle in circles(graph))


def test_every_floor_is_in_the_architecture_page():
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for _, groups in FLOORS:
        for group in groups:
            for name in group:
                assert f"{name}" in page, name
    rooms = {room(m) for m in modules() if m != "csp_assessment"}
    on_floors = {name for _, groups in FLOORS for group in groups for name in group}
    assert rooms <= on_floors, sorted(rooms - on_floors)


# Imports each module with none of the package's modules loaded before it, in one process (the
# libraries stay loaded, so this takes seconds), and says which module failed and how.
_IMPORT_EACH = """
import importlib, json, sys, traceback
failed = {}
for name in json.loads(sys.argv[1]):
    for loaded in [m for m in sys.modules if m == "csp_assessment" or m.startswith("csp_assessment.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception:
        failed[name] = traceback.format_exc(limit=3)
print(json.dumps(failed))
"""


def test_every_module_imports_on_its_own():
    names = sorted(m for m in modules() if not m.endswith("__main__"))
    result = subprocess.run([sys.executable, "-c", _IMPORT_EACH, json.dumps(names)], cwd=ROOT, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {}


@pytest.mark.parametrize("module", ["csp_assessment.config", "csp_assessment.store", "csp_assessment.errors"])
def test_the_ground_floor_imports_nothing_above_it(module):
    # python -c "import csp_assessment.config": params only, no section, display or report module
    code = (f"import json, sys; import {module}; "
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith('csp_assessment.'))))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert not [m for m in loaded if m.split(".")[1] in DISPLAY_OR_ABOVE], loaded
    assert all(floor_of(m)[0] == 0 for m in loaded), loaded
