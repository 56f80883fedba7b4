"""``plan.xlsx``: the plan as a workbook, for a CRM import and for the client's sales team.

One sheet per table, headers in the report's language, typed cells (numbers
as numbers, dates as dates), the header row frozen, an autofilter, columns
sized to their content:

- ``assignments``: who works which client, how often (``allocation/call_plan``;
  only when a team was given); without a team, ``clients``: every client,
  its segment, status and rank in the segment by revenue, and what the plan
  does with the segment;
- ``segments``: the segments exactly as ``summary.json`` has them (the rows
  of :func:`workbench.report.summary.build`, built once for both);
- ``playbooks``: the playbook of each segment as the plan works it
  (:func:`workbench.report.summary.playbooks`, as chapter 5 shows it);
- ``call_lists``: the call lists (``allocation/call_lists``), when the run has them.

Client data reaches the file (a manager named ``=HYPERLINK(...)``): every
text cell goes through :func:`workbench.artifacts.neutralise`, as
``call_plan.csv`` does, so no cell is ever a formula.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from babel.numbers import get_currency_symbol
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from .. import artifacts
from ..allocation.calls import COLUMNS as CALL_LISTS
from . import summary
from .i18n import Translator

FILE_NAME = "plan.xlsx"

#: Excel number formats by column kind; dates by language (Excel shows the separators of the reader's system).
NUMBER_FORMATS = {"int": "0", "number": "#,##0.0", "money": "#,##0"}
DATE_FORMATS = {"en": "dd/mm/yyyy", "ru": "dd.mm.yyyy"}

#: Column widths in characters: at least the first, at most the second (longer text wraps).
WIDTH = (8, 60)
#: Rows looked at to size a column (a call plan can have tens of thousands).
WIDTH_SAMPLE = 2000

#: The columns of ``allocation/call_lists`` written, in order, where the artifact has them (the rest are left out).
CALL_LIST_COLUMNS = tuple(CALL_LISTS)


@dataclass
class Sheet:
    """One sheet: its title key, the table and its columns as ``(column, header key, kind)``.

    A kind is ``text``, ``int``, ``number``, ``money``, ``date`` or
    ``segment_code`` (a segment's short code, A–E kept, ``lost`` and
    ``potential`` in the report's language: ``segment_codes.<code>``). A header
    key is a catalogue key, or a ``(key, values)`` pair for a header with
    placeholders.
    """

    title: str
    table: pd.DataFrame
    columns: list[tuple[str, str | tuple[str, dict], str]]


def write_plan(
    run_dir: str | Path, t: Translator, conclusions: dict | None = None, path: str | Path | None = None
) -> Path:
    """Write ``plan.xlsx`` into the run folder (or ``path``) and return its path.

    Parameters
    ----------
    run_dir : path
        A run folder whose six steps have run.
    t : Translator
        The run's translator (:func:`workbench.report.summary.run_translator`).
    conclusions : dict, optional
        What :func:`workbench.report.summary.build` returned for ``summary.json``;
        built here when not given. The segments sheet is its ``segments``.
    path : path, optional
        Default ``<run_dir>/plan.xlsx``.
    """
    run_dir = Path(run_dir)
    if conclusions is None:
        conclusions = summary.build(run_dir, t)
    sheets = []
    call_plan = artifacts.load(run_dir, "allocation", "call_plan", optional=True)
    if call_plan is not None:
        sheets.append(assignments(call_plan, t))
    else:  # no team: still every client, its segment and what the plan does with it, largest first
        sheets.append(
            clients(
                artifacts.load(run_dir, "criteria", "criteria"),
                artifacts.load(run_dir, "grouping", "segments"),
                artifacts.load(run_dir, "allocation", "plan"),
                t,
            )
        )
    sheets.append(segments(conclusions["segments"], t))
    sheets.append(playbooks(summary.playbooks(run_dir, t), t))
    lists = artifacts.load(run_dir, "allocation", "call_lists", optional=True)
    if lists is not None:
        sheets.append(call_lists(lists, t))
    book = Workbook()
    book.remove(book.active)
    for sheet in sheets:
        write_sheet(book.create_sheet(_sheet_title(t(sheet.title))), sheet, t)
    path = Path(path) if path is not None else run_dir / FILE_NAME
    book.save(path)
    return path


# --------------------------------------------------------------------------- the sheets

#: The columns that name a client and its segment, first on every client-level sheet.
CLIENT_COLUMNS: list[tuple[str, str | tuple[str, dict], str]] = [
    ("client_id", "plan_xlsx.col_client_id", "text"),
    ("name", "plan_xlsx.col_client", "text"),
    ("segment", "plan_xlsx.col_segment_code", "segment_code"),
    ("segment_label", "plan_xlsx.col_segment", "text"),
]


def assignments(call_plan: pd.DataFrame, t: Translator) -> Sheet:
    """Who works which client: the call plan's rows, codes kept for a CRM and labels beside them."""
    table = call_plan.assign(
        segment_label=call_plan["segment"].map(lambda s: t.label("segments", s)),
        action=call_plan["action"].map(lambda a: t.label("actions", a)),
        role=call_plan["role"].map(lambda r: t.label("roles", r)),
        status=call_plan["status"].map(lambda s: t.label("plan_xlsx.status", s)),
    )
    return Sheet(
        "plan_xlsx.sheet_assignments",
        table,
        [
            *CLIENT_COLUMNS,
            ("tier", "plan_xlsx.col_tier", "int"),
            ("action", "plan_xlsx.col_action", "text"),
            ("role", "plan_xlsx.col_role", "text"),
            ("manager_id", "plan_xlsx.col_manager_id", "text"),
            ("manager_name", "plan_xlsx.col_manager", "text"),
            ("contacts_per_year", "plan_xlsx.col_contacts", "number"),
            ("hours", "plan_xlsx.col_hours", "number"),
            ("status", "plan_xlsx.col_status", "text"),
        ],
    )


def clients(criteria: pd.DataFrame, segs: pd.DataFrame, plan: pd.DataFrame, t: Translator) -> Sheet:
    """Every client with its segment, status, what the plan does with its segment, and its rank in the segment.

    Written when no team was given (so there is no call plan): the client can
    still see which clients a segment holds and work them largest first; the
    owner is theirs to name.
    """
    currency = {"currency": _currency(t)}
    plan = plan.set_index("segment")
    table = criteria.merge(segs, on="client_id").sort_values(["segment", "revenue"], ascending=[True, False])
    table = table.assign(
        segment_label=table["segment"].map(lambda s: t.label("segments", s)),
        tier=table["segment"].map(plan["tier"]),
        action=table["segment"].map(plan["action"]).map(lambda a: t.label("actions", a)),
        contacts_per_year=table["segment"].map(plan["contacts_per_year"]),
        status=table["status"].map(lambda s: t.label("status", s)),
        rank=table.groupby("segment").cumcount() + 1,
        name=table.get("name"),
    ).sort_values(["tier", "segment", "rank"])
    margin = [("margin", ("plan_xlsx.col_margin", currency), "money")] if table["margin"].notna().any() else []
    return Sheet(
        "plan_xlsx.sheet_clients",
        table,
        [
            *CLIENT_COLUMNS,
            ("tier", "plan_xlsx.col_tier", "int"),
            ("rank", "plan_xlsx.col_rank_in_segment", "int"),
            ("status", "plan_xlsx.col_client_status", "text"),
            ("revenue", ("plan_xlsx.col_revenue", currency), "money"),
            *margin,
            ("action", "plan_xlsx.col_action", "text"),
            ("contacts_per_year", "plan_xlsx.col_contacts", "number"),
        ],
    )


def segments(rows: list[dict], t: Translator) -> Sheet:
    """The segments of ``summary.json`` (its ``segments`` list), one row each, potential sources as columns."""
    currency = {"currency": _currency(t)}
    order = [k.split(".", 1)[1] for k in t.texts if k.startswith("potential_source.")]
    found = {s for r in rows for s in r["potential_source"]}
    sources = [s for s in order if s in found] + sorted(found - set(order))
    table = pd.DataFrame(
        [
            {
                **{k: v for k, v in r.items() if k != "potential_source"},
                **{f"source_{s}": r["potential_source"].get(s, 0) for s in sources},
                "action": t.label("actions", r["action"]),
                "worked_by": t.label("roles", r["worked_by"]),
            }
            for r in rows
        ],
        columns=["segment", "label", "tier", "rank", "clients", "revenue", "margin"]
        + [f"source_{s}" for s in sources]
        + ["contacts_per_year", "workload_hours", "workload_cost", "action", "worked_by"],
    )
    return Sheet(
        "plan_xlsx.sheet_segments",
        table,
        [
            ("segment", "plan_xlsx.col_segment_code", "segment_code"),
            ("label", "plan_xlsx.col_segment", "text"),
            ("tier", "plan_xlsx.col_tier", "int"),
            ("rank", "plan_xlsx.col_rank", "int"),
            ("clients", "plan_xlsx.col_clients", "int"),
            ("revenue", ("plan_xlsx.col_revenue", currency), "money"),
            ("margin", ("plan_xlsx.col_margin", currency), "money"),
            *[
                (
                    f"source_{s}",
                    ("plan_xlsx.col_potential_source", {"source": t.label("potential_source", s)}),
                    "int",
                )
                for s in sources
            ],
            ("contacts_per_year", "plan_xlsx.col_contacts", "number"),
            ("workload_hours", "plan_xlsx.col_workload_hours", "number"),
            ("workload_cost", ("plan_xlsx.col_workload_cost", currency), "money"),
            ("action", "plan_xlsx.col_action", "text"),
            ("worked_by", "plan_xlsx.col_worked_by", "text"),
        ],
    )


def playbooks(table: pd.DataFrame, t: Translator) -> Sheet:
    """The playbook of each segment as the plan works it (from :func:`summary.playbooks`)."""
    table = table.assign(
        label=table["segment"].map(lambda s: t.label("segments", s)),
        action=table["action"].map(lambda a: t.label("actions", a)),
        role=table["role"].map(lambda r: t.label("roles", r)),
    )
    return Sheet(
        "plan_xlsx.sheet_playbooks",
        table,
        [
            ("segment", "plan_xlsx.col_segment_code", "segment_code"),
            ("label", "plan_xlsx.col_segment", "text"),
            ("tier", "plan_xlsx.col_tier", "int"),
            ("action", "plan_xlsx.col_action", "text"),
            ("products", "plan_xlsx.col_products", "text"),
            ("terms", "plan_xlsx.col_terms", "text"),
            ("contacts_per_year", "plan_xlsx.col_contacts", "number"),
            ("hours_per_contact", "plan_xlsx.col_hours_per_contact", "number"),
            ("channel", "plan_xlsx.col_channel", "text"),
            ("contact_person", "plan_xlsx.col_contact_person", "text"),
            ("resources", "plan_xlsx.col_resources", "text"),
            ("role", "plan_xlsx.col_worked_by", "text"),
        ],
    )


def call_lists(table: pd.DataFrame, t: Translator) -> Sheet:
    """The call lists (``allocation/call_lists``): the columns of :data:`CALL_LIST_COLUMNS` it has.

    The list and the reason are written as the report names them (``call_list.<code>``,
    ``plan_xlsx.reason.<code>``; an unknown code as it is).
    """
    headers: dict[str, tuple[str | tuple[str, dict], str]] = {
        "list": ("plan_xlsx.col_list", "text"),
        "rank": ("plan_xlsx.col_list_rank", "int"),
        "client_id": ("plan_xlsx.col_client_id", "text"),
        "name": ("plan_xlsx.col_client", "text"),
        "segment": ("plan_xlsx.col_segment_code", "segment_code"),
        "segment_label": ("plan_xlsx.col_segment", "text"),
        "manager_id": ("plan_xlsx.col_manager_id", "text"),
        "manager_name": ("plan_xlsx.col_manager", "text"),
        "reason": ("plan_xlsx.col_reason", "text"),
        "value": (("plan_xlsx.col_value", {"currency": _currency(t)}), "money"),
        "basis": ("plan_xlsx.col_basis", "text"),
        "last_purchase": ("plan_xlsx.col_last_purchase", "date"),
        "due_date": ("plan_xlsx.col_due_date", "date"),
        "next_due": ("plan_xlsx.col_next_due", "date"),
    }
    names = [c for c in CALL_LIST_COLUMNS if c in table.columns]
    labels = {"list": "call_list", "reason": "plan_xlsx.reason", "basis": "call_basis"}
    table = table.assign(
        **{c: table[c].map(lambda v, g=g: v if pd.isna(v) else t.label(g, v)) for c, g in labels.items() if c in table}
    )
    if "segment" in table.columns:
        table = table.assign(segment_label=table["segment"].map(lambda s: t.label("segments", s)))
        names.insert(names.index("segment") + 1, "segment_label")
    return Sheet("plan_xlsx.sheet_call_lists", table, [(c, *headers[c]) for c in names])


# --------------------------------------------------------------------------- writing


def write_sheet(ws: Worksheet, sheet: Sheet, t: Translator) -> None:
    """Write ``sheet`` into ``ws``: a bold frozen header row, typed cells, an autofilter, column widths."""
    headers = [t(h) if isinstance(h, str) else t(h[0], **h[1]) for _, h, _ in sheet.columns]
    ws.append([cell_value(h, "text") for h in headers])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E7E6E6")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    columns = [
        [t.label("segment_codes", v) for v in sheet.table[c]] if k == "segment_code" else sheet.table[c].tolist()
        for c, _, k in sheet.columns
    ]
    kinds = ["text" if k == "segment_code" else k for _, _, k in sheet.columns]
    for row in zip(*columns, strict=True):
        ws.append([cell_value(v, k) for v, k in zip(row, kinds, strict=True)])
    last = get_column_letter(len(sheet.columns))
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{last}{ws.max_row}"
    for i, (header, values, kind) in enumerate(zip(headers, columns, kinds, strict=True), start=1):
        letter = get_column_letter(i)
        fmt = DATE_FORMATS.get(t.language, "yyyy-mm-dd") if kind == "date" else NUMBER_FORMATS.get(kind)
        if fmt:
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = fmt
        width = max([min(len(w), 24) for w in header.split()] + [_width(v, kind) for v in values[:WIDTH_SAMPLE]])
        width = min(max(width + 2, WIDTH[0]), WIDTH[1])
        ws.column_dimensions[letter].width = width
        if kind == "text" and width == WIDTH[1]:  # long text (a playbook's answer) wraps in its column
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.alignment = Alignment(wrap_text=True, vertical="top")


def cell_value(value: Any, kind: str) -> Any:
    """A cell's value: None when missing, a number, a date, or text that cannot run as a formula.

    Characters a workbook cannot hold (control characters) are dropped
    first, then the text is neutralised as ``call_plan.csv``'s cells are
    (:func:`workbench.artifacts.neutralise`): dropping them afterwards could
    uncover a formula.
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if kind == "int":
        return int(value)
    if kind in ("number", "money"):
        return round(float(value), 2)  # what the cell shows, without a model's float noise (333.3333333)
    if kind == "date":
        return pd.Timestamp(value).date()
    return artifacts.neutralise(ILLEGAL_CHARACTERS_RE.sub("", str(value)))


def _width(value: Any, kind: str) -> int:
    """Characters a value takes when shown."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return 0
    if kind in ("number", "money", "int"):
        return len(f"{float(value):,.1f}")
    if kind == "date":
        return 10
    return max((len(line) for line in str(value).splitlines()), default=0)


def _sheet_title(text: str) -> str:
    """A valid sheet name: at most 31 characters, none of the characters Excel forbids in one."""
    for ch in "[]:*?/\\":
        text = text.replace(ch, " ")
    return text[:31]


def _currency(t: Translator) -> str:
    """The currency as the locale writes it in a header: ₽ in Russian, £ for GBP, else the code."""
    return get_currency_symbol(t.currency, locale=t.locale)
