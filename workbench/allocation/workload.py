"""Workload: hours and FTE by role from the playbooks, under the method's rules.

Workload per segment = clients × contacts per year × hours per contact (from
the playbooks), turned into FTE by role. The methodology's rules are applied
and each one is reported with its effect:

- a client above the key-account threshold gets a key-account manager, who
  handles ``accounts_per_kam`` such accounts at most;
- new (potential) clients are worked by dedicated hunters only, and are
  not automated away (unless their tier is dropped);
- the lowest tier is not worked any more (``drop_lowest_tier``);
- low-priority tiers are automated: no manual hours;
- one head of sales has at most ``max_reports_per_head`` direct reports;
- from ``split_departments_at`` sellers on (the method: with 10–15 sellers),
  the sales force is split into two (or more) sales departments, each with
  its own head, which compete with each other (:func:`sales_departments`);
- segments are worked one after another in priority order: the plan shows
  how far the current team reaches.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..config import ROLES

SELLER_ROLES = tuple(r for r in ROLES if r != "head_of_sales")


def workload(
    playbooks: pd.DataFrame,
    cards: pd.DataFrame,
    key_account_clients: dict[str, int] | None = None,
    *,
    selling_hours_per_fte: float = 1000,
    n_tiers: int | None = None,
    drop_lowest_tier: bool = True,
    automate_tiers: list[int] | None = None,
    dedicated_hunters: bool = True,
    stop_segments: list[str] | tuple[str, ...] = (),
) -> tuple[pd.DataFrame, list[dict]]:
    """Hours and FTE per segment, after the allocation rules.

    Parameters
    ----------
    playbooks : DataFrame
        ``segment, tier, contacts_per_year, hours_per_contact, role``.
    cards : DataFrame
        ``segment, clients``.
    key_account_clients : dict, optional
        Per segment, how many of its clients are key accounts; they are taken
        out of the segment's workload (a key-account manager has them).
    selling_hours_per_fte : float
        Hours a year one full-time seller spends on client contacts.
    n_tiers : int, optional
        The number of tiers (default: the highest tier present).
    drop_lowest_tier, automate_tiers, dedicated_hunters
        The methodology's rules; ``automate_tiers=None`` automates the lowest
        tier still worked.
    stop_segments : list of str
        Segments the consultant decides not to work (``allocation.stop_segments``;
        a what-if scenario's "drop segment D"); an unknown segment is an error.

    Returns
    -------
    plan : DataFrame
        ``segment, tier, clients, action, role, contacts_per_year,
        hours_per_contact, hours, fte``, in priority order.
    rules : list of dict
        Each applied rule: ``rule`` (a catalogue key), ``segments``,
        ``clients`` and ``hours`` (their manual hours before the rule).
    """
    key_account_clients = key_account_clients or {}
    df = playbooks.merge(cards[["segment", "clients"]], on="segment", how="left", validate="one_to_one")
    n_tiers = n_tiers or int(df["tier"].max())
    dropped = {n_tiers} if drop_lowest_tier else set()
    if automate_tiers is None:
        worked = [t for t in range(1, n_tiers + 1) if t not in dropped]
        automate_tiers = [max(worked)] if len(worked) > 1 else []
    automated = set(automate_tiers) - dropped

    df["key_accounts"] = df["segment"].map(key_account_clients).fillna(0).astype(int)
    df["clients_worked"] = df["clients"] - df["key_accounts"]
    df["action"] = "work"
    rules: list[dict] = []
    if dedicated_hunters:
        hunt = (df["segment"] == "potential") & ~df["tier"].isin(dropped)
        df.loc[hunt, "role"] = "hunter"
        if hunt.any():
            rules.append(_rule("dedicated_hunters", df.loc[hunt]))
        not_new = ~df["segment"].eq("potential") & df["role"].eq("hunter")
        df.loc[not_new, "role"] = "farmer"  # hunters work new clients only
    unknown = sorted(set(stop_segments) - set(df["segment"]))
    if unknown:
        raise ValueError(
            f"allocation.stop_segments: no segment {', '.join(map(repr, unknown))}; segments: {', '.join(df['segment'])}"
        )
    drop = df["tier"].isin(dropped)
    df.loc[drop, ["action", "role"]] = ["stop", "none"]
    if drop.any():
        rules.append(_rule("drop_lowest_tier", df.loc[drop]))
    chosen = df["segment"].isin(list(stop_segments)) & ~drop
    df.loc[chosen, ["action", "role"]] = ["stop", "none"]
    if chosen.any():
        rules.append(_rule("stop_segments", df.loc[chosen]))
    drop |= chosen
    auto = df["tier"].isin(automated) & ~drop
    if dedicated_hunters:
        auto &= df["segment"] != "potential"  # new clients stay with the hunters
    df.loc[auto, ["action", "role"]] = ["automate", "automation"]
    if auto.any():
        rules.append(_rule("automate_low_priority", df.loc[auto]))
    df.loc[df["role"].eq("none") & ~drop, "action"] = "stop"

    manual = df["action"].eq("work")
    df["hours"] = np.where(manual, df["clients_worked"] * df["contacts_per_year"] * df["hours_per_contact"], 0.0)
    df["fte"] = df["hours"] / selling_hours_per_fte
    cols = [
        "segment",
        "tier",
        "clients",
        "key_accounts",
        "action",
        "role",
        "contacts_per_year",
        "hours_per_contact",
        "hours",
        "fte",
    ]
    return df[cols], rules


def _rule(name: str, rows: pd.DataFrame) -> dict:
    return {
        "rule": name,
        "segments": list(rows["segment"]),
        "clients": int(rows["clients"].sum()),
        "hours": float((rows["clients_worked"] * rows["contacts_per_year"] * rows["hours_per_contact"]).sum()),
    }


def fte_by_role(
    plan: pd.DataFrame,
    n_key_accounts: int = 0,
    *,
    accounts_per_kam: int = 3,
    max_reports_per_head: int = 7,
    split_departments_at: int | None = 10,
) -> pd.DataFrame:
    """FTE needed per role: the plan's sellers, key-account managers, heads of sales.

    Key accounts need ``ceil(n / accounts_per_kam)`` dedicated managers on top
    of the plan's KAM hours. Heads of sales: ``ceil(sellers / max_reports_per_head)``
    where sellers are the whole people the seller FTE round up to, and one
    per department when the sellers are split into departments
    (:func:`sales_departments`).
    """
    need = plan.loc[plan["role"].isin(SELLER_ROLES)].groupby("role")["fte"].sum()
    need = need.reindex(list(ROLES), fill_value=0.0)
    need["key_account_manager"] += math.ceil(n_key_accounts / accounts_per_kam) if n_key_accounts else 0
    sellers = sum(math.ceil(round(need[r], 6)) for r in SELLER_ROLES)
    structure = sales_departments(
        sellers, max_reports_per_head=max_reports_per_head, split_departments_at=split_departments_at
    )
    need["head_of_sales"] = structure["heads"]
    return need.rename("fte_needed").rename_axis("role").reset_index()


def whole_sellers(need: pd.DataFrame) -> int:
    """The people the seller roles' FTE of :func:`fte_by_role` round up to (heads of sales not counted)."""
    fte = need.set_index("role")["fte_needed"]
    return int(sum(math.ceil(round(float(fte.get(r, 0.0)), 6)) for r in SELLER_ROLES))


def sales_departments(sellers: int, *, max_reports_per_head: int = 7, split_departments_at: int | None = 10) -> dict:
    """The method's structure for a number of sellers: how many sales departments, how many heads.

    One head of sales leads at most ``max_reports_per_head`` people
    (``ceil(sellers / max_reports_per_head)`` heads). From
    ``split_departments_at`` sellers on (the method: "with 10–15 people, split
    them into two teams, two departments"; its source reports 15–20 % more
    revenue from the heads' competition), the sellers form two or more sales
    departments, one head each and each within the span of control:
    ``max(2, ceil(sellers / max_reports_per_head))`` departments. Below the
    threshold (or with ``None``: never split) there is one department.

    Returns
    -------
    dict
        ``sellers``, ``departments`` (0 without sellers), ``heads`` (at least
        one per department) and ``split`` (True when the rule splits them).
    """
    span = math.ceil(sellers / max_reports_per_head) if sellers else 0
    split = bool(sellers) and split_departments_at is not None and sellers >= split_departments_at
    departments = max(2, span) if split else (1 if sellers else 0)
    return {"sellers": int(sellers), "departments": departments, "heads": max(span, departments), "split": split}


def department_rules(
    need: pd.DataFrame,
    *,
    max_reports_per_head: int = 7,
    split_departments_at: int | None = 10,
    after_hires: dict | None = None,
) -> list[dict]:
    """The sales-department rule's outcome, as entries of the plan's rules (``rules.<rule>`` in the report).

    For the sellers the plan needs (:func:`whole_sellers` of ``need``) or,
    with a team, for the team after the plan's hires (``after_hires``:
    ``{"now", "hired", "sellers"}`` of
    :func:`~workbench.allocation.step.team_after_hires`, carried in the entry
    as ``now`` and ``hired``): ``sales_departments`` (split),
    ``one_department`` or, when the span of control alone needs more than one
    head, ``one_department_groups``. Nothing when there is no seller or the
    rule is off (``split_departments_at=None``).

    Returns
    -------
    list of dict
        ``rule, segments, clients, sellers, needed, departments, heads, split, at, max``
        (and ``now, hired`` with ``after_hires``).
    """
    if split_departments_at is None:
        return []
    sellers = whole_sellers(need) if after_hires is None else int(after_hires["sellers"])
    if not sellers:
        return []
    base = {"segments": [], "clients": 0, "needed": sellers, "at": split_departments_at, "max": max_reports_per_head}
    if after_hires is not None:
        base.update(now=int(after_hires["now"]), hired=int(after_hires["hired"]))
    structure = sales_departments(
        sellers, max_reports_per_head=max_reports_per_head, split_departments_at=split_departments_at
    )
    name = "sales_departments" if structure["split"] else "one_department"
    if not structure["split"] and structure["heads"] > 1:
        name = "one_department_groups"
    return [{**base, "rule": name, **structure}]


def compare_with_team(need: pd.DataFrame, team: pd.DataFrame | None) -> pd.DataFrame:
    """Needed vs available FTE per role; ``gap`` > 0 is a surplus, < 0 a deficit.

    Available FTE is the sum of ``capacity`` (default 1) of team members of
    that role; without a team, available is NaN.
    """
    out = need.copy()
    if team is None or team.empty:
        out["fte_available"] = np.nan
        out["people"] = np.nan
    else:
        supply = team.groupby("role")["capacity"].sum()
        people = team.groupby("role").size()
        out["fte_available"] = out["role"].map(supply).fillna(0.0)
        out["people"] = out["role"].map(people).fillna(0).astype(int)
    out["gap"] = out["fte_available"] - out["fte_needed"]
    return out


def sequence(plan: pd.DataFrame, team: pd.DataFrame | None) -> pd.DataFrame:
    """Work the segments one after another: how far the team's sellers reach.

    Segments with manual work are taken in priority order; each is covered
    while the cumulative FTE it needs fits the sellers available for its role.

    Returns
    -------
    DataFrame
        ``segment, role, fte, cumulative_fte, available_fte, coverage`` with
        coverage in 0–1 (NaN without a team).
    """
    worked = plan.loc[plan["action"].eq("work") & plan["fte"].gt(0), ["segment", "role", "fte"]].copy()
    worked["cumulative_fte"] = worked.groupby("role")["fte"].cumsum()
    if team is None or team.empty:
        worked["available_fte"] = np.nan
        worked["coverage"] = np.nan
        return worked.reset_index(drop=True)
    supply = team.groupby("role")["capacity"].sum()
    worked["available_fte"] = worked["role"].map(supply).fillna(0.0)
    before = worked["cumulative_fte"] - worked["fte"]
    worked["coverage"] = ((worked["available_fte"] - before) / worked["fte"]).clip(0, 1)
    return worked.reset_index(drop=True)
