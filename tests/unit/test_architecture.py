"""The house's import rules, checked over the source (ast, nothing imported):

* the product (records, indexer, query, graph, ranking, api) never imports ``benchmarks`` or ``tests``,
  not even inside a function: the generator, the demo and the harness plug into the CLI as entry
  points (pyproject.toml, ``talentsearch.commands``);
* imports point one way: records <- indexer, query, graph <- ranking <- api (STYLE.md);
* no circles among modules at import time (module-level imports), product and benchmarks alike.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("records", "indexer", "query", "graph", "ranking", "api")
LAYER = {"records": 0, "indexer": 1, "query": 1, "graph": 1, "ranking": 2, "api": 3, "benchmarks": 4, "tests": 5}


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in (*PRODUCT, "benchmarks"):
        for path in (ROOT / pkg).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path, *, module_level: bool) -> list[tuple[str, int]]:
    """(imported module, line) for imports of this repository's packages; ``from pkg import sub`` names sub."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if module_level else ast.walk(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in nodes:
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([node.module] if node.module else []))
            subs = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES]
            out += [(s, node.lineno) for s in subs] if len(subs) == len(node.names) else [(base, node.lineno)] + \
                [(s, node.lineno) for s in subs]
    return [(m, line) for m, line in out if m.split(".")[0] in LAYER]


def test_the_product_never_imports_benchmarks_or_tests():
    bad = [f"{name}:{line} imports {m}" for name, path in MODULES.items() if name.split(".")[0] in PRODUCT
           for m, line in _imports(name, path, module_level=False) if m.split(".")[0] in ("benchmarks", "tests")]
    assert bad == [], "\n".join(bad)


def test_imports_point_one_way():
    bad = [f"{name}:{line} imports {m}" for name, path in MODULES.items()
           for m, line in _imports(name, path, module_level=False)
           if LAYER[m.split(".")[0]] > LAYER[name.split(".")[0]]]
    assert bad == [], "\n".join(bad)


def test_no_import_cycles():
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        for m, _ in _imports(name, path, module_level=True):
            while m and m not in MODULES:           # "pkg.mod.Class" -> "pkg.mod"
                m = m.rpartition(".")[0]
            if m and m != name:
                graph[name].add(m)
    cycles = _strongly_connected(graph)
    assert cycles == [], "import cycles: " + "; ".join(" -> ".join(sorted(c)) for c in cycles)


def test_the_cycle_check_finds_a_cycle():
    assert _strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]


def _strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Components of more than one module (Tarjan, iterative)."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = set()
                while True:
                    x = stack.pop()
                    on.discard(x)
                    comp.add(x)
                    if x == v:
                        break
                if len(comp) > 1:
                    out.append(comp)
    return out
