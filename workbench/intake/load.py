"""Read every export of an engagement into the canonical tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..config import EngagementConfig
from .checks import check_relations, estimate_missing_cost, normalise_team
from .readers import read_export
from .tables import REJECTED_COLUMNS, Intake, IntakeError
from .values import to_canonical


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

    rejected.append(check_relations(tables, files))
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
        tables["team"] = normalise_team(tables["team"])
    if tables["transactions"].empty:
        path = files["transactions"]
        raise IntakeError(
            f"{path}: no usable transaction rows (all {read_rows['transactions']} rejected; see rejected.csv)"
        )
    frames = [r for r in rejected if not r.empty]
    all_rejected = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=REJECTED_COLUMNS)
    return Intake(tables=tables, rejected=all_rejected[REJECTED_COLUMNS], read_rows=read_rows, files=files, notes=notes)
