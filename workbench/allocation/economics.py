"""What working a segment costs and brings, and the contact plan that pays best.

Every number here rests on assumptions, all parameters with documented
defaults that the report shows beside the conclusions they drive:

- **Cost of a selling hour** by role (:data:`COST_PER_HOUR`, per currency).
- **Response to contact**: contacts protect or add a share of a segment's
  yearly margin with diminishing returns,
  ``value(f) = margin x response_share x (1 - 0.5 ** (f / half_contacts))``:
  with the defaults two contacts a year give half the attainable effect,
  four three quarters, twelve 98 %. For lost clients the base is their past
  yearly margin times ``winback_share``, for never-bought clients the typical
  active client's margin times ``conversion_rate``, both over
  ``new_client_years`` (a client won keeps buying).
- **Break-even**: a plan whose yearly cost (hours x cost per hour) exceeds
  ``max_cost_share`` of the segment's margin is not offered: the segment gets a
  lower frequency or automation, and the report shows the arithmetic.
- **Hours already paid for**: the current team is paid whether its hours are
  worked or not, so within its hours the plan counts only the variable part
  of an hour's cost (``variable_cost_share``: travel, calls, materials) and
  gives a worked segment every contact its playbook asks for that is worth
  more than that. A hire costs the whole of its hours. The break-even test
  stays at the full cost: a contact plan that would not pay its own people
  is not proposed because people happen to be idle.

With a team, the hours each role has are split by a mixed-integer programme
(SciPy's HiGHS): one contact frequency per segment, worked by its own role or
a stand-in at ``stand_in_efficiency``, maximising value minus the variable
cost under the hours. Without a team (the team the economics justify), each
segment takes its best option at the full cost. The value of one more FTE per
role is the programme's gain when that role gets one, minus what the hire's
hours cost beyond their variable part.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: Default cost of one selling hour by role (salary, taxes, travel, tools), per currency: assumptions
#: for a mid-size distributor, to be replaced by the company's own in ``allocation.economics.cost_per_hour``.
COST_PER_HOUR: dict[str, dict[str, float]] = {
    "RUB": {"head_of_sales": 3500, "key_account_manager": 2500, "farmer": 1500, "closer": 1800, "hunter": 1800},
    "GBP": {"head_of_sales": 70, "key_account_manager": 55, "farmer": 35, "closer": 40, "hunter": 40},
    "EUR": {"head_of_sales": 80, "key_account_manager": 60, "farmer": 40, "closer": 45, "hunter": 45},
    "USD": {"head_of_sales": 90, "key_account_manager": 65, "farmer": 45, "closer": 50, "hunter": 50},
}
#: Who may stand in for a role when its own hours run out (at ``stand_in_efficiency``): a key-account
#: manager or a closer can farm, a closer or farmer can hunt, a farmer or the head can own a key account.
STAND_IN: dict[str, tuple[str, ...]] = {
    "farmer": ("key_account_manager", "closer", "hunter"),
    "hunter": ("closer", "farmer"),
    "closer": ("hunter", "farmer"),
    "key_account_manager": ("farmer", "head_of_sales"),
}


@dataclass(frozen=True)
class Assumptions:
    """The economic assumptions of a plan (``allocation.economics`` in engagement.yaml)."""

    cost_per_hour: dict[str, float]
    assumed_margin_pct: float = 0.25
    max_cost_share: float = 0.5
    response_share: float = 0.2
    half_contacts: float = 2.0
    winback_share: float = 0.15
    conversion_rate: float = 0.05
    new_client_years: float = 3.0
    stand_in_efficiency: float = 0.8
    remote_hours: float = 0.25
    remote_effect: float = 0.5
    frequency_options: tuple[float, ...] = (0, 1, 2, 4, 6, 12)
    selling_hours_per_fte: float = 1000.0
    variable_cost_share: float = 0.2
    margin_assumed: bool = field(default=False)

    def response(self, contacts: np.ndarray | float) -> np.ndarray:
        """Share of the attainable effect reached with ``contacts`` a year (0 at none, towards 1)."""
        return 1 - 0.5 ** (np.asarray(contacts, dtype=float) / self.half_contacts)


def default_cost_per_hour(currency: str) -> dict[str, float]:
    """The default cost of a selling hour by role in ``currency``.

    Raises
    ------
    ValueError
        No default for the currency: the engagement must state its own.
    """
    if currency not in COST_PER_HOUR:
        raise ValueError(
            f"no default cost per selling hour for currency {currency}; set allocation.economics.cost_per_hour "
            f"(per role: {', '.join(COST_PER_HOUR['RUB'])}) in engagement.yaml"
        )
    return dict(COST_PER_HOUR[currency])


def typical_client_margin(clients: pd.DataFrame, assumed_margin_pct: float) -> float:
    """The median active client's yearly margin (revenue x ``assumed_margin_pct`` without cost, a loss as 0).

    What one new client won is taken to bring a year: a never-bought client's value here, and the
    break-even of an idle team's hunting on page 1.
    """
    active = clients.loc[clients["status"] == "active"]
    if active.empty:
        return 0.0
    has_cost = "margin" in active and active["margin"].notna().any()
    margin = active["margin"] if has_cost else active["revenue"] * assumed_margin_pct
    return float(margin.clip(lower=0).median())


def segment_base(
    plan: pd.DataFrame, clients: pd.DataFrame, assumptions: Assumptions, expected: pd.Series | None = None
) -> pd.Series:
    """Per segment, the yearly margin that contact work acts on (before the response share).

    Active segments: next year's margin as the backtested forecast expects it
    (``expected``, per segment, key accounts' share taken out in proportion to
    their current margin), else their current margin (revenue x
    ``assumed_margin_pct`` without cost). Lost clients: past yearly margin x ``winback_share``.
    Never-bought clients: the median active client's margin x ``conversion_rate``,
    per client. Both of the latter over ``new_client_years``. Key accounts are left out (a key-account manager owns them).
    """
    a = assumptions
    df = clients.loc[~clients["key_account"]] if "key_account" in clients else clients
    margin = df["margin"] if df["margin"].notna().any() else df["revenue"] * a.assumed_margin_pct
    past = df["margin_total"] if df["margin_total"].notna().any() else df["revenue_total"] * a.assumed_margin_pct
    years = (df["tenure_months"].fillna(12).clip(lower=12)) / 12
    active = df["status"] == "active"
    typical = typical_client_margin(df, a.assumed_margin_pct)
    per_client = np.select(
        [active, df["status"] == "lost"],
        [margin, a.winback_share * a.new_client_years * past / years],
        default=a.conversion_rate * a.new_client_years * typical,
    )
    base = pd.Series(per_client, index=df.index).groupby(df["segment"]).sum()
    if expected is not None:
        whole = clients.loc[clients["status"] == "active"]
        whole_margin = whole["margin"] if whole["margin"].notna().any() else whole["revenue"] * a.assumed_margin_pct
        current_all = whole_margin.groupby(whole["segment"]).sum()
        current_own = margin[active].groupby(df.loc[active, "segment"]).sum()
        share = (current_own / current_all.where(current_all > 0)).reindex(expected.index).fillna(1.0).clip(0, 1)
        forecast = (expected * share).reindex(base.index)
        active_segments = df.loc[active, "segment"].unique()
        use = forecast.notna() & base.index.isin(active_segments)
        base[use] = forecast[use]
    return base.reindex(plan["segment"]).fillna(0.0)


def options(plan: pd.DataFrame, base: pd.Series, assumptions: Assumptions) -> pd.DataFrame:
    """Every contact frequency each worked segment could get, with its hours, cost, value and break-even.

    Each frequency comes in the playbook's own channel (``personal``, its
    hours per contact) and a cheaper ``remote`` one (a call or message of
    ``remote_hours`` that reaches ``remote_effect`` of a personal contact's
    effect), so that a segment personal visits do not pay for is offered a
    cheaper channel before automation.

    Returns
    -------
    DataFrame
        ``segment, role, option, channel, contacts_per_year, hours_per_contact,
        hours, cost, value, net, cost_share, affordable``; ``option`` 0 is no
        manual contact (automation), always affordable. The playbook's own
        frequency is always among the options.
    """
    a = assumptions
    rows = []
    for seg in plan.loc[plan["action"] == "work"].to_dict("records"):
        clients = seg["clients"] - seg.get("key_accounts", 0)
        levels = sorted({float(f) for f in a.frequency_options if f <= seg["contacts_per_year"]} | {0.0})
        levels = sorted(set(levels) | {float(seg["contacts_per_year"])})
        margin = float(base.get(seg["segment"], 0.0))
        rate = a.cost_per_hour.get(seg["role"], max(a.cost_per_hour.values()))
        channels = [("personal", float(seg["hours_per_contact"]), 1.0)]
        if a.remote_hours < seg["hours_per_contact"]:
            channels.append(("remote", a.remote_hours, a.remote_effect))
        variants = [(f, c) for f in levels for c in (channels if f > 0 else channels[:1])]
        for i, (f, (channel, per_contact, effect)) in enumerate(variants):
            hours = clients * f * per_contact
            cost = hours * rate
            value = margin * a.response_share * effect * float(a.response(f))
            share = cost / margin if margin > 0 else (np.inf if cost > 0 else 0.0)
            rows.append(
                {
                    "segment": seg["segment"],
                    "role": seg["role"],
                    "option": i,
                    "channel": channel,
                    "contacts_per_year": f,
                    "hours_per_contact": per_contact,
                    "hours": hours,
                    "cost": cost,
                    "value": value,
                    "net": value - cost,
                    "cost_share": share,
                    "affordable": f == 0 or share <= a.max_cost_share,
                }
            )
    return pd.DataFrame(rows)


@dataclass
class Solution:
    """The chosen frequency per segment, who works it, and what it is worth.

    ``choice`` has one row per segment; its ``worked_by`` is the role giving
    most of the segment's hours and ``role_hours`` all of them (stand-in hours
    at their efficiency). ``split`` says how the hours divide between roles.
    """

    choice: pd.DataFrame  # segment, role, worked_by, contacts_per_year, hours, role_hours, cost, value, net
    objective: float
    hours_by_role: dict[str, float]
    split: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["segment", "worked_by", "share", "role_hours", "extra_cost"])
    )


def optimise(
    opts: pd.DataFrame,
    capacity: dict[str, float] | None,
    assumptions: Assumptions,
    reserved: dict[str, float] | None = None,
    paid: bool = False,
) -> Solution:
    """Choose one affordable frequency per segment, and who works it, to maximise value minus cost.

    A mixed-integer programme (SciPy's HiGHS): a binary ``y`` per option (one
    per segment) and, with a team, a continuous share ``z`` of each option's
    hours per role that may work it (its own role, or a stand-in whose hours
    count at ``1 / stand_in_efficiency``), with ``sum z = y`` and each role's
    hours within its capacity. So a segment may be shared: the farmers' hours
    first, an idle hunter's for the rest; a lower-priority segment gets hours
    only when they are not worth more in a higher one.

    Parameters
    ----------
    opts : DataFrame
        From :func:`options`.
    capacity : dict or None
        Selling hours a year available per role; None: unlimited (each segment
        takes its best affordable option).
    reserved : dict, optional
        Hours per role already committed (key accounts), taken off capacity.
    paid : bool, default False
        ``capacity`` is the current team's, paid for whether worked or not:
        an hour worked costs only ``variable_cost_share`` of its cost in the
        objective (the solution's ``cost`` stays the full cost, for the
        report). Which options are affordable does not change.

    Returns
    -------
    Solution
        ``objective`` is the plan's value minus the cost counted (the
        variable part when ``paid``).
    """
    from scipy.optimize import LinearConstraint, milp

    a = assumptions
    usable = opts.loc[opts["affordable"]].reset_index(drop=True)
    if usable.empty:
        return Solution(pd.DataFrame(columns=CHOICE_COLUMNS), 0.0, {})
    n = len(usable)
    # Shares: one per (option with hours, role that may work it).
    shares = []
    if capacity is not None:
        for i, opt in enumerate(usable.to_dict("records")):
            if opt["hours"] <= 0:
                continue
            for w in (opt["role"], *STAND_IN.get(opt["role"], ())):
                if w == opt["role"] or capacity.get(w, 0) > 0:
                    eff = 1.0 if w == opt["role"] else a.stand_in_efficiency
                    hours = opt["hours"] / eff
                    # A stand-in's slower hours at its own rate, beyond the option's cost at the role's rate.
                    extra = max(0.0, hours * a.cost_per_hour.get(w, 0.0) - opt["cost"]) if w != opt["role"] else 0.0
                    shares.append((i, w, hours, extra))
    m = len(shares)
    segments = list(dict.fromkeys(usable["segment"]))
    rows = [np.concatenate([(usable["segment"] == s).to_numpy(dtype=float), np.zeros(m)]) for s in segments]
    constraints = [LinearConstraint(np.array(rows), 1, 1)]
    if m and capacity is not None:
        link = np.zeros((n, n + m))
        for k, (i, _, _, _) in enumerate(shares):
            link[i, n + k] = 1.0
        has_hours = link[:, n:].sum(axis=1) > 0
        link[has_hours, np.flatnonzero(has_hours)] = -1.0  # sum of an option's shares = its y
        constraints.append(LinearConstraint(link[has_hours], 0, 0))
        left = {r: capacity.get(r, 0.0) - (reserved or {}).get(r, 0.0) for r in {s[1] for s in shares} | set(capacity)}
        roles = sorted(left)
        use = np.zeros((len(roles), n + m))
        for k, (_, w, h, _) in enumerate(shares):
            use[roles.index(w), n + k] = h
        constraints.append(LinearConstraint(use, -np.inf, [max(left[r], 0.0) for r in roles]))
    # Value minus cost per option, minus a stand-in's extra cost per share; ties (several options worth 0)
    # go to fewer hours: a tiny penalty per hour.
    counted = a.variable_cost_share if paid else 1.0  # the share of an hour's cost a worked hour adds
    c = np.concatenate(
        [
            -(usable["value"] - counted * usable["cost"]).to_numpy(dtype=float),
            np.array([counted * extra + 1e-6 * h for _, _, h, extra in shares]),
        ]
    )
    c[:n] += 1e-6 * usable["hours"].to_numpy(dtype=float) * (capacity is None)
    integrality = np.concatenate([np.ones(n), np.zeros(m)])
    result = milp(c, constraints=constraints, integrality=integrality, bounds=(0, 1), options={"mip_rel_gap": 1e-9})
    if result.x is None:  # cannot happen: "no contact" always fits; say so if it does
        raise RuntimeError(f"allocation optimiser found no plan: {result.message}")
    picked = result.x[:n] > 0.5
    split = pd.DataFrame(
        [
            {
                "segment": usable.loc[i, "segment"],
                "worked_by": w,
                "share": float(z),
                "role_hours": float(z * h),
                "extra_cost": float(z * extra),
            }
            for (i, w, h, extra), z in zip(shares, result.x[n:], strict=True)
            if picked[i] and z > 1e-7
        ],
        columns=["segment", "worked_by", "share", "role_hours", "extra_cost"],
    )
    chosen = usable.loc[picked].reset_index(drop=True)
    if not split.empty:  # a stand-in's slower hours cost more: the segment's cost and net say so
        extra_by_segment = chosen["segment"].map(split.groupby("segment")["extra_cost"].sum()).fillna(0.0)
        chosen["cost"] += extra_by_segment
        chosen["net"] -= extra_by_segment
    if split.empty:
        chosen["worked_by"] = chosen["role"]
        chosen["role_hours"] = chosen["hours"]
    else:
        main = split.sort_values("share", ascending=False).drop_duplicates("segment").set_index("segment")["worked_by"]
        chosen["worked_by"] = chosen["segment"].map(main).fillna(chosen["role"])
        total = split.groupby("segment")["role_hours"].sum()
        chosen["role_hours"] = chosen["segment"].map(total).fillna(chosen["hours"])
    if capacity is None or split.empty:
        hours = chosen.groupby("worked_by")["role_hours"].sum()
    else:
        hours = split.groupby("worked_by")["role_hours"].sum()
    return Solution(
        chosen[CHOICE_COLUMNS].reset_index(drop=True),
        float((chosen["value"] - counted * chosen["cost"]).sum()),
        {str(k): float(v) for k, v in hours.items()},
        split,
    )


CHOICE_COLUMNS = [
    "segment",
    "role",
    "worked_by",
    "channel",
    "contacts_per_year",
    "hours_per_contact",
    "hours",
    "role_hours",
    "cost",
    "value",
    "net",
]


def marginal_fte_value(
    opts: pd.DataFrame,
    capacity: dict[str, float],
    assumptions: Assumptions,
    reserved: dict[str, float] | None = None,
    base: float | None = None,
) -> dict[str, float]:
    """What one more FTE of each selling role would add to the plan's value minus cost, a year.

    The current team's hours are paid for (``optimise(paid=True)``); the hire
    is not: its gain is the plan's gain with its hours, minus what those hours
    cost beyond the variable part already counted for the hours it works, so
    a hire pays only if its whole cost is earned. ``base`` is the objective of
    the plan with ``capacity`` when the caller has solved it already.
    """
    one = best_hires(opts, capacity, assumptions, dict.fromkeys(STAND_IN, 1), reserved, base)
    return {role: value for role, (_, value) in one.items()}


def best_hires(
    opts: pd.DataFrame,
    capacity: dict[str, float],
    assumptions: Assumptions,
    up_to: dict[str, int],
    reserved: dict[str, float] | None = None,
    base: float | None = None,
) -> dict[str, tuple[int, float]]:
    """Per role, the number of whole hires (1 to ``up_to[role]``) that adds most after their whole cost.

    A segment's frequency is one choice, so hours help in blocks: one more
    farmer may not lift any segment a step while three lift the largest one
    to its playbook's frequency. Each count is solved as in
    :func:`marginal_fte_value` (the team's hours paid for, the hires' not).

    Returns
    -------
    dict
        ``role -> (hires, value a year)``; the value may be negative (no count pays).
    """
    a = assumptions
    if base is None:
        base = optimise(opts, capacity, a, reserved, paid=True).objective
    out = {}
    for role, most in up_to.items():
        best: tuple[int, float] | None = None
        for k in range(1, max(1, int(most)) + 1):
            gain = hires_value(opts, capacity, a, role, k, reserved, base)
            if best is None or gain > best[1] + 1e-6:
                best = (k, gain)
        if best is not None:
            out[role] = best
    return out


def hires_value(
    opts: pd.DataFrame,
    capacity: dict[str, float],
    assumptions: Assumptions,
    role: str,
    k: int,
    reserved: dict[str, float] | None = None,
    base: float | None = None,
) -> float:
    """What ``k`` hires of ``role`` add a year after their whole cost: the plan with their hours, less its base.

    The team's hours are paid for (``base`` is the plan on them); the hires'
    hours cost their variable part inside the plan and the rest here.
    """
    a = assumptions
    if base is None:
        base = optimise(opts, capacity, a, reserved, paid=True).objective
    more = {**capacity, role: capacity.get(role, 0.0) + k * a.selling_hours_per_fte}
    fixed = (1 - a.variable_cost_share) * k * a.selling_hours_per_fte * a.cost_per_hour.get(role, 0.0)
    return optimise(opts, more, a, reserved, paid=True).objective - base - fixed


def pays_at_full_cost(opts: pd.DataFrame) -> pd.Series:
    """The options with manual contact that pay for themselves at an hour's full cost, within the break-even."""
    return (opts["contacts_per_year"] > 0) & opts["affordable"] & (opts["net"] > 0)


def break_even(opts: pd.DataFrame, plan: pd.DataFrame) -> pd.DataFrame:
    """Segments whose playbook frequency costs more than the allowed share of their margin.

    Returns
    -------
    DataFrame
        ``segment, contacts_per_year (the playbook's), cost, margin_base,
        cost_share``: the arithmetic the report shows.
    """
    asked = plan.loc[plan["action"] == "work", ["segment", "contacts_per_year"]]
    at_playbook = opts.loc[opts["channel"] == "personal"].merge(asked, on=["segment", "contacts_per_year"])
    over = at_playbook.loc[~at_playbook["affordable"]]
    out = over.assign(margin_base=np.where(over["cost_share"] > 0, over["cost"] / over["cost_share"], 0.0))
    return out[["segment", "contacts_per_year", "cost", "margin_base", "cost_share"]].reset_index(drop=True)
