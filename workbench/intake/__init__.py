"""Intake: read CRM exports (CSV, Excel, Parquet) into the canonical tables.

The engagement config maps each canonical column to a column of the export.
Rows that cannot be used are not dropped silently: each is kept in the
``rejected`` table with the file, the row as a spreadsheet shows it, the
column, the value and the reason. Problems that make a whole file unusable
(missing file, missing required column) raise :class:`IntakeError`.

Modules: ``readers`` (one file as it is), ``values`` (canonical names, typed
and checked values, rejected rows), ``checks`` (across rows and tables),
``load`` (the whole engagement), ``period`` (the analysis window),
``tables`` (canonical columns, :class:`Intake`, :class:`IntakeError`).
"""

from .checks import estimate_missing_cost
from .load import load_tables
from .period import analysis_period, until_end_of
from .readers import read_export
from .tables import REJECTED_COLUMNS, Intake, IntakeError
from .values import to_canonical

__all__ = [
    "REJECTED_COLUMNS",
    "Intake",
    "IntakeError",
    "analysis_period",
    "estimate_missing_cost",
    "load_tables",
    "read_export",
    "to_canonical",
    "until_end_of",
]
