"""The client report's content: one method per section, in the six steps' order.

The report notebook (``notebooks/07-report.ipynb``) calls one method per
cell. Each reads the run's artifacts and emits HTML (headings, narrative,
tables) and seaborn figures; every text comes from the translation catalogue
and every number is formatted for the report's locale.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from .. import STEPS, artifacts
from .. import goal as goal_diagnostics
from ..allocation.economics import pays_at_full_cost
from . import charts, summary
from .i18n import MISSING
from .summary import sellers_lead


def _cell(text: str) -> str:
    """A label opening a table cell: its first letter capital ("Buy-till-you-die model", «Рост маржи…»)."""
    return text[:1].upper() + text[1:]


def _data_uri(path: Path) -> str:
    """A file as a data: URI, so the report stays one self-contained file."""
    import base64

    from ..paths import LOGO_TYPES

    kind = LOGO_TYPES[path.suffix.lower()]
    return f"data:{kind};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


class ClientReport:
    """Writes the client report of one run.

    Parameters
    ----------
    run_dir : path
        The run folder whose artifacts the report shows.
    language : {"en", "ru"}
    currency : str
    company, title, consultant : str
        For the cover.
    sink : callable, optional
        Receives each output (an HTML string or a matplotlib Figure); by
        default they are displayed in the notebook.
    """

    def __init__(
        self,
        run_dir,
        language: str = "en",
        currency: str = "RUB",
        company: str = "",
        title: str = "",
        consultant: str = "",
        sink: Callable | None = None,
        *,
        firm: str = "",
        logo: str = "",
        brand_colour: str = "",
    ):
        self.run_dir = Path(run_dir)
        self.t = summary.run_translator(self.run_dir, language, currency)
        self.company, self.title, self.consultant = company, title, consultant
        self.firm, self.logo, self.brand_colour = firm, logo, brand_colour
        self._sink = sink
        # How each step was done (method text, supporting tables): written in the appendix, not in the chapters.
        self._method: dict[str, list] = {}

    # ------------------------------------------------------------------ output
    def emit(self, item) -> None:
        """Send HTML text or a figure to the sink (tests) or the notebook's output."""
        if self._sink is not None:
            self._sink(item)
            return
        import matplotlib.pyplot as plt
        from IPython.display import HTML, display

        if isinstance(item, str):
            display(HTML(item))
        else:  # as SVG: sharp in print at any size (charts.svg)
            display({"image/svg+xml": charts.svg(item)}, raw=True)
            plt.close(item)

    def load(self, step: str, name: str, optional: bool = False):
        """An artifact of this run (see :func:`workbench.artifacts.load`)."""
        return artifacts.load(self.run_dir, step, name, optional=optional)

    def heading(self, step: str) -> None:
        """A chapter's heading: the step of the method as a kicker, the chapter's finding as its title."""
        number = STEPS.index(step) + 1
        kicker = html.escape(self.t("headlines.step", n=number, step=self.t(f"{step}.title")))
        self.emit(
            f'<h2 id="step-{step}" class="wb-step"><span class="wb-kicker">{kicker}</span>'
            f"{html.escape(self.headline(step))}</h2>"
        )

    def headline(self, step: str) -> str:
        """The chapter's title as a sentence that states its finding (the step's name when the data is missing)."""
        text = self._headline(step)
        return text[:1].upper() + text[1:]  # a sentence may open with a segment named mid-sentence style

    def _headline(self, step: str) -> str:
        t = self.t
        try:
            if step == "goal":
                conc = self.load("goal", "concentration")
                return t("headlines.goal", share=t.pct(conc["top20_share"], 0))
            if step == "criteria":
                sources = self.load("criteria", "potential_sources").set_index("source")["clients"]
                known = 1 - sources.get("unknown", 0) / max(int(sources.sum()), 1)
                estimated = sources.drop("unknown", errors="ignore")
                if known <= 0 or estimated.max() <= 0:
                    return t("headlines.criteria_none")
                source = t(f"headlines.criteria_source.{estimated.idxmax()}")
                return t("headlines.criteria", share=t.pct(known, 0), source=source)
            ranked = self.load("priorities", "priorities")
            first = summary.first_worked(ranked, self.load("allocation", "plan", optional=True))
            names = summary._names(first.to_dict("records"), t)
            if step == "grouping":
                basis = "margin" if first["margin_share"].notna().all() else "revenue"
                return t(
                    f"headlines.grouping_{basis}",
                    segments=names,
                    share=t.pct(first[f"{basis}_share"].sum(), 0),
                    clients=t.pct(first["client_share"].sum(), 0),
                )
            if step == "priorities":
                return t("headlines.priorities", segments=names)
            if step == "playbooks":
                plan = self.load("allocation", "plan", optional=True)
                if plan is None or not (plan["contacts_per_year"] > 0).any():
                    return t("headlines.playbooks_plain")
                worked = plan.loc[plan["contacts_per_year"] > 0, "contacts_per_year"]
                if (plan["action"] == "automate").any():
                    return t("headlines.playbooks", most=t.decimal(worked.max()))
                return t("headlines.playbooks_range", most=t.decimal(worked.max()), least=t.decimal(worked.min()))
            if step == "allocation":
                fte = self.load("allocation", "fte")
                hire = fte.loc[fte["recommendation"] == "hire", "role"].tolist()
                idle = fte.loc[fte["recommendation"] == "redeploy", "role"].tolist()
                if fte["fte_available"].isna().all():
                    return t("headlines.allocation_no_team")
                if hire:
                    return t("headlines.allocation_hire", roles=t.join(t.inline("roles", r) for r in hire))
                if idle:
                    return t("headlines.allocation_idle", roles=t.join(t.inline("roles", r) for r in idle))
                return t("headlines.allocation_ok")
        except FileNotFoundError:
            pass
        return t(f"{step}.title")

    def text(self, key: str, /, tag: str = "p", **values) -> None:
        """A catalogue text, escaped, in an HTML element."""
        self.emit(f"<{tag}>{html.escape(self.t(key, **values))}</{tag}>")

    def subheading(self, key: str, /, **values) -> None:
        """A catalogue text as a sub-heading."""
        self.text(key, tag="h3", **values)

    def method(self, step: str, item: str) -> None:
        """Keep HTML on how a step was done for the appendix (the chapter keeps its finding and exhibit)."""
        self._method.setdefault(step, []).append(item)

    def method_text(self, step: str, key: str, /, tag: str = "p", **values) -> None:
        """A catalogue text for the appendix's account of ``step`` (see :meth:`method`)."""
        self.method(step, f"<{tag}>{html.escape(self.t(key, **values))}</{tag}>")

    def method_table(self, step: str, title: str, df: pd.DataFrame, columns: list[tuple[str, str, str]]) -> None:
        """A supporting table, titled, for the appendix's account of ``step`` (columns as :meth:`table`)."""
        self.method_text(step, title, tag="h4")
        self.method(step, self.table_html(df, columns))

    def todo(self, items: list[str]) -> None:
        """A chapter's last word: what to do about its finding (already translated texts)."""
        items = [i for i in items if i]
        if items:
            body = "".join(f"<li>{html.escape(i)}</li>" for i in items)
            self.emit(
                f'<div class="wb-todo wb-keep"><strong>{html.escape(self.t("todo.title"))}</strong><ul>{body}</ul></div>'
            )

    def bullets(self, items: list[str], css_class: str = "") -> None:
        """Texts (already translated) as an escaped list; nothing when empty (``css_class`` on the list)."""
        if items:
            opening = f'<ul class="{css_class}">' if css_class else "<ul>"
            self.emit(opening + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>")

    #: Notes that name the data's columns: the appendix's account of the step holds them (the chapter's
    #: "what to do" names what to collect in the reader's words).
    APPENDIX_NOTES = frozenset({"criterion_missing"})

    def _note(self, note: dict) -> str:
        key, values = note["key"], note["values"]
        if values.get("groups") == "all" and f"notes.{key}_all" in self.t.texts:  # "in: all" reads as a glitch
            key += "_all"
        return self.t("notes." + key, **self._format(values))

    def notes(self, notes: list[dict] | None, step: str | None = None) -> None:
        """The step's remarks on missing data, as a highlighted list (technical ones to the appendix)."""
        notes = list(notes or [])
        if step is not None:
            technical = [n for n in notes if n["key"] in self.APPENDIX_NOTES]
            if technical:
                items = "".join(f"<li>{html.escape(self._note(n))}</li>" for n in technical)
                self.method(step, f"<ul>{items}</ul>")
            notes = [n for n in notes if n["key"] not in self.APPENDIX_NOTES]
        if notes:
            items = "".join(f"<li>{html.escape(self._note(n))}</li>" for n in notes)
            self.emit(
                f'<div class="wb-notes"><strong>{html.escape(self.t("common.notes"))}</strong><ul>{items}</ul></div>'
            )

    def _format(self, values: dict) -> dict:
        """Note values written for the locale (0,75 and 1 234 in Russian; codes translated)."""
        groups = {"metric": "metrics", "replacement": "metrics", "criterion": "criterion", "column": "line_attribute"}

        def write(key, value):
            if key in groups:
                return self.t.label(groups[key], value)
            if key in ("growth", "base", "share", "pct") and isinstance(value, int | float):  # rates and shares
                return self.t.pct(value, 0)
            if key == "quantile" and isinstance(value, int | float):  # the 0.75 quantile: the best 25 % reach it
                return self.t.pct(1 - value, 0)
            if key == "model":
                return self.t.label("forecast.model", value)
            if isinstance(value, bool) or not isinstance(value, int | float):
                return value
            return self.t.number(value, 2 if isinstance(value, float) else 0)

        return {k: write(k, v) for k, v in values.items()}

    def figure(self, fig) -> None:
        """A matplotlib figure (embedded by nbconvert as an SVG image, vector for print)."""
        self.emit(fig)

    def table(
        self, df: pd.DataFrame, columns: list[tuple[str, str, str]], *, wrap: bool = False, keep: bool | None = None
    ) -> None:
        """Emit ``df`` as an HTML table.

        Parameters
        ----------
        columns : list of (column, header, format)
            ``header`` is a catalogue key, or literal text after a ``=``
            (a division's name, say). ``format`` is ``text``, ``int``,
            ``number``, ``number1``, ``number2``, ``money``, ``pct``,
            ``date``, or ``label:<group>``, which translates codes of that
            catalogue group (roles, statuses).
        wrap : bool
            Its text cells are short phrases that may wrap in narrow columns
            (class ``wb-wrap``): printing sizes it for portrait rather than
            turning its page to landscape (:func:`~workbench.report.render.fit_tables`).
        keep : bool, optional
            Keep the table on one page (class ``wb-keep``); default: when it has at most 15 rows.
        """
        self.emit(self.table_html(df, columns, wrap=wrap, keep=keep))

    def table_html(
        self, df: pd.DataFrame, columns: list[tuple[str, str, str]], *, wrap: bool = False, keep: bool | None = None
    ) -> str:
        """The HTML of :meth:`table` (escaped cells, formats as there)."""
        out = pd.DataFrame()
        for col, header, fmt in columns:
            write = self._formatter(fmt, col)
            out[header[1:] if header.startswith("=") else self.t(header)] = [write(v) for v in df[col]]
        # A short table stays on one page; a long one may break (its header repeats).
        kept = len(out) <= 15 if keep is None else keep
        classes = "dataframe wb-table" + (" wb-keep" if kept else "") + (" wb-wrap" if wrap else "")
        return out.to_html(index=False, escape=True, classes=classes, border=0)

    def _formatter(self, fmt: str, col: str) -> Callable:
        t = self.t
        if fmt.startswith("label:"):
            group = fmt.split(":", 1)[1]
            return lambda v: t.label(group, v)
        writers: dict[str, Callable[[Any], str]] = {
            "text": lambda v: MISSING if pd.isna(v) else str(v),
            # A column groups every number's thousands, four digits too (digits align).
            "int": lambda v: t.number(v, column=True),
            "number": lambda v: t.number(v, column=True),
            "number1": lambda v: t.number(v, 1, column=True),
            "number2": lambda v: t.number(v, 2, column=True),
            "money": lambda v: t.money(v, column=True),
            "pct": t.pct,
            "date": t.date,
        }
        if fmt not in writers:
            raise ValueError(
                f"unknown table format '{fmt}' for column {col}; expected one of {', '.join(writers)} or label:<group>"
            )
        return writers[fmt]

    # ------------------------------------------------------------------ sections
    def cover(self) -> None:
        """Page 1: title, period, the findings and decisions, contents."""
        t = self.t
        period = self.load("intake", "period")
        conc = self.load("goal", "concentration")
        counts = self.load("criteria", "status_counts").set_index("status")
        if re.fullmatch(r"#[0-9a-fA-F]{6}", self.brand_colour or ""):  # checked again: it goes into CSS
            self.emit(f"<style>:root {{ --accent: {self.brand_colour}; }}</style>")
        if self.logo:
            self.emit(f'<p class="wb-logo"><img alt="" src="{_data_uri(Path(self.logo))}"></p>')
        self.emit(f'<h1 class="wb-title">{html.escape(self.title or t("cover.title"))}</h1>')
        self.emit(f'<p class="wb-subtitle">{html.escape(self.company)}</p>')
        self.text("cover.period", start=t.date(pd.Timestamp(period["start"])), end=t.date(pd.Timestamp(period["end"])))
        by = ", ".join(x for x in (self.consultant, self.firm) if x)
        if by:
            self.text("cover.consultant", name=by)
        self.text("cover.dated", date=t.date(pd.Timestamp.now().normalize()))
        conclusions = summary.build(self.run_dir, t)
        self.emit(f"<h3>{html.escape(t('cover.decisions'))}</h3>")
        self.bullets(conclusions["decisions"], "wb-cover")
        self.emit(f"<h3>{html.escape(t('cover.findings'))}</h3>")
        sources = self.load("criteria", "potential_sources").set_index("source")["clients"]
        findings = [
            *self._data_age(pd.Timestamp(period["end"])),
            conclusions["money"],
            *self._left_out(),
            t(
                "cover.f_base",  # the statuses that hold clients: no "0 potential clients"
                parts=t.join(
                    t(f"cover.f_base_part.{status}", n=int(counts.loc[status, "clients"]))
                    for status in ("active", "lost", "potential")
                    if status in counts.index and counts.loc[status, "clients"] > 0
                ),
            ),
            t("cover.f_pareto", share=t.pct(conc["top20_share"], 0), n=t.number(conc["top20_clients"])),
            t(
                "cover.f_potential",  # only the sources that hold clients: no "for 0 clients"
                parts="; ".join(
                    t(f"cover.f_potential_part.{source}", n=int(n)) for source, n in sources.items() if n > 0
                ),
            )
            if sources.drop("unknown", errors="ignore").sum() > 0
            else t("cover.f_potential_none", n=int(sources.sum())),  # "unknown for 91 clients" read as some
        ]
        self.bullets(findings, "wb-cover")
        items = "".join(f'<li><a href="#step-{step}">{html.escape(self.headline(step))}</a></li>' for step in STEPS)
        self.emit(
            f'<nav class="wb-toc"><ol>{items}</ol><p><a href="#appendix">{html.escape(t("appendix.title"))}</a></p></nav>'
        )

    #: Data that ends this many months or more before the report is said to be old on page 1.
    DATA_AGE_MONTHS = 6

    def _data_age(self, end: pd.Timestamp) -> list[str]:
        """Page 1's first finding when the data is old: statuses and the lists' dates are as of its end."""
        t = self.t
        today = pd.Timestamp.now().normalize()
        months = (today.year - end.year) * 12 + today.month - end.month - (today.day < end.day)
        if months < self.DATA_AGE_MONTHS:
            return []
        age = t.number(months // 12) if months >= 24 else t.number(months)
        return [
            t(
                "cover.f_data_age",
                end=t.date(end),
                age=t(f"cover.f_data_age_unit.{'years' if months >= 24 else 'months'}", n=age),
            )
        ]

    #: Sales lines left out (rejected) are said on page 1 from this share of the export's value on.
    LEFT_OUT_SHARE = 0.01

    def _left_out(self) -> list[str]:
        """Page 1's finding on sales lines the intake could not use, when they are worth a material share.

        The appendix lists every rejected row with its reason; page 1 says it
        once when it moves the figures (Online Retail: a quarter of its lines
        have no client).
        """
        t = self.t
        rejected = self.load("intake", "rejected", optional=True)
        if rejected is None or "amount" not in rejected:
            return []
        lines = rejected.loc[rejected["table"] == "transactions"]
        rows = lines.drop_duplicates(["file", "row"])
        amount = float(rows["amount"].fillna(0).sum())  # net, as revenue is everywhere: returns count against
        kept = float(self.load("intake", "transactions")["amount"].sum())
        if not len(rows) or amount <= 0 or amount / (amount + kept) < self.LEFT_OUT_SHARE:
            return []
        why = (
            "no_client"
            if (lines["column"] == "client_id").groupby([lines["file"], lines["row"]]).all().all()
            else "other"
        )
        return [
            t(
                "cover.f_left_out",
                n=t.number(len(rows)),
                amount=t.money_round(amount),
                share=t.pct(amount / (amount + kept), 0),
                why=t(f"cover.f_left_out_why.{why}"),
            )
        ]

    def goal(self) -> None:
        """Chapter 1: the goal, how concentrated the revenue is, and the market's capacity."""
        t = self.t
        self.heading("goal")
        goal = self.load("goal", "goal")
        self.text(f"goal.statement.{goal['name']}", line=goal.get("new_product_line") or "")
        weights = pd.DataFrame({"metric": list(goal["weights"]), "weight": list(goal["weights"].values())})
        self.method_text("goal", "goal.weights_intro")
        self.method(
            "goal",
            self.table_html(
                weights, [("metric", "goal.col_metric", "label:metrics"), ("weight", "goal.col_weight", "pct")]
            ),
        )
        conc = self.load("goal", "concentration")
        self.text(
            "goal.concentration",
            share=t.pct(conc["top20_share"], 0),
            n=t.number(conc["top20_clients"]),
            n80=t.number(conc["clients_for_80"]),
            share80=t.pct(conc["clients_for_80_share"], 0),
            clients=t.number(conc["clients"]),
        )
        self.figure(charts.pareto(self.load("goal", "pareto"), t, conc))
        if conc.get("hhi_level"):
            self.method_text(
                "goal",
                "goal.hhi",
                hhi=t.number(conc["hhi"]),
                level=t(f"goal.hhi_level.{conc['hhi_level']}"),
                equal=t.rounded_count(conc["equivalent_clients"]),
                moderate=t.number(goal_diagnostics.HHI_BOUNDS[0]),
                high=t.number(goal_diagnostics.HHI_BOUNDS[1]),
            )
        lines = self.load("goal", "product_lines", optional=True)
        if lines is not None:
            lines = goal_diagnostics.top_lines(lines, other=t("goal.other_lines"))
            self.subheading("goal.lines_title")
            self.figure(charts.product_lines(lines, t))
            self.method_table(
                "goal",
                "goal.lines_title",
                lines,
                [
                    ("product_line", "goal.col_line", "text"),
                    ("revenue", "common.revenue", "money"),
                    ("revenue_share", "common.revenue_share", "pct"),
                    ("margin", "common.margin", "money"),
                    ("margin_pct", "common.margin_pct", "pct"),
                    ("clients", "common.clients", "int"),
                ],
            )
        capacity = self.load("goal", "market_capacity", optional=True)
        if capacity is not None and capacity["clients"]:
            # The yearly figure first: the method's one-purchase figure alone reads as a market below the revenue.
            self.subheading("goal.capacity_title")
            numbers = {
                "avg": t.money(capacity["avg_invoice"]),
                "active": t.number(capacity["active"]),
                "potential": t.number(capacity["potential"]),
                "capacity": t.money_round(capacity["capacity"]),
            }
            if capacity.get("yearly") is not None:
                self.text(
                    "goal.capacity_yearly",
                    **numbers,
                    rate=t.number(capacity["invoices_per_client_year"], 1),
                    yearly=t.money_round(capacity["yearly"]),
                    revenue=t.money_round(capacity["revenue"]),
                )
                self.text("goal.capacity_once", **numbers)
            else:
                self.text("goal.capacity", **numbers)
        self.notes(goal.get("notes"))
        self.todo([self._todo_goal(conc)])

    def _todo_goal(self, conc: dict) -> str:
        """Whether the plan gives every one of the largest clients (the top 20 % by revenue) an owner."""
        t = self.t
        n = int(conc["top20_clients"])
        table = self.load("criteria", "criteria", optional=True)
        plan = self.load("allocation", "call_plan", optional=True)
        if table is None or plan is None or not n:  # chapter 1 alone (an analyst's notebook): nothing to check
            return ""
        top = table.loc[table["status"] == "active"].nlargest(n, "revenue")["client_id"]
        owned = plan.loc[(plan["action"] == "work") & plan["manager_id"].notna(), "client_id"]
        missing = int((~top.isin(owned)).sum())
        values = {"n": n, "share": t.pct(conc["top20_share"], 0), "missing": missing}
        return t("todo.goal_gap" if missing else "todo.goal_owned", **values)

    def criteria(self) -> None:
        """Chapter 2: which criteria the data supports, and the client statuses."""
        t = self.t
        self.heading("criteria")
        self.method_text("criteria", "criteria.intro")
        avail = self.load("criteria", "availability")
        missing = [
            t.label("criterion", c) for c, a in zip(avail["criterion"], avail["available"], strict=True) if not a
        ]
        self.method_text(
            "criteria",
            "criteria.available_some" if missing else "criteria.available_all",
            n=t.number(int(avail["available"].sum())),
            total=t.number(len(avail)),
            missing=", ".join(missing),
        )
        sources = self.load("criteria", "potential_sources")
        sources = sources.loc[sources["clients"] > 0]  # a source that holds no client is no row
        self.subheading("criteria.potential_title")
        self.table(
            sources,
            [("source", "criteria.col_source", "label:potential_source"), ("clients", "common.clients", "int")],
        )
        counts = self.load("criteria", "status_counts")
        self.subheading("criteria.status_title")
        self.method_text("criteria", "criteria.status_rule")
        self.figure(charts.status(counts, t))  # the chart in the chapter, its exact figures in the appendix
        self.method_table(
            "criteria",
            "criteria.status_title",
            counts,
            [
                ("status", "criteria.col_status", "label:status"),
                ("clients", "common.clients", "int"),
                ("client_share", "common.client_share", "pct"),
                ("revenue", "common.revenue", "money"),
                ("revenue_total", "criteria.col_revenue_total", "money"),
            ],
        )
        table = self.load("criteria", "criteria")
        active = table.loc[table["status"] == "active"]
        if len(active):
            profile = pd.DataFrame(
                [
                    {
                        "tenure": active["tenure_months"].median(),
                        "recency": active["recency_days"].median(),
                        "frequency": active["frequency"].median(),
                        "avg_invoice": active["avg_invoice"].median(),
                        "margin_pct": (active["margin"].sum() / active["revenue"].sum())
                        if active["margin"].notna().any()
                        else float("nan"),
                        "on_time": active["on_time_share"].mean() if "on_time_share" in active else float("nan"),
                    }
                ]
            )
            self.method_table(
                "criteria",
                "criteria.profile_title",
                profile,
                [
                    ("tenure", "criteria.col_tenure", "number1"),
                    ("recency", "criteria.col_recency", "int"),
                    ("frequency", "criteria.col_frequency", "number1"),
                    ("avg_invoice", "common.avg_invoice", "money"),
                    ("margin_pct", "common.margin_pct", "pct"),
                    ("on_time", "criteria.col_on_time", "pct"),
                ],
            )
        self.notes(self.load("criteria", "notes"), step="criteria")
        self.todo(self._todo_criteria(sources, missing))

    def _todo_criteria(self, sources: pd.DataFrame, missing: list[str]) -> list[str]:
        """What would make the estimates firmer: the assumed share of wallet checked, the rest collected."""
        t = self.t
        by = sources.set_index("source")["clients"]
        total = max(int(by.sum()), 1)
        out = []
        notes = {n["key"]: n["values"] for n in self.load("criteria", "notes") or []}
        if by.get("size", 0) / total >= 0.5:
            share = notes.get("potential_size", {}).get("share")
            out.append(
                t(
                    "todo.criteria_wallet",
                    n=int(by["size"]),
                    share=t.pct(share, 0) if isinstance(share, int | float) else "–",
                )
            )
        if by.get("unknown", 0):
            out.append(t("todo.criteria_unknown", n=int(by["unknown"])))
        if missing:
            out.append(t("todo.criteria_missing", missing=t.join(t.mid_sentence(m) for m in missing)))
        return out or [t("todo.criteria_ok")]

    def grouping(self) -> None:
        """Chapter 3: the segments, their rule and the segment map."""
        t = self.t
        self.heading("grouping")
        info = self.load("grouping", "info")
        segments = self.load("grouping", "segments")
        table = self.load("criteria", "criteria")
        counts = segments["segment"].value_counts().reindex(info["segment_order"]).rename("clients").reset_index()
        if info["method"] == "abcde":
            self.method_text("grouping", "grouping.abcde_intro", basis=t.label("basis", info["profit_basis"]))
            if info.get("within"):
                self.method_text("grouping", "grouping.within", column=t.label("columns", info["within"]))
            if {"lost", "potential"} & set(info["segment_order"]):
                self.method_text("grouping", "grouping.special")
            # One exhibit: each segment with the rule that makes it and how many clients it holds.
            shares = self.load("priorities", "priorities").set_index("segment")
            basis = "margin_share" if shares["margin_share"].notna().all() else "revenue_share"
            counts["rule"] = [t.texts.get(f"segments_rule.{s}", "–") for s in counts["segment"]]
            counts["share"] = counts["segment"].map(shares[basis])
            self.table(
                counts,
                [
                    ("segment", "grouping.col_segment", "label:segments"),
                    ("rule", "grouping.col_rule", "text"),
                    ("clients", "common.clients", "int"),
                    ("share", f"common.{basis}", "pct"),
                ],
            )
        else:
            self.text(
                "grouping.kmeans_intro",
                k=info["n_clusters"],
                features=", ".join(t.label("columns", f) for f in info["features"]),
            )
            if info.get("silhouette") is not None:
                self.text("grouping.silhouette", value=t.number(info["silhouette"], 2))
            profile = (
                table.merge(segments, on="client_id")
                .loc[lambda d: d["segment"].str.match(r"K\d")]
                .groupby("segment")[
                    ["revenue", "margin", "frequency", "recency_days", "tenure_months", "n_product_lines"]
                ]
                .median()
                .reindex([s for s in info["segment_order"] if s.startswith("K")])
                .reset_index()
            )
            self.text("grouping.profile_intro")
            self.table(
                profile,
                [
                    ("segment", "grouping.col_segment", "text"),
                    ("revenue", "common.revenue", "money"),
                    ("margin", "common.margin", "money"),
                    ("frequency", "criteria.col_frequency", "number1"),
                    ("recency_days", "criteria.col_recency", "int"),
                    ("tenure_months", "criteria.col_tenure", "number1"),
                    ("n_product_lines", "grouping.col_lines", "number1"),
                ],
            )
            self.text("grouping.special")
            self.table(
                counts, [("segment", "grouping.col_segment", "label:segments"), ("clients", "common.clients", "int")]
            )
        self.figure(
            charts.segment_map(
                table,
                segments,
                info["segment_order"],
                t,
                basis=info.get("profit_basis", "margin" if table["margin"].notna().any() else "revenue"),
            )
        )
        self.notes(info.get("notes"))
        self.todo([t("todo.grouping")])

    def priorities(self) -> None:
        """Chapter 4: the segment cards, scores, tiers and key accounts."""
        t = self.t
        self.heading("priorities")
        ranked = self.load("priorities", "priorities")
        goal = self.load("goal", "goal")
        meta = self.load("priorities", "meta")
        self.method_text("priorities", "priorities.intro", goal=t(f"goal.name.{goal['name']}"), tiers=meta["n_tiers"])
        if meta["weights"].get("headroom_share", 0) > 0 and "evidence_weights" in meta:
            weight = meta["evidence_weights"]
            self.method_text(
                "priorities",
                "priorities.headroom_evidence",
                size=t.pct(weight["size"], 0),
                peers=t.pct(weight["peers"], 0),
            )
            statuses = set(self.load("criteria", "criteria")["status"])
            if {"lost", "potential"} <= statuses:  # the assumptions of chapter 6, said where they rank segments
                odds = meta["take_up"]
                self.method_text(
                    "priorities",
                    "priorities.headroom_take_up",
                    winback=t.pct(odds["lost"], 0),
                    conversion=t.pct(odds["potential"], 0),
                )
        self.table(
            ranked.assign(points=(ranked["score"] * 100).round()),  # points of 100: no decimals that look tied
            [
                ("rank", "priorities.col_rank", "int"),
                ("segment", "grouping.col_segment", "label:segments"),
                ("tier", "priorities.col_tier", "int"),
                ("points", "priorities.col_score", "int"),
                ("clients", "common.clients", "int"),
                ("revenue_share", "common.revenue_share", "pct"),
                ("margin_share", "common.margin_share", "pct"),
                ("margin_pct", "common.margin_pct", "pct"),
                ("avg_invoice", "common.avg_invoice", "money"),
                ("frequency", "priorities.col_frequency", "number1"),
            ],
        )
        lead = meta.get("goal_lead")
        if lead:
            self.text(
                "priorities.goal_lead",
                lead=t.label("segments", lead["lead"]),
                was=t.label("segments", lead["was_first"]),
                metric=t.label("metrics", lead["metric"]),
            )
        parts = self.load("priorities", "contributions", optional=True)
        if parts is not None:
            metrics = [c for c in parts.columns if c != "segment"]
            self.method_text("priorities", "priorities.contrib_intro")
            self.method(
                "priorities",
                self.table_html(
                    parts.assign(**{m: (parts[m] * 100).round() for m in metrics}),
                    [("segment", "grouping.col_segment", "label:segments")]
                    + [(m, "=" + t.label("metrics", m), "int") for m in metrics],
                ),
            )
        shifts = meta.get("sensitivity") or []
        if shifts:
            self.method_text("priorities", "priorities.sensitivity_intro")
            items = "".join(
                f"<li>{html.escape(item)}</li>"
                for item in [
                    t(
                        "priorities.sensitivity_up" if s["change"] > 0 else "priorities.sensitivity_down",
                        metric=t.label("metrics", s["metric"]),
                        moves="; ".join(
                            t("priorities.sensitivity_move", segment=t.label("segments", seg), before=b, after=a)
                            for seg, (b, a) in s["moves"].items()
                        ),
                    )
                    for s in shifts
                ]
            )
            self.method("priorities", f"<ul>{items}</ul>")
        else:
            self.method_text("priorities", "priorities.sensitivity_none")
        self.figure(charts.segment_shares(ranked.sort_values("rank"), t))
        self.forecast_section()
        flagged = self.load("priorities", "key_accounts")
        with self._kept():  # the heading, the rule and the table of key accounts on one page
            self.subheading("priorities.key_title")
            th = meta["thresholds"]
            self.text(
                "priorities.key_rule",
                key=t.pct(th[0], 0),
                critical=t.pct(th[1], 0),
                mono=t.pct(th[2], 0),
                basis=t.label("basis", meta["key_account_basis"]),
            )
            kinds = flagged["kinds"].fillna("") if "kinds" in flagged else pd.Series("", index=flagged.index)
            by_kind, by_money = kinds != "", flagged["flag"].fillna("") != ""
            if not by_money.any():
                self.text("priorities.key_none", key=t.pct(th[0], 0))
            if by_kind.any():
                self.text(
                    "priorities.key_kinds_rule",
                    n=t.number(int(by_kind.sum())),
                    only=t.number(int((by_kind & ~by_money).sum())),
                )
            if len(flagged):
                cols = [("client_id", "priorities.col_client", "text")]
                if "name" in flagged:
                    cols.append(("name", "priorities.col_name", "text"))
                cols += [
                    ("segment", "grouping.col_segment", "label:segments"),
                    ("share", f"priorities.col_share_{meta['key_account_basis']}", "pct"),
                    ("flag_text", "priorities.col_flag", "text"),
                ]
                shown = flagged.assign(
                    flag_text=[t.label("flags", f) if f else "–" for f in flagged["flag"].fillna("")]
                )
                if by_kind.any():  # the consultant's kinds beside the money-based flags
                    shown["kinds_text"] = [self._kinds(v) for v in kinds]
                    cols.append(("kinds_text", "priorities.col_kinds", "text"))
                self.table(shown, cols)
        shares = self.load("priorities", "division_shares", optional=True)
        if shares is not None:
            with self._kept():
                self.subheading("priorities.division_title")
                self.text("priorities.division_intro")
                divisions = [c for c in shares.columns if c != "segment"]
                self.table(
                    shares,
                    [("segment", "grouping.col_segment", "label:segments")] + [(d, f"={d}", "pct") for d in divisions],
                )
        self.notes(meta.get("notes"))
        self.todo(self._todo_priorities(ranked, flagged))

    def _todo_priorities(self, ranked: pd.DataFrame, flagged: pd.DataFrame) -> list[str]:
        """The order of work: the first tier now, the second next; key accounts named."""
        t = self.t
        plan = self.load("allocation", "plan", optional=True)
        first = summary.first_worked(ranked, plan)
        basis = "margin_share" if first["margin_share"].notna().all() else "revenue_share"
        # Next: the following tier's segments the plan works (an automated tier is no "then").
        worked = (
            ranked
            if plan is None
            else ranked.loc[ranked["segment"].isin(plan.loc[plan["action"] == "work", "segment"])]
        )
        later = worked.loc[worked["tier"] > first["tier"].max()]
        later = later.loc[later["tier"] == later["tier"].min()] if len(later) else later
        key = "todo.priorities" if basis == "margin_share" else "todo.priorities_revenue"
        out = [
            t(
                key if len(later) else f"{key}_only",
                segments=summary._names(first.to_dict("records"), t),
                clients=int(first["clients"].sum()),
                share=t.pct(first[basis].sum(), 0),
                next=summary._names(later.to_dict("records"), t),
            )
        ]
        if len(flagged):
            names = flagged["name"].fillna(flagged["client_id"]) if "name" in flagged else flagged["client_id"]
            calls = self.load("allocation", "call_plan", optional=True)
            owner = {} if calls is None else dict(zip(calls["client_id"], calls["manager_name"], strict=True))
            named = [  # each key account with the manager the plan gives it
                t("todo.key_owner", name=str(n), owner=owner[c]) if isinstance(owner.get(c), str) else str(n)
                for c, n in zip(flagged["client_id"], names, strict=True)
            ]
            more = [t("common.and_more", n=len(flagged) - 5)] if len(flagged) > 5 else []
            shown = t.join(named[:5] + more)
            out.append(t("todo.priorities_key", n=len(flagged), names=shown))
        return out

    def _kinds(self, codes: str) -> str:
        """Key-account kinds in a cell: "Reference brand, partner" ("–" for none)."""
        labels = [self.t.label("key_kinds", k) for k in codes.split(",") if k]
        if not labels:
            return "–"
        return ", ".join([labels[0]] + [label[:1].lower() + label[1:] for label in labels[1:]])

    def forecast_section(self) -> None:
        """Next period per segment from the model that won the backtest, each figure with its error band."""
        t = self.t
        info = self.load("criteria", "forecast_info", optional=True)
        if info is None:
            return
        table = self.load("priorities", "forecast")
        order = {s: i for i, s in enumerate(self.load("priorities", "priorities")["segment"])}
        table = table.assign(_o=table["segment"].map(order)).sort_values("_o")
        model = t.label("forecast.model", info["chosen"])
        with_margin = "margin" in table and table["margin"].notna().any()
        table = table.assign(
            revenue_text=[self._banded(v, b) for v, b in zip(table["revenue"], table["revenue_band"], strict=True)]
        )
        if with_margin:
            table["margin_text"] = [
                self._banded(v, b) for v, b in zip(table["margin"], table["margin_band"], strict=True)
            ]
        cols = [
            ("segment", "grouping.col_segment", "label:segments"),
            ("clients", "common.clients", "int"),
            ("revenue_text", "forecast.col_revenue", "text"),
        ]
        if with_margin:
            cols.append(("margin_text", "forecast.col_margin", "text"))
        cols.append(("buyers", "forecast.col_buyers", "int"))
        with self._kept():  # the heading, the model's sentence and the table on one page
            self.subheading("forecast.title", months=info["horizon_months"])
            self.text(f"forecast.reason.{info['reason']}", **self._forecast_values(info, model))
            self.table(table, cols)

    def _banded(self, value, band) -> str:
        """A forecast with its band as a share of it: "£1.8m ± 17%" (the value alone where no backtest gives a band).

        A share reads in one unit whatever the sizes ("1,1 млрд ₽ ± 324,6 млн ₽" mixed two).
        """
        t = self.t
        if pd.isna(value):
            return MISSING
        if pd.isna(band) or not value:
            return t.money_round(value)
        return f"{t.money_round(value)} ± {t.pct(abs(band / value), 0)}"

    def _forecast_values(self, info: dict, model: str) -> dict:
        p = info["reason_params"]
        t = self.t
        return {
            "model": model,
            "best": t.label("forecast.model", p.get("best") or "naive"),
            "value": t.pct(p.get("value") or 0, 1),
            "naive_value": t.pct(p.get("naive_value") or 0, 1),
            "margin": t.pct(p.get("margin") or info["margin"], 0),
            "months": info["horizon_months"],
            "requested": info["requested_horizon_months"],
            "history": p.get("history_months", ""),
            "required": p.get("required_months", ""),
        }

    def playbooks(self) -> None:
        """Chapter 5: the work playbook per segment."""
        t = self.t
        self.heading("playbooks")
        self.method_text("playbooks", "playbooks.intro")
        self.todo([t("todo.playbooks")])  # first: after the cards it would sit alone on a page
        # One plan: the frequency and the worker are the allocation's, not the template's.
        table = summary.playbooks(self.run_dir, t)
        fields = ["products", "terms", "contacts_per_year", "channel", "contact_person", "resources", "role"]
        profiles = self.load("priorities", "profiles", optional=True)
        profile = {} if profiles is None else {p["segment"]: p for p in profiles.to_dict("records")}
        cards = self.load("priorities", "priorities").set_index("segment")
        assigned = summary.assigned_roles(self.run_dir)
        calls = self.load("allocation", "call_plan", optional=True)
        reviewed = (
            calls.loc[calls["review"] & calls["manager_id"].notna()]
            .groupby("segment")
            .agg(n=("client_id", "size"), contacts=("contacts_per_year", "max"))
            if calls is not None and "review" in calls
            else pd.DataFrame(columns=["n", "contacts"])
        )
        for row in table.itertuples():
            title = t("playbooks.card_title", segment=t.label("segments", row.segment), tier=row.tier)
            heading = f'<h3 class="wb-playbook">{html.escape(title)}</h3>'
            who = self._who(
                str(row.segment),
                profile.get(row.segment),
                cards.loc[row.segment] if row.segment in cards.index else None,
            )
            heading += "".join(f"<p>{html.escape(sentence)}</p>" for sentence in who)
            values = []
            for f in fields:
                v = getattr(row, f)
                if f == "contacts_per_year":
                    v = (
                        t("playbooks.frequency", n=t.decimal(v), hours=t.duration(row.hours_per_contact))
                        if row.action == "work"
                        else t(f"playbooks.no_contact_{row.action}")
                    )
                    card: Any = row  # a namedtuple of the table's columns
                    standard = (float(card.standard_contacts), float(card.standard_hours))
                    if row.action == "work" and standard != (
                        float(card.contacts_per_year),
                        float(card.hours_per_contact),
                    ):
                        v = t(  # the CRM's standard is the segment's, not this year's share of the team's hours
                            "playbooks.frequency_planned",
                            n=t.decimal(row.contacts_per_year),
                            hours=t.duration(row.hours_per_contact),
                            standard=t.decimal(standard[0]),
                            standard_hours=t.duration(standard[1]),
                        )
                    lost = str(row.segment) == "lost"  # its former large clients are won back in person, worked or not
                    never = str(row.segment) == "potential"  # its largest prospects: a hunter in person
                    if (row.action != "work" or lost or never) and str(row.segment) in reviewed.index:
                        review = reviewed.loc[str(row.segment)]  # its largest: an owner
                        kind = "winback" if lost else "prospects" if never else "review"
                        v = (
                            v.rstrip(".")
                            + ". "
                            + t(
                                f"playbooks.{kind}_except",
                                n=t.number(review["n"]),
                                contacts=t.decimal(review["contacts"]),
                            )
                        )
                elif f == "role":
                    v = self._who_works(str(row.segment), str(v), str(row.own_role), assigned, str(row.action))
                values.append({"question": t(f"playbooks.q_{f}"), "answer": str(v)})
            body = self.table_html(
                pd.DataFrame(values),
                [("question", "playbooks.col_question", "text"), ("answer", "playbooks.col_answer", "text")],
            )
            self.emit(f'<div class="wb-keep">{heading}{body}</div>')  # a playbook is not split across pages

    def _who_works(
        self, segment: str, role: str, own_role: str, assigned: pd.DataFrame | None, action: str = "work"
    ) -> str:
        """A card's "who works them": the roles the clients are assigned to, with counts when several.

        Without an assignment, the plan's role; a stand-in is said as one. A segment the plan automates or
        stops is said as such, with the owners of its largest clients (a review, a personal win-back).
        """
        t = self.t
        rows = None if assigned is None else assigned.loc[assigned["segment"] == segment]
        if action in ("automate", "stop") and rows is not None and len(rows):
            workers = t.join(
                t("playbooks.workers_item", role=t.inline("roles", r), n=n)
                for r, n in zip(rows["role"].astype(str), rows["clients"].astype(int), strict=True)
            )
            return _cell(t(f"playbooks.workers_largest_{action}", workers=workers))
        if rows is not None and len(rows) > 1:
            return _cell(
                t.join(
                    t(
                        "playbooks.workers_item"
                        if r == own_role or own_role == "none"
                        else "playbooks.workers_stand_in",
                        role=t.inline("roles", r),
                        n=n,
                    )
                    for r, n in zip(rows["role"].astype(str), rows["clients"].astype(int), strict=True)
                )
            )
        if rows is not None and len(rows) == 1:
            role = str(rows["role"].iloc[0])
        if role not in ("none", "automation", own_role) and own_role != "none":  # automation stands in for nobody
            return t("playbooks.stand_in", worker=t.label("roles", role), role=t.inline("roles", own_role))
        return t.label("roles", role)

    def _who(self, segment: str, profile: dict | None, card: pd.Series | None) -> list[str]:
        """Who a segment's clients are, against the whole base, and what they bring: a card's first lines."""
        t = self.t
        out = []
        if card is not None:
            key = "cards.numbers" if pd.notna(card.get("margin_share")) else "cards.numbers_revenue"
            if not card["revenue_share"]:  # lost and potential clients: no "0 % of revenue and 0 % of margin"
                key = "cards.numbers_never" if segment == "potential" else "cards.numbers_none"
            out.append(
                t(
                    key,
                    clients=t.number(card["clients"]),
                    share=t.pct(card["client_share"], 0),
                    revenue=t.pct(card["revenue_share"], 0),
                    margin=t.pct(card.get("margin_share"), 0),
                )
            )
        if not profile:
            return out
        traits, alike = [], []
        for attr in ("industry", "region", "size_band", "channel"):
            value = profile.get(attr)
            if value is None or (isinstance(value, float) and pd.isna(value)):
                continue
            if not profile.get(f"{attr}_distinct", True):  # no value sets the segment apart: say it once
                alike.append(t(f"cards.attr_{attr}"))
                continue
            shown = t.label("size_band", value) if attr == "size_band" else str(value)
            traits.append(
                t(
                    f"cards.trait_{attr}",
                    value=shown,
                    share=t.pct(profile[f"{attr}_share"], 0),
                    base=t.pct(profile[f"{attr}_base_share"], 0),
                )
            )
        if alike:
            traits.append(t("cards.like_base", attrs=t.join(alike)))
        if pd.notna(profile.get("tenure_years")):
            traits.append(t("cards.tenure", years=t.number(profile["tenure_years"], 1)))
        if pd.notna(profile.get("revenue_p25")):
            traits.append(
                t(
                    "cards.revenue_range",
                    **t.money_range(profile["revenue_p25"], profile["revenue_p75"]),
                )
            )
        top = profile.get("top_lines")
        lines = [] if top is None else [str(x) for x in top]  # a numpy array once read back from Parquet
        if lines:
            named = t.join(t("cards.line_item", line=line) for line in lines)  # «Крепёж»: a name, not a word
            first = t("cards.line_item", line=lines[0])
            traits.append(t("cards.lines", lines=named, first=first, share=t.pct(profile["top_lines_share"], 0)))
        if traits:
            out.append(t("cards.who", traits="; ".join(traits)))
        return out

    def pilot(self, settings: dict) -> None:
        """The pilot page 1 asks for before hires that pay only at the assumed response: whom, how long, what to measure."""
        t = self.t
        tests = [
            extra["test"]
            for extra in ((settings.get("hires_sensitivity") or {}).get("pilot") or {}).values()
            if extra.get("test")
        ]
        if not tests:
            return
        self.subheading("allocation.pilot_title")
        for test in tests:
            segment = summary._names([{"segment": test["segment"]}], t)
            self.text(
                "allocation.pilot",
                further=t.number(test["further"]),
                role=t.inline("roles", test["role"]),
                segment=segment,
                low=t.number(test["from"]),
                high=t.number(test["to"]),
                months=t.number(test["months"]),
                test=t.number(test["test_clients"]),
                hours=t.number(test["hours"]),
                expected=t.pct(test["expected"], 1),
                needed=t.pct(test["needed"], 1),
            )

    def allocation(self) -> None:
        """Chapter 6: the plan that pays, its assumptions, the team's position and who works whom."""
        t = self.t
        self.heading("allocation")
        settings = self.load("allocation", "settings")
        self.text("allocation.intro", hours=t.number(settings["selling_hours_per_fte"]))
        plan = self.load("allocation", "plan")
        assigned = summary.assigned_roles(self.run_dir)
        if assigned is not None:  # the role most of the segment's clients are assigned to: the call plan's
            main = assigned.drop_duplicates("segment").set_index("segment")["role"]
            # (a stopped or automated segment keeps its own "—": its largest clients' reviewers are in the rules)
            worked = plan["action"] == "work"
            plan = plan.assign(worked_by=plan["segment"].map(main).where(worked).fillna(plan["worked_by"]))
        # The segment's own role, and who stands in where most of its clients go to another role's seller.
        who = [
            t.label("roles", worked_by)
            if action != "work" or worked_by == own
            else t("allocation.role_stand_in", role=t.label("roles", own), stand_in=t.inline("roles", worked_by))
            for own, worked_by, action in zip(plan["role"], plan["worked_by"], plan["action"], strict=True)
        ]
        self.table(
            plan.assign(
                channel=plan["channel"].where(plan["action"] == "work", "none"),  # no channel unworked
                who=who,
            ),
            [
                ("segment", "grouping.col_segment", "label:segments"),
                ("tier", "priorities.col_tier", "int"),
                ("clients", "common.clients", "int"),
                ("action", "allocation.col_action", "label:actions"),
                ("who", "allocation.col_role", "text"),
                ("channel", "allocation.col_channel", "label:channels"),
                ("playbook_contacts", "allocation.col_playbook_contacts", "number"),
                ("contacts_per_year", "allocation.col_contacts", "number"),
                ("hours", "allocation.col_hours", "number"),
                ("fte", "allocation.col_fte", "number1"),
            ],
            wrap=True,
        )
        over = self.load("allocation", "break_even")
        self.subheading("allocation.economics_title")
        rates = "; ".join(
            t("allocation.rate_item", role=t.inline("roles", r), rate=t.money(v))
            for r, v in settings["cost_per_hour"].items()
            if r in set(plan["role"]) | {"key_account_manager"}
        )
        assumptions = [
            t("allocation.a_cost", rates=rates),
            t(
                "allocation.a_response",
                share=t.pct(settings["response_share"], 0),
                half=t.decimal(settings["half_contacts"]),
            ),
            t(
                "allocation.a_new",
                winback=t.pct(settings["winback_share"], 0),
                conversion=t.pct(settings["conversion_rate"], 0),
                years=t.decimal(settings["new_client_years"]),
            ),
            t("allocation.a_break_even", share=t.pct(settings["max_cost_share"], 0)),
            t("allocation.a_stand_in", eff=t.pct(settings["stand_in_efficiency"], 0)),
            *(
                [t("allocation.a_paid_hours", share=t.pct(settings["variable_cost_share"], 0))]
                if self.load("allocation", "load", optional=True) is not None and "variable_cost_share" in settings
                else []
            ),
            t(
                "allocation.a_remote",
                hours=t.duration(settings["remote_hours"]),
                effect=t.pct(settings["remote_effect"], 0),
            ),
        ]
        if settings.get("margin_assumed"):
            assumptions.insert(0, t("allocation.a_margin", pct=t.pct(settings["assumed_margin_pct"], 0)))
        forecast = self.load("criteria", "forecast_info", optional=True)
        if forecast is not None:  # a tested winner, or last period's figures said as such
            key = "allocation.a_forecast" if forecast.get("reason") == "beats_naive" else "allocation.a_forecast_naive"
            assumptions.insert(0, t(key, model=t.label("forecast.model", forecast["chosen"])))
        self.bullets(assumptions)
        if len(over):
            with self._kept():  # the sentence ends on a colon: its table follows on the same page
                self.text("allocation.break_even_intro", share=t.pct(settings["max_cost_share"], 0))
                self.table(
                    over,
                    [
                        ("segment", "grouping.col_segment", "label:segments"),
                        ("contacts_per_year", "allocation.col_playbook_contacts", "number"),
                        ("cost", "allocation.col_cost", "money"),
                        ("margin_base", "allocation.col_margin_base", "money"),
                        ("cost_share", "allocation.col_cost_share", "pct"),
                    ],
                )
        # An automated segment's best option: its arithmetic, so "automation" is shown, not asserted.
        opts = self.load("allocation", "options", optional=True)
        if opts is not None and len(opts):
            automated = plan.loc[(plan["action"] == "automate") & plan["segment"].isin(set(opts["segment"])), "segment"]
            tried = opts.loc[opts["segment"].isin(set(automated)) & (opts["contacts_per_year"] > 0)]
            # paying at an hour's full cost, yet left out, the hours bring more elsewhere (the step's own test)
            tried = tried.assign(pays=pays_at_full_cost(tried))
            best = tried.sort_values(["pays", "net"], ascending=False).drop_duplicates("segment")
            self.bullets(
                [
                    t(
                        f"allocation.{'automated_for_capacity' if row['pays'] else 'no_option_pays'}_{row['channel']}",
                        segment=t("common.segment_ref", name=t.label("segments", row["segment"])),
                        contacts=t.number(row["contacts_per_year"]),
                        value=t.money_round(row["value"]),  # a sentence: rounded, with units
                        cost=t.money_round(row["cost"]),
                    )
                    for _, row in best.iterrows()
                ]
            )
        self.subheading("allocation.rules_title")
        rules = []
        for r in self._rules_as_planned(plan):
            segs = t.join(t("common.segment_ref", name=t.label("segments", s)) for s in r["segments"])
            rules.append(
                t(
                    f"rules.{r['rule']}",
                    lead=sellers_lead(r, t, "rules") if "sellers" in r else "",
                    share=t.pct(r.get("share", 0), 0),
                    contacts=t.decimal(r.get("contacts", 0)),
                    segments=segs,
                    clients=t.number(r["clients"]),
                    hours=t.number(r.get("hours", 0)),
                    fte=t.number(r.get("fte", 0)),
                    max=r.get("max", ""),
                    per_kam=settings["accounts_per_kam"],
                    sellers=t.number(r.get("sellers", 0)),
                    needed=t.number(r.get("needed", 0)),
                    departments=t.number(r.get("departments", 0)),
                    heads=t.number(r.get("heads", 0)),
                    at=r.get("at", ""),
                    value=t.money_round(r.get("value", 0)),
                )
            )
        self.bullets(rules)
        fte = self.load("allocation", "fte")
        fte = fte.loc[(fte["fte_needed"] > 0.005) | (fte["fte_available"].fillna(0) > 0)]
        parts = [f"<h3>{html.escape(t('allocation.fte_title'))}</h3>"]
        cols = [("role", "allocation.col_role", "label:roles"), ("fte_needed", "allocation.col_needed", "number1")]
        if fte["fte_available"].notna().any():
            cols += [
                ("fte_available", "allocation.col_available", "number1"),
                ("fte_used", "allocation.col_used", "number1"),
                ("fte_idle", "allocation.col_idle", "number1"),
                ("hire_fte", "allocation.col_hire_fte", "number"),
                ("hire_value", "allocation.col_hire_value", "money"),
                ("recommendation", "allocation.col_recommendation", "label:recommendations"),
            ]
            parts.append(f"<p>{html.escape(t('allocation.fte_intro'))}</p>")
            # A hire not recommended is a dash, not "1" beside a loss or beside a role with time to spare
            # (summary.json keeps the figures; the hires left to a pilot are on page 1).
            pays = (fte["hire_value"].fillna(0) > 0) & (fte["recommendation"] == "hire")
            # Heads of sales follow the team's size, not a pay-off: the heads to appoint, no value.
            heads = (fte["role"] == "head_of_sales") & (fte["recommendation"] == "hire")
            to_appoint = (fte["fte_needed"] - fte["fte_available"].fillna(0)).clip(lower=0).round()
            fte = fte.assign(
                hire_fte=fte["hire_fte"].where(pays, to_appoint.where(heads)),
                hire_value=fte["hire_value"].where(pays),
            )
        # The heading and its sentence stay with the table they explain (one page).
        self.emit('<div class="wb-keep">' + "".join(parts) + self.table_html(fte, cols, wrap=True) + "</div>")
        self.figure(charts.fte(fte, t))
        self.pilot(settings)
        load = self.load("allocation", "load", optional=True)
        if load is not None:
            plan = self.load("allocation", "call_plan")
            counts = plan["status"].value_counts()
            quality = self.load("allocation", "quality")
            self.subheading("allocation.assign_title")
            parts = [
                t(f"allocation.assign_part.{status}", n=int(counts[status]))
                for status in ("kept", "assigned", "stand_in", "unassigned")
                if counts.get(status, 0) > 0
            ]
            if not counts.get("unassigned", 0):
                parts.append(t("allocation.assign_part.none_waiting"))
            self.text("allocation.assign_intro", parts="; ".join(parts))
            # Who stands in for whom: a key-account manager with a hundred A clients needs its reason said.
            standing = plan.loc[plan["status"] == "stand_in"]
            if len(standing):
                by_role = standing.groupby("role", sort=False)
                order = standing["role"].value_counts().index
                self.text(
                    "allocation.stand_in_detail",
                    parts="; ".join(
                        t(
                            "allocation.stand_in_part",
                            role=t.label("roles_plural", role),
                            n=t.number(len(by_role.get_group(role))),
                            segments=summary._names(
                                [{"segment": s} for s in dict.fromkeys(by_role.get_group(role)["segment"])], t
                            ),
                        )
                        for role in order
                    ),
                )
            if quality.get("continuity") is not None:
                self.text(
                    "allocation.quality",
                    continuity=t.pct(quality["continuity"], 0),
                    low=t.pct(quality["utilisation_min"], 0),
                    high=t.pct(quality["utilisation_max"], 0),
                )
            taken = int(plan["taken_back"].sum()) if "taken_back" in plan else 0
            if taken:
                months = self.load("allocation", "settings").get("hold_without_sale_months")
                self.text("allocation.taken_back", n=t.number(taken), months=t.number(months))
            mix = self.load("allocation", "portfolio_mix", optional=True)
            table = self.load("criteria", "criteria")
            sized = "size_band" in table and (table["size_band"].fillna("unknown") != "unknown").any()
            industries = "industry" in table and table["industry"].notna().any()
            if mix is not None and not (sized or industries):  # nothing to tell a mixed portfolio by
                self.text("allocation.mix_untested")
            elif mix is not None:
                settings = self.load("allocation", "settings")
                names = dict(zip(load["manager_id"], load["name"].fillna(""), strict=True))
                flagged = [names.get(m) or str(m) for m in mix["manager_id"]]
                sellers = int((load["role"] != "head_of_sales").sum())
                # Most portfolios flagged: "split such portfolios" would mean all of them; say how instead.
                most = len(mix) > 0 and len(mix) * 2 >= sellers
                self.text(
                    ("allocation.mix_most" if most else "allocation.mix") if len(mix) else "allocation.mix_none",
                    portfolios=t.number(sellers),
                    spread=t.number(int(table["industry"].nunique()) if industries else 0),
                    sizes=t.number(int(mix["mixed_sizes"].sum())),
                    industries=t.number(int(mix["many_industries"].sum())),
                    max=t.number(settings.get("portfolio_max_industries", 3)),
                    names=t.join(
                        flagged[:5] + ([t("common.and_more", n=len(flagged) - 5)] if len(flagged) > 5 else [])
                    ),
                )
            if quality.get("over_capacity"):
                self.text("allocation.over_capacity", n=t.number(quality["over_capacity"]))
        self.scenarios()
        self.call_lists()  # last: the lists are what the managers take away (the Excel has them in full)
        # The assumed margin is stated with the assumptions above (and on page 1): not a second time here.
        self.notes([n for n in self.load("allocation", "notes") if n["key"] != "margin_assumed"])

    def _rules_as_planned(self, plan: pd.DataFrame) -> list[dict]:
        """The allocation's rules, each segment said once.

        A segment the idle hours took back is not also listed as automated or stopped (the idle-capacity
        rule says it would have been).
        """
        rules = self.load("allocation", "rules")
        taken = {s for r in rules if r["rule"] == "idle_capacity" for s in r["segments"]}
        if not taken:
            return rules
        by_segment = plan.set_index("segment")
        out = []
        for r in rules:
            if r["rule"] not in ("automate_low_priority", "drop_lowest_tier") or not taken & set(r["segments"]):
                out.append(r)
                continue
            left = [s for s in r["segments"] if s not in taken]
            if left:  # the playbook hours of what stays automated: what the rule frees
                rows = by_segment.loc[left]
                freed = (rows["clients"] * rows["playbook_contacts"] * rows["hours_per_contact"]).sum()
                out.append({**r, "segments": left, "clients": int(rows["clients"].sum()), "hours": float(freed)})
        return out

    def scenarios(self) -> None:
        """The what-if scenarios side by side with the plan (``scenarios:`` in engagement.yaml)."""
        t = self.t
        table = self.load("scenarios", "comparison", optional=True)
        if table is None or table.empty:
            return
        rows = [
            ("goal", lambda v: _cell(t(f"goal.name.{v}"))),
            ("first", lambda v: _cell(summary._names([{"segment": s} for s in v], t))),
            ("worked", t.number),
            ("automated", t.number),
            ("stopped", t.number),
            ("hours", t.number),
            ("value", t.money_round),  # a comparison of plans: rounded, with units
            ("cost", t.money_round),
            ("net", t.money_round),
            ("fte_needed", lambda v: t.number(v, 1)),
            ("fte_available", lambda v: t.number(v, 1)),
            ("fte_short", lambda v: t.decimal(v, 1)),
            ("fte_idle", lambda v: t.number(v, 1)),
            ("waiting", t.number),
        ]
        names = [t("scenarios.plan") if not n else str(n) for n in table["scenario"]]
        shown = pd.DataFrame(
            {"metric": [t(f"scenarios.row_{key}") for key, _ in rows]}
            | {f"c{i}": [write(table.iloc[i][key]) for key, write in rows] for i in range(len(table))}
        )
        # The heading and its sentence stay with the table's start; the table may go on to the next page (its
        # header repeats), where the call lists follow it: a block this tall never leaves a page mostly empty.
        self.subheading("scenarios.title")
        self.emit(f'<p class="wb-lead">{html.escape(t("scenarios.intro", n=t.number(len(table) - 1)))}</p>')
        self.table(
            shown,
            [("metric", "=", "text")]  # the rows name themselves: no header
            + [(f"c{i}", "=" + n, "text") for i, n in enumerate(names)],
            wrap=True,
            keep=False,
        )

    def call_lists(self) -> None:
        """The ranked, dated call lists: how many per list, their rules, the top of the win-back list."""
        t = self.t
        lists = self.load("allocation", "call_lists", optional=True)
        if lists is None:
            return
        rules = self.load("allocation", "settings").get("calls") or {}
        defaults = {"holding_months": 6, "cold_call_gap_days": 30, "winback_half_life_months": 12, "at_risk_p_buy": 0.5}
        rules = {**defaults, **rules}
        if lists.empty:
            self.subheading("calls.title")
            self.text("calls.none")
            return
        values = {
            "half_life": t.number(rules["winback_half_life_months"]),
            "holding": t.number(rules["holding_months"]),
            "p_buy": t.pct(rules["at_risk_p_buy"], 0),
        }
        present = [name for name in ("winback", "activation", "retention", "holding") if (lists["list"] == name).any()]
        described = "; ".join(t(f"calls.intro_list.{name}", **values) for name in present)  # only the lists made
        intro = html.escape(t("calls.intro", lists=described, gap=t.number(rules["cold_call_gap_days"])))
        heading = f"<h3>{html.escape(t('calls.title'))}</h3><p>{intro}</p>"
        summary = (
            lists.groupby("list", sort=False)
            .agg(clients=("client_id", "size"), first=("due_date", "min"), last=("due_date", "max"))
            .reset_index()
        )
        table = self.table_html(
            summary,
            [
                ("list", "calls.col_list", "label:call_list"),
                ("clients", "common.clients", "int"),
                ("first", "calls.col_first", "date"),
                ("last", "calls.col_last", "date"),
            ],
        )
        self.emit(f'<div class="wb-keep">{heading}{table}</div>')  # the rules stay with the lists they make
        top = lists.loc[lists["list"] == "winback"].sort_values("value", ascending=False).head(5)
        if len(top):
            table = self.table_html(
                top.assign(name=top["name"].fillna(top["client_id"])),
                [
                    ("name", "calls.col_client", "text"),
                    ("manager_name", "allocation.col_manager", "text"),
                    ("value", f"call_basis.{top['basis'].iloc[0]}", "money"),
                    ("last_purchase", "calls.col_last_purchase", "date"),
                    ("due_date", "calls.col_due", "date"),
                ],
            )
            intro = html.escape(t("calls.winback_top", n=t.number(len(top))))
            self.emit(f'<div class="wb-keep"><p>{intro}</p>{table}</div>')  # the sentence stays with its table

    #: Intake's reasons (rejected.csv keeps them as written, for the analyst) and their catalogue keys.
    REASONS = (
        (r"empty", "rejected.empty"),
        (r"not a date in format (?P<format>.+)", "rejected.not_date_format"),
        (r"not a date", "rejected.not_date"),
        (r"not a number \(decimal mark '(?P<mark>.)'\)", "rejected.not_number_mark"),
        (r"not a number", "rejected.not_number"),
        (r"(?P<column>\w+) not in the (?P<table>\w+) file", "rejected.not_in"),
        (r"duplicate (?P<column>\w+) \(first row kept\)", "rejected.duplicate"),
    )

    def _reason(self, reason: str) -> str:
        """A rejected row's reason in the report's language (one intake wrote in English); an unknown one as is."""
        for pattern, key in self.REASONS:
            if match := re.fullmatch(pattern, str(reason)):
                values = match.groupdict()
                if "table" in values:
                    values["table"] = self.t.label("tables", values["table"])
                return self.t(key, **values)
        return str(reason)

    def _read_as(self, row: dict) -> str:
        """A decided format in the reader's words: DD.MM.YYYY, decimal comma and space thousands."""
        t = self.t
        if row["setting"] == "decimal":
            mark = t("formats.decimal_comma" if row["value"] == "," else "formats.decimal_point")
            group = {" ": "formats.group_space", ".": "formats.group_dot", ",": "formats.group_comma"}.get(
                row["thousands"] or ""
            )
            return mark + (", " + t(group) if group else "")
        if row["value"] in ("ISO 8601", "excel serial"):
            return t("formats.iso" if row["value"] == "ISO 8601" else "formats.excel")
        pattern = str(row["value"])
        for code, key in (("%d", "day"), ("%m", "month"), ("%Y", "year4"), ("%y", "year2")):
            pattern = pattern.replace(code, t(f"formats.{key}"))
        return pattern

    def criteria_table(self) -> None:
        """Appendix: which criteria the data supports, and the column that would enable each missing one."""
        t = self.t
        avail = self.load("criteria", "availability")
        avail = avail.assign(
            state=[t("common.yes") if a else t("common.no") for a in avail["available"]],
            how=[
                t.label("potential_method", m) if m else (t("criteria.needs", columns=c) if c else "")
                for m, c in zip(avail["method"], avail["missing"], strict=True)
            ],
        )
        self.subheading("criteria.table_title")
        self.table(
            avail,
            [
                ("criterion", "criteria.col_criterion", "label:criterion"),
                ("state", "criteria.col_available", "text"),
                ("how", "criteria.col_how", "text"),
            ],
        )

    def load_table(self) -> None:
        """Appendix: each seller's clients, hours and load under the plan."""
        load = self.load("allocation", "load", optional=True)
        if load is None:
            return
        self.subheading("allocation.load_title")
        sellers = load.loc[load["role"] != "head_of_sales"]
        self.table(
            sellers,
            [
                ("name", "allocation.col_manager", "text"),
                ("role", "allocation.col_role", "label:roles"),
                ("clients", "common.clients", "int"),
                ("hours", "allocation.col_hours", "number"),
                ("hours_available", "allocation.col_hours_available", "number"),
                ("utilisation", "allocation.col_utilisation", "pct"),
            ],
        )

    def appendix(self) -> None:
        """Data received, rows rejected and why, the criteria the data supports, and the run's provenance."""
        t = self.t
        self.emit(f'<h2 id="appendix" class="wb-step">{html.escape(t("appendix.title"))}</h2>')
        self.text("appendix.provenance", date=t.date(self._run_date()))  # first: it never strands on a page
        summary = self.load("intake", "summary")
        self.table(
            summary,
            [
                ("table", "appendix.col_table", "label:tables"),
                ("file", "appendix.col_file", "text"),
                ("rows_read", "appendix.col_read", "int"),
                ("rows_accepted", "appendix.col_accepted", "int"),
                *([("rows_filtered", "appendix.col_filtered", "int")] if summary.get("rows_filtered", 0).sum() else []),
                ("rows_rejected", "appendix.col_rejected", "int"),
            ],
        )
        filtered = self.load("intake", "filtered", optional=True)
        for row in [] if filtered is None else filtered.to_dict("records"):
            if pd.notna(row["amount"]):
                self.text(
                    "appendix.filtered_value", n=t.number(row["rows"]), file=row["file"], amount=t.money(row["amount"])
                )
            else:
                self.text("appendix.filtered", n=t.number(row["rows"]), file=row["file"])
        formats = self.load("intake", "formats", optional=True)
        if formats is not None and len(read := formats.loc[formats["setting"].isin(["date_format", "decimal"])]):
            self.text("appendix.formats_intro")
            self.table(
                read.assign(read_as=[self._read_as(r) for r in read.to_dict("records")]),
                [
                    ("file", "appendix.col_file", "text"),
                    ("column", "appendix.col_column", "text"),
                    ("read_as", "appendix.col_read_as", "text"),
                    ("basis", "appendix.col_how", "label:format_basis"),
                ],
            )
        for row in summary.loc[summary["exact_duplicates"] > 0].itertuples():
            self.text("appendix.duplicates", n=t.number(row.exact_duplicates), file=row.file)
        rejected = self.load("intake", "rejected")
        if len(rejected):
            reasons = rejected.groupby(["file", "column", "reason"]).size().rename("rows").reset_index()
            reasons["reason"] = [self._reason(r) for r in reasons["reason"]]
            self.text("appendix.rejected_intro")
            self.table(
                reasons,
                [
                    ("file", "appendix.col_file", "text"),
                    ("column", "appendix.col_column", "text"),
                    ("reason", "appendix.col_reason", "text"),
                    ("rows", "appendix.col_rows", "int"),
                ],
            )
        else:
            self.text("appendix.no_rejected")
        self.notes(self.load("intake", "notes", optional=True))
        with self._into_method("criteria"):  # each exhibit under the step that made it
            self.criteria_table()
            self.backtest_exhibit()
        with self._into_method("allocation"):
            self.load_table()
        self.method_sections()

    @contextmanager
    def _kept(self):
        """Keep what the block emits (a heading, its text, its table) on one page: one unbreakable block."""
        parts: list = []
        sink = self._sink
        self._sink = parts.append
        try:
            yield
        finally:
            self._sink = sink
            if any(not isinstance(p, str) for p in parts):
                raise TypeError("a chart cannot be kept in one block with text; emit it after the block")
            if parts:
                self.emit('<div class="wb-keep">' + "".join(parts) + "</div>")

    @contextmanager
    def _into_method(self, step: str):
        """Send what the block emits to the appendix's account of ``step`` (see :meth:`method`)."""
        sink = self._sink
        self._sink = self._method.setdefault(step, []).append
        try:
            yield
        finally:
            self._sink = sink

    def method_sections(self) -> None:
        """How each step was done: the method text and supporting tables the chapters left for the appendix."""
        if not self._method:
            return
        self.subheading("appendix.method_title")
        for number, step in enumerate(STEPS, start=1):
            items = self._method.get(step)
            if items:
                title = self.t("headlines.step", n=number, step=self.t(f"{step}.title"))
                self.emit(f'<h3 class="wb-method-step">{html.escape(title)}</h3>')
                for item in items:  # texts and tables, and the charts of the exhibits filed here
                    self.emit(item)

    def _run_date(self) -> pd.Timestamp:
        """When the run was made (its manifest), for the appendix's provenance line."""
        import json

        manifest = self.run_dir / "manifest.json"
        started = json.loads(manifest.read_text(encoding="utf-8")).get("started") if manifest.exists() else None
        return pd.Timestamp(started).normalize() if started else pd.Timestamp.now().normalize()

    def backtest_exhibit(self) -> None:
        """The forecast's backtest: every candidate against what happened, and the ceiling of perfect foresight."""
        t = self.t
        info = self.load("criteria", "forecast_info", optional=True)
        metrics = self.load("criteria", "backtest", optional=True)
        if info is None:
            return
        if metrics is None or metrics.empty:
            self.subheading("forecast.backtest_title")
            self.text("forecast.no_backtest", **self._forecast_values(info, t.label("forecast.model", info["chosen"])))
            return
        with self._kept():
            self.subheading("forecast.backtest_title")
            self.text("forecast.backtest_intro", months=info["horizon_months"], margin=t.pct(info["margin"], 0))
            self.table(
                metrics.assign(model=[_cell(t.label("forecast.model", m)) for m in metrics["model"]]),
                [
                    ("model", "forecast.col_model", "text"),
                    ("top_share", "forecast.col_top_share", "pct"),
                    ("rank_correlation", "forecast.col_rank", "number2"),
                    ("total_ratio", "forecast.col_total", "number2"),
                    ("mae", "forecast.col_mae", "money"),
                    ("precision", "forecast.col_precision", "pct"),
                    ("recall", "forecast.col_recall", "pct"),
                ],
            )
        deciles = self.load("criteria", "backtest_deciles", optional=True)
        if deciles is not None and len(deciles):
            chosen = deciles.loc[deciles["candidate"] == info["chosen"]]
            self.figure(charts.forecast_deciles(chosen, t, t.label("forecast.model", info["chosen"])))
