"""The package layout holds its rules (docs/architecture.md).

Walks the source of ``solver/`` with :mod:`ast` (nothing is imported) and checks:

* no import cycle, counting imports inside functions (``if TYPE_CHECKING:`` blocks, which never
  run, are left out) and the package ``__init__`` that every import of a submodule runs;
* no module of the package imported through an ``importlib``/``__import__`` string;
* data flows one way: the layers below the set-up (numerics, grid, geometry, materials,
  boundaries, models, network) never import the case, the set-up, the coupling, the pipeline or
  the outputs; the case never imports the set-up, the models, the coupling, the pipeline or the
  outputs; models do no file I/O;
* no module imports another module's private (``_name``) names or reaches into another object's
  private attributes;
* no file over 800 lines; every package ``__init__`` has a docstring and ``__all__``;
* one host-transfer and one array-namespace helper, in ``solver/backend.py``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "solver"
MAX_LINES = 800

# layers that must not import the upper ones (prefix -> forbidden prefixes)
LOWER = ("solver.numerics", "solver.grid", "solver.geometry", "solver.materials",
         "solver.boundaries", "solver.models", "solver.network")
UPPER = ("solver.case", "solver.setup", "solver.coupling", "solver.scenarios", "solver.pipeline",
         "solver.output", "solver.cli", "solver.pipeline", "solver.distributed",
         "solver.transient_run", "solver.transient_scenarios")
CASE_MUST_NOT = ("solver.setup", "solver.models", "solver.coupling", "solver.scenarios",
                 "solver.transient_run", "solver.transient_scenarios",
                 "solver.pipeline", "solver.output", "solver.cli", "solver.pipeline")
# file I/O calls a model may not make
IO_CALLS = {"open", "write_text", "write_bytes", "read_text", "read_bytes", "savez", "loadtxt",
            "save", "load", "savetxt"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
TREES = {name: ast.parse(path.read_text(), str(path)) for name, path in MODULES.items()}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _runtime_nodes(tree: ast.AST):
    """Every node that can run: the tree without ``if TYPE_CHECKING:`` bodies."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                stack.extend(child.orelse)
                continue
            stack.append(child)


def _resolve(module: str, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if MODULES[module].name != "__init__.py":
        base = base[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _ancestors(name: str) -> set[str]:
    """Every package above ``name`` but the root ``solver``."""
    parts = name.split(".")
    return {".".join(parts[:i]) for i in range(2, len(parts))}


def _with_parents(name: str, importer: str) -> set[str]:
    """``name`` and the packages above it whose ``__init__`` the import runs: all but the root
    and the packages that hold the importer (they are being imported already)."""
    return ({name} | _ancestors(name)) - _ancestors(importer) & set(MODULES)


def _imports(module: str) -> list[tuple[str, str, int]]:
    """(imported module, imported name or "", line) for every runtime import in ``module``."""
    found = []
    for node in _runtime_nodes(TREES[module]):
        if isinstance(node, ast.Import):
            found += [(alias.name, "", node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, node)
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if sub in MODULES:
                    found.append((sub, "", node.lineno))
                else:
                    found.append((target, alias.name, node.lineno))
    return found


def _graph() -> dict[str, set[str]]:
    graph = {}
    for module in MODULES:
        edges = set()
        for target, _, _ in _imports(module):
            if target.startswith("solver."):
                edges |= _with_parents(target, module)
        edges.discard(module)
        graph[module] = edges
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_walker_sees_a_cycle():
    """The cycle finder itself: a three-module ring and a package that imports its child."""
    ring = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(ring) == [["a", "b", "c"]]
    assert _cycles({"p": {"p.m"}, "p.m": {"p"}}) == [["p", "p.m"]]
    assert _with_parents("solver.models.flow.simplec", "solver.models.energy.solve") == \
        {"solver.models.flow.simplec", "solver.models.flow"}
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle():
    cycles = _cycles(_graph())
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_no_package_module_imported_by_string():
    offenders = []
    for module, tree in TREES.items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name not in ("import_module", "__import__", "find_spec"):
                continue
            for arg in node.args[:1]:
                if isinstance(arg, ast.Constant) and str(arg.value).startswith("solver"):
                    offenders.append(f"{module}:{node.lineno} {name}({arg.value!r})")
                elif not isinstance(arg, ast.Constant):
                    offenders.append(f"{module}:{node.lineno} {name}(<computed name>)")
    assert not offenders, offenders


@pytest.mark.parametrize(("lower", "upper"), [(LOWER, UPPER), (("solver.case",), CASE_MUST_NOT)],
                         ids=["below-setup", "case"])
def test_data_flows_one_way(lower, upper):
    offenders = []
    for module in MODULES:
        if not module.startswith(lower):
            continue
        for target, _, line in _imports(module):
            if target.startswith(upper) and not target.startswith(module):
                offenders.append(f"{module}:{line} imports {target}")
    assert not offenders, offenders


def test_models_do_no_file_io():
    offenders = []
    for module, tree in TREES.items():
        if not module.startswith(("solver.models", "solver.network")):
            continue
        for node in _runtime_nodes(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in IO_CALLS:
                    offenders.append(f"{module}:{node.lineno} {name}()")
    assert not offenders, offenders


def test_no_private_names_across_modules():
    offenders = []
    for module in MODULES:
        for target, name, line in _imports(module):
            if target.startswith("solver") and name.startswith("_") and name != "__version__":
                offenders.append(f"{module}:{line} imports {target}.{name}")
        for node in _runtime_nodes(TREES[module]):
            # x._private or x.y._private where x is not self/cls: another object's private member
            if isinstance(node, ast.Attribute) and node.attr.startswith("_") and \
                    not node.attr.startswith("__"):
                owner = node.value
                if isinstance(owner, ast.Name) and owner.id in ("self", "cls"):
                    continue
                offenders.append(f"{module}:{node.lineno} {ast.unparse(node)}")
    assert not offenders, offenders


def test_files_stay_short():
    long = {m: n for m, p in MODULES.items() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, long


def test_every_package_says_what_lives_there():
    for module, path in MODULES.items():
        if path.name != "__init__.py" or module == "solver":
            continue
        tree = TREES[module]
        assert ast.get_docstring(tree), f"{module}: __init__ without a docstring"
        names = [t.id for node in tree.body if isinstance(node, ast.Assign)
                 for t in node.targets if isinstance(t, ast.Name)]
        assert "__all__" in names, f"{module}: __init__ without __all__"


def test_one_host_transfer_and_one_namespace_helper():
    helpers = {}
    for module, tree in TREES.items():
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and ("to_host" in node.name
                                                      or "namespace" in node.name):
                helpers.setdefault(node.name, []).append(module)
    assert helpers == {"to_host": ["solver.backend"], "array_namespace": ["solver.backend"]}, \
        helpers
