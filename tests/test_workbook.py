"""plan.xlsx: the plan as a workbook beside summary.json, typed, in the report's language, never a formula."""

from __future__ import annotations

import datetime as dt
import inspect
import json
import shutil
from pathlib import Path

import matplotlib
import pandas as pd
import pytest
import yaml
from openpyxl import load_workbook

matplotlib.use("Agg")

from workbench import allocation, artifacts, criteria, demo, engagement, goal, grouping, playbooks, priorities  # noqa: E402
from workbench.config import dump_config, parse_config  # noqa: E402
from workbench.intake import load_tables  # noqa: E402
from workbench.paths import TEMPLATES  # noqa: E402
from workbench.report import summary, workbook  # noqa: E402
from workbench.report.i18n import Translator  # noqa: E402

STEP_MODULES = {
    "goal": goal,
    "criteria": criteria,
    "grouping": grouping,
    "priorities": priorities,
    "playbooks": playbooks,
    "allocation": allocation,
}
HOSTILE = ['=HYPERLINK("http://x")', "+1", "-2", "@a", "\tx", "\rx", "\x01=1+1"]


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A small demo run, its six steps chained without notebooks, conclusions written as `workbench run` does."""
    base = tmp_path_factory.mktemp("workbook")
    demo.generate(base / "data", n_clients=300, seed=11)
    config = parse_config(yaml.safe_load((TEMPLATES / "engagement.yaml").read_text(encoding="utf-8")))
    run_dir = base / "runs" / "run"
    engagement.save_intake(run_dir, config, load_tables(config, base))
    for step, module in STEP_MODULES.items():
        accepted = inspect.signature(module.run_step).parameters
        params = {k: v for k, v in engagement.step_parameters(config, step, run_dir).items() if k in accepted}
        module.run_step(**params)
    engagement.write_conclusions(run_dir, config)
    return {"run_dir": run_dir, "config": config}


def _copy(run_dir: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(run_dir, tmp_path / "runs" / "run"))


def _rows(ws) -> list[dict]:
    """A sheet's rows as dicts keyed by its header."""
    header = [c.value for c in ws[1]]
    return [dict(zip(header, row, strict=True)) for row in ws.iter_rows(min_row=2, values_only=True)]


def _column(ws, header: str):
    """The cells (not values) of the column titled ``header``, header excluded."""
    index = [c.value for c in ws[1]].index(header)
    return [row[index] for row in ws.iter_rows(min_row=2)]


def test_plan_xlsx_is_written_beside_summary_json_with_its_sheets(finished_run):
    run_dir = finished_run["run_dir"]
    assert (run_dir / "summary.json").exists() and (run_dir / "call_plan.csv").exists()
    book = load_workbook(run_dir / "plan.xlsx")
    lists = artifacts.load(run_dir, "allocation", "call_lists", optional=True)
    assert book.sheetnames == ["Assignments", "Segments", "Playbooks"] + (["Call lists"] if lists is not None else [])
    if lists is not None:
        assert [r["Client ID"] for r in _rows(book["Call lists"])] == lists["client_id"].tolist()
    for ws in book.worksheets:
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref == ws.dimensions
        assert all(c.font.bold for c in ws[1])
        widths = [ws.column_dimensions[c.column_letter].width for c in ws[1]]
        assert all(workbook.WIDTH[0] <= w <= workbook.WIDTH[1] for w in widths)
    calls = pd.read_parquet(run_dir / "artifacts" / "allocation" / "call_plan.parquet")
    assignments = _rows(book["Assignments"])
    assert [r["Client ID"] for r in assignments] == calls["client_id"].tolist()
    assert [r["Manager ID"] for r in assignments] == [None if pd.isna(m) else m for m in calls["manager_id"]]
    assert [r["Client"] for r in assignments] == calls["name"].tolist()
    assert {r["Assignment"] for r in assignments} <= {
        Translator("en").label("plan_xlsx.status", s) for s in calls["status"]
    }


def test_segments_sheet_is_summary_json_segments(finished_run):
    run_dir = finished_run["run_dir"]
    segments = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))["segments"]
    rows = _rows(load_workbook(run_dir / "plan.xlsx")["Segments"])
    assert [r["Segment code"] for r in rows] == [s["segment"] for s in segments]
    assert [r["Segment"] for r in rows] == [s["label"] for s in segments]
    for row, seg in zip(rows, segments, strict=True):
        assert (row["Priority tier"], row["Priority rank"], row["Clients"]) == (
            seg["tier"],
            seg["rank"],
            seg["clients"],
        )
        assert row["Revenue, RUB"] == pytest.approx(seg["revenue"])
        assert row["Margin, RUB"] == (None if seg["margin"] is None else pytest.approx(seg["margin"]))
        assert row["Workload, hours a year"] == pytest.approx(seg["workload_hours"])
        assert row["Workload cost a year, RUB"] == pytest.approx(seg["workload_cost"])
        assert row["Contacts a year"] == pytest.approx(seg["contacts_per_year"])
        sources = {k: v for k, v in row.items() if k.startswith("Clients by potential source: ")}
        labels = {
            f"Clients by potential source: {Translator('en').label('potential_source', s)}": n
            for s, n in seg["potential_source"].items()
        }
        assert {k: v for k, v in sources.items() if v} == labels
    assert sum(r["Clients"] for r in rows) == sum(s["clients"] for s in segments)


def test_numbers_are_number_cells_and_playbooks_are_the_plans(finished_run):
    run_dir = finished_run["run_dir"]
    book = load_workbook(run_dir / "plan.xlsx")
    numeric = {
        "Assignments": ["Priority tier", "Contacts a year", "Hours a year"],
        "Segments": ["Priority tier", "Clients", "Revenue, RUB", "Margin, RUB", "Workload, hours a year"],
        "Playbooks": ["Priority tier", "Contacts a year", "Hours per contact"],
    }
    for sheet, headers in numeric.items():
        for header in headers:
            cells = [c for c in _column(book[sheet], header) if c.value is not None]
            assert cells, (sheet, header)
            assert all(c.data_type == "n" and isinstance(c.value, int | float) for c in cells), (sheet, header)
            assert all(c.number_format != "General" for c in cells), (sheet, header)
    for header in ("Client ID", "Client", "Manager"):
        assert all(c.data_type == "s" for c in _column(book["Assignments"], header) if c.value is not None)
    # The playbooks sheet shows the plan's frequency and worker, as chapter 5 does, not the template's.
    plan = pd.read_parquet(run_dir / "artifacts" / "allocation" / "plan.parquet").set_index("segment")
    t = summary.run_translator(run_dir, "en", "RUB")
    for row in _rows(book["Playbooks"]):
        seg = row["Segment code"]
        assert row["Contacts a year"] == pytest.approx(plan.loc[seg, "contacts_per_year"])
        assert row["Who works it"] == t.label("roles", plan.loc[seg, "worked_by"])
        assert row["Action"] == t.label("actions", plan.loc[seg, "action"])


def test_formula_like_client_data_is_written_as_text_as_call_plan_csv_has_it(finished_run, tmp_path):
    run_dir = _copy(finished_run["run_dir"], tmp_path)
    calls = artifacts.load(run_dir, "allocation", "call_plan")
    n = len(HOSTILE)
    calls.loc[: n - 1, "name"] = HOSTILE
    calls.loc[: n - 1, "manager_name"] = HOSTILE
    lists = pd.DataFrame(
        {
            "list": ["win_back"] * n,
            "rank": range(1, n + 1),
            "client_id": calls["client_id"][:n].tolist(),
            "name": HOSTILE,
            "segment": calls["segment"][:n].tolist(),
            "manager_id": HOSTILE,
            "reason": HOSTILE,
            "due_date": pd.to_datetime(["2026-01-15"] * n),
            "value": [-2.0] * n,  # a negative number is a number, not a formula
        }
    )
    artifacts.save(run_dir, "allocation", call_plan=calls, call_lists=lists)
    book = load_workbook(workbook.write_plan(run_dir, summary.run_translator(run_dir, "en", "RUB")))
    assert book.sheetnames == ["Assignments", "Segments", "Playbooks", "Call lists"]

    # Exactly what write_csv writes (control characters a workbook cannot hold dropped first).
    expected = [artifacts.neutralise(h.replace("\x01", "")) for h in HOSTILE]
    csv_cells = artifacts.spreadsheet_safe(pd.DataFrame({"name": [h.replace("\x01", "") for h in HOSTILE]}))
    assert csv_cells["name"].tolist() == expected
    assert expected[0] == '\'=HYPERLINK("http://x")' and expected[-1] == "'=1+1"
    # XML reads a carriage return back as a line feed; the apostrophe in front is what keeps it text.
    read_back = [e.replace("\r", "\n") for e in expected]
    for sheet, header in (("Assignments", "Client"), ("Assignments", "Manager"), ("Call lists", "Reason")):
        cells = _column(book[sheet], header)[:n]
        assert [c.value for c in cells] == read_back, (sheet, header)
        assert all(c.data_type == "s" for c in cells), (sheet, header)
    assert [c.value for c in _column(book["Call lists"], "Manager ID")] == read_back
    assert not [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.data_type == "f"]

    due = _column(book["Call lists"], "Call on")
    assert all(c.is_date and c.value.date() == dt.date(2026, 1, 15) for c in due)
    assert all(c.number_format == "dd/mm/yyyy" for c in due)
    assert [c.value for c in _column(book["Call lists"], "Place in the manager's list")] == list(range(1, n + 1))
    value = _column(book["Call lists"], "Ranking value, RUB")
    assert all(c.data_type == "n" and c.value == -2.0 for c in value)


def test_without_call_lists_the_sheet_is_left_out(finished_run, tmp_path):
    run_dir = _copy(finished_run["run_dir"], tmp_path)
    (run_dir / "artifacts" / "allocation" / "call_lists.parquet").unlink(missing_ok=True)
    book = load_workbook(workbook.write_plan(run_dir, summary.run_translator(run_dir, "en", "RUB")))
    assert book.sheetnames == ["Assignments", "Segments", "Playbooks"]


def test_russian_run_writes_russian_sheets_and_headers(finished_run, tmp_path):
    run_dir = _copy(finished_run["run_dir"], tmp_path)
    lists = pd.DataFrame(
        {
            "list": ["winback"],
            "rank": [1],
            "client_id": ["C1"],
            "name": ["ООО Ромашка"],
            "segment": ["lost"],
            "manager_id": ["M01"],
            "reason": ["lost"],
            "due_date": pd.to_datetime(["2026-01-15"]),
            "value": [1500.0],
        }
    )
    artifacts.save(run_dir, "allocation", call_lists=lists)
    t = summary.run_translator(run_dir, "ru", "RUB")
    book = load_workbook(workbook.write_plan(run_dir, t, path=tmp_path / "plan.xlsx"))
    assert book.sheetnames == ["Закрепление клиентов", "Сегменты", "Алгоритмы работы", "Списки обзвона"]
    (row,) = _rows(book["Списки обзвона"])
    assert (
        row["Клиент"] == "ООО Ромашка" and row["Код менеджера"] == "M01" and row["Значение для очерёдности, ₽"] == 1500
    )
    assert row["Сегмент"] == t.label("segments", "lost") and row["Причина"] == "Ушедший клиент"
    assert row["Код сегмента"] == "Ушедшие"  # no English code before a Russian reader; A–E stay letters
    assert {r["Код сегмента"] for r in _rows(book["Сегменты"])} >= {"A", "Потенциальные"}
    hours = [r["Часов в год"] for r in _rows(book["Закрепление клиентов"]) if r["Часов в год"] is not None]
    assert hours and all(h == round(h, 2) for h in hours)  # no 333.3333333333 in a cell
    assert row["Дата звонка"] == dt.datetime(2026, 1, 15) and row["Список"] == t.label("call_list", "winback")
    assert _column(book["Списки обзвона"], "Дата звонка")[0].number_format == "dd.mm.yyyy"
    headers = [c.value for c in book["Закрепление клиентов"][1]]
    assert {"Клиент", "Сегмент", "Менеджер", "Контактов в год", "Часов в год"} <= set(headers)
    seg_headers = [c.value for c in book["Сегменты"][1]]
    assert {"Выручка, ₽", "Маржа, ₽", "Клиентов", "Действие"} <= set(seg_headers)
    rows = _rows(book["Сегменты"])
    assert {r["Действие"] for r in rows} <= {"Работа менеджеров", "Автоматическое обслуживание", "Временно без работы"}
    assert {r["Закрепление"] for r in _rows(book["Закрепление клиентов"])} <= set(
        t.label("plan_xlsx.status", s)
        for s in ("kept", "assigned", "stand_in", "over_capacity", "unassigned", "automate", "stop")
    )


def test_workbench_render_rewrites_plan_xlsx(finished_run, tmp_path, monkeypatch):
    """`workbench render` (and so `workbench run`, through the same _finish) writes plan.xlsx from the artifacts."""
    from workbench.report import render as report

    run_dir = _copy(finished_run["run_dir"], tmp_path)
    (run_dir / "plan.xlsx").unlink()
    (run_dir / "manifest.json").write_text(
        json.dumps({"config": dump_config(finished_run["config"]), "steps": {}}), encoding="utf-8"
    )
    monkeypatch.setattr(engagement, "execute_step", lambda *args, **kwargs: None)  # no report kernel
    monkeypatch.setattr(report, "render_html", lambda notebook, out, **kwargs: out)
    engagement.render(run_dir, progress=lambda line: None, pdf=False)
    rows = _rows(load_workbook(run_dir / "plan.xlsx")["Segments"])
    segments = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))["segments"]
    assert [r["Clients"] for r in rows] == [s["clients"] for s in segments]


def test_a_stopped_segment_asks_for_a_margin_review_only_where_its_margin_is_negative(finished_run, tmp_path):
    run_dir = _copy(finished_run["run_dir"], tmp_path)
    plan = artifacts.load(run_dir, "allocation", "plan")
    # Stop D as well as E: D's clients buy at a profit, so no "margin review" is asked of anyone for them.
    stopped = plan.assign(action=plan["action"].where(plan["segment"] != "D", "stop"))
    artifacts.save(run_dir, "allocation", plan=stopped)
    t = summary.run_translator(run_dir, "en", "RUB")
    cards = summary.playbooks(run_dir, t).set_index("segment")
    assert cards.loc["D", "resources"] == "—"
    assert cards.loc["E", "action"] == "stop" and cards.loc["E", "resources"] == t("playbooks.stop_resources")


def test_without_a_team_the_workbook_lists_every_client_largest_first_in_its_segment(finished_run, tmp_path):
    run_dir = _copy(finished_run["run_dir"], tmp_path)
    (run_dir / "artifacts" / "allocation" / "call_plan.parquet").unlink()  # as a run without a team has it
    t = summary.run_translator(run_dir, "en", "RUB")
    book = load_workbook(workbook.write_plan(run_dir, t, path=tmp_path / "plan.xlsx"))
    assert book.sheetnames[0] == "Clients" and "Assignments" not in book.sheetnames
    rows = _rows(book["Clients"])
    criteria = artifacts.load(run_dir, "criteria", "criteria")
    assert len(rows) == len(criteria)  # every client, none dropped
    by_segment: dict = {}
    for r in rows:
        by_segment.setdefault(r["Segment code"], []).append(r)
    for code, members in by_segment.items():
        assert [m["Rank in the segment (by revenue)"] for m in members] == list(range(1, len(members) + 1)), code
        revenue = [m["Revenue, RUB"] or 0 for m in members]
        assert revenue == sorted(revenue, reverse=True), code
    tiers = [r["Priority tier"] for r in rows]
    assert tiers == sorted(tiers)  # the segments worked first come first
