"""The import graph of bridge/ and drivers/ runs one way (bench/import_graph.py).

Function-level imports count: they hide an edge from a reader, not from Python.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "import_graph.py"


@pytest.fixture(scope="module")
def graph():
    spec = importlib.util.spec_from_file_location("import_graph", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, module.graph()


def test_no_module_imports_a_layer_above_its_own(graph):
    module, edges = graph
    assert module.back_edges(edges) == []


def test_drivers_import_nothing_of_bridge_but_its_errors(graph):
    """The one allowed edge: drivers raise bridge.errors' tree, which imports nothing."""
    _, edges = graph
    into_bridge = {f"{source} -> {target}" for source, targets in edges.items()
                   if source.startswith("drivers") for target in targets
                   if target.startswith("bridge") and target != "bridge.errors"}
    assert into_bridge == set()
    assert edges["bridge.errors"] == set()


def test_production_drivers_never_import_the_simulator(graph):
    _, edges = graph
    production = [name for name in edges
                  if name.startswith("drivers") and not name.startswith("drivers.sim")]
    assert {f"{source} -> {target}" for source in production for target in edges[source]
            if target.startswith("drivers.sim")} == set()


def test_the_command_line_and_the_cloud_client_never_reach_pytest(graph):
    """`bridge sync` and the others start without pytest; only the cloud plugin has it."""
    module, edges = graph
    commands = [name for name in edges if name.startswith("bridge.cli")]  # main loads all
    assert {name for name in commands if "pytest" in module.reaches(edges, name)} == set()
    cloud = [name for name in edges
             if name.startswith("bridge.cloud") and name != "bridge.cloud.plugin"]
    assert {name for name in cloud if "pytest" in module.reaches(edges, name)} == set()


def test_the_graph_sees_function_level_imports(graph):
    """A check that cannot fail is no check: a known function-level edge is found."""
    _, edges = graph
    assert "bridge.cloud.plugin" in edges["bridge.plugin"]  # imported inside configure


def test_the_recorder_owns_its_state():
    """api.py and recording.py ask the recorder (methods), never reach into its state."""
    import ast

    inner = {"modules", "case", "writer", "statuses", "changed"}
    reached = []
    for name in ("api.py", "recording.py"):
        path = SCRIPT.parents[1] / "bridge" / name
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in inner:
                owner = node.value
                owner_name = owner.attr if isinstance(owner, ast.Attribute) else \
                    getattr(owner, "id", "") if isinstance(owner, ast.Name) else \
                    getattr(owner.func, "id", "") if isinstance(owner, ast.Call) else ""
                if owner_name in ("recorder", "_run"):
                    reached.append(f"{name}:{node.lineno} .{node.attr}")
    assert reached == []
