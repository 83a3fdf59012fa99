"""Shared builders and fixtures of the test suite.

Builders turn a few hand-written rows into validated tables, so each test states its data and works its
answer out by hand beside it; fixtures load the bundled sample once per test session.
"""

from __future__ import annotations

import pandas as pd
import pytest

from pmplaybook import config, data


def ev(rows, **extra):
    """An event table from rows ``(user, 'YYYY-MM-DD HH:MM' in UTC, event[, extra values...])``; each
    keyword names one extra column, in the order of the extra values."""
    frame = pd.DataFrame([r[:3] for r in rows], columns=["user_id", "timestamp", "event"])
    for i, name in enumerate(extra):
        frame[name] = [r[3 + i] for r in rows]
    return data.load_events(frame)


@pytest.fixture(scope="session")
def truth() -> dict:
    """The findings planted in the bundled sample (``data/truth.json``)."""
    return data.truth()


@pytest.fixture(scope="session")
def sample_dataset() -> data.Dataset:
    """The bundled sample product, validated, with no team's params."""
    return data.sample()


@pytest.fixture(scope="session")
def growth() -> tuple[config.TeamParams, data.Dataset]:
    """The growth team's params and its dataset on the bundled sample."""
    params = config.load_params("growth")
    return params, data.connect(params)
