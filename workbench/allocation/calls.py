"""Call lists: who to call first, and when, under the seeds' rules.

The plan (``assignment.assign_clients``) says who owns which client and how
often; the call lists turn that into a ranked, dated list per manager:

- ``winback``: lost clients the plan works whose past margin is positive, ranked by it
  (revenue without cost) weighted by recency: ``past x 0.5 ** (months since
  the last purchase / winback_half_life_months)``, so a client that brought
  much and left recently comes first;
- ``activation``: clients that never bought, worked by hunters, ranked by
  their potential where it is known (then by name);
- ``retention``: active clients the backtested forecast gives less than
  ``at_risk_p_buy`` chance of buying again over its horizon, ranked by margin
  (only when the forecast's "buys again" was tested: the naive forecast
  calls every active client a buyer, so it makes no such list);
- ``holding``: clients the plan does not work now (a stopped segment,
  waiting for capacity, or a lost client whose whole history brought no
  margin): due again after ``holding_months``. Automated
  segments are not in it: automation works them.

Dates: the first contacts of each manager's list are spread over one contact
interval in rank order (the top of the list first); the next contact follows
one interval later. The interval is ``365 / contacts_per_year`` days and
never shorter than ``cold_call_gap_days``: cold calls to the same client at
least a month apart.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LISTS = ("winback", "activation", "retention", "holding")
COLUMNS = [
    "list",
    "rank",
    "client_id",
    "name",
    "segment",
    "manager_id",
    "manager_name",
    "reason",
    "value",
    "basis",
    "last_purchase",
    "due_date",
    "next_due",
]


def call_lists(
    call_plan: pd.DataFrame,
    criteria: pd.DataFrame,
    start: pd.Timestamp,
    *,
    p_buy: pd.Series | None = None,
    holding_months: int = 6,
    cold_call_gap_days: int = 30,
    winback_half_life_months: float = 12,
    at_risk_p_buy: float = 0.5,
) -> pd.DataFrame:
    """The ranked, dated call lists (see the module docstring).

    Parameters
    ----------
    call_plan : DataFrame
        ``assign_clients``'s call plan: ``client_id, segment, action,
        manager_id, manager_name, contacts_per_year, status``.
    criteria : DataFrame
        Step 2's table: ``client_id, status, revenue, margin, revenue_total,
        margin_total, last_purchase, potential`` and optionally ``name``.
    start : Timestamp
        The plan's first day (the day after the analysis date).
    p_buy : Series, optional
        Chance of buying again over the forecast horizon per ``client_id``,
        from a forecast whose "buys again" was backtested; None: no retention list.
    holding_months, cold_call_gap_days, winback_half_life_months, at_risk_p_buy
        The rules' parameters (documented defaults in ``config.CallListsConfig``).

    Returns
    -------
    DataFrame
        :data:`COLUMNS`; ``rank`` is 1-based within each list and manager
        (holding: within the list); ``reason`` is a code: ``lost``,
        ``never_bought``, ``at_risk``, ``stopped``, ``waiting``, ``no_margin``; ``basis`` says
        what ``value`` measures, since each list ranks by its own measure:
        ``past_margin_weighted`` / ``past_revenue_weighted`` (win-back),
        ``potential`` (a yearly potential, not expected revenue: activation),
        ``margin`` / ``revenue`` (retention), ``past_margin`` / ``past_revenue`` (holding).
    """
    if cold_call_gap_days < 1 or holding_months < 1:
        raise ValueError("cold_call_gap_days and holding_months must be at least 1")
    start = pd.Timestamp(start).normalize()
    crit = criteria.set_index("client_id")
    plan = call_plan.set_index("client_id")
    wanted = ("status", "name", "margin", "revenue", "margin_total", "revenue_total", "last_purchase", "potential")
    df = (
        plan[["segment", "action", "manager_id", "manager_name", "contacts_per_year"]]
        .join(crit[[c for c in wanted if c in crit]])
        .rename(columns={"status": "status_client"})
    )
    has_cost = "margin" in df and df["margin"].notna().any()
    past = df["margin_total"] if has_cost else df["revenue_total"]
    current = df["margin"] if has_cost else df["revenue"]
    money = "margin" if has_cost else "revenue"
    worked = (df["action"] == "work") & df["manager_id"].notna()
    status = df["status_client"]
    parts = []

    months_since = (start - df["last_purchase"]).dt.days / 30.4375
    # A lost client that brought no margin over its whole history is not won back first thing: it waits in
    # the holding list (reason ``no_margin``) for a look at its terms, as the active negative-margin clients do.
    unprofitable = worked & (status == "lost") & (past <= 0)
    winback = worked & (status == "lost") & ~unprofitable
    weight = np.power(0.5, months_since / winback_half_life_months)
    parts.append(
        _ranked(df.loc[winback], "winback", "lost", (past * weight)[winback], start, cold_call_gap_days).assign(
            basis=f"past_{money}_weighted"
        )
    )

    activation = worked & (status == "potential")
    potential = df["potential"] if "potential" in df else pd.Series(np.nan, index=df.index)
    parts.append(
        _ranked(
            df.loc[activation], "activation", "never_bought", potential[activation], start, cold_call_gap_days
        ).assign(basis="potential")
    )

    if p_buy is not None:
        chance = df.index.to_series().map(p_buy)
        at_risk = worked & (status == "active") & (chance < at_risk_p_buy)
        parts.append(
            _ranked(df.loc[at_risk], "retention", "at_risk", current[at_risk], start, cold_call_gap_days).assign(
                basis=money
            )
        )

    held = (~worked & df["action"].isin(["work", "stop"])) | unprofitable  # automated segments: by automation
    holding = df.loc[held].copy()
    holding["reason"] = np.where(
        unprofitable[held], "no_margin", np.where(holding["action"] == "stop", "stopped", "waiting")
    )
    holding["value"] = past[held]
    holding["basis"] = f"past_{money}"
    holding = holding.sort_values(["value", "name"] if "name" in holding else ["value"], ascending=False)
    holding["list"] = "holding"
    holding["rank"] = np.arange(1, len(holding) + 1)
    holding["due_date"] = start + pd.DateOffset(months=holding_months)
    holding["next_due"] = holding["due_date"] + pd.DateOffset(months=holding_months)
    parts.append(holding)

    out = (
        pd.concat([p.reset_index() for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else None
    )
    if out is None:
        return pd.DataFrame(columns=COLUMNS)
    if "name" not in out:
        out["name"] = ""
    out["list"] = pd.Categorical(out["list"], categories=list(LISTS))
    out = out.sort_values(["list", "manager_id", "rank"], na_position="last").reset_index(drop=True)
    out["list"] = out["list"].astype(str)
    return out[COLUMNS]


def _ranked(
    df: pd.DataFrame, name: str, reason: str, value: pd.Series, start: pd.Timestamp, gap_days: int
) -> pd.DataFrame:
    """One worked list: ranked by ``value`` (largest first, unknown last) within each manager, dated."""
    if df.empty:
        return df
    out = df.assign(value=value, list=name, reason=reason)
    tie = out["name"].fillna("") if "name" in out else pd.Series("", index=out.index)
    out = out.assign(_tie=tie).sort_values(
        ["manager_id", "value", "_tie"], ascending=[True, False, True], na_position="last"
    )
    out["rank"] = out.groupby("manager_id").cumcount() + 1
    size = out.groupby("manager_id")["rank"].transform("size")
    interval = (365.0 / out["contacts_per_year"].where(out["contacts_per_year"] > 0)).fillna(365.0).clip(lower=gap_days)
    offset = np.floor((out["rank"] - 1) / size * interval).astype(int)
    out["due_date"] = start + pd.to_timedelta(offset, unit="D")
    out["next_due"] = out["due_date"] + pd.to_timedelta(np.ceil(interval).astype(int), unit="D")
    return out.drop(columns="_tie")
