"""Account assignment: one owner per client, current managers kept where possible, loads balanced."""

from __future__ import annotations

import pandas as pd

from .economics import STAND_IN


def assign_clients(
    clients: pd.DataFrame,
    plan: pd.DataFrame,
    team: pd.DataFrame,
    key_account_ids: set[str] | None = None,
    *,
    selling_hours_per_fte: float = 1000,
    key_account_hours: float = 0.0,
    stand_in_efficiency: float = 0.8,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Who works which client, how often: the call plan, as the plan decided it.

    Key accounts come first and always get an owner: a key-account manager
    (their current one if a KAM), else their current manager or another
    stand-in (a farmer, the head of sales), else the one with most hours
    left, even beyond their hours (then ``status`` says ``over_capacity``):
    the largest clients are never left without an owner. Then segments in
    priority order (the order of ``plan``) and clients within a segment by
    ``value``, largest first: a client keeps its current manager when that
    person may work the segment (the plan's role or a stand-in, see
    :data:`~workbench.allocation.economics.STAND_IN`) and has the hours;
    otherwise it goes to the person of the plan's worker role with most hours
    left, then to a stand-in, whose hours count at ``stand_in_efficiency``.
    A client waits (``unassigned``) only when nobody who may work it has the
    hours.

    Parameters
    ----------
    clients : DataFrame
        ``client_id, segment, value`` and optionally ``name``, ``manager_id``.
    plan : DataFrame
        ``segment, tier, action, role, worked_by, contacts_per_year, hours_per_contact``.
    team : DataFrame
        ``manager_id, role, capacity`` and optionally ``name``.
    key_account_ids : set of str, optional
    selling_hours_per_fte : float
    key_account_hours : float
        Hours a year a key account takes (``selling_hours_per_fte / accounts_per_kam``).

    Returns
    -------
    call_plan : DataFrame
        One row per client: ``client_id, name, segment, tier, action, role,
        manager_id, manager_name, contacts_per_year, hours, status`` where
        status is ``kept``, ``assigned``, ``stand_in``, ``over_capacity``,
        ``unassigned``, ``automate`` or ``stop``.
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
    name_of = dict(zip(people["manager_id"], people["name"], strict=True))
    by_role = people.groupby("role")["manager_id"].apply(list).to_dict()
    current = clients.get("manager_id", pd.Series(pd.NA, index=clients.index))
    members = clients.assign(current_manager=current, key=clients["client_id"].isin(key_account_ids))
    segs = {s["segment"]: s for s in plan.to_dict("records")}
    order = {s: i for i, s in enumerate(plan["segment"])}
    members = members.assign(_o=members["segment"].map(order)).sort_values(
        ["key", "_o", "value"], ascending=[False, True, False]
    )
    rows = []
    for c in members.to_dict("records"):
        seg = segs.get(c["segment"], {"action": "stop", "tier": None, "role": "none", "contacts_per_year": 0})
        who, status = None, seg["action"] if seg["action"] != "work" else "unassigned"
        if c["key"]:
            role, hours, contacts = "key_account_manager", key_account_hours, seg.get("contacts_per_year", 0)
            allowed = (role, *STAND_IN[role])
            # The method's rule first (a key-account manager), then the current manager or another stand-in.
            who, status = _pick(c["current_manager"], (role,), by_role, role_of, left, hours, role, stand_in_efficiency)
            if who is None:
                who, status = _pick(
                    c["current_manager"], allowed, by_role, role_of, left, hours, role, stand_in_efficiency
                )
            if who is None:  # nobody has the hours: the one with most left owns it anyway
                pool = [m for r in allowed for m in by_role.get(r, [])]
                if pool:
                    who, status = max(pool, key=lambda m: left[m]), "over_capacity"
                    left[who] -= hours
        elif seg["action"] == "work":
            role = seg.get("worked_by", seg["role"])
            contacts = seg["contacts_per_year"]
            hours = contacts * seg["hours_per_contact"]
            allowed = (seg["role"], *[r for r in STAND_IN.get(seg["role"], ()) if r != seg["role"]])
            who, status = _pick(c["current_manager"], allowed, by_role, role_of, left, hours, role, stand_in_efficiency)
        else:
            role, hours, contacts = seg["role"], 0.0, 0
        rows.append(
            {
                "client_id": c["client_id"],
                "name": c.get("name", ""),
                "segment": c["segment"],
                "tier": seg["tier"],
                "action": "work" if c["key"] else seg["action"],
                "role": role,
                "manager_id": who,
                "manager_name": name_of.get(who, ""),
                "contacts_per_year": contacts if who is not None else 0,
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
    load["hours"] = load["hours_available"] - load["manager_id"].map(left)  # stand-in hours at their real cost
    load["utilisation"] = load["hours"] / load["hours_available"]
    return call_plan, load


def _pick(current, allowed, by_role, role_of, left, hours, preferred, efficiency) -> tuple[str | None, str]:
    """The owner of one client: current manager, else the preferred role, else a stand-in; hours booked."""

    def cost(m: str) -> float:
        return hours if role_of[m] in (allowed[0], preferred) else hours / efficiency

    if pd.notna(current) and role_of.get(current) in allowed and left[current] >= cost(current):
        left[current] -= cost(current)
        return current, "kept"
    for r in dict.fromkeys((preferred, *allowed)):
        candidates = [m for m in by_role.get(r, []) if left[m] >= cost(m)]
        if candidates:
            who = max(candidates, key=lambda m: left[m])
            left[who] -= cost(who)
            return who, "assigned" if r in (allowed[0], preferred) else "stand_in"
    return None, "unassigned"


def assignment_quality(call_plan: pd.DataFrame, load: pd.DataFrame, clients: pd.DataFrame) -> dict:
    """Balance (spread of sellers' utilisation) and continuity (share of clients keeping their manager)."""
    sellers = load.loc[load["role"] != "head_of_sales"]
    had = clients.set_index("client_id").get("manager_id")
    continuity = None
    if had is not None:
        worked = call_plan.loc[call_plan["manager_id"].notna()].set_index("client_id")
        before = had.reindex(worked.index)
        known = before.notna()
        if known.any():
            continuity = float((worked.loc[known, "manager_id"] == before[known]).mean())
    spread = sellers["utilisation"]
    return {
        "utilisation_min": float(spread.min()) if len(spread) else None,
        "utilisation_max": float(spread.max()) if len(spread) else None,
        "utilisation_std": float(spread.std(ddof=0)) if len(spread) else None,
        "continuity": continuity,
        "waiting": int((call_plan["status"] == "unassigned").sum()),
        "over_capacity": int((call_plan["status"] == "over_capacity").sum()),
    }
