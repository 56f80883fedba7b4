"""End to end: a reduced demo engagement through papermill to HTML and PDF, in both languages."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html import escape as html_escape
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from workbench import STEPS, demo
from workbench.cli import main as cli
from workbench.config import load_config
from workbench.engagement import NOTEBOOK_FILES, REPORT_NOTEBOOK, StepFailed, init_engagement, run, step_parameters
from workbench.paths import NOTEBOOKS
from workbench.report.i18n import Translator
from workbench.report.render import assert_self_contained

pytestmark = pytest.mark.e2e
STEP_H2 = re.compile(r"<h2[^>]*\bid=\"step-(\w+)\"")

# Each chapter's kicker names its step of the method; the title above it states the finding.
RU_HEADINGS = [
    "Шаг 1. Цель",
    "Шаг 2. Критерии",
    "Шаг 3. Группировка",
    "Шаг 4. Приоритеты",
    "Шаг 5. Алгоритмы работы",
    "Шаг 6. Распределение ресурсов отдела продаж",
]


def _spaced(text: str) -> str:
    """Text with no-break spaces as plain ones: the rendered page binds numbers to words, the texts do not."""
    return text.replace("\u00a0", " ")


def _demo_engagement(path: Path, **config_changes) -> Path:
    init_engagement(path, "Demo Distribution LLC")
    demo.generate(path / "data", n_clients=300, seed=3)
    if config_changes:
        cfg = yaml.safe_load((path / "engagement.yaml").read_text(encoding="utf-8"))
        for dotted, value in config_changes.items():
            node = cfg
            *parents, leaf = dotted.split(".")
            for p in parents:
                node = node[p]
            node[leaf] = value
        (path / "engagement.yaml").write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def demo_runs(tmp_path_factory):
    """The demo engagement run twice: English, then Russian."""
    path = _demo_engagement(tmp_path_factory.mktemp("eng") / "demo")
    lines: list[str] = []
    en = run(path, language="en", progress=lines.append)
    ru = run(path, language="ru", progress=lines.append)
    return {"path": path, "en": en, "ru": ru, "progress": lines}


def _pdf_text(pdf: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(str(pdf)).pages)


def test_progress_is_reported_step_by_step(demo_runs):
    steps = [line for line in demo_runs["progress"] if re.match(r"\[\d/7\]", line)]
    assert [s.split()[1] for s in steps[:8]] == ["intake", *STEPS, "report"]


def test_html_has_six_step_sections_in_order_and_no_code(demo_runs):
    html = demo_runs["en"].html.read_text(encoding="utf-8")
    ids = re.findall(STEP_H2, html)
    assert ids == list(STEPS)
    for code in ("import ", "run_dir", "ClientReport", "report.goal()", "In&nbsp;[", "parameters"):
        assert code not in html, code
    assert "<script" not in html
    assert_self_contained(html)
    assert html.count("data:image/svg+xml;base64") >= 6  # charts embedded, as vector images (sharp in print)
    assert "Key findings" in html and "Appendix: data and method" in html


def test_english_numbers_are_formatted_for_the_locale(demo_runs):
    html = demo_runs["en"].html.read_text(encoding="utf-8")
    assert re.search(r"RUB\u00a0\d{1,3}(,\d{3})+<", html)  # RUB 1,234,567, as English writes a currency code
    assert re.search(r"\d%<", html) and not re.search(r"\d\u00a0%", html)  # 73%, not 73 %


def test_page_one_and_summary_json_say_the_same(demo_runs):
    for language in ("en", "ru"):
        result = demo_runs[language]
        summary = json.loads((result.run_dir / "summary.json").read_text(encoding="utf-8"))
        html = result.html.read_text(encoding="utf-8")
        cover = html.split('id="step-goal"')[0]  # page 1: everything before chapter 1
        assert summary["decisions"], language
        for sentence in [summary["money"], *summary["decisions"]]:  # the page binds numbers to words (no-break)
            assert _spaced(html_escape(sentence, quote=False)) in _spaced(cover), (language, sentence)
        # The money is a finding, not a recommendation: it stands under the findings' heading.
        assert cover.index(html_escape(summary["money"], quote=False)) > cover.index("<h3>", cover.index("<h3>") + 1)
        assert {s["segment"] for s in summary["segments"]} == set(
            pd.read_parquet(result.run_dir / "artifacts" / "grouping" / "segments.parquet")["segment"]
        )
        roles = {r["role"]: r for r in summary["roles"]}
        assert set(roles) >= {"farmer", "hunter", "key_account_manager", "head_of_sales"}


def test_page_one_team_sentences_agree_with_the_roles_and_the_call_plan_names_who_works(demo_runs):
    run_dir = demo_runs["en"].run_dir
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    roles = {r["role"]: r for r in summary["roles"]}
    team = " ".join(d for d in summary["decisions"] if d.startswith("Team:"))
    hiring = [r for r in roles.values() if r["recommendation"] == "hire" and r["role"] != "head_of_sales"]
    idle = [r for r in roles.values() if r["recommendation"] == "redeploy"]
    for r in hiring:  # a hire is a whole number of people whose work pays their full cost
        assert isinstance(r["hire_fte"], int) and r["hire_fte"] >= 1 and r["hire_value"] > 0, r
        assert f"hire {r['hire_fte']} people" in team, team
    if hiring and idle:  # the idle time is said beside the hires, never as a reason to cut the team
        assert "cannot replace them" in team and "no other role has the time" not in team, team
        assert "reduce the team" not in team, team
    # The head count is for the team there will be: today's sellers plus the hires that pay, as the FTE table has them.
    heads = roles["head_of_sales"]
    if heads["recommendation"] == "hire":
        sellers = [r for r in roles.values() if r["role"] != "head_of_sales"]
        now = sum(r["people"] or 0 for r in sellers)
        hired = sum(r["hire_fte"] for r in hiring)
        assert f"the team will have {now + hired} sellers ({now} today and {hired} new)" in team, team
    # The FTE table: a hire that does not pay is a dash, never "1" beside a loss.
    html = demo_runs["en"].html.read_text(encoding="utf-8")
    table = html[html.index("People needed and available, by role") :]
    table = table[: table.index("</table>")]
    for r in roles.values():
        if r["role"] == "head_of_sales" or r["hire_value"] is None or r["hire_value"] > 0:
            continue
        label = {"key_account_manager": "Key-account manager"}.get(r["role"])
        if label and label in table:
            row = table[table.index(label) :].split("</tr>")[0]
            assert row.count("—") >= 2 and "−" not in row, row
    # call_plan.csv: the role of a row is the role of the manager who works it.
    calls = pd.read_csv(run_dir / "call_plan.csv")
    load = pd.read_parquet(run_dir / "artifacts" / "allocation" / "load.parquet")
    worked = calls.loc[calls["manager_id"].notna()]
    assert (worked["role"] == worked["manager_id"].map(dict(zip(load["manager_id"], load["role"], strict=True)))).all()
    assert "planned_role" in calls and (worked["hours"].round(2) == worked["hours"]).all()


def test_playbooks_fte_table_and_call_plan_are_views_of_one_plan(demo_runs):
    run_dir = demo_runs["en"].run_dir
    art = run_dir / "artifacts" / "allocation"
    plan = pd.read_parquet(art / "plan.parquet").set_index("segment")
    calls = pd.read_csv(run_dir / "call_plan.csv")
    load = pd.read_parquet(art / "load.parquet")
    fte = pd.read_parquet(art / "fte.parquet").set_index("role")
    keys = set(pd.read_parquet(run_dir / "artifacts" / "priorities" / "key_accounts.parquet")["client_id"])
    for segment, row in plan.iterrows():
        mine = calls.loc[(calls["segment"] == segment) & ~calls["client_id"].isin(keys)]
        if row["action"] != "work":  # a stopped or automated segment has no contact plan and names no seller
            assert row["contacts_per_year"] == 0 and mine["manager_id"].isna().all(), segment
        else:  # every worked client is called as often as the plan says
            owned = mine.loc[mine["manager_id"].notna()]
            assert (owned["contacts_per_year"] == row["contacts_per_year"]).all(), segment
    # The FTE table's "used" is the assignment's hours, role by role.
    by_role = load.groupby("role")["hours"].sum() / 1000
    for role, used in by_role.items():
        if role != "head_of_sales":
            assert fte.loc[role, "fte_used"] == pytest.approx(used), role
    # Nobody waits while anyone who may work them has time left.
    assert (calls["status"] != "unassigned").all() or (
        load.loc[load["role"] != "head_of_sales", "utilisation"] > 0.95
    ).all()
    # The playbook chapter shows the plan's frequency, not the template's.
    html = demo_runs["en"].html.read_text(encoding="utf-8")
    en = Translator("en")
    for segment, row in plan.loc[plan["action"] == "work"].iterrows():
        assert _spaced(en.count(row["contacts_per_year"], "contacts_year")) in _spaced(html), segment
    # summary.json (and so plan.xlsx's segments sheet) names the role most of a segment's clients are assigned to.
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    worked = calls.loc[calls["manager_id"].notna() & (calls["action"] == "work")]
    main = worked.groupby("segment")["role"].agg(lambda r: r.value_counts().index[0])
    for s in summary["segments"]:
        if s["action"] == "work" and s["segment"] in main.index:
            assert s["worked_by"] == main[s["segment"]], s["segment"]
        elif s["action"] == "stop":  # its largest clients' reviewers do not make it a worked segment
            assert s["worked_by"] == "none", s["segment"]


def test_russian_report_pdf_has_extractable_cyrillic(demo_runs):
    html = demo_runs["ru"].html.read_text(encoding="utf-8")
    assert re.findall(STEP_H2, html) == list(STEPS)
    text = _pdf_text(demo_runs["ru"].pdf)
    for heading in RU_HEADINGS:
        assert heading in text, heading
    assert "Главные выводы" in text
    assert "₽" in text
    assert demo_runs["ru"].pdf.read_bytes().startswith(b"%PDF")


def test_english_pdf_has_the_same_sections(demo_runs):
    text = _pdf_text(demo_runs["en"].pdf)
    for heading in [
        "Step 1 · Goal",
        "Step 2 · Criteria",
        "Step 3 · Grouping",
        "Step 4 · Priorities",
        "Step 5 · Work playbooks",
        "Step 6 · Allocation of sales resources",
    ]:
        assert heading in text, heading


def test_run_folder_keeps_notebooks_artifacts_and_manifest(demo_runs):
    result = demo_runs["en"]
    names = sorted(p.name for p in (result.run_dir / "notebooks").glob("*.ipynb"))
    assert names == sorted([*NOTEBOOK_FILES.values(), REPORT_NOTEBOOK])
    for step in ("intake", *STEPS):
        assert any((result.run_dir / "artifacts" / step).iterdir()), step
    call_plan = pd.read_csv(result.run_dir / "call_plan.csv")
    assert {"client_id", "segment", "manager_id", "contacts_per_year", "status"} <= set(call_plan.columns)
    assert len(call_plan) == 300 and call_plan["client_id"].is_unique  # every client once: one client, one person
    manifest = json.loads(result.manifest.read_text(encoding="utf-8"))
    assert manifest["status"] == "ok"
    assert manifest["seed"] == 42
    assert manifest["config"]["engagement"]["language"] == "en"
    assert set(manifest["inputs"]) == {"clients", "transactions", "payments", "team"}
    assert all(len(v["sha256"]) == 64 for v in manifest["inputs"].values())
    assert manifest["versions"]["pandas"] == pd.__version__
    assert set(manifest["steps"]) == {*STEPS, "report"}
    latest = demo_runs["path"] / "runs" / "latest"
    assert latest.resolve() == demo_runs["ru"].run_dir.resolve()


def _thin_engagement(tmp_path: Path, extra_config: str = "") -> Path:
    """Invoice lines only (client, date, amount), from the demo company's lines."""
    path = _demo_engagement(tmp_path / "full")
    lines = pd.read_csv(path / "data" / "invoice_lines.csv")
    thin = tmp_path / "thin"
    (thin / "data").mkdir(parents=True)
    lines[["Client ID", "Date", "Amount"]].to_csv(thin / "data" / "invoice_lines.csv", index=False)
    template = (Path(__file__).parents[1] / "templates" / "engagement-thin.yaml").read_text(encoding="utf-8")
    (thin / "engagement.yaml").write_text(template + extra_config, encoding="utf-8")
    return thin


def test_thin_export_still_reaches_a_report(tmp_path):
    """Every step runs and says what it could not do, and which column would enable it."""
    result = run(_thin_engagement(tmp_path), progress=lambda _: None, pdf=False)
    html = result.html.read_text(encoding="utf-8")
    assert re.findall(STEP_H2, html) == list(STEPS)
    assert "profitability is based on revenue" in html  # goal: no cost
    assert "needs transactions.product_line" in html  # goal: no product line
    assert "needs payments.due_date" in html  # criteria: no solvency
    assert "ABCDE classes use revenue as profitability" in html  # grouping
    assert "no sales division" in html  # priorities
    assert "No team was given" in html  # allocation


def test_1c_headerless_export_runs_end_to_end(tmp_path):
    """A 1C-style export (no header, ';', BOM, dd.mm.yyyy, decimal commas, a status column, a trailing ';')
    runs with header: false, its column positions and a status filter, and nothing else."""
    lines = pd.read_csv(_demo_engagement(tmp_path / "full") / "data" / "invoice_lines.csv")
    rng = np.random.default_rng(7)
    status = np.where(rng.random(len(lines)) < 0.1, "К выполнению", "Закрыт")
    amount = [f"{v:,.2f}".replace(",", " ").replace(".", ",") for v in lines["Amount"]]  # 1 234,50
    date = pd.to_datetime(lines["Date"]).dt.strftime("%d.%m.%Y")
    rows = zip(lines["Invoice"], date, amount, lines["Client ID"], status, strict=True)
    one_c = tmp_path / "one_c"
    (one_c / "data").mkdir(parents=True)
    text = "".join(";".join(map(str, r)) + ";\r\n" for r in rows)
    (one_c / "data" / "orders.csv").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    config = {
        "engagement": {"company": "ООО «Тест»", "language": "ru"},
        "data": {
            "transactions": {
                "file": "data/orders.csv",
                "header": False,
                "columns": {"invoice_id": 1, "date": 2, "amount": 3, "client_id": 4},
                "filter": {"keep": {5: ["Закрыт"]}},
            }
        },
    }
    (one_c / "engagement.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    result = run(one_c, progress=lambda _: None, pdf=False)
    closed = lines.loc[status == "Закрыт"]
    used = pd.read_parquet(result.run_dir / "artifacts" / "intake" / "transactions.parquet")
    assert len(used) == len(closed) and used["amount"].sum() == pytest.approx(closed["Amount"].sum(), abs=0.005)
    assert used["date"].max() == pd.Timestamp(closed["Date"].max())
    assert used["date"].min() == pd.Timestamp(closed["Date"].min())
    period = json.loads((result.run_dir / "artifacts" / "intake" / "period.json").read_text(encoding="utf-8"))
    assert period["end"] == closed["Date"].max()[:10]
    html = result.html.read_text(encoding="utf-8")
    left_out = Translator("ru").count(len(lines) - len(closed), "rows_acc")
    assert _spaced(f"фильтр проекта исключил {left_out}") in _spaced(html)  # (with its amount where it has one)
    assert "ДД.ММ.ГГГГ" in html and "десятичная запятая" in html


def test_a_failing_step_names_step_and_cell_and_keeps_the_notebook(tmp_path):
    # Valid config, but the thin data has no cost, so clustering on margin alone cannot run.
    path = _thin_engagement(tmp_path, "grouping:\n  method: kmeans\n  kmeans:\n    features: [margin]\n")
    with pytest.raises(StepFailed) as info:
        run(path, progress=lambda _: None, pdf=False)
    message = str(info.value)
    assert "step 3 'grouping' failed in cell" in message
    assert "none of the features ['margin'] is available" in message
    assert info.value.notebook.exists()
    manifest = json.loads((info.value.notebook.parents[1] / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "failed" and manifest["steps"]["grouping"]["status"] == "failed"


def test_cli_init_validate_and_errors(tmp_path, capsys):
    target = tmp_path / "acme"
    assert cli(["init", str(target), "--company", "Acme"]) == 0
    assert load_config(target).engagement.company == "Acme"
    assert cli(["init", str(target)]) == 2  # never overwrites
    assert "already exists" in capsys.readouterr().err
    assert cli(["validate", str(target)]) == 2  # no exports yet
    err = capsys.readouterr().err
    assert "file(s) not found" in err and "invoice_lines.csv (data.transactions.file)" in err and "team.xlsx" in err
    demo.generate(target / "data", n_clients=100, seed=1)
    assert cli(["validate", str(target)]) == 0
    assert "transactions" in capsys.readouterr().out
    text = (target / "engagement.yaml").read_text(encoding="utf-8").replace("method: abcde", "methd: abcde")
    (target / "engagement.yaml").write_text(text, encoding="utf-8")
    assert cli(["validate", str(target)]) == 2
    assert "grouping.methd: unknown key 'methd'; did you mean 'method'?" in capsys.readouterr().err


def test_notebook_parameters_match_what_the_run_injects(tmp_path):
    """Every parameter the run passes exists in the notebook's parameters cell (papermill would ignore it)."""
    import papermill as pm

    config = load_config(Path(__file__).parents[1] / "templates" / "engagement.yaml")
    for step in (*STEPS, "report"):
        name = NOTEBOOK_FILES.get(step, REPORT_NOTEBOOK)
        declared = set(pm.inspect_notebook(str(NOTEBOOKS / name)))
        injected = set(step_parameters(config, step, tmp_path))
        assert injected <= declared, (name, injected - declared)


def test_notebooks_are_committed_clean_with_one_parameters_cell():
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert all(not c["outputs"] and c["execution_count"] is None for c in code), path.name
        assert sum("parameters" in c["metadata"].get("tags", []) for c in nb["cells"]) == 1, path.name
        assert nb["metadata"]["kernelspec"]["name"] == "python3" and nb["metadata"]["language_info"]["name"] == "python"
        for cell in code:
            assert not re.search(r"^\s*(def|class) ", "".join(cell["source"]), re.M), (
                f"{path.name}: logic belongs in the package"
            )


def test_kernels_that_do_not_cluster_do_not_import_scikit_learn():
    modules = "goal, criteria, priorities, playbooks, allocation, engagement, intake"
    code = (
        f"import sys; from workbench import {modules}; from workbench.report import charts, narrative; "
        "print('sklearn' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"


def test_analyst_switches_grouping_to_kmeans_in_the_notebook(demo_runs, tmp_path):
    """03-grouping re-run with other parameters (as in JupyterLab) re-segments the run and shows it."""
    import shutil

    import papermill as pm

    run_dir = tmp_path / "run"  # a copy, so the other tests keep their run
    shutil.copytree(demo_runs["en"].run_dir, run_dir)
    out = tmp_path / "03-grouping.ipynb"
    pm.execute_notebook(
        str(NOTEBOOKS / NOTEBOOK_FILES["grouping"]),
        str(out),
        cwd=str(NOTEBOOKS),
        kernel_name="python3",
        progress_bar=False,
        parameters={"run_dir": str(run_dir), "method": "kmeans", "n_clusters": 4},
    )
    segments = pd.read_parquet(run_dir / "artifacts" / "grouping" / "segments.parquet")
    assert {"K1", "K2", "K3", "K4"} <= set(segments["segment"])
    assert not set("ABCDE") & set(segments["segment"])
    shown = json.dumps(json.loads(out.read_text(encoding="utf-8"))["cells"])
    assert "K4" in shown and "image/png" in shown  # the segment sizes and the map are displayed

    # Then 04-06 again (here through their run functions) and `workbench render` on the run folder.
    from workbench import allocation, playbooks, priorities

    priorities.run_step(run_dir)
    playbooks.run_step(run_dir)
    allocation.run_step(run_dir)
    assert cli(["render", str(run_dir), "--no-pdf"]) == 0
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    assert "grouped into 4 clusters by KMeans" in _spaced(html)
    assert json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))["rendered"]


def test_init_warns_when_client_data_could_enter_git(tmp_path, capsys):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("engagements/\n", encoding="utf-8")
    assert cli(["init", str(tmp_path / "engagements" / "safe")]) == 0
    assert "warning" not in capsys.readouterr().err
    assert cli(["init", str(tmp_path / "acme")]) == 0
    assert "is inside a git work tree and not ignored" in capsys.readouterr().err


def test_forecast_backtest_is_in_the_appendix_and_summary_json(demo_runs):
    run_dir = demo_runs["en"].run_dir
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    forecast = summary["forecast"]
    assert forecast["backtested"] and forecast["horizon_months"] == 12
    assert {"naive", "perfect_foresight", forecast["chosen"]} <= set(forecast["metrics"])
    if forecast["chosen"] != "naive":  # chosen only by beating the naive forecast by the stated margin
        chosen, naive = forecast["metrics"][forecast["chosen"]], forecast["metrics"]["naive"]
        assert chosen["top_share"] > naive["top_share"] * (1 + forecast["margin"])
    html = demo_runs["en"].html.read_text(encoding="utf-8")
    assert "How good the forecast is (backtest)" in html and "Perfect foresight (the ceiling)" in html
    assert "Expected revenue ± band" in html


@pytest.mark.parametrize("language", ["en", "ru"])
def test_report_body_has_no_identifiers_file_names_or_run_ids(demo_runs, language):
    import html as html_lib

    page = demo_runs[language].html.read_text(encoding="utf-8")
    for block in ("style", "script", "svg"):
        page = re.sub(rf"<{block}\b.*?</{block}>", "", page, flags=re.S)
    body = page.split('id="appendix"')[0]  # run metadata and data provenance belong to the appendix
    text = html_lib.unescape(re.sub(r"<[^>]+>", " ", body))
    leftovers = {
        "snake_case": re.findall(r"\b[a-z]+_[a-z_]+\b", text),
        "file names": re.findall(r"\b\w+\.(?:csv|xlsx|json|yaml|parquet)\b", text),
        "run ids": re.findall(r"\b\d{8}-\d{6}\b", text),
        "table.column": re.findall(r"\b(?:transactions|clients|payments|team|criteria|priorities)\.[a-z_]+\b", text),
    }
    assert not any(leftovers.values()), {k: v[:5] for k, v in leftovers.items() if v}


def _visible_text(html_text: str) -> str:
    """The words a reader sees in an HTML fragment: no styles, scripts or images, entities decoded, spaces collapsed."""
    import html as html_lib

    for block in ("style", "script", "svg"):
        html_text = re.sub(rf"<{block}\b.*?</{block}>", "", html_text, flags=re.S)
    text = html_lib.unescape(re.sub(r"<[^>]+>", " ", html_text))
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " "))


@pytest.mark.parametrize("language", ["en", "ru"])
def test_chapters_carry_findings_and_actions_and_the_method_sits_in_the_appendix(demo_runs, language):
    from workbench import artifacts

    result = demo_runs[language]
    page = result.html.read_text(encoding="utf-8")
    body, appendix = page.split('id="appendix"', 1)
    t = Translator(language)
    body_text, appendix_text = _visible_text(body), _visible_text(appendix)
    for key in ("criteria.intro", "criteria.status_rule", "grouping.special", "playbooks.intro", "goal.weights_intro"):
        said = _visible_text(t(key))
        assert said not in body_text, key
        assert said in appendix_text, key
    assert _visible_text(t("appendix.method_title")) in appendix_text
    chapters = dict(zip(STEP_H2.findall(body), re.split(r"<h2[^>]*\bid=\"step-\w+\"", body)[1:], strict=True))
    for step in ("goal", "criteria", "grouping", "priorities", "playbooks"):  # chapter 6 ends on the plan itself
        assert 'class="wb-todo' in chapters[step], step
    # One card per segment, and no two cards alike.
    cards = re.findall(r'<h3 class="wb-playbook">(.*?)</h3>(.*?)</table>', chapters["playbooks"], flags=re.S)
    segments = artifacts.load(result.run_dir, "priorities", "priorities")["segment"].tolist()
    assert len(cards) == len(segments)
    assert len({_visible_text(card) for _, card in cards}) == len(cards)
    for (title, _), segment in zip(cards, segments, strict=True):
        assert _visible_text(t.label("segments", segment)) in _visible_text(title)
    # Priority scores are points of 100, whole numbers: no decimals that make different tiers look tied.
    header = _visible_text(t("priorities.col_score"))
    assert header in body_text
    # Zero counts are not read out ("for 0 clients", "у 0 клиентов").
    assert not re.search(r"(?:for|у) 0 (?:clients|клиент)", body_text)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_no_page_is_under_half_full_but_a_chapters_last(demo_runs, language):
    from workbench.report.render import short_pages

    layout = json.loads((demo_runs[language].run_dir / "artifacts" / "report" / "pages.json").read_text())
    assert len(layout) > 8 and layout[0]["page"] == 1
    assert short_pages(layout) == []
    # A portrait report throughout: no chapter turns its pages to landscape midway.
    assert 'class="cell landscape"' not in demo_runs[language].html.read_text(encoding="utf-8")
