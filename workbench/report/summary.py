"""The run's conclusions as data: what page 1 says, and ``summary.json`` says the same.

:func:`build` reads a run's artifacts and returns the segments, the roles,
the key accounts and the decisions (the page-1 sentences, in the report's
language). The report's cover renders those sentences; ``workbench run``
writes the same dictionary to ``summary.json`` (schema in
``docs/summary.md``), so a CRM or a dashboard reads what the client reads.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from .. import artifacts
from .i18n import MISSING, Translator


def run_translator(run_dir: str | Path, language: str, currency: str) -> Translator:
    """The run's translator: where no group had a known potential, A is named by profitability alone.

    Without potential, A is the top profit quantile only; calling it "high
    potential" would claim what the data cannot show. The labels and rules of
    ``segments_no_potential`` then replace those of A. Likewise, where the
    data holds too little history before the window to call a client lost
    (``criteria.lost_min_history_months``), the lost are named inactive; and
    where the clients the rule called C a year ago did not outgrow the base,
    C is not called "growth potential" (``grouping.growth_check``).
    """
    t = Translator(language, currency)
    info = artifacts.load(run_dir, "grouping", "info", optional=True) or {}
    split = info.get("potential_split") or {}
    if split and not any(split.values()):
        for group in ("segments", "segments_rule"):
            t.texts[f"{group}.A"] = t(f"segments_no_potential.{group}_A")
    check = info.get("growth_check") or {}
    untested = any(n.get("key") == "growth_untested" for n in info.get("notes") or [])
    if check.get("confirmed") is False or untested:  # growth not borne out, or not testable: the label goes
        t.texts["segments.C"] = t("segments_growth_unconfirmed.C")
    if info.get("profit_basis") == "revenue":  # without cost, E is returns above purchases, not a loss
        t.texts["segments.E"] = t("segments_revenue_basis.segments_E")
        t.texts["segments_rule.E"] = t("segments_revenue_basis.segments_rule_E")
    meta = artifacts.load(run_dir, "criteria", "meta", optional=True) or {}
    if meta.get("lost_history_short"):
        for key in ("status.lost", "segments.lost", "segments_short.lost", "segments_inline.lost"):
            t.texts[key] = t(f"lost_history_short.{key.replace('.', '_')}")
        t.texts["cover.f_base_part.lost"] = t("lost_history_short.f_base_part_lost")
    return t


def build(run_dir: str | Path, t: Translator) -> dict:
    """The conclusions of a run: ``company``, ``segments``, ``roles``, ``key_accounts``, ``money``, ``decisions``."""
    load = lambda step, name, optional=False: artifacts.load(run_dir, step, name, optional=optional)  # noqa: E731
    ranked = load("priorities", "priorities")
    meta = load("priorities", "meta")
    plan = load("allocation", "plan").set_index("segment")
    fte = load("allocation", "fte")
    settings = load("allocation", "settings")
    # The largest clients of unworked segments keep an owner: page 1 says so beside the stops.
    # So do lost clients who used to buy as much as the largest: a personal win-back.
    largest = ("largest_review", "largest_winback", "largest_prospects")
    owned = {r["rule"]: r for r in load("allocation", "rules") if r["rule"] in largest}
    settings = {
        **settings,
        "review": owned.get("largest_review"),
        "winback": owned.get("largest_winback"),
        "prospects": owned.get("largest_prospects"),
    }
    criteria = load("criteria", "criteria")
    segments = load("grouping", "segments")
    flagged = load("priorities", "key_accounts")
    call_plan = load("allocation", "call_plan", optional=True)
    merged = criteria.merge(segments, on="client_id")
    sources = merged.pivot_table(
        index="segment", columns="potential_source", values="client_id", aggfunc="size", fill_value=0
    )
    rate = settings["cost_per_hour"]
    # Who works a segment is who its clients are assigned to (most of them), as the report's tables say.
    assigned = assigned_roles(run_dir)
    main = {} if assigned is None else assigned.drop_duplicates("segment").set_index("segment")["role"].to_dict()
    rows = []
    for card in ranked.to_dict("records"):
        seg = card["segment"]
        p = plan.loc[seg] if seg in plan.index else None
        hours = float(p["hours"]) if p is not None else 0.0
        worker = (
            "none" if p is None else str(main.get(seg, p["worked_by"]) if p["action"] == "work" else p["worked_by"])
        )
        rows.append(
            {
                "segment": seg,
                "label": t.label("segments", seg),
                "tier": int(card["tier"]),
                "rank": int(card["rank"]),
                "clients": int(card["clients"]),
                "revenue": float(card["revenue"]),
                "margin": None if pd.isna(card["margin"]) else float(card["margin"]),
                "potential_source": {str(k): int(v) for k, v in sources.loc[seg].items() if v}
                if seg in sources.index
                else {},
                "contacts_per_year": float(p["contacts_per_year"]) if p is not None else 0.0,
                "workload_hours": hours,
                "workload_cost": hours * rate.get(worker, 0.0),
                "action": str(p["action"]) if p is not None else "stop",
                "worked_by": worker,
                "reason": str(p["reason"]) if p is not None else "",
            }
        )
    roles = [
        {
            "role": r["role"],
            "needed_fte": round(float(r["fte_needed"]), 2),
            "available_fte": None if pd.isna(r["fte_available"]) else round(float(r["fte_available"]), 2),
            "people": None if pd.isna(r.get("people")) else int(r["people"]),
            "used_fte": round(float(r["fte_used"]), 2),
            "idle_fte": None if pd.isna(r["fte_idle"]) else round(float(r["fte_idle"]), 2),
            "hire_fte": None if pd.isna(r["hire_fte"]) else int(r["hire_fte"]),
            "hire_value": None if pd.isna(r["hire_value"]) else round(float(r["hire_value"]), 2),
            "recommendation": r["recommendation"],
        }
        for r in fte.to_dict("records")
    ]
    keys = [
        {
            "client_id": str(k["client_id"]),
            "share": round(float(k["share"]), 4),
            "flag": k["flag"],
            "kinds": [kind for kind in str(k.get("kinds") or "").split(",") if kind],
        }
        for k in flagged.to_dict("records")
    ]
    info = load("criteria", "forecast_info", optional=True)
    metrics = load("criteria", "backtest", optional=True)
    tested = {}
    if metrics is not None and len(metrics):
        keep = ["top_share", "rank_correlation", "total_ratio", "mae", "precision", "recall"]
        for m in metrics.to_dict("records"):
            if m["model"] in ((info or {}).get("chosen"), "naive", "perfect_foresight"):
                tested[m["model"]] = {k: None if pd.isna(m[k]) else round(float(m[k]), 4) for k in keep}
    by_segment = load("priorities", "forecast", optional=True)
    bands = (
        {
            str(r["segment"]): {
                "revenue": round(float(r["revenue"]), 2),
                "revenue_band": None if pd.isna(r["revenue_band"]) else round(float(r["revenue_band"]), 2),
            }
            for r in by_segment.to_dict("records")
        }
        if by_segment is not None
        else {}
    )
    return {
        "forecast": None if info is None else {**info, "metrics": tested, "by_segment": bands},
        "segments": rows,
        "roles": roles,
        "key_accounts": keys,
        "key_account_basis": meta["key_account_basis"],
        "money": money(merged, t),
        "decisions": decisions(rows, roles, merged, meta, call_plan, settings, t) + forecast_warning(info, tested, t),
    }


def assigned_roles(run_dir: str | Path) -> pd.DataFrame | None:
    """Who actually works each segment: the roles of the managers the clients are assigned to, with counts.

    The call plan is what the managers receive, so the report names these roles (a segment planned for
    one role may be handed to stand-ins of another). Returns ``segment, role, clients`` (most clients
    first within a segment), or None without a team.
    """
    plan = artifacts.load(run_dir, "allocation", "call_plan", optional=True)
    load = artifacts.load(run_dir, "allocation", "load", optional=True)
    if plan is None or load is None:
        return None
    worked = plan.loc[(plan["action"] == "work") & plan["manager_id"].notna()]
    roles = worked["manager_id"].map(dict(zip(load["manager_id"], load["role"], strict=True)))
    counts = worked.assign(role=roles).groupby(["segment", "role"]).size().rename("clients").reset_index()
    return counts.sort_values(["segment", "clients"], ascending=[True, False], ignore_index=True)


def playbooks(run_dir: str | Path, t: Translator) -> pd.DataFrame:
    """The playbook of each segment as the plan works it (the report's chapter 5 and ``plan.xlsx``).

    One plan: the frequency, the hours per contact, the channel (the remote
    one when the plan chose it) and the role that works a segment are the
    allocation's, not the template's; the role is the one most of the
    segment's clients are assigned to (:func:`assigned_roles`), as in the
    report's plan table and the call plan; ``action`` is the plan's (work,
    automate, stop).
    """
    table = artifacts.load(run_dir, "playbooks", "playbooks")
    plan = artifacts.load(run_dir, "allocation", "plan").set_index("segment")
    action = table["segment"].map(plan["action"]).fillna("stop")
    assigned = assigned_roles(run_dir)  # who the clients are handed to: the role named everywhere
    main_role = (
        pd.Series(dtype=object)
        if assigned is None
        else assigned.drop_duplicates("segment").set_index("segment")["role"]
    )

    def as_planned(field: str, values: pd.Series) -> list[str]:
        """A template's channel, contact and resources; for a segment automated or stopped, how it is served.

        A stopped segment's resources are the margin review only where its margin is negative (E); a
        stopped segment of prospects or small clients needs none.
        """

        def served(a: str, segment: str) -> str:
            if a == "stop" and field == "resources" and segment != "E":
                return MISSING
            return t(f"playbooks.{a}_{field}")

        return [
            served(a, seg) if a in ("automate", "stop") else v
            for a, seg, v in zip(action, table["segment"], values, strict=True)
        ]

    channel = [
        t("playbooks.remote_channel") if plan["channel"].get(s) == "remote" else c
        for s, c in zip(table["segment"], table["channel"], strict=True)
    ]
    return table.assign(
        standard_contacts=table["contacts_per_year"],  # the template's standard, said beside the plan's
        standard_hours=table["hours_per_contact"],
        contacts_per_year=table["segment"].map(plan["contacts_per_year"]).fillna(0),
        hours_per_contact=table["segment"].map(plan["hours_per_contact"]).fillna(table["hours_per_contact"]),
        channel=as_planned("channel", pd.Series(channel, index=table.index)),
        contact_person=as_planned("contact_person", table["contact_person"]),
        resources=as_planned("resources", table["resources"]),
        role=table["segment"]
        .map(main_role)
        .astype(object)
        .fillna(table["segment"].map(plan["worked_by"]))
        .fillna("none"),
        own_role=table["segment"].map(plan["role"]).fillna("none"),  # the segment's role, when a stand-in works it
        action=action,
    )


def money(criteria: pd.DataFrame, t: Translator) -> str:
    """Page 1's first finding: what the active clients bought in the period, and the margin when cost is known."""
    active = criteria.loc[criteria["status"] == "active"]
    revenue = active["revenue"].sum()
    if not active["margin"].notna().any():
        return t("cover.d_money_no_cost", revenue=t.money_round(revenue))
    margin = active["margin"].sum()
    return t(
        "cover.d_money",
        revenue=t.money_round(revenue),
        margin=t.money_round(margin),
        pct=t.pct(margin / revenue if revenue else 0, 0),
    )


def redeploy_break_even(idle_cost: float, criteria: pd.DataFrame, settings: dict) -> dict | None:
    """How many new clients a year the idle time must win to pay for itself, as step 6 values a new client.

    A client won brings the median active client's margin a year (revenue x
    ``assumed_margin_pct`` without cost, ``economics.typical_client_margin``)
    for ``new_client_years`` years, as step 6 values a never-bought client; a year's wins must pay a year's idle
    cost, so ``wins = idle_cost / (margin x years)`` (rounded up), and at
    ``conversion_rate`` of the prospects reached won, ``reach = wins /
    conversion_rate``. None where no active client has a margin to go by.
    """
    from ..allocation.economics import typical_client_margin

    client_margin = typical_client_margin(criteria, settings.get("assumed_margin_pct", 0.0))
    years = float(settings.get("new_client_years", 3.0))
    conversion = float(settings.get("conversion_rate", 0.05))
    if not (client_margin > 0 and years > 0 and conversion > 0 and idle_cost > 0):
        return None
    wins = math.ceil(idle_cost / (client_margin * years))
    return {
        "wins": wins,
        "reach": math.ceil(wins / conversion),
        "active": int((criteria["status"] == "active").sum()),
        "client_margin": client_margin,
        "years": int(years) if years == int(years) else years,
        "conversion": conversion,
    }


def decisions(
    segments: list[dict],
    roles: list[dict],
    criteria: pd.DataFrame,
    meta: dict,
    call_plan: pd.DataFrame | None,
    settings: dict,
    t: Translator,
) -> list[str]:
    """The page-1 recommendations: which segments first and why, the team change, the first wave."""
    out = []
    # An automated segment's largest clients have an owner (a review, a win-back, a prospect's visit), said in
    # their own sentence: the automation sentences count the rest.
    owned: dict = {}
    if call_plan is not None and "review" in call_plan:
        mine = call_plan.loc[call_plan["review"].astype(bool) & call_plan["manager_id"].notna()]
        owned = mine.groupby("segment").size().to_dict()

    def automated_clients(segs: list[dict]) -> int:
        return sum(s["clients"] - owned.get(s["segment"], 0) for s in segs)

    first = [s for s in segments if s["tier"] == 1 and s["action"] == "work"]
    if first:
        lead = meta.get("goal_lead")
        basis = "margin" if any(s["margin"] is not None for s in segments) else "revenue"
        # The share as the chapters' tables give it: of the whole base's (net) margin, so page 1 and ch. 3-4 agree.
        total = sum(s[basis] or 0 for s in segments)
        share = sum(s[basis] or 0 for s in first) / total if total > 0 else 0.0
        names = _names(first, t)
        key = ("cover.d_first_moved" if lead else "cover.d_first") + ("" if basis == "margin" else "_revenue")
        out.append(
            t(
                key,
                segments=names,
                clients=t.number(sum(s["clients"] for s in first)),
                share=t.pct(share, 0),
                was=t.label("segments", lead["was_first"]) if lead else "",
            )
        )
    # automated by the method's rule ("" : it still does not pay against the hours' other uses), by the
    # optimiser because contact costs more than it brings ("optimised"), or because the hours bring more elsewhere
    by_rule = [s for s in segments if s["action"] == "automate" and s["reason"] not in ("optimised", "capacity")]
    base = sum(s["clients"] for s in segments)
    # The method's routine for its lowest tier is a decision only where it moves clients that matter:
    # one lost client of 91 (Northwind) is left to chapter 6's rules.
    moved = sum(s["clients"] for s in by_rule)
    if by_rule and moved >= max(MATERIAL_SHARE * base, MATERIAL_CLIENTS):
        out.append(
            t(
                "cover.d_automate_rule",
                segments=_names(by_rule, t),
                clients=t.number(automated_clients(by_rule)),
            )
        )
    review, winback = settings.get("review"), settings.get("winback")
    if review or winback:  # both kinds of largest client in one sentence: the same rule, the same contacts
        r: dict = review or winback or {}
        key = "cover.d_review_winback" if review and winback else "cover.d_review" if review else "cover.d_winback"
        out.append(
            t(
                key,
                n=t.number(r["clients"]),
                lost=t.number((winback or {}).get("clients", 0)),
                share=t.pct(r["share"], 0),
                segments=_names([{"segment": x} for x in r["segments"]], t),
                contacts=t.decimal(r["contacts"]),
            )
        )
    prospects = settings.get("prospects")
    if prospects:  # the largest never-bought clients: a hunter in person, whatever the segment's remote contact
        out.append(
            t(
                "cover.d_prospects",
                n=t.number(prospects["clients"]),
                share=t.pct(prospects["share"], 0),
                contacts=t.decimal(prospects["contacts"]),
            )
        )
    for_hours = [s for s in segments if s["action"] == "automate" and s["reason"] == "capacity"]
    if for_hours:
        out.append(
            t(
                "cover.d_automate_capacity",
                segments=_names(for_hours, t),
                clients=t.number(automated_clients(for_hours)),
            )
        )
    automated = [s for s in segments if s["action"] == "automate" and s["reason"] == "optimised"]
    if automated:
        out.append(
            t(
                "cover.d_automate_assumed" if settings.get("margin_assumed") else "cover.d_automate",
                segments=_names(automated, t),
                clients=t.number(automated_clients(automated)),
                pct=t.pct(settings.get("assumed_margin_pct", 0), 0),
            )
        )
    hires, idle, heads = [], [], []
    for r in roles:
        role = t.inline("roles", r["role"])
        if r["recommendation"] == "hire" and r["role"] == "head_of_sales":
            after = settings.get("team_after_hires")  # with a team: its sellers after the hires that pay
            sellers = (
                after["sellers"]
                if after
                else sum(math.ceil(round(x["needed_fte"], 6)) for x in roles if x["role"] != "head_of_sales")
            )
            total = t.number(sum(x["needed_fte"] for x in roles if x["role"] != "head_of_sales"), 1)
            at = settings.get("split_departments_at")
            heads.append(
                t(
                    "cover.d_hire_head_split" if at is not None and sellers >= at else "cover.d_hire_head",
                    lead=sellers_lead({**(after or {}), "sellers": sellers, "total": total}, t, "cover"),
                    fte=t.number(r["needed_fte"] - (r["available_fte"] or 0), 0),
                    max=settings["max_reports_per_head"],
                    departments=t.number(r["needed_fte"]),
                    at=at,
                )
            )
        elif r["recommendation"] == "hire":
            lower = (settings.get("hires_sensitivity") or {}).get("roles", {}).get(r["role"])
            if r.get("hire_fte") and lower is not None:  # the gain at half the assumed response, beside it
                hires.append(
                    t(
                        "cover.d_hire_role_sensitive",
                        role=role,
                        fte=t.number(r["hire_fte"]),
                        value=t.money_round(r["hire_value"]),
                        lower_value=t.money_round(lower),
                        lower=t.pct(settings["hires_sensitivity"]["response_share"], 0),
                        response=t.pct(settings.get("response_share", 0), 0),
                    )
                )
            elif r.get("hire_fte"):
                hires.append(
                    t("cover.d_hire_role", role=role, fte=t.number(r["hire_fte"]), value=t.money_round(r["hire_value"]))
                )
            else:
                hires.append(t("cover.d_fte", role=role, fte=t.number(r["needed_fte"] - (r["available_fte"] or 0), 1)))
        elif r["recommendation"] == "redeploy":
            idle.append(t("cover.d_fte", role=role, fte=t.number(r["idle_fte"] or 0, 1)))
    if any(r["available_fte"] is not None for r in roles):
        out.extend(heads)
        if hires and idle:  # both: the idle time is not a reason to cut, nor enough to spare the hires
            out.append(t("cover.d_hire_idle", roles=t.join(hires), idle=t.join(idle)))
        elif hires:
            out.append(t("cover.d_hire", roles=t.join(hires)))
        sensitivity = settings.get("hires_sensitivity") or {}
        led = sum((sensitivity.get("heads_cost") or {}).values())  # the heads the recommended hires bring
        if hires and led:
            out.append(t("cover.d_hire_heads", cost=t.money_round(led)))
        pilot = sensitivity.get("pilot") or {}  # hires that pay only at the assumed response: a pilot first
        if pilot:
            out.append(
                t(
                    "cover.d_pilot",
                    roles=t.join(
                        t(
                            "cover.d_pilot_role",
                            fte=t.number(extra["fte"]),
                            role=t.inline("roles", role),
                            value=t.money_round(extra["value"]),
                        )
                        for role, extra in pilot.items()
                    ),
                    response=t.pct(settings.get("response_share", 0), 0),
                    lower=t.pct(sensitivity["response_share"], 0),
                )
            )
        nxt = settings.get("next_best_use")
        idle_alone = idle and not hires  # beside hires, the idle time is said with them (d_hire_idle)
        variable = settings.get("variable_cost_share", 1.0)  # the paid team's hour adds only this share of its cost
        # The hours the plan uses and a named use for the rest: no segment takes more contact even on paid hours.
        if idle_alone and nxt and nxt["extra_value"] <= variable * nxt["extra_cost"]:
            per_fte = settings.get("selling_hours_per_fte", 1000)
            sellers = [r for r in roles if r["role"] != "head_of_sales"]
            # "finding new clients": beyond the data's own prospects where the plan already works them
            listed = any(s["segment"] == "potential" and s["action"] == "work" for s in segments)
            # "the team's size" with its arithmetic: what the sellers' time costs a year against the margin
            rates = settings.get("cost_per_hour") or {}
            team_cost = sum((r["available_fte"] or 0) * per_fte * rates.get(r["role"], 0.0) for r in sellers)
            margin = sum(s["margin"] or 0 for s in segments)
            assumed = not margin  # no cost in the data: margin at the assumed share of revenue, and said so
            if assumed:
                margin = sum(s["revenue"] or 0 for s in segments) * settings.get("assumed_margin_pct", 0.0)
            used = sum(r.get("used_fte") or 0 for r in sellers) * per_fte
            idle_cost = sum((r.get("idle_fte") or 0) * per_fte * rates.get(r["role"], 0.0) for r in sellers)
            even = redeploy_break_even(idle_cost, criteria, settings)
            prospects = int((criteria["status"] == "potential").sum())
            margin_text = t.money_round(margin)
            if assumed:
                margin_text = t(
                    "cover.margin_at_assumed", margin=margin_text, pct=t.pct(settings.get("assumed_margin_pct", 0), 0)
                )
            where = t("cover.beyond_data") if listed else t("cover.in_data", prospects=t.number(prospects))
            time = t(
                "cover.d_redeploy_time_listed" if listed else "cover.d_redeploy_time",
                roles=t.join(idle),
                used=t.number(used),
                available=t.number(sum(r["available_fte"] or 0 for r in sellers) * per_fte),
            )
            if even:  # one decision: the idle time, what it must win to stay, else the team's size
                use = t(
                    "cover.d_redeploy_break_even",
                    idle_cost=t.money_round(idle_cost),
                    where=where,
                    wins=t.number(even["wins"]),
                    active=t.number(even["active"]),
                    client_margin=t.money_round(even["client_margin"]),
                    years=t.number(even["years"]),
                    conversion=t.pct(even["conversion"], 0),
                    reach=t.number(even["reach"]),
                    team_cost=t.money_round(team_cost),
                    margin=margin_text,
                    keep=t.number(max(1, math.ceil(used / per_fte))),
                )
            else:
                use = t("cover.d_redeploy_size", where=where, team_cost=t.money_round(team_cost), margin=margin_text)
            out.append(f"{time} {use}")
        elif idle_alone:
            out.append(t("cover.d_redeploy", roles=t.join(idle)))
        if not hires and not idle and not heads:
            out.append(t("cover.d_team_ok"))
    else:
        # Without a team this is a workload, not a hiring plan: the hours, and the sellers they make.
        sellers = [r for r in roles if r["needed_fte"] > 0.05 and r["role"] != "head_of_sales"]
        if sellers:
            per_fte = settings.get("selling_hours_per_fte", 1000)
            out.append(
                t(
                    "cover.d_team_needed",
                    # the plan table's hours (chapter 6), not FTE rounded back to hours
                    hours=t.number(sum(s.get("workload_hours") or 0 for s in segments if s["action"] == "work")),
                    per_fte=t.number(per_fte),
                    roles=t.join(
                        t("cover.d_fte", role=t.inline("roles", r["role"]), fte=t.number(r["needed_fte"], 1))
                        for r in sellers
                    ),
                )
            )
    if call_plan is not None:
        worked = call_plan.loc[call_plan["action"] == "work"]
        waiting = int((worked["status"] == "unassigned").sum())
        key = "cover.d_wave" if not waiting else "cover.d_wave_waiting"
        out.append(t(key, named=t.number(worked["manager_id"].notna().sum()), waiting=t.number(waiting)))
    return out


def sellers_lead(counts: dict, t: Translator, where: str) -> str:
    """Who the head count is for: the sellers the plan needs, or the team after the plan's hires.

    ``counts`` has ``sellers`` and, for a team, ``now`` and ``hired``
    (:func:`~workbench.allocation.step.team_after_hires`); without them the
    sellers are the plan's (``total``: its FTE, for page 1). ``where`` is the
    catalogue's section: ``cover`` (mid-sentence) or ``rules`` (a sentence's start).
    """
    sellers = t.number(counts["sellers"])
    if counts.get("now") is None:
        return t(f"{where}.sellers_plan", sellers=sellers, total=counts.get("total", ""))
    key = "sellers_team" if counts.get("hired") else "sellers_kept"
    return t(f"{where}.{key}", sellers=sellers, now=t.number(counts["now"]), hired=t.number(counts["hired"]))


def first_worked(ranked: pd.DataFrame, plan: pd.DataFrame | None) -> pd.DataFrame:
    """The segments page 1 says to work first: the top tier's segments the plan works.

    The whole top tier where the plan works none of them, or there is no plan yet.
    """
    top = ranked.loc[ranked["tier"] == ranked["tier"].min()]
    if plan is None:
        return top
    worked = set(plan.loc[plan["action"] == "work", "segment"])
    chosen = top.loc[top["segment"].isin(worked)]
    return chosen if len(chosen) else top


def _names(segments: list[dict], t: Translator) -> str:
    """Segments named in a sentence, listed as the locale lists: "A, B and potential clients".

    ABCDE classes by their letters (their labels hold commas), others by their label as it reads mid-sentence.
    """

    def name(code: str) -> str:
        if len(code) <= 2:
            return code
        inline = t.label("segments_inline", code)  # "C and potential clients", «C и потенциальные клиенты»
        return inline if inline != code else t.inline("segments", code)

    return t.join(name(s["segment"]) for s in segments)


#: A routine outcome (the lowest tier automated by rule) is said on page 1 from this share of the clients on,
#: and from this many clients.
MATERIAL_SHARE = 0.01
MATERIAL_CLIENTS = 5

#: A forecast is weak enough to say so on page 1 when its total is off by more than this share...
WEAK_TOTAL = 0.25
#: ...or its top 20 % hold less than this share of what perfect foresight's would.
WEAK_RANKING = 0.8


def forecast_warning(info: dict | None, metrics: dict, t: Translator) -> list[str]:
    """A page-1 sentence only when the forecast behind the plan's expected figures is untested or weak."""
    if info is None:
        return []
    if not info["backtested"]:
        params = info["reason_params"]
        return [
            t(
                "cover.d_forecast_untested",
                history=params.get("history_months", ""),
                required=params.get("required_months", ""),
            )
        ]
    chosen, ceiling = metrics.get(info["chosen"]), metrics.get("perfect_foresight")
    if not chosen or not ceiling or chosen["total_ratio"] is None or chosen["top_share"] is None:
        return []
    off = abs(chosen["total_ratio"] - 1)
    ranking = chosen["top_share"] / ceiling["top_share"] if ceiling["top_share"] else 1.0
    if off > WEAK_TOTAL or ranking < WEAK_RANKING:
        return [t("cover.d_forecast_weak", off=t.pct(off, 0), ranking=t.pct(ranking, 0))]
    return []
