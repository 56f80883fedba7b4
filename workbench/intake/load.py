"""Read every export of an engagement into the canonical tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..config import EngagementConfig, TableSource
from .checks import attributes_from_lines, check_relations, estimate_missing_cost, normalise_team
from .filters import filter_mask
from .readers import CSV_SUFFIXES, csv_dialect, looks_like_data, read_export
from .tables import FILTERED_COLUMNS, REJECTED_COLUMNS, Intake, IntakeError
from .values import first_record_row, to_canonical


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
    formats: list[dict] = []
    filtered: list[dict] = []
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
        dialect = csv_dialect(path, source) if path.suffix.lower() in CSV_SUFFIXES and path.exists() else None
        raw = read_export(path, source, dialect)
        if dialect is not None:
            formats.extend(dialect.decisions(path, table))
        if path.suffix.lower() != ".parquet":
            formats.append(_header_decision(path, table, source))
        kept = filter_mask(raw, source.filter, path, table)
        try:
            canonical = to_canonical(raw, table, source, path)
        except IntakeError as exc:
            suspicious = looks_like_data(raw.columns) if source.header else []
            if suspicious:  # the likeliest cause of a missing column: a file without a header row
                raise IntakeError(
                    f"{exc}. The first row looks like data ({', '.join(suspicious[:3])}): if the file has no "
                    f"header row, set data.{table}.header: false and map columns by position (1-based)"
                ) from exc
            raise
        df, bad = canonical.table, canonical.rejected
        formats.extend(canonical.formats)
        if not kept.all():  # filtered rows are neither used nor rejected: counted and valued
            out_rows = set((raw.index[~kept] + first_record_row(path, source)).tolist())
            dropped = df["_row"].isin(out_rows)
            value = float(df.loc[dropped, "amount"].sum()) if "amount" in df else None
            filtered.append({"table": table, "file": path.name, "rows": len(out_rows), "amount": value})
            df = df.loc[~dropped].reset_index(drop=True)
            bad = bad.loc[~bad["row"].isin(out_rows)].reset_index(drop=True)
        tables[table], read_rows[table], files[table] = df, len(raw), path
        rejected.append(bad)

    rejected.append(check_relations(tables, files))
    for name in tables:
        tables[name] = tables[name].drop(columns="_row")
    if "clients" not in tables:
        ids = tables["transactions"]["client_id"].dropna().unique()
        tables["clients"] = pd.DataFrame({"client_id": pd.Series(sorted(ids), dtype="string")})
    tables["clients"], notes = attributes_from_lines(
        tables["clients"], tables["transactions"], files["transactions"].name
    )
    tx, estimated = estimate_missing_cost(tables["transactions"])
    if estimated:
        tables["transactions"] = tx
        notes.append({"key": "cost_estimated", "values": {"n": estimated, "file": files["transactions"].name}})
    if "team" not in tables and config.team:
        tables["team"] = pd.DataFrame([m.model_dump() for m in config.team])
    if "team" in tables:
        tables["team"] = normalise_team(tables["team"])
    if tables["transactions"].empty:
        path = files["transactions"]
        raise IntakeError(
            f"{path}: no usable transaction rows (all {read_rows['transactions']} rejected; see rejected.csv)"
        )
    frames = [r for r in rejected if not r.empty]
    all_rejected = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=REJECTED_COLUMNS)
    return Intake(
        tables=tables,
        rejected=all_rejected.reindex(columns=REJECTED_COLUMNS),
        read_rows=read_rows,
        files=files,
        notes=notes,
        formats=formats,
        filtered=pd.DataFrame(filtered, columns=FILTERED_COLUMNS),
    )


def _header_decision(path: Path, table: str, source: TableSource) -> dict:
    given = "header" in source.model_fields_set
    return {
        "table": table,
        "file": path.name,
        "column": "",
        "canonical": "",
        "setting": "header",
        "value": "true" if source.header else "false",
        "how": "config" if given else "default: the first row names the columns",
        "thousands": "",
        "basis": "config" if given else "default",
    }


def describe_formats(intake: Intake) -> str:
    """What intake decided per file and column, and the ``engagement.yaml`` lines that pin it.

    For ``workbench validate``: settings decided from the data are listed with
    their evidence; those given in the config are marked ``config``.
    """
    import yaml

    if not intake.formats:
        return ""
    decided = pd.DataFrame(intake.formats)
    lines, pins = [], {}
    for (table, file), rows in decided.groupby(["table", "file"], sort=False):
        lines.append(f"data.{table} ({file}):")
        pin: dict[str, str | bool] = {}
        for row in rows.to_dict("records"):
            where = f"column {row['column']!r} ({table}.{row['canonical']}) " if row["column"] != "" else ""
            extra = f", thousands {row['thousands']!r}" if row["setting"] == "decimal" and row["thousands"] else ""
            lines.append(f"  {where}{row['setting']}: {row['value']!r}{extra}  [{row['how']}]")
            value = PIN_VALUES.get(row["value"], row["value"])
            if value is None or row["how"] == "config":
                continue
            key = row["setting"]
            if key in pin and pin[key] != value:  # two columns decided differently: nothing one key can pin
                pin[key] = "(columns differ)"
                continue
            pin[key] = value == "true" if key == "header" else value
            if key == "decimal":
                pin["thousands"] = row["thousands"]
        pin = {k: v for k, v in pin.items() if v != "(columns differ)" and not (k == "header" and v is True)}
        if pin:
            pins[table] = pin
    if pins:
        lines.append("\nTo pin what was decided, add to engagement.yaml (explicit settings always win):")
        text = yaml.safe_dump({"data": pins}, allow_unicode=True, sort_keys=False, default_flow_style=False)
        lines.extend("  " + line for line in text.rstrip().splitlines())
    return "\n".join(lines)


#: Decided values written as config values (None: nothing a config key can say).
PIN_VALUES: dict[str, str | None] = {"ISO 8601": "ISO8601", "excel serial": None}
