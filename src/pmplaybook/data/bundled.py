"""The bundled sample product: a fictional B2B project-management tool over one year (see the data
dictionary in ``data/README.md`` and the planted findings in ``data/truth.json``)."""

from __future__ import annotations

import json

from ..config.paths import sample_dir
from ..core.calendar import default_as_of
from . import cache
from .dataset import Dataset, materialize
from .load import load_events, load_predictions, load_spend, load_surveys


SAMPLE_FILES = ("events.parquet", "surveys.parquet", "spend.parquet", "predictions.parquet")


def sample(invalid: str = "raise") -> Dataset:
    """The bundled sample product (``data/``): events, surveys, spend and the AI assistant's predictions,
    validated (once per process while the files are unchanged: see :mod:`.cache`).

    >>> ds = sample()
    >>> ds.as_of
    Timestamp('2026-01-01 00:00:00')
    """
    folder = sample_dir()
    return cache.memo(("sample", str(folder), invalid), [folder / name for name in SAMPLE_FILES],
                      lambda: _load_sample(invalid))


def _load_sample(invalid: str) -> Dataset:
    notes: list[str] = []
    events = materialize(load_events(sample_dir() / "events.parquet", invalid=invalid, notes=notes))
    return Dataset(
        events=events,
        surveys=materialize(load_surveys(sample_dir() / "surveys.parquet", invalid=invalid, notes=notes)),
        spend=materialize(load_spend(sample_dir() / "spend.parquet", invalid=invalid, notes=notes)),
        predictions=materialize(load_predictions(sample_dir() / "predictions.parquet", invalid=invalid, notes=notes))
        if (sample_dir() / "predictions.parquet").exists() else None,
        as_of=default_as_of(events),
        notes=notes,
    )


def truth() -> dict:
    """The findings planted in the sample product (``data/truth.json``), the ground truth of its tests."""
    return json.loads((sample_dir() / "truth.json").read_text())
