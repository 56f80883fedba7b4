"""Row filters: keep or exclude export rows by the values of their columns.

An export often holds more than sales (open orders, drafts, cancelled
documents beside closed ones). ``data.<table>.filter`` keeps only the rows
wanted; the rows it leaves out are not rejected (nothing is wrong with them)
but counted and valued per file, so that rows read = used + filtered + rejected.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pandas as pd

from ..config import RowFilter
from .tables import IntakeError


def filter_mask(raw: pd.DataFrame, rule: RowFilter | None, path: Path, table: str) -> pd.Series:
    """True for the rows the filter keeps (all rows without a filter).

    Raises
    ------
    IntakeError
        A filter names a column the file does not have.
    """
    keep = pd.Series(True, index=raw.index)
    if rule is None:
        return keep
    for kind, conditions in (("keep", rule.keep), ("exclude", rule.exclude)):
        for column, values in conditions.items():
            if column not in raw.columns:
                names = [str(c) for c in raw.columns]
                near = difflib.get_close_matches(str(column), names, n=1, cutoff=0.5)
                hint = f"did you mean '{near[0]}'?" if near else f"columns in the file: {', '.join(names)}"
                raise IntakeError(f"{path}: data.{table}.filter.{kind}: column {column!r} not found; {hint}")
            matches = raw[column].astype("string").str.strip().isin([str(v).strip() for v in values])
            keep &= matches.fillna(False) if kind == "keep" else ~matches.fillna(False)
    return keep
