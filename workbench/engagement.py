"""An engagement folder, and one run of it from exports to report.

::

    acme/
      engagement.yaml        the config (the single source of parameters)
      data/                  the CRM exports (never committed)
      runs/<timestamp>/      one folder per run:
        artifacts/<step>/    tables and figures each step saves
        notebooks/           the executed notebooks, for the analyst
        report.html, report.pdf
        summary.json         the conclusions as data (docs/summary.md)
        plan.xlsx            the plan for a CRM import and the sales team
        manifest.json        resolved config, input hashes, versions, seed
      runs/latest -> <timestamp>

A run validates the config and the data first (no kernel starts on a bad
config), then executes the step notebooks with papermill, one kernel each,
then renders the report notebook to HTML and PDF.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from . import STEPS, artifacts
from .config import ConfigError, EngagementConfig, dump_config, load_config, parse_config
from .intake import Intake, analysis_period, load_tables
from .paths import LOGO_TYPES, NOTEBOOKS, TEMPLATES

if TYPE_CHECKING:
    from .report.i18n import Translator

NOTEBOOK_FILES = {step: f"{i:02d}-{step}.ipynb" for i, step in enumerate(STEPS, start=1)}
REPORT_NOTEBOOK = "07-report.ipynb"
PACKAGES = (
    "workbench",
    "pandas",
    "numpy",
    "duckdb",
    "scikit-learn",
    "seaborn",
    "matplotlib",
    "papermill",
    "nbconvert",
    "weasyprint",
    "pydantic",
    "babel",
    "pyarrow",
)


class StepFailed(RuntimeError):
    """A step notebook raised; the message names the step, the cell and the error."""

    def __init__(self, step: str, message: str, notebook: Path):
        super().__init__(message)
        self.step, self.notebook = step, notebook


# --------------------------------------------------------------------------- parameters


def step_parameters(config: EngagementConfig, step: str, run_dir: Path) -> dict:
    """The papermill parameters of a step notebook, from the engagement config.

    Names match the notebooks' ``parameters`` cells; values are literals.
    """
    common = {"run_dir": str(run_dir), "language": config.engagement.language}
    c = config
    if step == "goal":
        return {
            **common,
            "goal_name": c.goal.name,
            "goal_weights": c.goal.weights,
            "new_product_line": c.goal.new_product_line,
        }
    if step == "criteria":
        return {
            **common,
            "size_bands": list(c.criteria.size_bands),
            "peer_quantile": c.criteria.peer_quantile,
            "lookback_months": c.criteria.lookback_months,
            "min_peers": c.criteria.min_peers,
            "wallet_share": c.criteria.wallet_share,
            "wallet_share_by_industry": dict(c.criteria.wallet_share_by_industry),
            "spend_per_employee": c.criteria.spend_per_employee,
            "potential_from_behaviour": c.criteria.potential_from_behaviour,
            "currency": c.engagement.currency,
            "lost_min_history_months": c.criteria.lost_min_history_months,
            "forecast": c.criteria.forecast.model_dump(),
        }
    if step == "grouping":
        return {
            **common,
            "method": c.grouping.method,
            "top_profit_quantile": c.grouping.abcde.top_profit_quantile,
            "high_quantile": c.grouping.abcde.high_quantile,
            "within": c.grouping.abcde.within,
            "min_group": c.grouping.abcde.min_group,
            "n_clusters": c.grouping.kmeans.n_clusters,
            "features": list(c.grouping.kmeans.features),
            "seed": c.engagement.seed,
        }
    if step == "priorities":
        return {
            **common,
            "n_tiers": c.priorities.n_tiers,
            "key_account_thresholds": list(c.priorities.key_account_thresholds),
            "key_account_kinds": {k: list(v) for k, v in c.priorities.key_account_kinds.items()},
            # Step 6's assumptions weigh lost and never-bought clients' headroom too: one number each.
            "winback_share": c.allocation.economics.winback_share,
            "conversion_rate": c.allocation.economics.conversion_rate,
        }
    if step == "playbooks":
        return {
            **common,
            "playbook_template": c.playbooks.template,
            "overrides": {k: v.model_dump(exclude_none=True) for k, v in c.playbooks.overrides.items()},
        }
    if step == "allocation":
        a = c.allocation
        return {
            **common,
            "selling_hours_per_fte": a.selling_hours_per_fte,
            "max_reports_per_head": a.max_reports_per_head,
            "split_departments_at": a.split_departments_at,
            "accounts_per_kam": a.accounts_per_kam,
            "drop_lowest_tier": a.drop_lowest_tier,
            "automate_tiers": a.automate_tiers,
            "dedicated_hunters": a.dedicated_hunters,
            "currency": c.engagement.currency,
            "economics": a.economics.model_dump(exclude_defaults=False),
            "calls": a.calls.model_dump(mode="json"),  # a start date as text: papermill passes JSON
            "stop_segments": list(a.stop_segments),
            "hold_without_sale_months": a.hold_without_sale_months,
            "portfolio_max_industries": a.portfolio_max_industries,
            "largest_review": a.largest_review.model_dump(),
            "pilot_months": a.pilot_months,
        }
    if step == "report":
        e = c.engagement
        return {
            **common,
            "currency": e.currency,
            "company": e.company,
            "title": e.title or "",
            "consultant": e.consultant,
            "firm": e.firm,
            "logo": _logo_path(e.logo, run_dir),
            "brand_colour": e.brand_colour or "",
        }
    raise ValueError(f"unknown step '{step}'")


# --------------------------------------------------------------------------- the folder


def _logo_path(logo: str | None, run_dir: Path) -> str:
    """The cover logo's absolute path (relative to the engagement folder, the run folder's grandparent)."""
    if not logo:
        return ""
    path = (Path(run_dir).parent.parent / logo).resolve()
    if path.suffix.lower() not in LOGO_TYPES:
        raise ConfigError(f"engagement.logo: {logo}: expected a {', '.join(LOGO_TYPES)} file")
    if not path.is_file():
        raise ConfigError(f"engagement.logo: {path} not found")
    return str(path)


def init_engagement(path: str | Path, company: str | None = None) -> Path:
    """Create an engagement folder from ``templates/engagement.yaml``."""
    path = Path(path)
    target = path / "engagement.yaml"
    if target.exists():
        raise FileExistsError(f"{target} already exists; not overwriting it")
    (path / "data").mkdir(parents=True, exist_ok=True)
    text = (TEMPLATES / "engagement.yaml").read_text(encoding="utf-8")
    if company:
        text = text.replace('company: "Acme Distribution LLC"', f"company: {json.dumps(company, ensure_ascii=False)}")
    target.write_text(text, encoding="utf-8")
    return path


def validate(path: str | Path) -> tuple[EngagementConfig, Intake]:
    """Check the config and read the data, without running anything."""
    path = Path(path)
    config = load_config(path)
    return config, load_tables(config, path)


def file_sha256(path: Path) -> str:
    """The file's SHA-256 (hex), read in 1 MiB blocks; recorded in the manifest."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def versions() -> dict[str, str]:
    """Python's and the key packages' versions, for the manifest."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name if name != "workbench" else "segmentation-workbench")
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


# --------------------------------------------------------------------------- a run


@dataclass
class RunResult:
    """Where a run put its report and manifest."""

    run_dir: Path
    html: Path
    pdf: Path
    manifest: Path


def save_intake(run_dir: Path, config: EngagementConfig, intake: Intake) -> None:
    """Write the canonical tables, the rejected rows and the analysis period."""
    start, end = analysis_period(
        intake.tables["transactions"], config.engagement.as_of, config.criteria.lookback_months
    )
    artifacts.save(
        run_dir,
        "intake",
        **intake.tables,
        rejected=intake.rejected,
        summary=intake.summary(),
        period={
            "start": start.date().isoformat(),
            "end": end.date().isoformat(),
            "lookback_months": config.criteria.lookback_months,
        },
        notes=intake.notes,
        filtered=intake.filtered,
        formats=intake.formats_table(),
    )
    artifacts.write_csv(intake.rejected, run_dir / "rejected.csv")


def run(
    path: str | Path,
    language: str | None = None,
    progress: Callable[[str], None] = print,
    pdf: bool = True,
) -> RunResult:
    """Run an engagement end to end into a new run folder.

    Parameters
    ----------
    path : path
        The engagement folder.
    language : {"en", "ru"}, optional
        Overrides ``engagement.language``.
    progress : callable
        Receives one line per step.
    pdf : bool, default True
        Also render the PDF.

    Raises
    ------
    ConfigError, IntakeError
        Before anything runs.
    StepFailed
        A notebook raised; its executed copy is kept in the run folder.
    """
    path = Path(path)
    config, intake = validate(path)
    if language:
        config.engagement = config.engagement.model_copy(update={"language": language})
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    run_dir = path / "runs" / stamp
    suffix = 1
    while run_dir.exists():
        suffix += 1
        run_dir = path / "runs" / f"{stamp}-{suffix}"
    _logo_path(config.engagement.logo, run_dir)  # a wrong logo stops the run before any step, not at the report
    (run_dir / "notebooks").mkdir(parents=True)
    manifest: dict = {
        "engagement": str(path.resolve()),
        "run": run_dir.name,
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "config": dump_config(config),
        "seed": config.engagement.seed,
        "inputs": {
            t: {"file": str(p), "sha256": file_sha256(p), "rows_read": intake.read_rows.get(t)}
            for t, p in intake.files.items()
        },
        "rows_rejected": len(intake.rejected),
        "versions": versions(),
        "steps": {},
        "status": "running",
    }
    manifest_path = run_dir / "manifest.json"
    _write_json(manifest_path, manifest)
    progress(f"run folder: {run_dir}")
    save_intake(run_dir, config, intake)
    tables = intake.tables
    rejected_rows = intake.summary()["rows_rejected"].sum()
    progress(
        f"[0/7] intake      ok  ({len(tables['transactions']):,} invoice lines, {len(tables['clients']):,} clients; "
        f"{rejected_rows:,} rows rejected" + (": see rejected.csv)" if rejected_rows else ")")
    )

    for step in STEPS:
        execute_step(step, config, run_dir, manifest, progress)
    if config.scenarios:
        from .scenarios import run_scenarios

        started = time.perf_counter()
        run_scenarios(run_dir, config, progress)
        manifest["steps"]["scenarios"] = {
            "seconds": round(time.perf_counter() - started, 1),
            "n": len(config.scenarios),
        }
    execute_step("report", config, run_dir, manifest, progress)
    return _finish(path / "runs", run_dir, config, manifest, pdf, progress)


def execute_step(
    step: str, config: EngagementConfig, run_dir: Path, manifest: dict, progress: Callable[[str], None] = print
) -> Path:
    """Execute one step notebook with papermill into ``run_dir/notebooks``; record it in the manifest.

    Raises
    ------
    StepFailed
        Naming the step, the cell and the error; the executed notebook is kept.
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    i = (*STEPS, "report").index(step) + 1
    name = NOTEBOOK_FILES.get(step, REPORT_NOTEBOOK)
    out = run_dir / "notebooks" / name
    t0 = time.perf_counter()
    try:
        pm.execute_notebook(
            str(NOTEBOOKS / name),
            str(out),
            parameters=step_parameters(config, step, run_dir.resolve()),
            kernel_name="python3",
            progress_bar=False,
            cwd=str(NOTEBOOKS),
            kernel_manager_class=_kernel_manager(),
        )
    except PapermillExecutionError as exc:
        message = (
            f"step {i} '{step}' failed in cell {exc.cell_index} (execution count {exc.exec_count}): "
            f"{exc.ename}: {exc.evalue}\n  executed notebook kept at {out}"
        )
        manifest["steps"][step] = {
            "status": "failed",
            "seconds": round(time.perf_counter() - t0, 2),
            "error": f"{exc.ename}: {exc.evalue}",
        }
        manifest["status"] = "failed"
        _write_json(run_dir / "manifest.json", manifest)
        raise StepFailed(step, message, out) from None
    seconds = time.perf_counter() - t0
    manifest["steps"][step] = {"status": "ok", "seconds": round(seconds, 2)}
    progress(f"[{i}/7] {step:<11} ok  ({seconds:.1f} s)")
    return out


def write_conclusions(run_dir: Path, config: EngagementConfig) -> Translator:
    """Write ``summary.json`` and ``plan.xlsx`` from one build of the conclusions; return the run's translator.

    The workbook's segments are the very rows of ``summary.json``, so the two cannot disagree.
    """
    from .report import summary, workbook

    t = summary.run_translator(run_dir, config.engagement.language, config.engagement.currency)
    conclusions = summary.build(run_dir, t)
    _write_json(run_dir / "summary.json", {"company": config.engagement.company, **conclusions})
    workbook.write_plan(run_dir, t, conclusions)
    return t


def _finish(
    runs: Path,
    run_dir: Path,
    config: EngagementConfig,
    manifest: dict,
    pdf: bool,
    progress: Callable[[str], None] = print,
) -> RunResult:
    """Write the conclusions, render the executed report notebook to HTML (and PDF); close the manifest."""
    from .report import render as report

    t = write_conclusions(run_dir, config)
    title = config.engagement.title or t("cover.title")
    html = report.render_html(
        run_dir / "notebooks" / REPORT_NOTEBOOK,
        run_dir / "report.html",
        title=f"{config.engagement.company} — {title}",
        language=config.engagement.language,
    )
    pdf_path = run_dir / "report.pdf"
    if pdf:
        layout = run_dir / "artifacts" / "report" / "pages.json"
        report.render_pdf(html, pdf_path, layout_path=layout)
        short = report.short_pages(json.loads(layout.read_text(encoding="utf-8")))
        if short:  # a layout fault, not a wrong number: said, not fatal
            pages = ", ".join(f"{p['page']} ({p['fill']:.0%} full)" for p in short)
            progress(f"report layout: pages too empty (under half full mid-chapter, or a stray last page): {pages}")
    manifest.update(status="ok", finished=dt.datetime.now().isoformat(timespec="seconds"))
    manifest_path = run_dir / "manifest.json"
    _write_json(manifest_path, manifest)
    _point_latest(runs, run_dir)
    return RunResult(run_dir=run_dir, html=html, pdf=pdf_path, manifest=manifest_path)


def render(run_dir: str | Path, progress: Callable[[str], None] = print, pdf: bool = True) -> RunResult:
    """Re-render the report of an existing run from its current artifacts.

    For the analyst who re-ran step notebooks in JupyterLab on this run
    folder: the report notebook is executed again with the run's own config
    (from its manifest) and turned into HTML and PDF. The manifest records it.
    The language is the run's: playbook texts were written in it, so a report
    in another language is a new ``run --language``.
    """
    run_dir = Path(run_dir).resolve()
    manifest_path = run_dir / "manifest.json"
    if not manifest_path.exists():
        raise FileNotFoundError(f"{manifest_path} not found: {run_dir} is not a run folder")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    config = parse_config(manifest["config"], source=str(manifest_path))
    manifest.setdefault("rendered", []).append(dt.datetime.now().isoformat(timespec="seconds"))
    execute_step("report", config, run_dir, manifest, progress)
    return _finish(run_dir.parent, run_dir, config, manifest, pdf, progress)


def _kernel_manager():
    """A kernel manager that encrypts the local kernel channel when ZeroMQ can.

    ipykernel >= 7.3 warns on every start over plain TCP; seven kernels a run
    would bury the progress lines in warnings.
    """
    import zmq
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    if "transport_encryption" not in AsyncKernelManager.class_trait_names():  # jupyter_client < 8.9
        return AsyncKernelManager

    class EncryptedKernelManager(AsyncKernelManager):
        @default("transport_encryption")
        def _default_encryption(self):
            return "auto" if zmq.has("curve") else "disabled"

    return EncryptedKernelManager


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str), encoding="utf-8")


def _point_latest(runs: Path, run_dir: Path) -> None:
    latest = runs / "latest"
    if latest.is_symlink() or latest.is_file():
        latest.unlink()
    elif latest.is_dir():
        shutil.rmtree(latest)
    try:
        latest.symlink_to(run_dir.name, target_is_directory=True)
    except OSError:  # no symlinks (some Windows set-ups): write the name instead
        latest.write_text(run_dir.name, encoding="utf-8")
