"""``workbench`` command: init, validate, run an engagement; make the demo."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from .config import ConfigError
from .intake import IntakeError

#: The company the demo report is addressed to, in the report's language.
DEMO_COMPANY = {"en": "Demo Distribution LLC", "ru": "ООО «Демо Дистрибуция»"}


def main(argv: list[str] | None = None) -> int:
    """Run the ``workbench`` command; returns the exit code."""
    parser = argparse.ArgumentParser(prog="workbench", description="Client segmentation from a CRM export to a report.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("init", help="create an engagement folder from templates/")
    p.add_argument("path", type=Path)
    p.add_argument("--company", help="the company the report is addressed to")
    p = sub.add_parser("validate", help="check engagement.yaml and the exports without running anything")
    p.add_argument("path", type=Path)
    p = sub.add_parser("run", help="run the six steps and render report.html and report.pdf")
    p.add_argument("path", type=Path)
    p.add_argument("--language", choices=["en", "ru"], help="override engagement.language")
    p.add_argument("--no-pdf", action="store_true", help="render the HTML only")
    p = sub.add_parser("render", help="re-render the report of a run folder from its current artifacts")
    p.add_argument("run_dir", type=Path, help="e.g. ./acme/runs/latest")
    p.add_argument("--no-pdf", action="store_true")
    p = sub.add_parser("demo", help="generate the demo company and run its engagement")
    p.add_argument("path", type=Path, nargs="?", default=Path("engagements/demo"))
    p.add_argument("--clients", type=int, default=3000, help="number of clients (default 3000)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--language", choices=["en", "ru"], default="en")
    p.add_argument("--no-pdf", action="store_true")
    args = parser.parse_args(argv)
    try:
        if args.command == "init":
            return _init(args)
        if args.command == "validate":
            return _validate(args)
        if args.command == "run":
            return _run(args.path, args.language, not args.no_pdf)
        if args.command == "render":
            return _render(args)
        if args.command == "demo":
            return _demo(args)
    except (ConfigError, IntakeError, FileExistsError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 1


def _init(args) -> int:
    from .engagement import init_engagement

    path = init_engagement(args.path, args.company)
    if _tracked_by_git(path / "data"):
        print(
            f"warning: {path / 'data'} is inside a git work tree and not ignored: client data must never be "
            f"committed. Keep engagements under engagements/ (ignored) or add the folder to .gitignore.",
            file=sys.stderr,
        )
    print(
        f"created {path / 'engagement.yaml'}\n"
        f"next: put the CRM exports into {path / 'data'}, map their columns in engagement.yaml, then\n"
        f"  workbench validate {path}\n  workbench run {path}"
    )
    return 0


def _tracked_by_git(path: Path) -> bool:
    """Whether ``path`` is in a git work tree and not ignored (False when git is absent)."""
    import subprocess

    try:
        inside = subprocess.run(
            ["git", "-C", str(path), "rev-parse", "--is-inside-work-tree"], capture_output=True, text=True
        )
        if inside.returncode != 0:
            return False
        ignored = subprocess.run(["git", "-C", str(path), "check-ignore", "-q", "."], capture_output=True)
    except FileNotFoundError:
        return False
    return ignored.returncode == 1


def _validate(args) -> int:
    from .engagement import validate
    from .intake.load import describe_formats

    config, intake = validate(args.path)
    print(
        f"engagement.yaml: ok ({config.engagement.company}, language {config.engagement.language}, "
        f"goal {config.goal.name}, grouping {config.grouping.method})"
    )
    print(intake.summary().to_string(index=False))
    decided = describe_formats(intake)
    if decided:
        print("\nHow the exports were read:\n" + decided)
    if len(intake.filtered):
        print("\nRows left out by data.<table>.filter (counted, not used):")
        print(intake.filtered.to_string(index=False))
    if len(intake.rejected):
        print(f"\n{len(intake.rejected)} problem(s) in rows that will be rejected; the first ones:")
        print(intake.rejected.head(10).to_string(index=False))
    return 0


def _run(path: Path, language: str | None, pdf: bool) -> int:
    from .engagement import StepFailed, run

    try:
        result = run(path, language=language, pdf=pdf)
    except StepFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"\nreport.html: {result.html.resolve()}" + (f"\nreport.pdf:  {result.pdf.resolve()}" if pdf else ""))
    return 0


def _render(args) -> int:
    from .engagement import StepFailed, render

    try:
        result = render(args.run_dir, pdf=not args.no_pdf)
    except StepFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"\nreport.html: {result.html}" + ("" if args.no_pdf else f"\nreport.pdf:  {result.pdf}"))
    return 0


#: The demo shows what-if scenarios beside its plan (a real engagement sets its own under scenarios:);
#: their names head the report's columns, so they are in the report's language.
DEMO_SCENARIOS = {
    "en": """
# What-if scenarios, each run through the six steps and shown beside the plan (chapter 6).
scenarios:
  - name: "+1 key-account manager"
    team_add: {key_account_manager: 1}
  - name: "Drop D"
    changes: {allocation: {stop_segments: [D]}}
  - name: "Acquisition goal"
    changes: {goal: {name: acquire_smb}}
""",
    "ru": """
# What-if scenarios, each run through the six steps and shown beside the plan (chapter 6).
scenarios:
  - name: "+1 менеджер по ключевым клиентам"
    team_add: {key_account_manager: 1}
  - name: "Без сегмента D"
    changes: {allocation: {stop_segments: [D]}}
  - name: "Цель: новые малые и средние клиенты"
    changes: {goal: {name: acquire_smb}}
""",
}


def _demo(args) -> int:
    from . import demo

    path: Path = args.path
    demo_engagement(path, args.language)
    # The data files are always rewritten, so data left by a demo in another language is replaced.
    demo.generate(path / "data", n_clients=args.clients, seed=args.seed, language=args.language)
    print(f"demo company: {args.clients} clients in {path / 'data'} ({args.language})")
    return _run(path, args.language, not args.no_pdf)


def demo_engagement(path: Path, language: str) -> Path:
    """The demo's ``engagement.yaml`` in ``language``: created, or an existing demo config's labels switched.

    A new config is the template with the demo company, ``engagement.language``
    and the demo scenarios in ``language``. An existing one is otherwise left as
    the analyst edited it: only the demo's own company line, scenario block and,
    when either was in another language, ``engagement.language`` change, so that
    a later ``workbench run`` matches the data the demo writes.
    """
    from .engagement import init_engagement

    target = path / "engagement.yaml"
    if not target.exists():
        init_engagement(path, DEMO_COMPANY[language])
        text = _set_language(target.read_text(encoding="utf-8"), language) + DEMO_SCENARIOS[language]
        target.write_text(_set_headers(text, language), encoding="utf-8")
        return target
    text = target.read_text(encoding="utf-8")
    switched = text
    for other in DEMO_COMPANY.keys() - {language}:
        switched = switched.replace(_company_line(other), _company_line(language))
        switched = switched.replace(DEMO_SCENARIOS[other], DEMO_SCENARIOS[language])
    if switched != text:  # the demo's own config: its column mapping follows the data the demo writes
        switched = _set_headers(switched, language)
    if switched != text:
        target.write_text(_set_language(switched, language), encoding="utf-8")
        print(f"{target}: the demo company, scenarios and engagement.language switched to {language}")
    return target


def _company_line(language: str) -> str:
    """The line ``init_engagement`` writes for the demo company."""
    return f"company: {json.dumps(DEMO_COMPANY[language], ensure_ascii=False)}"


def _set_headers(text: str, language: str) -> str:
    """The ``data:`` section's column names and team sheet set to the demo's headers in ``language``.

    A mapped name of another language's demo (``client_id: Client ID``, ``client_id: Код клиента``)
    becomes this language's; names the demo does not write are left as they are.
    """
    from .demo import HEADERS, TEAM_SHEET

    english = {k: k for k in HEADERS["ru"]}
    names = {lang: {en: HEADERS[lang].get(en, en) for en in english} for lang in HEADERS}
    sheets = {TEAM_SHEET[lang]: TEAM_SHEET[language] for lang in TEAM_SHEET}
    target = {names[lang][en]: names[language][en] for lang in names for en in english}
    start = re.search(r"^data:\s*$", text, flags=re.MULTILINE)
    if start is None:
        return text
    end = re.search(r"^\S", text[start.end() :], flags=re.MULTILINE)
    stop = start.end() + end.start() if end else len(text)

    def rename(m: re.Match) -> str:
        key, value, rest = m.group(1), m.group(2).strip().strip('"'), m.group(3)
        table = sheets if key.strip() == "sheet:" else target
        return f"{key}{table.get(value, m.group(2).rstrip())}{rest}" if value in table else m.group(0)

    line = r"^([ \t]+\w+:[ \t]+)([^#\n{}\[\]]+?)([ \t]*(?:#.*)?)$"
    block = re.sub(line, rename, text[start.end() : stop], flags=re.MULTILINE)
    return text[: start.end()] + block + text[stop:]


def _set_language(text: str, language: str) -> str:
    """``text`` with its (first) ``language:`` key set to ``language``."""
    return re.sub(r"^(\s*language:\s*)[A-Za-z_]+", rf"\g<1>{language}", text, count=1, flags=re.MULTILINE)


if __name__ == "__main__":
    sys.exit(main())
