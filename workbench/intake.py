"""Intake: read CRM exports (CSV, Excel, Parquet) into the canonical tables.

The engagement config maps each canonical column to a column of the export.
Rows that cannot be used are not dropped silently: each is kept in the
``rejected`` table with the file, the row as a spreadsheet shows it, the
column, the value and the reason. Problems that make a whole file unusable
(missing file, missing required column) raise :class:`IntakeError`.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .config import CANONICAL_COLUMNS, ROLES, EngagementConfig, TableSource

ID_COLUMNS = {"client_id", "invoice_id", "manager_id", "inn"}
DATE_COLUMNS = {"date", "due_date", "paid_date"}
NUMBER_COLUMNS = {
    "amount",
    "cost",
    "employees",
    "annual_revenue",
    "potential_score",
    "capacity",
    "quantity",
    "unit_price",
}
#: Canonical columns that can be computed from others when the export lacks them.
DERIVED = {("transactions", "amount"): ("quantity", "unit_price")}
#: Columns that may be empty in a row without rejecting it.
NULLABLE = {
    "paid_date",
    "employees",
    "annual_revenue",
    "potential_score",
    "name",
    "inn",
    "region",
    "industry",
    "channel",
    "division",
    "manager_id",
    "status",
    "product_line",
    "invoice_id",
    "capacity",
    "amount_paid",
    "cost",  # estimated from the line's product line (see estimate_missing_cost), not rejected
}
REJECTED_COLUMNS = ["table", "file", "row", "column", "value", "reason"]


class IntakeError(ValueError):
    """An export cannot be used at all; the message names the file and what is wrong."""


@dataclass
class Intake:
    """The canonical tables of one engagement, plus what was rejected and why."""

    tables: dict[str, pd.DataFrame]
    rejected: pd.DataFrame
    read_rows: dict[str, int] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    notes: list[dict] = field(default_factory=list)

    def summary(self) -> pd.DataFrame:
        """Rows read, accepted and rejected per table."""
        rows = []
        for table, df in self.tables.items():
            rejected = int((self.rejected["table"] == table).sum()) if not self.rejected.empty else 0
            rejected_rows = self.rejected.loc[self.rejected["table"] == table, "row"].nunique() if rejected else 0
            rows.append(
                {
                    "table": table,
                    "file": self.files[table].name if table in self.files else "",
                    "rows_read": self.read_rows.get(table, len(df)),
                    "rows_accepted": len(df),
                    "rows_rejected": int(rejected_rows),
                    # Kept, since a CRM may repeat a line on purpose, but worth a look.
                    "exact_duplicates": int(df.duplicated().sum()),
                }
            )
        return pd.DataFrame(rows)


# --------------------------------------------------------------------------- reading


def read_export(path: Path, source: TableSource) -> pd.DataFrame:
    """Read one export file as text columns (types are checked later, row by row).

    Parameters
    ----------
    path : Path
        A ``.csv``/``.txt``, ``.xlsx``/``.xls`` or ``.parquet`` file.
    source : TableSource
        Reading options (separator, encoding, sheet).
    """
    if not path.exists():
        raise IntakeError(f"{path}: file not found")
    suffix = path.suffix.lower()
    try:
        if suffix in {".csv", ".txt", ".tsv"}:
            sep = "\t" if suffix == ".tsv" and source.sep == "," else source.sep
            try:  # pyarrow's reader is several times faster on large exports
                return pd.read_csv(
                    path, engine="pyarrow", sep=sep, encoding=source.encoding, dtype=str, keep_default_na=False
                )
            except (
                ValueError,
                ImportError,
                UnicodeDecodeError,
            ):  # options or a file it cannot take: the C reader decides
                return pd.read_csv(path, sep=sep, encoding=source.encoding, dtype=str, keep_default_na=False)
        if suffix in {".xlsx", ".xlsm", ".xls"}:
            df = pd.read_excel(path, sheet_name=source.sheet or 0, dtype=object)
            return df
        if suffix == ".parquet":
            return pd.read_parquet(path)
    except UnicodeDecodeError as exc:
        raise IntakeError(
            f"{path}: not readable as {source.encoding} ({exc.reason} at byte {exc.start}); "
            f"set the file's encoding in engagement.yaml, e.g. encoding: cp1251"
        ) from exc
    except (ValueError, OSError) as exc:
        raise IntakeError(f"{path}: cannot read the file: {exc}") from exc
    raise IntakeError(f"{path}: unsupported file type '{suffix}'; expected .csv, .xlsx or .parquet")


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


# --------------------------------------------------------------------------- the engagement


def load_tables(config: EngagementConfig, engagement_dir: str | Path) -> Intake:
    """Read every export named in the config into canonical tables.

    Parameters
    ----------
    config : EngagementConfig
    engagement_dir : path
        Export paths in the config are relative to this folder.

    Returns
    -------
    Intake
        ``tables`` always holds ``clients`` and ``transactions`` (clients are
        derived from transactions when no client export is given), and
        ``payments``/``team`` when given.
    """
    base = Path(engagement_dir)
    tables: dict[str, pd.DataFrame] = {}
    rejected: list[pd.DataFrame] = []
    read_rows: dict[str, int] = {}
    files: dict[str, Path] = {}
    sources = {t: getattr(config.data, t) for t in ("clients", "transactions", "payments", "team")}
    missing = [
        f"{(base / s.file).resolve()} (data.{t}.file)" for t, s in sources.items() if s and not (base / s.file).exists()
    ]
    if missing:
        raise IntakeError("file(s) not found: " + "; ".join(missing))
    for table, source in sources.items():
        if source is None:
            continue
        path = (base / source.file).resolve()
        raw = read_export(path, source)
        df, bad = to_canonical(raw, table, source, path)
        tables[table], read_rows[table], files[table] = df, len(raw), path
        rejected.append(bad)

    rejected.append(_check_relations(tables, files))
    for name in tables:
        tables[name] = tables[name].drop(columns="_row")
    if "clients" not in tables:
        ids = tables["transactions"]["client_id"].dropna().unique()
        tables["clients"] = pd.DataFrame({"client_id": pd.Series(sorted(ids), dtype="string")})
    notes = []
    tx, estimated = estimate_missing_cost(tables["transactions"])
    if estimated:
        tables["transactions"] = tx
        notes.append({"key": "cost_estimated", "values": {"n": estimated, "file": files["transactions"].name}})
    if "team" not in tables and config.team:
        tables["team"] = pd.DataFrame([m.model_dump() for m in config.team])
    if "team" in tables:
        tables["team"] = _normalise_team(tables["team"])
    if tables["transactions"].empty:
        path = files["transactions"]
        raise IntakeError(
            f"{path}: no usable transaction rows (all {read_rows['transactions']} rejected; see rejected.csv)"
        )
    frames = [r for r in rejected if not r.empty]
    all_rejected = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=REJECTED_COLUMNS)
    return Intake(tables=tables, rejected=all_rejected[REJECTED_COLUMNS], read_rows=read_rows, files=files, notes=notes)


def estimate_missing_cost(transactions: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Fill an empty cost from the cost ratio of the line's product line (or of all lines).

    A line without cost keeps its revenue in the analysis instead of being
    rejected; its cost is ``amount x cost/amount`` of the lines of the same
    product line that have a cost. ``cost_estimated`` marks such lines.
    Nothing is estimated when no line has a cost (margin is then unknown).

    Returns
    -------
    transactions : DataFrame
    estimated : int
        How many lines got an estimated cost.
    """
    if "cost" not in transactions:
        return transactions, 0
    missing = transactions["cost"].isna()
    if not missing.any() or missing.all():
        return transactions, 0
    known = transactions.loc[~missing]
    overall = known["cost"].sum() / known["amount"].sum()
    ratio = pd.Series(overall, index=transactions.index)
    if "product_line" in transactions:
        sums = known.groupby("product_line")[["cost", "amount"]].sum()
        by_line = transactions["product_line"].map(sums["cost"] / sums["amount"])
        ratio = by_line.where(by_line.notna(), overall)
    out = transactions.copy()
    out.loc[missing, "cost"] = out.loc[missing, "amount"] * ratio[missing]
    out["cost_estimated"] = missing
    return out, int(missing.sum())


def _check_relations(tables: dict[str, pd.DataFrame], files: dict[str, Path]) -> pd.DataFrame:
    """Reject duplicate clients, lines of unknown clients and payments of unknown invoices."""
    problems = []
    if "clients" in tables:
        clients = tables["clients"]
        dup = clients["client_id"].duplicated(keep="first")
        if dup.any():
            problems.append(
                _relation_rejects("clients", files, clients, dup, "client_id", "duplicate client_id (first row kept)")
            )
            tables["clients"] = clients.loc[~dup].reset_index(drop=True)
        known = set(tables["clients"]["client_id"])
        tx = tables["transactions"]
        unknown = ~tx["client_id"].isin(known)
        if unknown.any():
            problems.append(
                _relation_rejects("transactions", files, tx, unknown, "client_id", "client_id not in the clients file")
            )
            tables["transactions"] = tx.loc[~unknown].reset_index(drop=True)
    if "payments" in tables and "invoice_id" in tables["transactions"]:
        pay = tables["payments"]
        unknown = ~pay["invoice_id"].isin(set(tables["transactions"]["invoice_id"].dropna()))
        if unknown.any():
            problems.append(
                _relation_rejects(
                    "payments", files, pay, unknown, "invoice_id", "invoice_id not in the transactions file"
                )
            )
            tables["payments"] = pay.loc[~unknown].reset_index(drop=True)
    return pd.concat(problems, ignore_index=True) if problems else pd.DataFrame(columns=REJECTED_COLUMNS)


def _relation_rejects(table, files, df, mask, column, reason) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "table": table,
            "file": files[table].name,
            "row": df.loc[mask, "_row"].to_numpy(),
            "column": column,
            "value": df.loc[mask, column].astype(str).to_numpy(),
            "reason": reason,
        }
    )


def _normalise_team(team: pd.DataFrame) -> pd.DataFrame:
    team = team.copy()
    team["role"] = team["role"].astype("string").str.strip().str.lower().str.replace(r"[\s-]+", "_", regex=True)
    unknown = ~team["role"].isin(ROLES)
    if unknown.any():
        bad = team.loc[unknown, ["manager_id", "role"]].to_dict("records")
        raise IntakeError(f"team: unknown role(s) {bad}; expected one of {', '.join(ROLES)}")
    if "capacity" not in team:
        team["capacity"] = 1.0
    team["capacity"] = team["capacity"].fillna(1.0).astype(float)
    return team


# --------------------------------------------------------------------------- the analysis period


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
