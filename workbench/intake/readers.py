"""Read one export file (CSV, Excel, Parquet) as it is, before any typing.

For a CSV, what the config leaves out is decided from the file: the
encoding (UTF-8 with or without BOM, else Windows-1251 when the text reads as
Russian), the separator (the one of ``, ; tab |`` that splits every sampled
line into the same number of fields) and whether the first row is a header.
An empty last column, which a trailing separator makes, is dropped.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..config import TableSource
from .tables import IntakeError

SEPARATORS = (",", ";", "\t", "|")
CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
#: Bytes read to decide encoding and separator.
SAMPLE_BYTES = 1 << 20
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_DATA_LIKE = re.compile(r"^[+-]?[\d\s\u00a0.,:/-]*\d[\d\s\u00a0.,:/-]*$")


@dataclass(frozen=True)
class CsvDialect:
    """How a CSV is read, and for each setting how it was decided (``config``, or the evidence)."""

    encoding: str
    encoding_how: str
    sep: str
    sep_how: str

    def decisions(self, path: Path, table: str) -> list[dict]:
        """The decisions as rows for ``workbench validate`` (the same shape as column formats)."""
        shown = {"utf-8-sig": "utf-8"}  # BOM or not, the config says utf-8
        return [
            {"table": table, "file": path.name, "column": "", "canonical": "", "setting": "encoding",
             "value": shown.get(self.encoding, self.encoding), "how": self.encoding_how, "thousands": "",
             "basis": "config" if self.encoding_how == "config" else "only_fit"},
            {"table": table, "file": path.name, "column": "", "canonical": "", "setting": "sep",
             "value": self.sep, "how": self.sep_how, "thousands": "",
             "basis": "config" if self.sep_how == "config" else "only_fit"},
        ]  # fmt: skip


def csv_dialect(path: Path, source: TableSource) -> CsvDialect:
    """Decide the encoding and separator of a CSV from a sample (settings in ``source`` win).

    Raises
    ------
    IntakeError
        The sample is not UTF-8 and does not read as Russian Windows-1251 either.
    """
    with open(path, "rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    if source.encoding:
        encoding, encoding_how = source.encoding, "config"
    elif sample.startswith(codecs.BOM_UTF8):
        encoding, encoding_how = "utf-8-sig", "byte-order mark"
    else:
        try:
            codecs.getincrementaldecoder("utf-8")().decode(sample, final=len(sample) < SAMPLE_BYTES)
            encoding, encoding_how = "utf-8", "reads as UTF-8"
        except UnicodeDecodeError as exc:
            if _reads_as_russian(sample.decode("cp1251", errors="replace")):
                encoding, encoding_how = "cp1251", "not UTF-8; reads as Russian in Windows-1251"
            else:
                raise IntakeError(
                    f"{path}: not UTF-8 ({exc.reason} at byte {exc.start}) and not Russian Windows-1251 text; "
                    "set the file's encoding in engagement.yaml, e.g. encoding: latin-1"
                ) from exc
    if source.sep:
        sep, sep_how = source.sep, "config"
    elif path.suffix.lower() == ".tsv":
        sep, sep_how = "\t", "file type .tsv"
    else:
        sep, sep_how = _sniff_separator(sample.decode(encoding, errors="replace"))
    return CsvDialect(encoding, encoding_how, sep, sep_how)


def _reads_as_russian(text: str) -> bool:
    """Whether text decoded as Windows-1251 looks Russian: its Cyrillic words are wholly Cyrillic.

    Any high byte decodes to a Cyrillic letter in Windows-1251, so Latin-1 text
    ("Café Müller") would too; but there the letters sit inside Latin words.
    """
    words = [w for w in re.findall(r"[^\W\d_]+", text) if _CYRILLIC.search(w)]
    mixed = sum(bool(re.search("[a-zA-Z]", w)) for w in words)
    return bool(words) and mixed / len(words) < 0.1


def _sniff_separator(text: str) -> tuple[str, str]:
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    if len(lines) > 1 and not text.endswith("\n"):
        lines = lines[:-1]  # the sample may end inside a line
    best: tuple[int, str] | None = None
    for sep in SEPARATORS:
        widths = {len(row) for row in csv.reader(io.StringIO("\n".join(lines)), delimiter=sep)}
        if len(widths) == 1 and (n := widths.pop()) > 1 and (best is None or n > best[0]):
            best = (n, sep)
    if best is None:
        return ",", "no separator splits every line alike: read as one column"
    return best[1], f"splits every sampled line into {best[0]} fields"


def read_export(path: Path, source: TableSource, dialect: CsvDialect | None = None) -> pd.DataFrame:
    """Read one export file as text columns (types are checked later, column by column).

    Parameters
    ----------
    path : Path
        A ``.csv``/``.txt``/``.tsv``, ``.xlsx``/``.xls`` or ``.parquet`` file.
    source : TableSource
        Reading options (header, separator, encoding, sheet).
    dialect : CsvDialect, optional
        For a CSV, as decided by :func:`csv_dialect` (decided here if not given).

    Returns
    -------
    DataFrame
        With a header row, its column names; without one (``header: false``),
        the positions 1, 2, ... An empty last column is dropped.
    """
    if not path.exists():
        raise IntakeError(f"{path}: file not found")
    suffix = path.suffix.lower()
    header = 0 if source.header else None
    try:
        if suffix in CSV_SUFFIXES:
            dialect = dialect or csv_dialect(path, source)
            sep, encoding = dialect.sep, dialect.encoding
            try:  # pyarrow's reader is several times faster on large exports
                df = pd.read_csv(
                    path, engine="pyarrow", sep=sep, encoding=encoding, header=header, dtype=str, keep_default_na=False
                )
            except (
                ValueError,
                ImportError,
                UnicodeDecodeError,
            ):  # options or a file it cannot take: the C reader decides
                df = pd.read_csv(path, sep=sep, encoding=encoding, header=header, dtype=str, keep_default_na=False)
        elif suffix in {".xlsx", ".xlsm", ".xls"}:
            df = pd.read_excel(path, sheet_name=source.sheet or 0, dtype=object, header=header)
        elif suffix == ".parquet":
            df = pd.read_parquet(path)
        else:
            raise IntakeError(f"{path}: unsupported file type '{suffix}'; expected .csv, .xlsx or .parquet")
    except UnicodeDecodeError as exc:
        raise IntakeError(
            f"{path}: not readable as {dialect.encoding if dialect else source.encoding} "
            f"({exc.reason} at byte {exc.start}); set the file's encoding in engagement.yaml, e.g. encoding: cp1251"
        ) from exc
    except (ValueError, OSError) as exc:
        raise IntakeError(f"{path}: cannot read the file: {exc}") from exc
    if header is None:
        df.columns = pd.Index(range(1, df.shape[1] + 1))
    return _drop_trailing_empty(df)


def _drop_trailing_empty(df: pd.DataFrame) -> pd.DataFrame:
    """Drop an empty last column (a trailing separator makes one); a non-empty one is kept."""
    if df.shape[1] < 2:
        return df
    last = df.columns[-1]
    unnamed = isinstance(last, int) or str(last).strip() == "" or str(last).startswith("Unnamed: ")
    values = df[last]
    empty = values.isna() | (values.astype("string").str.strip() == "")
    return df.drop(columns=last) if unnamed and bool(empty.all()) else df


def looks_like_data(columns: pd.Index) -> list[str]:
    """Header cells that look like values (dates, amounts): a sign the file has no header row."""
    return [str(c) for c in columns if isinstance(c, str) and _DATA_LIKE.match(c.strip())]
