"""The package's import graph: no cycles (imports inside functions included), no module imports
another module's private (underscore) names, and Streamlit stays inside the dashboard.

Every ``import`` and ``from ... import`` anywhere in a module counts, at module level or inside
a function, relative or absolute: a lazy import still ties the two modules together, and a
cycle through one is a cycle all the same (it only fails later, at a call).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "synth_quality"
#: Entry scripts Streamlit runs (not modules of the package): the dashboard's app folder.
SCRIPTS = PACKAGE / "dashboard" / "app"


def module_files(root: Path) -> dict[str, Path]:
    """{dotted module name: file} of every module under ``root`` (a package folder)."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        if SCRIPTS in path.parents:
            continue
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def imports_of(name: str, path: Path, modules: set[str]) -> list[tuple[str, str | None, int]]:
    """(imported module, imported name or None, line) for every import in the file; the
    module is the longest known module the import names."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, None, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                if f"{base}.{alias.name}" in modules:
                    found.append((f"{base}.{alias.name}", None, node.lineno))
                else:
                    found.append((base, alias.name, node.lineno))
    return found


def graph(root: Path = PACKAGE) -> tuple[dict[str, set[str]], list[str]]:
    """The import graph of the package's modules and the private-name imports found."""
    files = module_files(root)
    edges: dict[str, set[str]] = {m: set() for m in files}
    private = []
    for name, path in files.items():
        for target, imported, line in imports_of(name, path, set(files)):
            while target and target not in files and "." in target:
                target = target.rpartition(".")[0]  # import a.b.c -> the module a.b.c lives in
            if target not in files or target == name:
                continue
            edges[name].add(target)
            if imported and imported.startswith("_") and not imported.startswith("__"):
                private.append(f"{path.relative_to(root.parent)}:{line} imports {imported} "
                               f"from {target}")
    return edges, private


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of two or more modules (or one importing itself), as a
    cycle through them (Tarjan)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1 or v in edges.get(v, ()):
                out.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_the_package_has_no_import_cycle():
    edges, _ = graph()
    assert len(edges) > 50  # the walk found the package's modules
    assert cycles(edges) == []


def test_no_module_imports_another_modules_private_names():
    _, private = graph()
    assert private == []


def test_streamlit_is_imported_only_by_the_dashboard():
    """The library never imports Streamlit; the dashboard package (apart from its store of
    audits) is imported only by the ``app`` command."""
    files = module_files(PACKAGE)
    for name, path in files.items():
        targets = {t for t, _, _ in imports_of(name, path, set(files))}
        in_dashboard = name.startswith("synth_quality.dashboard")
        if not in_dashboard or name == "synth_quality.dashboard.store":
            assert not any(t.split(".")[0] == "streamlit" for t in targets), name
        if not in_dashboard and name != "synth_quality.cli.app":
            assert not any(t.startswith("synth_quality.dashboard") and
                           t != "synth_quality.dashboard.store" for t in targets), name


@pytest.mark.parametrize("late", [False, True])
def test_a_cycle_through_an_import_inside_a_function_is_found(tmp_path, late):
    """The checker itself: two modules importing each other (one of them lazily, or both at
    module level) and a private name are reported."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from pkg.b import helper\n")
    inner = "def f():\n    from . import a\n" if late else "from pkg import a\n"
    (pkg / "b.py").write_text(inner + "from pkg.c import _hidden\n\ndef helper():\n    pass\n")
    (pkg / "c.py").write_text("_hidden = 1\n")
    edges, private = graph(pkg)
    assert cycles(edges) == [["pkg.a", "pkg.b"]]
    assert private == ["pkg/b.py:%d imports _hidden from pkg.c" % (3 if late else 2)]
