"""The canonical tables' columns, the intake result and its error.

Which canonical columns hold ids, dates and numbers, which may be empty and
which can be derived; :class:`Intake` (the tables, plus what was rejected and
why) and :class:`IntakeError` (an export that cannot be used at all).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

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
#: ``amount``: the row's amount where it could be read (transactions, payments), so the money left out is known.
REJECTED_COLUMNS = ["table", "file", "row", "column", "value", "reason", "amount"]
#: One decision of how an export was read: a file's (column "") or a column's setting, its value and how.
FORMAT_COLUMNS = ["table", "file", "column", "canonical", "setting", "value", "how", "thousands", "basis"]
#: Rows a configured filter left out, per file; ``amount`` is their value (transactions only).
FILTERED_COLUMNS = ["table", "file", "rows", "amount"]


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
    #: What was decided per file (encoding, sep, header) and column (date format, decimal mark), and how.
    formats: list[dict] = field(default_factory=list)
    filtered: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=FILTERED_COLUMNS))

    def formats_table(self) -> pd.DataFrame:
        """:attr:`formats` as a table (positions of headerless files written as text)."""
        return pd.DataFrame(self.formats, columns=FORMAT_COLUMNS).astype({"column": "string"})

    def summary(self) -> pd.DataFrame:
        """Rows read, accepted, filtered out and rejected per table (read = accepted + filtered + rejected)."""
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
                    "rows_filtered": int(self.filtered.loc[self.filtered["table"] == table, "rows"].sum()),
                    "rows_rejected": int(rejected_rows),
                    # Kept, since a CRM may repeat a line on purpose, but worth a look.
                    "exact_duplicates": int(df.duplicated().sum()),
                }
            )
        return pd.DataFrame(rows)
