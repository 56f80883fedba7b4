"""Read one export file (CSV, Excel, Parquet) as it is, before any typing."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..config import TableSource
from .tables import IntakeError


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
