"""Step 6 — Allocation: one plan of who works which clients, how often, and with how many people."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import LargestReviewConfig
from .assignment import assign_clients, assignment_quality, portfolio_mix
from .calls import call_lists
from .economics import (
    STAND_IN,
    Assumptions,
    Solution,
    best_hires,
    break_even,
    default_cost_per_hour,
    hires_value,
    optimise,
    options,
    pays_at_full_cost,
    segment_base,
)
from .workload import (
    SELLER_ROLES,
    compare_with_team,
    department_rules,
    fte_by_role,
    sales_departments,
    whole_sellers,
    workload,
)


def apply_solution(plan: pd.DataFrame, solution: Solution, selling_hours_per_fte: float) -> pd.DataFrame:
    """The plan with the chosen frequency and worker per segment; no manual contact becomes automation.

    ``reason`` says why a segment's frequency differs from its playbook:
    ``break_even`` (contact costs more than it brings) or ``capacity`` (the
    team's hours went to segments worth more).
    """
    out = plan.copy()
    out["playbook_contacts"] = out["contacts_per_year"]
    chosen = solution.choice.set_index("segment")
    worked = (out["action"] == "work") & out["segment"].isin(chosen.index)
    picked = out["segment"].map(chosen["contacts_per_year"])
    out["contacts_per_year"] = picked.where(worked, out["contacts_per_year"]).astype(float)
    out["worked_by"] = out["segment"].map(chosen["worked_by"]).where(worked, out["role"])
    out["channel"] = out["segment"].map(chosen["channel"]).where(worked, "personal")
    out["hours_per_contact"] = out["segment"].map(chosen["hours_per_contact"]).where(worked, out["hours_per_contact"])
    none = worked & (out["contacts_per_year"] == 0)
    out.loc[none, ["action", "worked_by"]] = ["automate", "automation"]
    lowered = (out["contacts_per_year"] < out["playbook_contacts"]) | (out["channel"] == "remote")
    out["reason"] = np.where(worked & lowered, "optimised", "")
    if "idle_capacity" in out:  # automated by the method, worked by hours the team had left (use_idle_hours)
        out.loc[out["idle_capacity"] & worked, "reason"] = "idle_capacity"
        out = out.drop(columns="idle_capacity")
    worked = out["action"] == "work"
    out["contacts_per_year"] = out["contacts_per_year"].where(worked, 0.0)  # automated or stopped: no manual contact
    clients = out["clients"] - out["key_accounts"]
    out["hours"] = np.where(worked, clients * out["contacts_per_year"] * out["hours_per_contact"], 0.0)
    out["fte"] = out["hours"] / selling_hours_per_fte
    return out


def use_idle_hours(
    plan: pd.DataFrame,
    playbooks: pd.DataFrame,
    solution: Solution,
    capacity: dict[str, float],
    reserved: dict[str, float],
    clients: pd.DataFrame,
    a: Assumptions,
    expected: pd.Series | None = None,
    stopped: set[str] | frozenset[str] = frozenset(),
) -> tuple[pd.DataFrame, Solution, dict | None, pd.DataFrame]:
    """The segments the method automates or stops, worked by hours the team has left over, where that pays.

    The method automates the lowest priority still worked and stops the lowest
    tier, so that people go to the segments worth more. When people are left
    idle after those, their time is already paid for: the automated segments,
    and the ``stopped`` ones (those the lowest-tier rule stopped; never a
    segment the consultant chose to stop), are offered to the optimiser with
    only the hours left (after the plan's own work and the key accounts), their
    playbook's frequencies and role, under the same break-even. A segment that
    gets manual contacts this way is worked (``reason`` ``idle_capacity``); the
    others stay as they were.

    Returns
    -------
    plan : DataFrame
        The plan with the segments taken up as ``action == "work"``.
    solution : Solution
        The plan's solution with their choice added.
    rule : dict or None
        The ``idle_capacity`` rule (segments, clients, hours) for the report; None when nothing was taken up.
    options : DataFrame
        The options the automated segments were offered (empty when none were).
    """
    auto = plan["action"].eq("automate") | (plan["action"].eq("stop") & plan["segment"].isin(stopped))
    none = pd.DataFrame()
    if not auto.any():
        return plan, solution, None, none
    used = solution.hours_by_role
    spare = {r: max(0.0, h - reserved.get(r, 0.0) - used.get(r, 0.0)) for r, h in capacity.items()}
    if not any(h > 0 for h in spare.values()):
        return plan, solution, None, none
    candidates = plan.loc[auto].assign(action="work", role=lambda d: playbook_roles(d["segment"], playbooks))
    extra_opts = options(candidates, segment_base(candidates, clients, a, expected), a)
    extra = optimise(extra_opts, spare, a, paid=True)
    taken = extra.choice.loc[extra.choice["contacts_per_year"] > 0]
    if taken.empty:
        return plan, solution, None, extra_opts
    out = plan.copy()
    up = out["segment"].isin(taken["segment"])
    out.loc[up, "action"] = "work"
    out.loc[up, "role"] = out.loc[up, "segment"].map(candidates.set_index("segment")["role"])
    out["idle_capacity"] = up
    hours = dict(solution.hours_by_role)
    for r, h in extra.hours_by_role.items():
        hours[r] = hours.get(r, 0.0) + h
    # a segment the plan's own optimisation left at no contact is replaced by its taken-up choice
    kept = solution.choice.loc[~solution.choice["segment"].isin(taken["segment"])]
    merged = Solution(
        pd.concat([kept, taken], ignore_index=True),
        solution.objective + extra.objective,
        hours,
        pd.concat(
            [
                solution.split.loc[~solution.split["segment"].isin(taken["segment"])],
                extra.split.loc[extra.split["segment"].isin(taken["segment"])],
            ],
            ignore_index=True,
        ),
    )
    rule = {
        "rule": "idle_capacity",
        "segments": taken["segment"].tolist(),
        "clients": int((out.loc[up, "clients"] - out.loc[up, "key_accounts"]).sum()),
        "hours": float(taken["hours"].sum()),
    }
    return out, merged, rule, extra_opts


def offer_automated(plan: pd.DataFrame, playbooks: pd.DataFrame) -> tuple[pd.DataFrame, set[str]]:
    """The segments the method's rule automates, offered to the optimiser as worked segments.

    The method serves its lowest priority still worked by automation so that
    sellers go where they are worth more. That is the default, not a loss the
    plan may take blind: their playbook's frequencies (their role from the
    playbooks, a farmer where it names none) compete for the hours with every
    other segment under the same break-even, and stay automated only where
    contact does not pay or the hours bring more elsewhere
    (:func:`settle_automated`).

    Returns the plan and the segments the rule automated.
    """
    auto = plan["action"].eq("automate")
    if not auto.any():
        return plan, set()
    out = plan.copy()
    out.loc[auto, "action"] = "work"
    out.loc[auto, "role"] = playbook_roles(out.loc[auto, "segment"], playbooks)
    return out, set(plan.loc[auto, "segment"])


def playbook_roles(segments: pd.Series, playbooks: pd.DataFrame) -> pd.Series:
    """The role that would work each of ``segments`` by its playbook: a farmer where it names no seller."""
    role = segments.map(playbooks.set_index("segment")["role"]).fillna("farmer")
    return role.where(~role.isin(["none", "automation"]), "farmer")


def settle_automated(
    final: pd.DataFrame, rules: list[dict], by_rule: set[str], choice: pd.DataFrame, opts: pd.DataFrame
) -> tuple[pd.DataFrame, list[dict]]:
    """The plan and rules once the segments the method would automate have competed for the hours.

    A segment the rule automated that the plan works (its contact pays more
    than the hours' other uses) gets ``reason`` ``contact_pays`` and leaves
    the ``automate_low_priority`` rule, which keeps the others (with the
    playbook hours they free); a ``contact_pays`` rule says what the worked
    ones take and bring. One the plan still automates keeps the rule's reason
    (``""``). A segment the optimiser automated whose best option pays at the
    full cost of an hour is automated for the hours, not the cost:
    ``reason`` ``capacity``.
    """
    out = final.copy()
    worked = out["segment"].isin(by_rule) & out["action"].eq("work")
    out.loc[worked, "reason"] = "contact_pays"
    out.loc[out["segment"].isin(by_rule) & out["action"].eq("automate"), "reason"] = ""
    paying = opts.loc[pays_at_full_cost(opts), "segment"]
    for_hours = out["action"].eq("automate") & out["reason"].eq("optimised") & out["segment"].isin(set(paying))
    out.loc[for_hours, "reason"] = "capacity"
    kept, taken = [], out.loc[worked]
    for r in rules:
        if r["rule"] == "contact_pays":  # said again below, for the plan as it now stands
            continue
        if r["rule"] != "automate_low_priority":
            kept.append(r)
            continue
        left = out.loc[out["segment"].isin(r["segments"]) & ~worked]
        if len(left):
            freed = (left["clients"] - left["key_accounts"]) * left["playbook_contacts"] * left["hours_per_contact"]
            kept.append(
                {
                    **r,
                    "segments": list(left["segment"]),
                    "clients": int(left["clients"].sum()),
                    "hours": float(freed.sum()),
                }
            )
    if len(taken):
        value = choice.set_index("segment")["value"]
        kept.append(
            {
                "rule": "contact_pays",
                "segments": list(taken["segment"]),
                "clients": int((taken["clients"] - taken["key_accounts"]).sum()),
                "hours": float(taken["hours"].sum()),
                "value": float(value.reindex(taken["segment"]).fillna(0).sum()),
            }
        )
    return out, kept


def next_best_use(opts: pd.DataFrame, choice: pd.DataFrame) -> dict | None:
    """The work idle people could do next and what it would bring: the biggest step up from the plan.

    Among every option with more hours than the segment's chosen one (or any
    option of a segment the plan does not contact), the one that would add the
    most value (the cheaper of equal ones), with its extra cost; the optimiser
    left it out because it does not pay (or does not fit). None when there is
    no such option.
    """
    if opts.empty:
        return None
    chosen = choice.set_index("segment")[["value", "cost", "hours"]].rename(columns=lambda c: f"{c}_now")
    rows = opts.merge(chosen, left_on="segment", right_index=True, how="left").fillna(
        {"value_now": 0.0, "cost_now": 0.0, "hours_now": 0.0}
    )
    more = rows.loc[rows["hours"] > rows["hours_now"] + 1e-9]
    if more.empty:
        return None
    more = more.assign(extra_value=more["value"] - more["value_now"], extra_cost=more["cost"] - more["cost_now"])
    # The biggest upside left (the cheaper of equal ones): what a partner asks about first.
    best = more.sort_values(["extra_value", "extra_cost"], ascending=[False, True]).iloc[0]
    return {
        "segment": str(best["segment"]),
        "contacts_per_year": float(best["contacts_per_year"]),
        "channel": str(best["channel"]),
        "extra_hours": float(best["hours"] - best["hours_now"]),
        "extra_value": float(best["extra_value"]),
        "extra_cost": float(best["extra_cost"]),
    }


#: The hires' value is also given at this share of the assumed response to contact (page 1 states both).
LOWER_RESPONSE = 0.5


def robust_hires(
    opts: pd.DataFrame,
    base: float,
    plan: pd.DataFrame,
    clients: pd.DataFrame,
    expected: pd.Series | None,
    hires: dict[str, tuple[int, float]],
    capacity: dict[str, float],
    a: Assumptions,
    reserved: dict[str, float],
    heads_cost: Callable[[int], float] | None = None,
) -> tuple[dict[str, tuple[int, float]], dict]:
    """The hires to recommend: of those that pay, as many as still pay at :data:`LOWER_RESPONSE` of the response.

    A hire's gain rests on the assumed response to contact
    (``economics.response_share``). For each role whose best count ``k``
    (:func:`~workbench.allocation.economics.best_hires`) pays, the plan is
    valued again with the response at half, and the count ``j <= k`` that
    adds most there is the one recommended when it still adds value; the
    ``k - j`` others pay only if contact moves margin as assumed, so they
    wait for a pilot that measures it. A role whose hires pay only at the
    assumed response is recommended none. ``opts`` and ``base`` are the plan's
    options and its objective on the team's hours at the assumed response (as
    :func:`~workbench.allocation.economics.best_hires` had them).
    ``heads_cost(n)`` is the yearly cost of the heads of sales ``n`` more
    sellers would need beyond the team's (:func:`heads_cost_of`): a count's
    value is net of it, at either response, since the hires bring those heads.

    Returns
    -------
    hires : dict
        ``role -> (count, value a year at the assumed response)``, the count
        recommended (roles without a paying hire as given).
    sensitivity : dict
        ``{"response_share": r, "roles": {role: value at r}, "pilot": {role:
        {"fte": k - j, "value": what they add at the assumed response}}}``;
        empty when no hire pays.
    """
    paying = {r: k for r, (k, v) in hires.items() if k and v > 0}
    if not paying:
        return hires, {}
    lower = replace(a, response_share=a.response_share * LOWER_RESPONSE)
    opts_low = options(plan, segment_base(plan, clients, lower, expected), lower)
    base_low = optimise(opts_low, capacity, lower, reserved, paid=True).objective
    heads = heads_cost or (lambda n: 0.0)
    out, values, pilot, led = dict(hires), {}, {}, {}
    for role, k in paying.items():
        at_lower = {
            j: hires_value(opts_low, capacity, lower, role, j, reserved, base_low) - heads(j) for j in range(1, k + 1)
        }
        j = max(at_lower, key=lambda n: (at_lower[n], -n))
        j = j if at_lower[j] > 0 else 0
        gross = hires_value(opts, capacity, a, role, j, reserved, base) if 0 < j < k else hires[role][1] if j else 0.0
        value = gross - heads(j)
        out[role] = (j, value)
        if j:
            values[role] = at_lower[j]
            if heads(j):
                led[role] = heads(j)
        further = hires[role][1] - heads(k) - value  # what the k - j others add, their heads counted
        if j < k and further > 0:
            pilot[role] = {"fte": k - j, "value": further}
    return out, {"response_share": lower.response_share, "roles": values, "pilot": pilot, "heads_cost": led}


def heads_cost_of(
    team: pd.DataFrame, cost_per_head: float, *, max_reports_per_head: int = 7, split_departments_at: int | None = 10
) -> Callable[[int], float]:
    """The yearly cost of the heads of sales ``n`` more sellers need beyond those the team has.

    The method's structure (:func:`~workbench.allocation.workload.sales_departments`)
    for today's sellers plus ``n``, against the heads the team has (or today's
    sellers need, if more): each extra head costs ``cost_per_head`` a year.
    """
    sellers = int(team["role"].isin(SELLER_ROLES).sum())
    have = int((team["role"] == "head_of_sales").sum())

    def heads(n: int) -> int:
        return int(
            sales_departments(
                sellers + n, max_reports_per_head=max_reports_per_head, split_departments_at=split_departments_at
            )["heads"]
        )

    floor = max(have, heads(0))
    return lambda n: max(0, heads(n) - floor) * cost_per_head


def pilot_design(
    opts: pd.DataFrame,
    capacity: dict[str, float],
    a: Assumptions,
    reserved: dict[str, float],
    role: str,
    hired: int,
    further: int,
    value: float,
    *,
    months: int = 6,
) -> dict | None:
    """The pilot that measures whether ``further`` hires of ``role`` (beyond the ``hired``) pay, before they are made.

    The further hires' hours would raise the contact frequency of some
    segments (the plan with ``hired + further`` against ``hired`` hires at the
    assumed response); the one whose value rises most is tested: for
    ``months`` a test group of its clients chosen at random gets the higher
    frequency, as many as one seller's hours serve (half the segment at
    most), and as many matching clients stay at the plan's as a control.

    The measure is the test group's margin against the control's. The plan
    assumes it grows by ``response_share x effect x (response(to) -
    response(from))`` of the margin; the hires pay when it grows at least the
    share of that which covers their cost: ``(gain - value) / gain``, with
    ``gain`` what the higher frequencies add before the hires' cost and
    ``value`` what :func:`robust_hires` says they add after it (the gain is
    proportional to the response with the frequencies held, so this is the
    break-even; re-choosing the frequencies can only lower it).

    Returns
    -------
    dict or None
        ``segment, clients (the segment's, key accounts aside), test_clients,
        from, to, months, hours (the test group's extra selling hours over
        the pilot), expected (the margin uplift the plan assumes, a share),
        needed (the uplift at which the hires pay), role, further``;
        None when the further hires raise no segment's frequency.
    """
    per = a.selling_hours_per_fte

    def plan_with(k: int) -> pd.DataFrame:
        more = {**capacity, role: capacity.get(role, 0.0) + k * per}
        return optimise(opts, more, a, reserved, paid=True).choice.set_index("segment")

    now, more = plan_with(hired), plan_with(hired + further)

    def reach(choice: pd.DataFrame) -> pd.Series:  # the share of the response a segment's contact gets
        effect = np.where(choice["channel"] == "remote", a.remote_effect, 1.0)
        return pd.Series(effect * a.response(choice["contacts_per_year"].to_numpy()), index=choice.index)

    both = pd.DataFrame({"now": reach(now), "more": reach(more)}).dropna()
    raised = both.index[both["more"] > both["now"] + 1e-9]
    gain = float(more["value"].sum() - now["value"].sum())
    if not len(raised) or gain <= 0:
        return None
    seg = str((more.loc[raised, "value"] - now.loc[raised, "value"]).idxmax())
    # the tested segment's plan row without and with the further hires, and its share of the response
    was, will, reached = now.loc[seg].to_dict(), more.loc[seg].to_dict(), both.loc[seg].to_dict()
    low, high = float(was["contacts_per_year"]), float(will["contacts_per_year"])
    per_contact = float(will["hours_per_contact"])
    clients = round(float(will["hours"]) / (high * per_contact))
    expected = a.response_share * (float(reached["more"]) - float(reached["now"]))
    extra_hours = max(high * per_contact - low * float(was["hours_per_contact"]), 1e-9)
    test = min(clients // 2, int(per / extra_hours))
    share = min(max((gain - value) / gain, 0.0), 1.0)
    return {
        "role": role,
        "further": further,
        "segment": seg,
        "clients": clients,
        "test_clients": test,
        "from": low,
        "to": high,
        "months": months,
        "hours": int(round(test * extra_hours * months / 12, -1)),  # the selling time the test group takes
        "expected": expected,
        "needed": expected * share,
    }


def largest_unworked(
    clients: pd.DataFrame,
    plan: pd.DataFrame,
    key_accounts: set[str],
    *,
    top_share: float = 0.2,
    contacts_per_year: float = 2,
    hours_per_contact: float = 1.0,
    prospects_share: float = 0.1,
) -> dict[str, tuple[float, float]]:
    """The largest clients the segment's own work would leave to automation, a stop or a remote call: an owner each.

    The method: the largest clients always have an owner. Two kinds get
    ``contacts_per_year`` personal contacts of ``hours_per_contact`` hours
    from a named seller (key accounts aside, they have one):

    - among the active clients, the top ``top_share`` by revenue (rounded
      up, as step 1's concentration counts them) whose segment is not worked
      by sellers: a review of terms and margin, not the segment's sales work;
    - lost clients who bought a year (their past revenue over their tenure,
      a year at least) as much as the smallest of that top group, whatever
      the lost segment's plan: a personal win-back, not the tail's call;
    - never-bought clients, the largest ``prospects_share`` of them (rounded
      up) by a potential of their own (an analyst's score or their size, not
      similar clients' revenue), where their segment is not worked in person
      (stopped, automated, or remote calls): a named hunter approaches them.

    ``contacts_per_year`` 0 turns the rule off.

    Returns
    -------
    dict
        ``{client_id: (contacts_per_year, hours_per_contact)}``.
    """
    if contacts_per_year <= 0:
        return {}
    active = clients.loc[(clients["status"] == "active") & (clients["revenue"] > 0)]
    top = active.nlargest(math.ceil(top_share * len(active)), "revenue")
    unworked = set(plan.loc[plan["action"].isin(["stop", "automate"]), "segment"])
    chosen = list(top.loc[top["segment"].isin(unworked) & ~top["client_id"].isin(key_accounts), "client_id"])
    if len(top) and "revenue_total" in clients:
        lost = clients.loc[clients["status"] == "lost"]
        years = lost["tenure_months"].fillna(12).clip(lower=12) / 12 if "tenure_months" in lost else 1.0
        yearly = lost["revenue_total"] / years
        chosen += list(lost.loc[(yearly >= top["revenue"].min()) & ~lost["client_id"].isin(key_accounts), "client_id"])
    remote = set(plan.loc[(plan["action"] == "work") & (plan.get("channel", "personal") == "remote"), "segment"])
    never = clients.loc[clients["status"] == "potential"]
    if prospects_share > 0 and len(never) and "potential_source" in never:
        own = never.loc[never["potential_source"].isin(["score", "size"]) & never["segment"].isin(unworked | remote)]
        largest = own.nlargest(math.ceil(prospects_share * len(never)), "potential")
        chosen += list(largest.loc[~largest["client_id"].isin(key_accounts), "client_id"])
    return {str(c): (float(contacts_per_year), float(hours_per_contact)) for c in chosen}


def held_without_sale(clients: pd.DataFrame, start: pd.Timestamp, months: float | None) -> set[str]:
    """Clients their current manager has held for more than ``months`` without a sale: to be taken back.

    The export says who owns a client, not since when, so the test is the
    client's last purchase: a client with a manager and no purchase in the
    last ``months`` (the method: limit how long a seller may hold a client
    without result). Never-bought clients are not judged (how long they have
    been held is unknown). None turns the rule off.
    """
    if months is None or "manager_id" not in clients:
        return set()
    cutoff = pd.Timestamp(start) - pd.Timedelta(days=round(months * 30.4375))
    held = clients["manager_id"].notna() & clients["last_purchase"].notna() & (clients["last_purchase"] < cutoff)
    return set(clients.loc[held, "client_id"])


def team_position(
    need: pd.DataFrame,
    used: dict[str, float],
    hires: dict[str, tuple[int, float]],
    team: pd.DataFrame | None,
    hours: float,
) -> pd.DataFrame:
    """Per role: FTE the plan needs, the team has, the plan uses now, and what to do.

    ``hires`` is :func:`~workbench.allocation.economics.best_hires`: per role
    the whole number of hires that adds most after their whole cost
    (``hire_fte``) and that value a year (``hire_value``).
    ``recommendation``: ``hire`` when those hires add value after every
    stand-in has been used and the role has no idle time;
    ``redeploy`` when the role has idle time (it stands in for others or the
    plan needs fewer); ``keep`` otherwise; ``none`` when neither needed nor
    available.
    """
    out = compare_with_team(need, team)
    out["fte_used"] = out["role"].map({r: h / hours for r, h in used.items()}).fillna(0.0)
    heads = out["role"] == "head_of_sales"  # heads lead, they do not sell: they are used as far as needed
    out.loc[heads, "fte_used"] = out.loc[heads, ["fte_needed", "fte_available"]].min(axis=1).fillna(out["fte_needed"])
    out["fte_idle"] = (out["fte_available"] - out["fte_used"]).clip(lower=0)
    out["hire_fte"] = out["role"].map({r: k for r, (k, _) in hires.items()})
    out["hire_value"] = out["role"].map({r: v for r, (_, v) in hires.items()})
    rec = []
    for r in out.to_dict("records"):
        if pd.isna(r["fte_available"]):
            rec.append("hire" if r["fte_needed"] > 0.05 else "none")
        elif r["fte_needed"] <= 0.05 and r["fte_available"] <= 0.05:
            rec.append("none")
        elif r["fte_idle"] > 0.25:
            rec.append("redeploy")
        elif (
            r["role"] in SELLER_ROLES
            and (r["hire_value"] or 0) > 0
            and r["fte_needed"] > r["fte_available"] + 0.05
            or r["role"] == "head_of_sales"
            and r["fte_needed"] > r["fte_available"] + 0.05
        ):
            rec.append("hire")
        else:
            rec.append("keep")
    out["recommendation"] = rec
    return out


def team_after_hires(
    position: pd.DataFrame, *, max_reports_per_head: int = 7, split_departments_at: int | None = 10
) -> tuple[pd.DataFrame, dict]:
    """The heads of sales for the team the plan leads to: today's sellers plus the hires that pay.

    :func:`fte_by_role` counts heads for the sellers the plan would need at
    full cost; with a team, the people who will be there are the team's
    sellers (idle ones are given other work, not let go) and the hires the
    plan recommends, so page 1's head count and its hires add up. The heads'
    row of ``position`` is recomputed for them.

    Returns
    -------
    (DataFrame, dict)
        ``position`` with the heads' row recomputed, and ``{"now", "hired",
        "sellers"}``: people in seller roles today, hires recommended, their sum.
    """
    out = position.copy()
    sellers = out["role"].isin(SELLER_ROLES)
    now = int(out.loc[sellers, "people"].fillna(0).sum())
    hiring = sellers & (out["recommendation"] == "hire")
    hired = int(out.loc[hiring, "hire_fte"].fillna(0).sum())
    structure = sales_departments(
        now + hired, max_reports_per_head=max_reports_per_head, split_departments_at=split_departments_at
    )
    heads = out["role"] == "head_of_sales"
    available = out.loc[heads, "fte_available"].astype(float)
    needed = float(structure["heads"])
    out.loc[heads, "fte_needed"] = needed
    out.loc[heads, "gap"] = available - needed
    out.loc[heads, "fte_used"] = available.clip(upper=needed)
    out.loc[heads, "fte_idle"] = (available - needed).clip(lower=0.0)
    out.loc[heads, "recommendation"] = [
        "none"
        if needed <= 0.05 and have <= 0.05
        else "redeploy"
        if have - needed > 0.25
        else "hire"
        if needed > have + 0.05
        else "keep"
        for have in available
    ]
    return out, {"now": now, "hired": hired, "sellers": now + hired}


def run_step(
    run_dir,
    selling_hours_per_fte: float = 1000,
    max_reports_per_head: int = 7,
    accounts_per_kam: int = 3,
    drop_lowest_tier: bool = True,
    automate_tiers: list[int] | None = None,
    dedicated_hunters: bool = True,
    currency: str = "RUB",
    economics: dict | None = None,
    calls: dict | None = None,
    split_departments_at: int | None = 10,
    stop_segments: list[str] | None = None,
    hold_without_sale_months: float | None = 12,
    portfolio_max_industries: int = 3,
    largest_review: dict | None = None,
    pilot_months: int = 6,
) -> dict:
    """Turn the playbooks into one plan: frequencies that pay, hours by role, owners; save it."""
    from .. import artifacts

    playbooks = artifacts.load(run_dir, "playbooks", "playbooks")
    ranked = artifacts.load(run_dir, "priorities", "priorities")
    flagged = artifacts.load(run_dir, "priorities", "key_accounts")
    meta = artifacts.load(run_dir, "priorities", "meta")
    team = artifacts.load(run_dir, "intake", "team", optional=True)
    criteria = artifacts.load(run_dir, "criteria", "criteria")
    segments = artifacts.load(run_dir, "grouping", "segments")
    has_team = team is not None and not team.empty
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
        stop_segments=list(stop_segments or []),
    )
    plan, by_rule_automated = offer_automated(plan, playbooks)
    clients = criteria.merge(segments, on="client_id")
    clients["key_account"] = clients["client_id"].isin(set(flagged["client_id"]))
    settings = dict(economics or {})
    cost_per_hour = settings.pop("cost_per_hour", None) or default_cost_per_hour(currency)
    assumed = not clients["margin"].notna().any()
    a = Assumptions(
        cost_per_hour=cost_per_hour, selling_hours_per_fte=selling_hours_per_fte, margin_assumed=assumed, **settings
    )
    # Next year's margin per segment as the model that won the backtest expects it (revenue x the assumed
    # margin without cost), annualised from the forecast's horizon.
    expected = None
    ahead = artifacts.load(run_dir, "priorities", "forecast", optional=True)
    info = artifacts.load(run_dir, "criteria", "forecast_info", optional=True)
    if ahead is not None and info is not None:
        per_year = 12 / info["horizon_months"]
        yearly = (
            ahead["margin"]
            if "margin" in ahead and ahead["margin"].notna().any()
            else ahead["revenue"] * a.assumed_margin_pct
        )
        expected = pd.Series(yearly.to_numpy() * per_year, index=ahead["segment"])
    opts = options(plan, segment_base(plan, clients, a, expected), a)
    over = break_even(opts, plan)
    ideal = optimise(opts, None, a)
    plan_ideal = apply_solution(plan, ideal, selling_hours_per_fte)
    n_key = len(flagged)
    kam_hours = selling_hours_per_fte / accounts_per_kam
    need = fte_by_role(
        plan_ideal,
        n_key,
        accounts_per_kam=accounts_per_kam,
        max_reports_per_head=max_reports_per_head,
        split_departments_at=split_departments_at,
    )
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
    saved: dict = {}
    hires: dict[str, tuple[int, float]] = {}
    after: dict | None = None  # the sellers after the plan's hires (with a team)
    sensitivity: dict = {}  # the recommended hires' value at a lower response to contact, and those left to a pilot
    if has_team:
        capacity = (team.groupby("role")["capacity"].sum() * selling_hours_per_fte).to_dict()
        # Key accounts first: a key-account manager's hours, then a farmer's.
        kam = min(capacity.get("key_account_manager", 0.0), n_key * kam_hours)
        reserved = {"key_account_manager": kam, "farmer": n_key * kam_hours - kam}
        # The largest clients' owners (reviews, win-backs, large prospects) are booked before any segment's
        # work, so their hours come first here too: as the plan at full cost leaves them (a hunter's for a
        # prospect, else a farmer's, where the team has the role), or clients of worked segments would wait.
        owned = largest_unworked(clients, plan_ideal, set(flagged["client_id"]), **(largest_review or {}))
        status_of = clients.set_index("client_id")["status"]
        for cid, (contacts, per) in owned.items():
            role = "hunter" if status_of.get(cid) == "potential" and capacity.get("hunter", 0) > 0 else "farmer"
            reserved[role] = reserved.get(role, 0.0) + contacts * per
        now = optimise(opts, capacity, a, reserved, paid=True)  # the team's hours are paid for
        # Hires tried up to the whole people the plan that pays lacks per role (at least one).
        lack = compare_with_team(need, team).set_index("role")["gap"].clip(upper=0).abs()
        up_to = {r: max(1, math.ceil(round(float(lack.get(r, 0.0)), 6))) for r in STAND_IN}
        hires = best_hires(opts, capacity, a, up_to, reserved, base=now.objective)
        # A role the team already has as many of as the full plan needs is not hired, even where its hours
        # would pay standing in for another role: that role is hired instead (the method: the right role).
        hires = {r: (k if lack.get(r, 0.0) > 1e-6 else 0, v) for r, (k, v) in hires.items()}
        # Hires that make the team outgrow its heads of sales bring a head's cost too (a year of a head's hours).
        head_year = a.cost_per_hour.get("head_of_sales", 0.0) * selling_hours_per_fte
        per_heads = heads_cost_of(
            team, head_year, max_reports_per_head=max_reports_per_head, split_departments_at=split_departments_at
        )
        hires, sensitivity = robust_hires(
            opts, now.objective, plan, clients, expected, hires, capacity, a, reserved, heads_cost=per_heads
        )
        for role, further in (sensitivity.get("pilot") or {}).items():  # how to measure the response first
            further["test"] = pilot_design(
                opts, capacity, a, reserved, role, hires[role][0], further["fte"], further["value"], months=pilot_months
            )
        by_rule = {seg for r in rules if r["rule"] == "drop_lowest_tier" for seg in r["segments"]}
        plan, now, spare_rule, extra_opts = use_idle_hours(
            plan, playbooks, now, capacity, reserved, clients, a, expected, stopped=by_rule
        )
        if spare_rule:
            rules.append(spare_rule)
        final = apply_solution(plan, now, selling_hours_per_fte)
        next_use = next_best_use(pd.concat([opts, extra_opts], ignore_index=True), now.choice)
        solved = now
    else:
        final = plan_ideal
        next_use = None
        solved = ideal
        position = team_position(need, dict(ideal.hours_by_role), hires, None, selling_hours_per_fte)
    final, rules = settle_automated(final, rules, by_rule_automated, solved.choice, opts)
    plan_ideal, _ = settle_automated(plan_ideal, [], by_rule_automated, ideal.choice, opts)
    notes = [] if has_team else [artifacts.note("no_team")]
    if assumed:
        notes.append(artifacts.note("margin_assumed", pct=a.assumed_margin_pct))
    if has_team:
        value = clients["margin"] if clients["margin"].notna().any() else clients["revenue"]
        clients["value"] = value.where(
            clients["status"] == "active",
            clients["revenue_total"].where(clients["status"] == "lost", clients["potential"].fillna(0)),
        )
        period = artifacts.load(run_dir, "intake", "period")
        plan_start = pd.Timestamp(period["end"]).normalize() + pd.Timedelta(days=1)
        hoarded = held_without_sale(clients, plan_start, hold_without_sale_months)
        review = largest_unworked(clients, final, set(flagged["client_id"]), **(largest_review or {}))
        reviewed = clients.loc[clients["client_id"].isin(set(review))]
        shares = LargestReviewConfig(**(largest_review or {}))  # the rule's settings, defaults included
        for rule, kind in (
            ("largest_review", reviewed["status"] == "active"),
            ("largest_winback", reviewed["status"] == "lost"),
            ("largest_prospects", reviewed["status"] == "potential"),
        ):
            if kind.any():  # the active largest reviewed, the former large won back: said apart
                rules.append(
                    {
                        "rule": rule,
                        "segments": sorted(reviewed.loc[kind, "segment"].unique()),
                        "clients": int(kind.sum()),
                        "contacts": next(iter(review.values()))[0],
                        "share": shares.prospects_share if rule == "largest_prospects" else shares.top_share,
                    }
                )

        def assign(plan_now: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
            return assign_clients(
                clients,
                plan_now,
                team,
                set(flagged["client_id"]),
                selling_hours_per_fte=selling_hours_per_fte,
                key_account_hours=kam_hours,
                stand_in_efficiency=a.stand_in_efficiency,
                take_back=hoarded,
                max_industries=portfolio_max_industries,
                review=review,
            )

        call_plan, load = assign(final)
        # The owners' hours can leave people idle where the optimiser's split did not (current managers kept):
        # those hours, paid for, go to the segments still automated where contact pays, and owners again.
        booked = {str(k): float(v) for k, v in load.groupby("role")["hours"].sum().items()}
        still_automated = set(final.loc[final["action"] == "automate", "segment"])
        again, solved_again, idle_rule, _ = use_idle_hours(
            plan.assign(action=plan["action"].where(~plan["segment"].isin(still_automated), "automate")),
            playbooks,
            replace(solved, hours_by_role=booked),
            capacity,
            {},
            clients,
            a,
            expected,
            stopped=by_rule,
        )
        if idle_rule:
            if "idle_capacity" in plan:  # the first pass's segments keep their reason
                again["idle_capacity"] = again["idle_capacity"] | plan["idle_capacity"].to_numpy(dtype=bool)
            solved = solved_again  # the plan's choice and the idle segments', hours as booked plus theirs
            final, rules = settle_automated(
                apply_solution(again, solved, selling_hours_per_fte), rules, by_rule_automated, solved.choice, opts
            )
            earlier = next((r for r in rules if r["rule"] == "idle_capacity"), None)
            if earlier:  # one rule for the hours left over, however many passes found them
                earlier.update(
                    segments=earlier["segments"] + idle_rule["segments"],
                    clients=earlier["clients"] + idle_rule["clients"],
                    hours=earlier["hours"] + idle_rule["hours"],
                )
            else:
                rules.append(idle_rule)
            call_plan, load = assign(final)
        artifacts.write_csv(call_plan.round({"hours": 2, "contacts_per_year": 2}), Path(run_dir) / "call_plan.csv")
        by_client = artifacts.load(run_dir, "criteria", "forecast_clients", optional=True)
        tested = info is not None and info["backtested"]
        call_rules = dict(calls or {})
        first_day = call_rules.pop("start", None)  # the lists start when the plan is made, not when the data ends
        calls_start = pd.Timestamp(first_day) if first_day else max(plan_start, pd.Timestamp.now().normalize())
        lists = call_lists(
            call_plan,
            criteria,
            calls_start,
            p_buy=by_client.set_index("client_id")["p_buy"] if tested and by_client is not None else None,
            **call_rules,
        )
        artifacts.write_csv(lists, Path(run_dir) / "call_lists.csv")
        saved["call_lists"] = lists
        # One plan: the hours each role gives are the assignment's (kept managers included), not a model's.
        used = {str(k): float(v) for k, v in load.groupby("role")["hours"].sum().items()}
        position = team_position(need, used, hires, team, selling_hours_per_fte)
        position, after = team_after_hires(
            position, max_reports_per_head=max_reports_per_head, split_departments_at=split_departments_at
        )
        saved.update(call_plan=call_plan, load=load, quality=assignment_quality(call_plan, load, clients))
        saved["portfolio_mix"] = portfolio_mix(call_plan, clients, portfolio_max_industries)
    # What the plan's contact work is expected to bring and to cost a year (key accounts aside), once the
    # hours left idle after the owners were booked have been given out too.
    plan_value = {"value": float(solved.choice["value"].sum()), "cost": float(solved.choice["cost"].sum())}
    # Heads for the sellers there will be: with a team, today's plus the hires that pay; else the plan's.
    sellers = after["sellers"] if after else whole_sellers(need)
    rules.append(
        {
            "rule": "span_of_control",
            "segments": [],
            "clients": 0,
            "fte": math.ceil(sellers / max_reports_per_head),  # by span alone; departments may add
            "max": max_reports_per_head,
        }
    )
    rules += department_rules(
        need,
        max_reports_per_head=max_reports_per_head,
        split_departments_at=split_departments_at,
        after_hires=after,
    )
    artifacts.save(
        run_dir,
        "allocation",
        plan=final,
        plan_split=solved.split,
        plan_choice=solved.choice,  # the option each worked segment got, idle-hours passes included
        plan_ideal=plan_ideal,
        options=opts,
        break_even=over,
        rules=rules,
        fte=position,
        notes=notes,
        **saved,
        settings={
            "selling_hours_per_fte": selling_hours_per_fte,
            "max_reports_per_head": max_reports_per_head,
            "split_departments_at": split_departments_at,
            "accounts_per_kam": accounts_per_kam,
            "currency": currency,
            "cost_per_hour": cost_per_hour,
            "assumed_margin_pct": a.assumed_margin_pct,
            "margin_assumed": assumed,
            "max_cost_share": a.max_cost_share,
            "response_share": a.response_share,
            "half_contacts": a.half_contacts,
            "winback_share": a.winback_share,
            "conversion_rate": a.conversion_rate,
            "new_client_years": a.new_client_years,
            "stand_in_efficiency": a.stand_in_efficiency,
            "variable_cost_share": a.variable_cost_share,
            "remote_hours": a.remote_hours,
            "remote_effect": a.remote_effect,
            "stand_in": {k: list(v) for k, v in STAND_IN.items()},
            "hires": {r: {"fte": k, "value": v} for r, (k, v) in hires.items()},
            "team_after_hires": after,
            "hires_sensitivity": sensitivity,
            "calls": dict(calls or {}),
            "next_best_use": next_use,
            "plan_value": plan_value,
            "stop_segments": list(stop_segments or []),
            "hold_without_sale_months": hold_without_sale_months,
            "portfolio_max_industries": portfolio_max_industries,
            "largest_review": dict(largest_review or {}),
            "pilot_months": pilot_months,
        },
    )
    return {"plan": final, "plan_ideal": plan_ideal, "rules": rules, "fte": position, "notes": notes, **saved}
