"""The analysis period: which dates count as "current"."""

from __future__ import annotations

import pandas as pd


def analysis_period(
    transactions: pd.DataFrame, as_of=None, lookback_months: int = 12
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The window that counts as "current": ``lookback_months`` up to ``as_of``.

    ``as_of`` defaults to the last transaction date, so a stale export is
    analysed as of its own end rather than today.
    """
    end = (pd.Timestamp(as_of) if as_of is not None else pd.Timestamp(transactions["date"].max())).normalize()
    start = end - pd.DateOffset(months=lookback_months) + pd.Timedelta(days=1)
    return start, end


def until_end_of(end: pd.Timestamp, dates: pd.Series) -> pd.Series:
    """Dates on or before the day ``end`` (a line at 15:30 on the last day is in)."""
    return dates < pd.Timestamp(end).normalize() + pd.Timedelta(days=1)
