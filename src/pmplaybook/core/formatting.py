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
    """A difference of two shares in percentage points, signed (``0.031`` -> ``+3.1 points``); a difference
    that rounds to zero has no sign (``-0.0004`` -> ``0.0 points``, never ``-0.0``)."""
    if is_missing(diff):
        return NOT_AVAILABLE
    text = f"{100 * float(diff):+.{digits}f}"
    return f"{text.lstrip('+-') if float(text) == 0 else text} points"


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
    thousands separators, ratios with two decimals, milliseconds whole, dollars with cents (three
    significant digits below a dollar: a model's cost per call or per 1,000 calls is often a fraction of a cent).

    >>> format_value(801.6, "ms"), format_value(0.974, "USD"), format_value(0.00442, "USD"), format_value(184.28, "USD")
    ('802 ms', '$0.974', '$0.00442', '$184.28')
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
        return f"${value:,.2f}" if abs(value) >= 0.995 or value == 0 else f"${value:#.3g}"
    if unit in ("ratio",) or unit.startswith("mean score"):
        return f"{value:.2f}"
    if unit in ("count", "users", "accounts", "users per week") or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.1f}" if not math.isclose(value, round(value)) else f"{value:,.0f}"


def format_change(change, unit: str) -> str:
    """A change of a value, signed, in the value's unit (a change of a share in percentage points).

    >>> format_change(0.021, "share"), format_change(-4, "points"), format_change(0.3, "ratio")
    ('+2.1 points', '-4', '+0.30')
    >>> format_change(-0.0004, "share"), format_change(0.2, "points")
    ('0.0 points', '0')
    """
    if is_missing(change):
        return NOT_AVAILABLE
    if unit == "share":
        return format_points(change)
    text = format_value(abs(float(change)), unit).lstrip("+")
    if not any(ch.isdigit() and ch != "0" for ch in text):  # rounds to zero: no sign
        return text
    return ("-" if change < 0 else "+") + text


#: A dollar sign that no maths renderer reads as a formula delimiter (see :func:`escape_dollars`).
DOLLAR = '<span class="mathjax_ignore tex2jax_ignore">\\$</span>'


def escape_dollars(text: str) -> str:
    """Keep every ``$`` of a Markdown sentence a dollar sign, in JupyterLab as in the HTML report.

    A backslash is not enough: JupyterLab's Markdown step turns ``\\$`` back into ``$`` and MathJax then
    reads "$96, but ... $44" as a formula. Each sign goes into a span of MathJax's ignore class instead
    (``mathjax_ignore`` for MathJax 3.2, the one JupyterLab 4 ships; ``tex2jax_ignore`` for older ones), so
    no two signs ever meet in one text run.

    >>> print(escape_dollars("CAC $96"))
    CAC <span class="mathjax_ignore tex2jax_ignore">\\$</span>96
    """
    return text.replace(DOLLAR, "$").replace("$", DOLLAR)




#: Column names read as shares (shown as percentages) when a table is formatted for people.
SHARE_WORDS = ("rate", "share", "conversion", "retention", "precision", "recall", "coverage", "ratio_of")


def _is_share(name: str, values: pd.Series) -> bool:
    name = name.lower()
    if not any(word in name for word in SHARE_WORDS) and name not in ("ci_low", "ci_high"):
        return False
    finite = pd.to_numeric(values, errors="coerce").dropna()
    return bool(len(finite)) and finite.between(-1, 1).all()


def _cell(value, kind: str) -> str:
    if is_missing(value):
        return ""
    if kind == "share":
        return format_pct(value, 1)
    if kind == "points":
        return format_points(value)
    if kind == "p":
        return "<0.001" if float(value) < 0.001 else f"{float(value):.3f}"
    if kind == "duration":
        return format_duration(pd.Timedelta(value).total_seconds())
    if kind == "date":
        ts = pd.Timestamp(value)
        return f"{ts:%Y-%m-%d}" if ts == ts.normalize() else f"{ts:%Y-%m-%d %H:%M}"
    if kind == "bool":
        return "yes" if bool(value) else "no"
    if kind == "int":
        return f"{int(value):,}"
    if kind == "float":
        v = float(value)
        return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:,.2f}"
    return str(value)


def people_table(frame: pd.DataFrame, index: bool = False):
    """A DataFrame formatted for people, as a pandas Styler without the index: shares as percentages (a
    column named like a rate whose values lie in 0-1), a rate's ``ci_low``/``ci_high`` folded into it as
    "23.0% (21.0%-25.0%)", counts with thousands separators, other numbers with two decimals, durations in
    words, dates without a midnight time, booleans as yes/no, and missing values blank (never ``NaN`` or
    ``None``). ``index=True`` keeps a meaningful index as the first column(s).

    >>> people_table(pd.DataFrame({"users": [1200], "rate": [0.2345], "ci_low": [0.21], "ci_high": [0.25],
    ...                            "median": [pd.Timedelta(hours=2)], "note": [None]})).data.iloc[0].tolist()
    ['1,200', '23.4% (21.0%-25.0%)', '2 h', '']
    >>> people_table(pd.DataFrame({"error_rate": [0.079], "error_ci_low": [0.07], "error_ci_high": [0.09],
    ...                            "completion_rate": [0.9], "completion_ci_low": [0.88], "completion_ci_high": [0.92]})).data.columns.tolist()
    ['error rate (95% interval)', 'completion rate (95% interval)']
    """
    if not isinstance(frame, pd.DataFrame):  # a Styler, a chart, None: shown as it is
        return frame
    out = frame.reset_index() if index else frame.copy()
    kinds = {}
    rates = [c for c in out.columns if pd.api.types.is_numeric_dtype(out[c]) and _is_share(str(c), out[c])
             and str(c) not in ("ci_low", "ci_high")]
    any_share = bool(rates)
    # ci_low / ci_high bound the one rate of the table when there is one; else the difference beside them
    folds = len(rates) == 1 and {"ci_low", "ci_high"} <= set(map(str, out.columns))
    for col in out.columns:
        s = out[col]
        name = str(col).lower()
        numeric = pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
        in_unit = numeric and pd.to_numeric(s, errors="coerce").dropna().between(-1, 1).all()
        has_diff = not folds and any(str(c).lower() == "diff" for c in out.columns)
        if numeric and name in ("p_value", "p"):
            kinds[col] = "p"
        elif numeric and any_share and in_unit and ("diff" in name or "gap" in name or "change" in name
                                                    or (has_diff and name in ("ci_low", "ci_high"))):
            kinds[col] = "points"  # a difference of two shares (and its interval), in percentage points
        elif numeric and any_share and in_unit and name.endswith(("ci_low", "ci_high")):
            kinds[col] = "share"  # the interval of a rate named before it (completion_ci_low)
        elif pd.api.types.is_bool_dtype(s):
            kinds[col] = "bool"
        elif pd.api.types.is_timedelta64_dtype(s):
            kinds[col] = "duration"
        elif pd.api.types.is_datetime64_any_dtype(s):
            kinds[col] = "date"
        elif pd.api.types.is_numeric_dtype(s) and _is_share(str(col), s):
            kinds[col] = "share"
        elif pd.api.types.is_integer_dtype(s) or (pd.api.types.is_float_dtype(s) and len(s.dropna())
                                                 and s.dropna().mod(1).eq(0).all()):  # counts with a gap
            kinds[col] = "int"
        elif pd.api.types.is_float_dtype(s):
            kinds[col] = "float"
        else:
            kinds[col] = "text"
    shown = pd.DataFrame({col: [_cell(v, kinds[col]) for v in out[col]] for col in out.columns})
    shares = [c for c in out.columns if kinds[c] == "share" and c not in ("ci_low", "ci_high")]
    if len(shares) == 1 and {"ci_low", "ci_high"} <= set(out.columns):
        rate = shares[0]
        both = [f"{v} ({lo}-{hi})" if v and lo and hi else v
                for v, lo, hi in zip(shown[rate], shown["ci_low"], shown["ci_high"])]
        shown[rate] = both
        shown = shown.drop(columns=["ci_low", "ci_high"]).rename(columns={rate: f"{rate} (95% interval)"})
    # named intervals: <x>_ci_low / <x>_ci_high fold into <x>_rate (completion_rate with completion_ci_low...)
    for col in list(shown.columns):
        prefix = str(col)[:-len("_rate")] if str(col).endswith("_rate") else None
        low, high = f"{prefix}_ci_low", f"{prefix}_ci_high"
        if prefix and kinds.get(col) == "share" and {low, high} <= set(shown.columns):
            shown[col] = [f"{v} ({lo}-{hi})" if v and lo and hi else v
                          for v, lo, hi in zip(shown[col], shown[low], shown[high])]
            shown = shown.drop(columns=[low, high]).rename(columns={col: f"{col} (95% interval)"})
    shown.columns = [str(c).replace("_", " ") for c in shown.columns]
    return shown.style.hide(axis="index")


__all__ = ["MISSING", "NOT_AVAILABLE", "is_missing", "format_pct", "format_points", "format_number",
           "format_duration", "format_value", "format_change", "escape_dollars", "people_table"]
