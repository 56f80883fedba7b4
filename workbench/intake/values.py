"""Type and check each value of an export: canonical names, dates, numbers, ids.

A value that cannot be read is not dropped: its row goes to the rejected
table with the file, the row as a spreadsheet shows it, the column, the value
and the reason.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import asdict
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from ..config import CANONICAL_COLUMNS, TableSource
from .formats import ColumnFormat, parse_dates, parse_numbers
from .tables import DATE_COLUMNS, DERIVED, ID_COLUMNS, NULLABLE, NUMBER_COLUMNS, REJECTED_COLUMNS, IntakeError


class Canonical(NamedTuple):
    """One export as a canonical table, its rejected rows, and the formats decided for its columns."""

    table: pd.DataFrame
    rejected: pd.DataFrame
    formats: list[dict]


def to_canonical(raw: pd.DataFrame, table: str, source: TableSource, path: Path) -> Canonical:
    """Rename, type and check one export.

    Columns not named in ``source.columns`` are looked up under their canonical
    name, so an export that already uses canonical names needs no mapping.
    Without a header row (``source.header`` false) ``raw``'s columns are the
    positions 1, 2, ... and the mapping names positions. Each date and number
    column is read in one format decided from all its values
    (:mod:`workbench.intake.formats`); ``formats`` says which and why.
    """
    spec = CANONICAL_COLUMNS[table]
    mapping: dict[str, str | int] = dict(source.columns)
    for canon in spec["required"] + spec["optional"]:
        if canon not in mapping and canon in raw.columns:
            mapping[canon] = canon
    for canon, src in mapping.items():
        if src not in raw.columns:
            if isinstance(src, int):
                raise IntakeError(
                    f"{path}: column {src} (mapped to {table}.{canon}) not found; the file has {raw.shape[1]} columns"
                )
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
        listed = ", ".join(table + "." + c + d for c, d in zip(missing, derivable, strict=True))
        raise IntakeError(
            f"{path}: required column(s) {listed} not mapped; "
            f"add them under data.{table}.columns in engagement.yaml (columns in the file: "
            f"{', '.join(map(str, raw.columns))})"
        )
    first_row = first_record_row(path, source)
    out = pd.DataFrame({"_row": raw.index + first_row}, index=raw.index)
    problems: list[pd.DataFrame] = []
    formats: list[dict] = []
    for canon, src in mapping.items():
        values = raw[src]
        text = values.astype("string").str.strip()
        empty = text.isna() | (text == "") | text.str.lower().isin(["nan", "nat", "none", "null"])
        where = f"{path.name}, column {src!r} ({table}.{canon})"
        if canon in DATE_COLUMNS:
            parsed, decided = _parse_dates(values, text.where(~empty), source, where)
            bad = parsed.isna() & ~empty
            reason = "not a date" + (f" in format {decided.value}" if decided else "")
        elif canon in NUMBER_COLUMNS:
            parsed, decided = _parse_numbers(values, text.where(~empty), source, where)
            bad = parsed.isna() & ~empty
            reason = "not a number" + (f" (decimal mark '{decided.value}')" if decided else "")
        else:
            parsed, decided = text.where(~empty, pd.NA), None
            if canon in ID_COLUMNS:
                parsed = parsed.str.replace(r"\.0$", "", regex=True)  # ids that a spreadsheet made floats
            bad = pd.Series(False, index=raw.index)
            reason = ""
        out[canon] = parsed
        if decided is not None:
            formats.append({"table": table, "file": path.name, "column": src, "canonical": canon, **asdict(decided)})
        if bad.any():
            problems.append(_rejections(table, path, raw.index[bad], first_row, canon, values[bad], reason))
        if canon not in NULLABLE and (empty & ~bad).any():
            hit = empty & ~bad
            problems.append(_rejections(table, path, raw.index[hit], first_row, canon, values[hit], "empty"))
    for (tab, canon), parts in DERIVED.items():
        if tab == table and canon not in mapping and all(p in out for p in parts):
            out[canon] = out[parts[0]] * out[parts[1]]
    rejected = pd.concat(problems, ignore_index=True) if problems else _empty_rejected()
    rejected["amount"] = rejected["_index"].map(out["amount"]) if "amount" in out else np.nan
    keep = ~raw.index.isin(rejected["_index"]) if not rejected.empty else pd.Series(True, index=raw.index)
    return Canonical(out.loc[keep].reset_index(drop=True), rejected.drop(columns="_index", errors="ignore"), formats)


def first_record_row(path: Path, source: TableSource) -> int:
    """The row number a spreadsheet shows for the file's first record (1 without a header row)."""
    return 1 if path.suffix.lower() == ".parquet" or not source.header else 2


def _parse_dates(
    values: pd.Series, text: pd.Series, source: TableSource, where: str
) -> tuple[pd.Series, ColumnFormat | None]:
    if pd.api.types.is_datetime64_any_dtype(values):
        return (values.dt.tz_localize(None) if values.dt.tz is not None else values), None
    # Spreadsheet cells that already hold dates are taken as they are; the format is decided on the text cells.
    typed = _typed_cells(values, (dt.date, pd.Timestamp))
    parsed, decided = parse_dates(
        text if typed is None else text.where(~typed),
        date_format=source.date_format,
        dayfirst=source.dayfirst,
        locale=source.locale,
        where=where,
    )
    if typed is not None:
        parsed = parsed.astype("datetime64[ns]")
        parsed[typed] = pd.to_datetime(values[typed].map(pd.Timestamp))
    return parsed, decided


def _parse_numbers(
    values: pd.Series, text: pd.Series, source: TableSource, where: str
) -> tuple[pd.Series, ColumnFormat | None]:
    if pd.api.types.is_numeric_dtype(values):
        return values.astype(float), None
    # Spreadsheet cells that already hold numbers are not text: no separator rules apply to them.
    typed = _typed_cells(values, (int, float))
    parsed, decided = parse_numbers(
        text if typed is None else text.where(~typed),
        decimal=source.decimal,
        thousands=source.thousands,
        locale=source.locale,
        where=where,
    )
    if typed is not None:
        parsed[typed] = values[typed].astype(float)
    return parsed, decided


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
