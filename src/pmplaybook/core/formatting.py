"""Numbers for people: one way to print a value by its unit, a percentage, a change in points, a
duration, and the labels for what is missing. Every sentence, table and chart label uses these, so the
same number reads the same everywhere.

>>> format_value(0.2345, "share"), format_value(23, "points"), format_value(1234.5, "users")
('23.4%', '+23', '1,234')
>>> format_duration(8100), format_duration(959040)
('2 h 15 min', '11.1 days')
"""

from __future__ import annotations

import math

import pandas as pd

#: The label of a segment value that is missing in the data.
MISSING = "(missing)"
#: The label of a number that cannot be computed.
NOT_AVAILABLE = "n/a"


def is_missing(x) -> bool:
    """True for None, NaN and pandas' missing values."""
    if x is None:
        return True
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def format_pct(x, digits: int = 0) -> str:
    """A share as a percentage (``0.234`` -> ``23%``)."""
    return NOT_AVAILABLE if is_missing(x) else f"{100 * float(x):.{digits}f}%"


def format_points(diff, digits: int = 1) -> str:
    """A difference of two shares in percentage points, signed (``0.031`` -> ``+3.1 points``)."""
    return NOT_AVAILABLE if is_missing(diff) else f"{100 * float(diff):+.{digits}f} points"


def format_number(x, spec: str = ".2f") -> str:
    """A number with a format spec, or n/a."""
    return NOT_AVAILABLE if is_missing(x) else format(x, spec)


def format_duration(seconds) -> str:
    """A duration in words: seconds, minutes, hours and minutes, or days.

    >>> format_duration(0), format_duration(42), format_duration(300), format_duration(172800)
    ('no time', '42 s', '5 min', '2.0 days')
    """
    if is_missing(seconds):
        return NOT_AVAILABLE
    s = float(seconds)
    if s <= 0:
        return "no time"
    if s < 60:
        return f"{s:.0f} s"
    if s < 3600:
        return f"{s / 60:.0f} min"
    if s < 48 * 3600:
        hours, minutes = divmod(round(s / 60), 60)
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{s / 86400:.1f} days"


def format_value(value, unit: str) -> str:
    """A value by its unit: shares as percentages, NPS points signed, seconds as a duration, counts with
    thousands separators, ratios with two decimals, milliseconds whole, dollars with cents (four decimals
    below a dollar: a model's cost per call or per 1,000 calls is often cents).

    >>> format_value(801.6, "ms"), format_value(0.906, "USD"), format_value(184.28, "USD")
    ('802 ms', '$0.9060', '$184.28')
    """
    if is_missing(value):
        return NOT_AVAILABLE
    value = float(value)
    if unit == "share":
        return f"{value:.1%}"
    if unit == "points":
        return f"{value:+.0f}" if round(value) != 0 else "0"
    if unit == "seconds":
        return format_duration(value)
    if unit == "ms":
        return f"{value:,.0f} ms"
    if unit == "USD":
        return f"${value:,.2f}" if abs(value) >= 0.995 or value == 0 else f"${value:,.4f}"
    if unit in ("ratio",) or unit.startswith("mean score"):
        return f"{value:.2f}"
    if unit in ("count", "users", "accounts", "users per week") or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.1f}" if not math.isclose(value, round(value)) else f"{value:,.0f}"


def format_change(change, unit: str) -> str:
    """A change of a value, signed, in the value's unit (a change of a share in percentage points).

    >>> format_change(0.021, "share"), format_change(-4, "points"), format_change(0.3, "ratio")
    ('+2.1 points', '-4', '+0.30')
    """
    if is_missing(change):
        return NOT_AVAILABLE
    if unit == "share":
        return format_points(change)
    text = format_value(abs(float(change)), unit)
    return ("-" if change < 0 else "+") + text.lstrip("+")


def escape_dollars(text: str) -> str:
    """Escape ``$`` so Markdown renderers do not read an amount as the start of a formula."""
    return text.replace("$", "\\$")


__all__ = ["MISSING", "NOT_AVAILABLE", "is_missing", "format_pct", "format_points", "format_number",
           "format_duration", "format_value", "format_change", "escape_dollars"]
