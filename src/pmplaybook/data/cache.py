"""A memo of validated data for one Python process: a report runner's warm kernel, a JupyterLab session.

Loading, validating and copying the bundled sample into DuckDB takes a second or two, and every notebook
of a report run does it again (four teams share the sample). A warm kernel (see
:mod:`pmplaybook.report.runner`) runs several notebooks one after the other: with this memo it loads the
data once. An entry is used only while

* its files are unchanged (path, size and modification time of every file it read),
* the embedded DuckDB that holds its tables is still the process's one (:func:`~..core.engines.backend`),
* loading said nothing (no ``notes``: a load that dropped rows warned, and must warn again next time).

Each hit returns a new :class:`~.dataset.Dataset` (its own ``notes`` list); the tables, immutable ibis
expressions, are shared. :func:`release_unused` drops the DuckDB tables that loads left behind and no
entry holds; the report runner calls it between two notebooks, when nothing else can hold them.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Callable

from ..core.engines import backend
from .dataset import Dataset

#: key -> (files' stamp, backend, Dataset)
_MEMO: dict = {}


_TABLES = ("events", "surveys", "spend", "predictions")


def stamp(files) -> tuple:
    """What identifies the files' contents cheaply: path, size and modification time (absent: None)."""
    out = []
    for f in files:
        try:
            st = Path(f).stat()
        except OSError:
            out.append((str(f), None))
        else:
            out.append((str(f), st.st_size, st.st_mtime_ns))
    return tuple(out)


def _copy(ds: Dataset) -> Dataset:
    return dataclasses.replace(ds, notes=list(ds.notes))


def memo(key, files, load: Callable[[], Dataset]) -> Dataset:
    """``load()``, or the Dataset an earlier ``load()`` with the same ``key`` gave while ``files`` (the
    paths it reads) are unchanged and the process's DuckDB is the one holding its tables."""
    files_stamp = stamp(files)
    entry = _MEMO.get(key)
    con = backend()
    if entry is not None and entry[0] == files_stamp and entry[1] is con:
        return _copy(entry[2])
    _MEMO.pop(key, None)
    ds = load()
    if not ds.notes:  # a load that had something to say (dropped rows) says it again next time
        _MEMO[key] = (files_stamp, con, _copy(ds))
    return ds


def clear() -> None:
    """Forget every entry (their tables are dropped by the next :func:`release_unused`)."""
    _MEMO.clear()


def _held() -> set[str]:
    import ibis.expr.operations as ops

    names = set()
    for _, _, ds in _MEMO.values():
        for table in (getattr(ds, name) for name in _TABLES):
            if table is not None:
                names.update(node.name for node in table.op().find(ops.DatabaseTable))
    return names


def release_unused() -> list[str]:
    """Drop the embedded DuckDB's temporary tables and views made by loading data that no memo entry
    holds, and return their names. Only safe when nothing else holds such a table: the report runner
    calls it between two notebooks, after clearing the namespace."""
    from ..core import engines

    con = engines._BACKEND
    if con is None:
        return []
    held = _held()
    dropped = []
    for kind, sql in (("TABLE", "SELECT table_name FROM duckdb_tables() WHERE temporary"),
                      ("VIEW", "SELECT view_name FROM duckdb_views() WHERE temporary AND NOT internal")):
        for (name,) in con.raw_sql(sql).fetchall():
            if engines.LOADED_TABLE.match(name) and name not in held:
                con.raw_sql(f'DROP {kind} IF EXISTS temp.main."{name}"')
                dropped.append(name)
    if dropped:
        engines.forget_results(set(dropped))
    return dropped
