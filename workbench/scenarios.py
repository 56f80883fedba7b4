"""What-if scenarios: the six steps again under changed assumptions, compared side by side with the plan.

A scenario in ``engagement.yaml`` names itself and what it changes::

    scenarios:
      - name: "+2 hunters"
        team_add: {hunter: 2}                           # FTE added to the team, per role
      - name: "Drop D"
        changes: {allocation: {stop_segments: [D]}}     # any step key, as in engagement.yaml
      - name: "Acquisition goal"
        changes: {goal: {name: acquire_smb}}

``changes`` are laid over the engagement's own config (nested keys merge) and
validated with it when the config is loaded (``EngagementConfig.scenario``); only the steps' sections (goal, criteria,
grouping, priorities, playbooks, allocation) may change, never the data. Each
scenario runs in ``<run>/scenarios/<n>/`` on a copy of the run's intake, with
the step functions called in-process (the same parameters the notebooks get),
and :func:`compare` reads the plans back into one table.
"""

from __future__ import annotations

import inspect
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from . import STEPS, artifacts
from .config import EngagementConfig


def add_team(team: pd.DataFrame | None, team_add: dict[str, float], label: str) -> pd.DataFrame:
    """The team with ``team_add`` FTE per role added as new people (whole people, the last one part-time)."""
    rows = []
    for role, fte in team_add.items():
        left, k = float(fte), 1
        while left > 1e-9:
            rows.append({"manager_id": f"{label}-{role}-{k}", "role": role, "name": "", "capacity": min(1.0, left)})
            left, k = left - 1.0, k + 1
    added = pd.DataFrame(rows)
    if team is None or team.empty:
        return added
    return pd.concat([team, added.reindex(columns=team.columns)], ignore_index=True)


def run_steps(run_dir: Path, config: EngagementConfig) -> None:
    """The six steps on a run folder whose intake is saved, in-process, with the notebooks' parameters."""
    from . import criteria, engagement, goal, grouping, playbooks, priorities
    from .allocation import step as allocation_step

    modules = {
        "goal": goal,
        "criteria": criteria,
        "grouping": grouping,
        "priorities": priorities,
        "playbooks": playbooks,
        "allocation": allocation_step,
    }
    for step in STEPS:
        run_step = modules[step].run_step
        accepted = inspect.signature(run_step).parameters
        params = engagement.step_parameters(config, step, run_dir)
        run_step(**{k: v for k, v in params.items() if k in accepted})


def run_scenarios(
    run_dir: Path, config: EngagementConfig, progress: Callable[[str], None] = print
) -> pd.DataFrame | None:
    """Run every scenario of the config beside the run; save and return the comparison (None without scenarios)."""
    if not config.scenarios:
        return None
    folders = [("", Path(run_dir))]
    for i, scenario in enumerate(config.scenarios, start=1):
        variant = config.scenario(i - 1)
        folder = Path(run_dir) / "scenarios" / str(i)
        if folder.exists():
            shutil.rmtree(folder)
        shutil.copytree(Path(run_dir) / "artifacts" / "intake", folder / "artifacts" / "intake")
        if scenario.team_add:
            team = artifacts.load(folder, "intake", "team", optional=True)
            artifacts.save(folder, "intake", team=add_team(team, dict(scenario.team_add), f"s{i}"))
        run_steps(folder, variant)
        progress(f"      scenario {i}: {scenario.name}  ok")
        folders.append((scenario.name, folder))
    table = compare(folders)
    artifacts.save(run_dir, "scenarios", comparison=table)
    return table


def plan_facts(run_dir: Path) -> dict:
    """What a scenario is judged by, from one run folder's artifacts."""
    load = lambda step, name, optional=False: artifacts.load(run_dir, step, name, optional=optional)  # noqa: E731
    goal = load("goal", "goal")
    ranked = load("priorities", "priorities")
    plan = load("allocation", "plan")
    fte = load("allocation", "fte")
    settings = load("allocation", "settings")
    call_plan = load("allocation", "call_plan", optional=True)
    value = settings.get("plan_value") or {"value": float("nan"), "cost": float("nan")}
    sellers = fte.loc[fte["role"] != "head_of_sales"]
    available = sellers["fte_available"]
    has_team = available.notna().any()
    # With a team: the whole hires whose work pays after their full cost (allocation.best_hires), not the
    # shortfall by role, which ignores what idle people of other roles can take on. Without one: the team needed.
    if has_team:
        short = sellers["hire_fte"].where(sellers["recommendation"] == "hire", 0).fillna(0)
    else:
        short = sellers["fte_needed"]
    return {
        "goal": goal["name"],
        "first": [str(s) for s in ranked.loc[ranked["tier"] == ranked["tier"].min(), "segment"]],
        # Counted client by client where the call plan exists, as page 1 counts owners: a stopped or automated
        # segment's largest clients with an owner are worked (the review, the win-back, the large prospects).
        **(
            {
                "worked": int(((call_plan["action"] == "work") & call_plan["manager_id"].notna()).sum()),
                "automated": int((call_plan["action"] == "automate").sum()),
                "stopped": int((call_plan["action"] == "stop").sum()),
            }
            if call_plan is not None
            else {
                "worked": int(plan.loc[plan["action"] == "work", "clients"].sum()),
                "automated": int(plan.loc[plan["action"] == "automate", "clients"].sum()),
                "stopped": int(plan.loc[plan["action"] == "stop", "clients"].sum()),
            }
        ),
        "hours": float(plan["hours"].sum()),
        "value": float(value["value"]),
        "cost": float(value["cost"]),
        "net": float(value["value"] - value["cost"]),
        "fte_needed": float(sellers["fte_needed"].sum()),
        "fte_available": float(available.sum()) if has_team else float("nan"),
        "fte_short": float(short.sum()),
        "fte_idle": float(sellers["fte_idle"].sum()) if has_team and "fte_idle" in sellers else float("nan"),
        "waiting": int((call_plan["status"] == "unassigned").sum()) if call_plan is not None else 0,
    }


def compare(folders: list[tuple[str, Path]]) -> pd.DataFrame:
    """One row per run (the plan first, named ""), one column per fact of :func:`plan_facts`."""
    rows = [{"scenario": name, **plan_facts(folder)} for name, folder in folders]
    return pd.DataFrame(rows)
