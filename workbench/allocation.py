"""Step 6 — Allocation: who works which clients, and how many people that takes.

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
- segments are worked one after another in priority order: the plan shows
  how far the current team reaches.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from .config import ROLES

SELLER_ROLES = tuple(r for r in ROLES if r != "head_of_sales")
#: Who may work a client of a role when that role's hours run out: a key-account
#: manager can farm, a closer can be given leads; never the other way round.
STAND_IN = {"farmer": ("key_account_manager",), "hunter": ("closer",)}


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
    drop = df["tier"].isin(dropped)
    df.loc[drop, ["action", "role"]] = ["stop", "none"]
    if drop.any():
        rules.append(_rule("drop_lowest_tier", df.loc[drop]))
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
    plan: pd.DataFrame, n_key_accounts: int = 0, *, accounts_per_kam: int = 3, max_reports_per_head: int = 7
) -> pd.DataFrame:
    """FTE needed per role: the plan's sellers, key-account managers, heads of sales.

    Key accounts need ``ceil(n / accounts_per_kam)`` dedicated managers on top
    of the plan's KAM hours. Heads of sales: ``ceil(sellers / max_reports_per_head)``
    where sellers are the whole people the seller FTE round up to.
    """
    need = plan.loc[plan["role"].isin(SELLER_ROLES)].groupby("role")["fte"].sum()
    need = need.reindex(list(ROLES), fill_value=0.0)
    need["key_account_manager"] += math.ceil(n_key_accounts / accounts_per_kam) if n_key_accounts else 0
    sellers = sum(math.ceil(round(need[r], 6)) for r in SELLER_ROLES)
    need["head_of_sales"] = math.ceil(sellers / max_reports_per_head) if sellers else 0
    return need.rename("fte_needed").rename_axis("role").reset_index()


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


def run_step(
    run_dir,
    selling_hours_per_fte: float = 1000,
    max_reports_per_head: int = 7,
    accounts_per_kam: int = 3,
    drop_lowest_tier: bool = True,
    automate_tiers: list[int] | None = None,
    dedicated_hunters: bool = True,
) -> dict:
    """Turn the playbooks into workload and FTE by role, compare with the team; save it."""
    from . import artifacts

    playbooks = artifacts.load(run_dir, "playbooks", "playbooks")
    ranked = artifacts.load(run_dir, "priorities", "priorities")
    flagged = artifacts.load(run_dir, "priorities", "key_accounts")
    meta = artifacts.load(run_dir, "priorities", "meta")
    team = artifacts.load(run_dir, "intake", "team", optional=True)
    per_segment = flagged.groupby("segment").size().to_dict() if len(flagged) else {}
    plan, rules = workload(
        playbooks,
        ranked,
        per_segment,
        selling_hours_per_fte=selling_hours_per_fte,
        n_tiers=meta["n_tiers"],
        drop_lowest_tier=drop_lowest_tier,
        automate_tiers=automate_tiers,
        dedicated_hunters=dedicated_hunters,
    )
    n_key = len(flagged)
    if n_key:
        rules.insert(
            0,
            {
                "rule": "key_account_managers",
                "segments": sorted(per_segment),
                "clients": n_key,
                "fte": math.ceil(n_key / accounts_per_kam),
            },
        )
    need = fte_by_role(plan, n_key, accounts_per_kam=accounts_per_kam, max_reports_per_head=max_reports_per_head)
    rules.append(
        {
            "rule": "span_of_control",
            "segments": [],
            "clients": 0,
            "fte": float(need.loc[need["role"] == "head_of_sales", "fte_needed"].iloc[0]),
            "max": max_reports_per_head,
        }
    )
    comparison = compare_with_team(need, team)
    seq = sequence(plan, team)
    notes = [] if team is not None and not team.empty else [artifacts.note("no_team")]
    saved = {}
    if team is not None and not team.empty:
        criteria = artifacts.load(run_dir, "criteria", "criteria")
        segments = artifacts.load(run_dir, "grouping", "segments")
        clients = criteria.merge(segments, on="client_id")
        # Order within a segment: current margin (revenue without cost); past revenue for lost clients,
        # potential for the never-bought.
        value = clients["margin"] if clients["margin"].notna().any() else clients["revenue"]
        clients["value"] = value.where(
            clients["status"] == "active",
            clients["revenue_total"].where(clients["status"] == "lost", clients["potential"]),
        )
        call_plan, load = assign_clients(
            clients, plan, team, set(flagged["client_id"]), selling_hours_per_fte=selling_hours_per_fte
        )
        call_plan.to_csv(Path(run_dir) / "call_plan.csv", index=False)
        saved = {"call_plan": call_plan, "load": load}
    artifacts.save(
        run_dir,
        "allocation",
        plan=plan,
        rules=rules,
        fte=comparison,
        sequence=seq,
        notes=notes,
        **saved,
        settings={
            "selling_hours_per_fte": selling_hours_per_fte,
            "max_reports_per_head": max_reports_per_head,
            "accounts_per_kam": accounts_per_kam,
        },
    )
    return {"plan": plan, "rules": rules, "fte": comparison, "sequence": seq, "notes": notes, **saved}


def assign_clients(
    clients: pd.DataFrame,
    plan: pd.DataFrame,
    team: pd.DataFrame,
    key_account_ids: set[str] | None = None,
    *,
    selling_hours_per_fte: float = 1000,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Who works which client, how often: the call plan.

    Segments are taken in priority order (the order of ``plan``) and clients
    within a segment by ``value``, largest first. A client keeps its current
    manager when that person has the segment's role and hours left (one client,
    one person); otherwise it goes to the person of that role with the most
    hours left, or, when the role has none left, to a stand-in (a key-account
    manager farms, see :data:`STAND_IN`). Key accounts go to key-account
    managers. When the hours run out, the client is listed as unassigned,
    which is where the team's deficit shows client by client.

    Parameters
    ----------
    clients : DataFrame
        ``client_id, segment, value`` and optionally ``name``, ``manager_id``.
    plan : DataFrame
        From :func:`workload`: ``segment, tier, action, role, contacts_per_year, hours_per_contact``.
    team : DataFrame
        ``manager_id, role, capacity`` and optionally ``name``.
    key_account_ids : set of str, optional
    selling_hours_per_fte : float

    Returns
    -------
    call_plan : DataFrame
        One row per client: ``client_id, name, segment, tier, action, role,
        manager_id, manager_name, contacts_per_year, hours, status`` where
        status is ``kept``, ``assigned``, ``unassigned`` (no hours left or
        nobody in the role), ``automate`` or ``stop``.
    load : DataFrame
        Per team member: ``manager_id, name, role, clients, hours,
        hours_available, utilisation``.
    """
    key_account_ids = key_account_ids or set()
    people = team.copy()
    people["name"] = people.get("name", "")
    people["hours_available"] = people["capacity"] * selling_hours_per_fte
    left = dict(zip(people["manager_id"], people["hours_available"], strict=True))
    role_of = dict(zip(people["manager_id"], people["role"], strict=True))
    by_role = people.groupby("role")["manager_id"].apply(list).to_dict()
    name_of = dict(zip(people["manager_id"], people["name"], strict=True))
    current = clients.get("manager_id", pd.Series(pd.NA, index=clients.index))
    rows = []
    for seg in plan.to_dict("records"):
        members = clients.loc[clients["segment"] == seg["segment"]].assign(current_manager=current)
        for c in members.sort_values("value", ascending=False).to_dict("records"):
            key = c["client_id"] in key_account_ids and seg["action"] == "work"
            role = "key_account_manager" if key else seg["role"]
            hours = seg["contacts_per_year"] * seg["hours_per_contact"] if seg["action"] == "work" else 0.0
            who, status = None, seg["action"] if seg["action"] != "work" else "unassigned"
            if seg["action"] == "work":
                roles = (role, *STAND_IN.get(role, ()))
                if (
                    pd.notna(c["current_manager"])
                    and role_of.get(c["current_manager"]) in roles
                    and left[c["current_manager"]] >= hours
                ):
                    who, status = c["current_manager"], "kept"
                else:
                    for r in roles:  # the role itself first, then who may stand in for it
                        candidates = [m for m in by_role.get(r, []) if left[m] >= hours]
                        if candidates:
                            who, status = max(candidates, key=lambda m: left[m]), "assigned"
                            break
                if who is not None:
                    left[who] -= hours
            rows.append(
                {
                    "client_id": c["client_id"],
                    "name": c.get("name", ""),
                    "segment": seg["segment"],
                    "tier": seg["tier"],
                    "action": seg["action"],
                    "role": role,
                    "manager_id": who,
                    "manager_name": name_of.get(who, ""),
                    "contacts_per_year": seg["contacts_per_year"] if hours else 0,
                    "hours": hours if who is not None else 0.0,
                    "status": status,
                }
            )
    call_plan = pd.DataFrame(rows)
    assigned = (
        call_plan.loc[call_plan["manager_id"].notna()]
        .groupby("manager_id")
        .agg(clients=("client_id", "size"), hours=("hours", "sum"))
    )
    load = people[["manager_id", "name", "role", "hours_available"]].merge(
        assigned, left_on="manager_id", right_index=True, how="left"
    )
    load[["clients", "hours"]] = load[["clients", "hours"]].fillna(0)
    load["utilisation"] = load["hours"] / load["hours_available"]
    return call_plan, load
