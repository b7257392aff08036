"""The package's import graph has no cycle, counting imports inside functions too.

Data flows one way (DESIGN.md): data → index → models → report → notebooks. A cycle hidden
behind a function-level import is still a cycle; this test reads every ``import`` in
``src/replicate`` with :mod:`ast` and looks for one.
"""

from __future__ import annotations

import ast

from replicate import paths

PACKAGES = {
    "replicate",
    "replicate.data",
    "replicate.index",
    "replicate.models",
    "replicate.report",
}


def _graph() -> dict[str, set[str]]:
    modules: dict[str, set[str]] = {}
    for path in sorted(paths.PACKAGE_DIR.rglob("*.py")):
        parts = path.relative_to(paths.PACKAGE_DIR).with_suffix("").parts
        name = ".".join(("replicate", *parts)).removesuffix(".__init__")
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("replicate"):
                deps.add(node.module)
                deps.update(f"{node.module}.{a.name}" for a in node.names)
            elif isinstance(node, ast.Import):
                deps.update(a.name for a in node.names if a.name.startswith("replicate"))
        modules[name] = deps
    # ``from replicate import paper`` names the module replicate.paper, not the package.
    return {
        name: {d for d in deps if d in modules and d != name and d not in PACKAGES}
        for name, deps in modules.items()
        if name not in PACKAGES
    }


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                return stack[stack.index(dep) :] + [dep]
            if dep not in state and (found := visit(dep)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_import_graph_has_no_cycle():
    cycle = _cycle(_graph())
    assert cycle is None, " → ".join(cycle)


def test_the_cycle_finder_finds_a_planted_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None
