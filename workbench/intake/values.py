"""Type and check each value of an export: canonical names, dates, numbers, ids.

A value that cannot be read is not dropped: its row goes to the rejected
table with the file, the row as a spreadsheet shows it, the column, the value
and the reason.
"""

from __future__ import annotations

import datetime as dt
import difflib
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import CANONICAL_COLUMNS, TableSource
from .tables import DATE_COLUMNS, DERIVED, ID_COLUMNS, NULLABLE, NUMBER_COLUMNS, REJECTED_COLUMNS, IntakeError


def to_canonical(raw: pd.DataFrame, table: str, source: TableSource, path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rename, type and check one export; return (canonical table, rejected rows).

    Columns not named in ``source.columns`` are looked up under their canonical
    name, so an export that already uses canonical names needs no mapping.
    """
    spec = CANONICAL_COLUMNS[table]
    mapping = {canon: src for canon, src in source.columns.items()}
    for canon in spec["required"] + spec["optional"]:
        if canon not in mapping and canon in raw.columns:
            mapping[canon] = canon
    for canon, src in mapping.items():
        if src not in raw.columns:
            near = difflib.get_close_matches(str(src), [str(c) for c in raw.columns], n=1, cutoff=0.5)
            hint = f"did you mean '{near[0]}'?" if near else f"columns in the file: {', '.join(map(str, raw.columns))}"
            raise IntakeError(f"{path}: column '{src}' (mapped to {table}.{canon}) not found; {hint}")
    missing = [
        c
        for c in spec["required"]
        if c not in mapping and not all(part in mapping for part in DERIVED.get((table, c), ("-",)))
    ]
    if missing:
        derivable = [
            f" (or {' and '.join(table + '.' + p for p in DERIVED[(table, c)])})" if (table, c) in DERIVED else ""
            for c in missing
        ]
        raise IntakeError(
            f"{path}: required column(s) {', '.join(table + '.' + c + d for c, d in zip(missing, derivable, strict=True))} not mapped; "
            f"add them under data.{table}.columns in engagement.yaml (columns in the file: "
            f"{', '.join(map(str, raw.columns))})"
        )
    first_row = 1 if path.suffix.lower() == ".parquet" else 2  # spreadsheet row of the first record
    out = pd.DataFrame({"_row": raw.index + first_row}, index=raw.index)
    problems: list[pd.DataFrame] = []
    for canon, src in mapping.items():
        values = raw[src]
        text = values.astype("string").str.strip()
        empty = text.isna() | (text == "") | text.str.lower().isin(["nan", "nat", "none", "null"])
        if canon in DATE_COLUMNS:
            parsed = _parse_dates(values, text, source)
            bad = parsed.isna() & ~empty
            reason = "not a date" + (f" in format {source.date_format}" if source.date_format else "")
        elif canon in NUMBER_COLUMNS:
            parsed = _parse_numbers(values, text, source)
            bad = parsed.isna() & ~empty
            reason = "not a number"
        else:
            parsed = text.where(~empty, pd.NA)
            if canon in ID_COLUMNS:
                parsed = parsed.str.replace(r"\.0$", "", regex=True)  # ids that a spreadsheet made floats
            bad = pd.Series(False, index=raw.index)
            reason = ""
        out[canon] = parsed
        if bad.any():
            problems.append(_rejections(table, path, raw.index[bad], first_row, canon, values[bad], reason))
        if canon not in NULLABLE and (empty & ~bad).any():
            hit = empty & ~bad
            problems.append(_rejections(table, path, raw.index[hit], first_row, canon, values[hit], "empty"))
    for (tab, canon), parts in DERIVED.items():
        if tab == table and canon not in mapping and all(p in out for p in parts):
            out[canon] = out[parts[0]] * out[parts[1]]
    rejected = pd.concat(problems, ignore_index=True) if problems else _empty_rejected()
    keep = ~raw.index.isin(rejected["_index"]) if not rejected.empty else pd.Series(True, index=raw.index)
    return out.loc[keep].reset_index(drop=True), rejected.drop(columns="_index", errors="ignore")


def _parse_dates(values: pd.Series, text: pd.Series, source: TableSource) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.tz_localize(None) if values.dt.tz is not None else values
    if source.date_format:
        parsed = pd.to_datetime(text, format=source.date_format, errors="coerce")
    else:
        # ISO dates parse fast; only what is left goes through the slow per-value parser.
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
        rest = parsed.isna() & text.notna()
        if rest.any():
            parsed[rest] = pd.to_datetime(text[rest], format="mixed", dayfirst=source.dayfirst, errors="coerce")
    # Spreadsheet cells that already hold dates are taken as they are, whatever the text format.
    typed = _typed_cells(values, (dt.date, pd.Timestamp))
    if typed is not None:
        parsed = parsed.astype("datetime64[ns]")
        parsed[typed] = pd.to_datetime(values[typed].map(pd.Timestamp))
    return parsed


def _parse_numbers(values: pd.Series, text: pd.Series, source: TableSource) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values):
        return values.astype(float)
    if source.decimal == ".":
        parsed = pd.to_numeric(text, errors="coerce").astype(float)  # the fast path: clean numbers
        rest = parsed.isna() & text.notna()
    else:
        parsed = pd.Series(np.nan, index=text.index)
        rest = text.notna()
    if rest.any():  # thousands separators (spaces) and decimal commas
        cleaned = text[rest].str.replace(r"[\s\u00a0]", "", regex=True)
        if source.decimal != ".":
            cleaned = cleaned.str.replace(".", "", regex=False).str.replace(source.decimal, ".", regex=False)
        parsed[rest] = pd.to_numeric(cleaned, errors="coerce").astype(float)
    # Spreadsheet cells that already hold numbers are not text: no separator rules apply to them.
    typed = _typed_cells(values, (int, float))
    if typed is not None:
        parsed[typed] = values[typed].astype(float)
    return parsed


def _typed_cells(values: pd.Series, types: tuple) -> pd.Series | None:
    """Mask of cells holding ``types`` (not text), or None when the column is all text (CSV)."""
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        return None
    typed = values.map(lambda v: isinstance(v, types) and not isinstance(v, bool))
    return typed if typed.any() else None


def _rejections(
    table: str, path: Path, index, first_row: int, column: str, values: pd.Series, reason: str
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "table": table,
            "file": path.name,
            "row": [int(i) + first_row for i in index],
            "column": column,
            "value": values.astype(str).to_numpy(),
            "reason": reason,
            "_index": list(index),
        }
    )


def _empty_rejected() -> pd.DataFrame:
    return pd.DataFrame(columns=REJECTED_COLUMNS + ["_index"])
