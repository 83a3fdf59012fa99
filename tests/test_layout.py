"""The package's house rules: layers (the import-linter contract in pyproject.toml), no import cycle, no
private name used across packages, no side effect at import, and docstrings that cite only files the
repository holds."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pmplaybook

PACKAGE = Path(pmplaybook.__file__).parent
ROOT = PACKAGE.parents[1]


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[str, list[str]]]:
    """(imported module, names taken from it) for every import of a pmplaybook module in ``path``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("pmplaybook"):
                continue
            names = [a.name for a in node.names]
            # `from . import x` imports the submodule x
            subs = [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES]
            out += [(s, []) for s in subs] or [(target, names)]
        elif isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names if a.name.startswith("pmplaybook")]
    return out


def test_the_layer_contract_holds():
    lint = Path(sys.executable).parent / "lint-imports"
    run = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "0 broken" in run.stdout


def test_no_import_cycle():
    graph = {name: {t for t, _ in _imports(name, path) if t in MODULES and t != name}
             for name, path in MODULES.items()}
    # a package's __init__ that re-exports its own modules is not a cycle with them
    graph = {n: {t for t in ts if not (n == t.rpartition(".")[0] and MODULES[n].name == "__init__.py")
                 and not (t == n.rpartition(".")[0])} for n, ts in graph.items()}
    state, stack, cycles = {}, [], []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def _top(name: str) -> str:
    """The room a module belongs to: its package under pmplaybook (``pmplaybook.heart.tasks`` -> heart)."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_no_private_name_is_used_across_packages():
    leaks = []
    for name, path in MODULES.items():
        for target, names in _imports(name, path):
            if _top(target) == _top(name):
                continue
            leaks += [f"{name} takes {target}.{n}" for n in names if n.startswith("_")]
            if any(part.startswith("_") and part != "__init__" for part in target.split(".")):
                leaks.append(f"{name} imports private module {target}")
    assert not leaks, "\n".join(leaks)


def test_importing_the_package_changes_nothing_outside_it():
    code = ("import os, sys; mask = os.umask(0); os.umask(mask); before = set(sys.modules);"
            "import pmplaybook, pmplaybook.charts, pmplaybook.report; now = os.umask(0); os.umask(now);"
            "print(mask == now, sys.modules.get('rfc3987_syntax', 'absent') is not None)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.split() == ["True", "True"]


def test_docstrings_cite_only_files_in_the_repository():
    # a path with a folder, or a document: names of files the code writes (summary.json) are not citations
    cited = re.compile(r"\b((?:[\w.-]+/)+[\w-]+\.(?:md|json|py|ipynb|yaml|toml)|[\w-]+\.md)\b")
    missing = []
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)):
                doc = ast.get_docstring(node) or ""
                for ref in cited.findall(doc):
                    candidates = [ROOT / ref, PACKAGE / ref, path.parent / ref]
                    if not any(c.exists() for c in candidates) and not any(ROOT.glob(f"**/{ref}")):
                        missing.append(f"{name}: {ref}")
    assert not missing, "\n".join(sorted(set(missing)))
    assert not [n for n, p in MODULES.items() if re.search(r"DESIGN\.md|FIELD-FACTS", p.read_text())]


def test_a_first_answer_imports_only_what_it_uses(tmp_path):
    """``data.load_events`` on a file and a retention query need neither the params model (pydantic) nor the
    sample, nor the SQL compilers of engines the process never talks to (ibis imports all twenty with its
    first backend; ``core.engines`` defers them): together about a third of a user's first answer."""
    import pandas as pd

    path = tmp_path / "events.parquet"
    pd.DataFrame({"user_id": ["a", "b"], "timestamp": pd.to_datetime(["2025-03-03 09:00", "2025-03-10 10:00"]),
                  "event": ["signup", "signup"]}).to_parquet(path)
    code = (f"import sys\nfrom pmplaybook import data, retention\nev = data.load_events({str(path)!r})\n"
            "t = retention.cohort_retention(ev, period='week', periods=2, as_of='2025-03-24')\n"
            "assert t['cohort_size'].tolist()[0] == 1\n"
            "print(' '.join(sorted(m for m in sys.modules if m.startswith(('pmplaybook.config', 'pydantic', "
            "'pmplaybook.data.bundled', 'ibis.backends.sql.compilers.')))))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    compilers = [m.rsplit(".", 1)[1] for m in loaded if m.startswith("ibis.backends.sql.compilers.")]
    assert set(compilers) <= {"base", "_compat", "duckdb", "postgres"}, compilers  # DuckDB's builds on Postgres'
    assert not [m for m in loaded if not m.startswith("ibis.")], loaded
    # and every compiler is still there when asked for, by class or by module
    import ibis.backends.sql.compilers as sc

    assert sc.TrinoCompiler.__module__ == "ibis.backends.sql.compilers.trino" and sc.snowflake.SnowflakeCompiler
