"""The public entry points: :func:`simulate`, :func:`truth`, :func:`write_sample`, and the Arrow tables.

:func:`_tables` turns a finished run's integer-coded arrays into the ``events``, ``surveys``, ``spend``
and ``predictions`` tables (strings, UTC timestamps, nulls); :func:`write_sample` writes them as Parquet with
settings fixed so that the same seed gives the same bytes.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .constants import (
    AI_INPUT_MODES,
    AI_MODELS,
    AI_OUTCOMES,
    CHANNELS,
    COUNTRIES,
    EVENTS,
    PAID_CHANNELS,
    PLANS,
    PLATFORMS,
    SAMPLE_SEED,
    SAMPLE_USERS,
    SURVEYS,
    VERSIONS,
    WORKFLOWS,
)
from .ground_truth import _Truth
from .predictions import _predictions
from .sim import _run, _Sim


def _tables(sim: _Sim) -> dict[str, pa.Table]:
    """The ``events``, ``surveys``, ``spend`` and ``predictions`` tables of a finished run."""
    n_users = len(sim.users)
    uw = max(6, len(str(n_users)))
    aw = max(5, len(str(len(sim.owner))))
    # Strings are built as large_string (what pandas' str dtype holds, so the DataFrames need no copy);
    # Parquet stores them as ordinary strings and reads them back as ``string``.
    user_ids = pa.array([f"u{i + 1:0{uw}d}" for i in range(n_users)], pa.large_string())
    acc_ids = pa.array([f"a{i + 1:0{aw}d}" for i in range(len(sim.owner))], pa.large_string())
    return {"events": _events_table(sim, user_ids, acc_ids), "surveys": _surveys_table(sim, user_ids),
            "spend": _spend_table(sim), "predictions": _predictions_table(sim, user_ids, acc_ids)}


def _dict_col(idx, names):
    """Strings ``names[idx]`` (null where idx < 0)."""
    idx = np.asarray(idx)
    mask = idx < 0
    names = names if isinstance(names, pa.Array) else pa.array(names, pa.large_string())
    small = np.int8 if len(names) < 128 else np.int32
    indices = pa.array(np.maximum(idx, 0).astype(small), mask=mask if mask.any() else None)
    # The system allocator reuses freed pages; in small VMs that is much faster than fresh ones.
    return pc.take(names, indices, memory_pool=pa.system_memory_pool())


def _timestamps(sim: _Sim, t):
    """UTC timestamps (microseconds) of times ``t`` in seconds from the start."""
    epoch_us = sim.start.astype("datetime64[us]").astype(np.int64)
    return pa.array(t.astype(np.int64) * 1_000_000 + epoch_us, pa.timestamp("us", tz="UTC"))


def _events_table(sim: _Sim, user_ids, acc_ids) -> pa.Table:
    """One row per event, in the run's final row order; ids are zero-padded strings (u000001, ...)."""
    ev, users = sim.ev, sim.users
    sw = max(7, len(str(sim.n_sessions)))
    numbers = pa.array(np.arange(1, sim.n_sessions + 1, dtype=np.int64)).cast(pa.large_string())
    sess_ids = pc.binary_join_element_wise(pa.scalar("s", pa.large_string()), pc.utf8_lpad(numbers, sw, "0"),
                                           pa.scalar("", pa.large_string()))
    return pa.table({
        "user_id": _dict_col(ev["user"], user_ids),
        "account_id": _dict_col(users.account[ev["user"]], acc_ids),
        "timestamp": _timestamps(sim, ev["t"]),
        "event": _dict_col(ev["code"], EVENTS),
        "session_id": _dict_col(ev["sess"], sess_ids),
        "platform": _dict_col(ev["platform"], PLATFORMS),
        "country": _dict_col(users.country[ev["user"]], COUNTRIES),
        "plan": _dict_col(ev["plan"], PLANS),
        "channel": _dict_col(users.channel[ev["user"]], CHANNELS),
        "revenue": pa.array(ev["revenue"], pa.float64(), mask=np.isnan(ev["revenue"])),
        "workflow": _dict_col(ev["wf"], WORKFLOWS),
        "inviter_id": _dict_col(ev["inviter"], user_ids),
        "app_version": _dict_col(ev["version"], VERSIONS),
    })


def _surveys_table(sim: _Sim, user_ids) -> pa.Table:
    """One row per survey answer, sorted by time, then user, then survey."""
    sv = sim.surveys
    return pa.table({
        "user_id": _dict_col(sv["user"], user_ids),
        "timestamp": _timestamps(sim, sv["t"]),
        "survey": _dict_col(sv["survey"], SURVEYS),
        "score": pa.array(sv["score"], pa.int64()),
        "platform": _dict_col(sv["platform"], PLATFORMS),
        "country": _dict_col(sim.users.country[sv["user"]], COUNTRIES),
        "plan": _dict_col(sv["plan"], PLANS),
    })


def _predictions_table(sim: _Sim, user_ids, acc_ids) -> pa.Table:
    """One row per call of the AI assistant's model, sorted by time, then user, then prediction_id."""
    p = _predictions(sim)
    n = len(p["t"])
    numbers = pa.array(np.arange(1, n + 1, dtype=np.int64)).cast(pa.large_string())
    pw = max(7, len(str(n)))
    pred_ids = pc.binary_join_element_wise(pa.scalar("p", pa.large_string()), pc.utf8_lpad(numbers, pw, "0"),
                                           pa.scalar("", pa.large_string()))
    known = p["actual"] >= 0
    epoch_us = sim.start.astype("datetime64[us]").astype(np.int64)
    return pa.table({
        "prediction_id": pred_ids,
        "user_id": _dict_col(p["user"], user_ids),
        "account_id": _dict_col(sim.users.account[p["user"]], acc_ids),
        "timestamp": _timestamps(sim, p["t"]),
        "model": _dict_col(p["model"], AI_MODELS),
        "score": pa.array(p["score"], pa.float64()),
        "predicted": pa.array(p["predicted"], pa.bool_()),
        "actual": pa.array(p["actual"] == 1, pa.bool_(), mask=~known),
        "labelled_at": pa.array(p["labelled_t"] * 1_000_000 + epoch_us, pa.timestamp("us", tz="UTC"), mask=~known),
        "outcome": _dict_col(p["outcome"], AI_OUTCOMES),
        "latency_ms": pa.array(p["latency_ms"], pa.float64()),
        "input_tokens": pa.array(p["input_tokens"], pa.int64()),
        "output_tokens": pa.array(p["output_tokens"], pa.int64()),
        "cost": pa.array(p["cost"], pa.float64()),
        "input_mode": _dict_col(p["dictated"].astype(np.int64), AI_INPUT_MODES),
        "platform": _dict_col(p["platform"], PLATFORMS),
        "country": _dict_col(sim.users.country[p["user"]], COUNTRIES),
        "plan": _dict_col(p["plan"], PLANS),
        "app_version": _dict_col(p["version"], VERSIONS),
    })


def _spend_table(sim: _Sim) -> pa.Table:
    """One row per day and paid channel with spend, sorted by date, then channel name."""
    dates, chans, amounts = [], [], []
    for ch in PAID_CHANNELS:
        day = np.nonzero(sim.spend[ch] > 0)[0]
        dates.append(day)
        chans.append(np.full(len(day), PAID_CHANNELS.index(ch)))
        amounts.append(sim.spend[ch][day])
    d = np.concatenate(dates)
    c = np.concatenate(chans)
    a = np.concatenate(amounts)
    rank = np.argsort(np.argsort(np.array(PAID_CHANNELS)))
    order = np.lexsort((rank[c], d))
    d, c, a = d[order], c[order], a[order]
    start_days = sim.start.astype(np.int64)
    return pa.table({
        "date": pa.array((d + start_days).astype(np.int32), pa.date32()),
        "channel": _dict_col(c, PAID_CHANNELS),
        "amount": pa.array(a, pa.float64()),
    })


def simulate(users: int = SAMPLE_USERS, seed: int = SAMPLE_SEED, start: str = "2025-01-01",
             days: int = 365) -> dict[str, pd.DataFrame]:
    """Simulate the Taskfolio sample product.

    Parameters
    ----------
    users : int
        Exact number of users (people who sign up) in the data.
    seed : int
        Seed of the ``numpy.random.Generator(PCG64(seed))`` that drives everything: the same seed gives
        the same tables.
    start : str
        First day (UTC) of the data, ``YYYY-MM-DD``. The planted dates are day offsets from it
        (1 July is ``start + 181 days``); weekly dates are moved back to a Monday.
    days : int
        Length of the data window in days (at least 28). Findings whose dates fall outside it are
        simply not planted.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``"events"`` (one row per event: ``user_id, account_id, timestamp, event, session_id, platform,
        country, plan, channel, revenue, workflow, inviter_id, app_version``), ``"surveys"``
        (``user_id, timestamp, survey, score, platform, country, plan``), ``"spend"``
        (``date, channel, amount``) and ``"predictions"`` (the AI assistant's model calls:
        ``prediction_id, user_id, account_id, timestamp, model, score, predicted, actual, labelled_at,
        outcome, latency_ms, input_tokens, output_tokens, cost, input_mode, platform, country, plan,
        app_version``). Timestamps are time-zone-aware UTC; event rows are sorted by
        (timestamp, user_id, event), prediction rows by (timestamp, user_id, prediction_id).
        :func:`truth` gives the planted and realised figures.

    Examples
    --------
    >>> tables = simulate(users=300, seed=1)
    >>> sorted(tables)
    ['events', 'predictions', 'spend', 'surveys']
    >>> tables["events"]["user_id"].nunique()
    300
    >>> bool(tables["events"].groupby("user_id")["event"].first().eq("signup").all())
    True
    """
    sim = _run(users, seed, start, days)
    return {name: table.to_pandas() for name, table in _tables(sim).items()}


def truth(users: int = SAMPLE_USERS, seed: int = SAMPLE_SEED, start: str = "2025-01-01",
          days: int = 365) -> dict:
    """The planted parameters and realised figures of a simulation (the content of ``truth.json``).

    Same arguments as :func:`simulate` (it runs the same simulation again; :func:`write_sample` gets the
    tables and the truth from one run). Every realised figure is computed from the generated arrays with
    plain numpy; the exact definitions are in ``data/README.md``.

    Returns
    -------
    dict
        JSON-ready: ``seed``, ``users``, ``accounts``, ``start``, ``end``, ``days``, ``row_counts``, one
        key per planted finding (``magic_number``, ``cheap_cac_channel``, ``holiday_spike``,
        ``campaign_cohort``, ``release_collapse``, ``vanity_candidate``, ``activated_plateau``,
        ``task_success_release``, ``nps_segment``, ``ai_assistant``), ``revenue`` and ``ai`` (the
        prediction log).

    Examples
    --------
    >>> t = truth(users=300, seed=1)
    >>> t["users"], t["magic_number"]["threshold"], t["cheap_cac_channel"]["channel"]
    (300, 3, 'paid_social')
    """
    return _Truth(_run(users, seed, start, days)).build()


#: Rows per Parquet row group: fixed, so the files do not depend on the machine.
ROW_GROUP_SIZE = 1 << 20


def write_sample(out_dir, users: int = SAMPLE_USERS, seed: int = SAMPLE_SEED) -> dict:
    """Simulate and write ``events.parquet``, ``surveys.parquet``, ``spend.parquet``,
    ``predictions.parquet`` and ``truth.json``.

    The files are byte-for-byte the same for the same ``users`` and ``seed`` (with the same numpy and
    pyarrow versions): one seeded generator, rows in a fixed order, zstd compression with a fixed
    row-group size, no time-of-writing metadata, JSON with sorted keys.

    Parameters
    ----------
    out_dir : str or Path
        Folder to write into (created if missing); existing files of these names are replaced.
    users, seed : int
        As in :func:`simulate`. The bundled sample is ``users=20_000, seed=7``.

    Returns
    -------
    dict
        The truth dictionary written to ``truth.json`` (``truth["row_counts"]["events"]`` etc.).

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     t = write_sample(d, users=300, seed=1)
    ...     sorted(os.listdir(d))
    ['events.parquet', 'predictions.parquet', 'spend.parquet', 'surveys.parquet', 'truth.json']
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sim = _run(users, seed, "2025-01-01", 365)
    for name, table in _tables(sim).items():
        path = out / f"{name}.parquet"
        tmp = out / f".{name}.parquet.tmp"
        # Sorted timestamps compress best as deltas; every other column is dictionary-encoded.
        timestamps = [c for c in table.column_names if pa.types.is_timestamp(table.schema.field(c).type)]
        pq.write_table(table, tmp, compression="zstd", compression_level=9, row_group_size=ROW_GROUP_SIZE,
                       use_dictionary=[c for c in table.column_names if c not in timestamps],
                       column_encoding={c: "DELTA_BINARY_PACKED" for c in timestamps},
                       write_statistics=True, store_schema=False)
        tmp.replace(path)
    result = _Truth(sim).build()
    tmp = out / ".truth.json.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(result, fh, sort_keys=True, indent=2)
        fh.write("\n")
    tmp.replace(out / "truth.json")
    return result
