"""Artifacts of a run: what each step saves for the steps after it.

A run folder holds ``artifacts/<step>/<name>.parquet`` for tables and
``artifacts/<step>/<name>.json`` for everything else. Steps read only the
canonical tables (saved by intake) and artifacts of earlier steps.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd


def _dir(run_dir: str | Path, step: str) -> Path:
    return Path(run_dir) / "artifacts" / step


def save(run_dir: str | Path, step: str, **objects: Any) -> list[Path]:
    """Save each keyword as ``artifacts/<step>/<name>`` (DataFrame -> Parquet, else JSON)."""
    folder = _dir(run_dir, step)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, obj in objects.items():
        if isinstance(obj, pd.DataFrame):
            path = folder / f"{name}.parquet"
            obj.to_parquet(path, index=False)
        else:
            path = folder / f"{name}.json"
            path.write_text(json.dumps(obj, ensure_ascii=False, indent=2, default=_jsonable), encoding="utf-8")
        written.append(path)
    return written


def load(run_dir: str | Path, step: str, name: str, optional: bool = False) -> Any:
    """Load an artifact saved by :func:`save`; the error names the step that should have made it.

    With ``optional=True`` a missing artifact (a table the export did not
    have, say) gives None instead.
    """
    folder = _dir(run_dir, step)
    for path in (folder / f"{name}.parquet", folder / f"{name}.json"):
        if path.exists():
            if path.suffix == ".parquet":
                return pd.read_parquet(path)
            return json.loads(path.read_text(encoding="utf-8"))
    if optional:
        return None
    raise FileNotFoundError(f"artifact '{step}/{name}' not found in {folder}: run the '{step}' step first")


def _jsonable(obj: Any) -> Any:
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    if hasattr(obj, "item"):
        return obj.item()
    raise TypeError(f"cannot save {type(obj).__name__} as JSON")


def note(key: str, **values: Any) -> dict:
    """A remark for the report: a catalogue key (``notes.<key>``) and its values."""
    return {"key": key, "values": values}


#: A text cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """``value`` as a spreadsheet shows it as text: a formula-like string gets a leading apostrophe.

    A text that starts with ``= + - @``, a tab or a carriage return is a
    formula to Excel, LibreOffice and Google Sheets; with an apostrophe in
    front it is text (the OWASP rule for CSV injection). Anything else,
    numbers (a negative number too), dates and missing values, is returned as it is.
    """
    return "'" + value if is_formula(value) else value


def is_formula(value: Any) -> bool:
    """Whether a spreadsheet would run ``value`` as a formula (a text starting with :data:`FORMULA_STARTS`)."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def spreadsheet_safe(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells cannot run as spreadsheet formulas.

    Client data reaches every file a person opens in Excel (a team member named
    ``=HYPERLINK("http://…")``, a rejected cell ``-2+3``): a text cell that
    starts with ``= + - @``, a tab or a carriage return gets a leading
    apostrophe, which spreadsheets show as text (the OWASP rule for CSV
    injection). Numbers, dates and booleans are left as they are.
    """
    out = df.copy()
    for col in out.columns:
        values = out[col]
        if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
            continue
        if values.map(is_formula).any():
            out[col] = values.astype(object).map(neutralise)
    return out


def write_csv(df: pd.DataFrame, path: str | Path) -> Path:
    """Write a table for people to open (rejected rows, call plan): UTF-8 with BOM, formulas neutralised.

    The BOM makes Excel read UTF-8 (Cyrillic names) right when the file is double-clicked.
    """
    path = Path(path)
    spreadsheet_safe(df).to_csv(path, index=False, encoding="utf-8-sig")
    return path
