"""Print the import graph of bridge/ and drivers/ by layer, with every back-edge.

Reads the source with ``ast`` (nothing is imported), counting function-level imports
too: they hide a dependency from a reader but not from the graph. Run from the repo:

    python bench/import_graph.py            # layers, back-edges, two-module cycles
    python bench/import_graph.py --modules  # module -> modules, one line each
    python bench/import_graph.py --root DIR # another checkout (e.g. `git archive` of main)
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(sys.argv[sys.argv.index("--root") + 1]).resolve() if "--root" in sys.argv \
    else Path(__file__).resolve().parent.parent
PACKAGES = ("bridge", "drivers")
# Bottom up: a layer imports only layers listed before it (the longest prefix names a
# module's layer; ``bridge.report`` holds report_schema too). ``bridge`` is the core:
# the test-plan API, the recorder, the recording hooks, instruments.
LAYERS = (
    "bridge.errors", "bridge.statuses", "bridge.cli.text", "drivers", "drivers.sim",
    "bridge.config", "bridge.store", "bridge.report", "bridge.cloud", "bridge.pages",
    "bridge", "bridge.cloud.plugin", "bridge.cloud.sim", "bridge.plugin", "bridge.cli",
    "bridge.cli.main", "bridge.__main__",
)
EXTERNAL = "pytest"  # the one outside module the layering rules name
# Edges up the layers that stay, each with its reason (none: the last one, the store's
# Store.report(), went when the report builder took a connection instead).
ALLOWED: dict[str, str] = {}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module the file imports, at any depth of the code (relative ones resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" \
        else module_name(path)
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1]
                                + ([base] if base else []))
            found.update(f"{base}:{alias.name}" for alias in node.names)  # module or name
    return found


def graph() -> dict[str, set[str]]:
    """Module -> the project modules (and pytest) it imports."""
    files = {module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    edges: dict[str, set[str]] = {}
    for name, path in sorted(files.items()):
        targets = set()
        for imported in imports_of(path):
            base, _, attribute = imported.partition(":")
            if base.split(".")[0] in ("pytest", "_pytest"):
                targets.add(EXTERNAL)
            elif f"{base}.{attribute}" in files:  # from bridge import api
                targets.add(f"{base}.{attribute}")
            elif base in files:
                targets.add(base)
        targets.discard(name)
        edges[name] = targets
    return edges


def layer(module: str) -> str:
    if module == EXTERNAL:
        return EXTERNAL
    matches = [prefix for prefix in LAYERS if module == prefix
               or module.startswith(prefix + ".")
               or module.startswith(prefix + "_")]  # bridge.report_schema -> bridge.report
    return max(matches, key=len)


def back_edges(edges: dict[str, set[str]]) -> list[str]:
    """Module edges into the same layer's cycle partner or a higher layer."""
    order = {name: index for index, name in enumerate(LAYERS)}
    return [f"{source} -> {target}" for source, targets in edges.items()
            for target in sorted(targets)
            if target != EXTERNAL and order[layer(target)] > order[layer(source)]
            and f"{source} -> {target}" not in ALLOWED]


def reaches(edges: dict[str, set[str]], start: str) -> set[str]:
    """Every module ``start`` imports, directly or through others."""
    seen, todo = set(), [start]
    while todo:
        for target in edges.get(todo.pop(), ()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def layer_graph(edges: dict[str, set[str]]) -> dict[str, dict[str, list[str]]]:
    """Layer -> imported layer -> the module edges behind it."""
    result: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for source, targets in edges.items():
        for target in sorted(targets):
            if layer(source) != layer(target):
                result[layer(source)][layer(target)].append(f"{source} -> {target}")
    return result


def main(argv: list[str]) -> int:
    edges = graph()
    if "--modules" in argv:
        for source, targets in edges.items():
            print(f"{source} -> {', '.join(sorted(targets)) or '-'}")
        return 0
    layers = layer_graph(edges)
    order = {name: index for index, name in enumerate((*LAYERS, EXTERNAL))}
    print("layer (bottom up) -> the layers it imports")
    for source in sorted(layers, key=order.__getitem__):
        imported = sorted(layers[source], key=order.__getitem__)
        print(f"  {source:19} -> {', '.join(imported)}")
    back = back_edges(edges)
    print(f"back-edges (a module importing a layer above its own): {len(back)}")
    for edge in back:
        print(f"  {edge}")
    for edge, reason in ALLOWED.items():
        print(f"  allowed: {edge} ({reason})")
    cycles = sorted({f"{a} <-> {b}" for a, targets in edges.items() for b in targets
                     if a < b and a in edges.get(b, ())})
    print(f"module cycles: {len(cycles)}")
    for cycle in cycles:
        print(f"  {cycle}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
