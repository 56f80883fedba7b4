"""Account assignment: one owner per client, current managers kept where possible, loads balanced."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

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
    take_back: set[str] | None = None,
    max_industries: int = 3,
    review: dict[str, tuple[float, float]] | None = None,
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
    hours, even after moving one earlier client aside (:func:`make_room`).

    Among the people of a role who have the hours, the portfolio decides
    before the hours left (the method: do not give one manager large and
    micro clients, nor very different industries): first someone whose
    portfolio holds no client at the other end of the size scale, then
    someone who already has the client's industry, then someone with fewer
    than ``max_industries`` industries; the one with most hours left among
    equals. Clients kept by their manager stay where they are.

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
    take_back : set of str, optional
        Clients whose current manager held them too long without a sale (the
        method: do not let sellers hoard clients): their manager is not kept,
        and ``taken_back`` says so.
    max_industries : int, default 3
        Industries one portfolio may span before a new one counts against a
        manager (as :func:`portfolio_mix` judges it).
    review : dict, optional
        Largest clients of segments the plan does not work, with the
        contacts a year of their review (``review_hours`` per contact is
        their hours: ``{client_id: (contacts, hours)}``): right after the key
        accounts, each gets an owner of any seller role (its current one
        first, a farmer preferred), even beyond the hours, as a key account
        does; ``review`` marks the row.

    Returns
    -------
    call_plan : DataFrame
        One row per client: ``client_id, name, segment, tier, action, role,
        manager_id, manager_name, contacts_per_year, hours, status, taken_back, review`` where
        status is ``kept``, ``assigned``, ``stand_in``, ``over_capacity``,
        ``unassigned``, ``automate`` or ``stop``.
    load : DataFrame
        Per team member: ``manager_id, name, role, clients, hours,
        hours_available, utilisation``.
    """
    key_account_ids = key_account_ids or set()
    review = {k: v for k, v in (review or {}).items() if k not in key_account_ids}
    people = team.copy()
    people["name"] = people.get("name", "")
    people["hours_available"] = people["capacity"] * selling_hours_per_fte
    left = dict(zip(people["manager_id"], people["hours_available"], strict=True))
    role_of = dict(zip(people["manager_id"], people["role"], strict=True))
    name_of = dict(zip(people["manager_id"], people["name"], strict=True))
    by_role = people.groupby("role")["manager_id"].apply(list).to_dict()
    current = clients.get("manager_id", pd.Series(pd.NA, index=clients.index))
    taken = clients["client_id"].isin(take_back or set()) & current.notna()
    members = clients.assign(
        current_manager=current.where(~taken, pd.NA),
        former_manager=current.where(taken, pd.NA),
        key=clients["client_id"].isin(key_account_ids),
        taken_back=taken,
    )
    segs = {s["segment"]: s for s in plan.to_dict("records")}
    top_tier = plan.loc[plan["action"] == "work", "tier"].min()
    order = {s: i for i, s in enumerate(plan["segment"])}
    members = members.assign(_o=members["segment"].map(order), _review=members["client_id"].isin(set(review)))
    members = members.sort_values(["key", "_review", "_o", "value"], ascending=[False, False, True, False])
    book = Portfolios(list(people["manager_id"]), max_industries)
    rows: list[dict] = []
    asked: dict[int, dict] = {}  # per worked row (key accounts aside): what it may be given to, for make_room
    for c in members.to_dict("records"):
        fit = book.fit(c.get("industry"), c.get("size_band"))
        seg = segs.get(c["segment"], {"action": "stop", "tier": None, "role": "none", "contacts_per_year": 0})
        who, status = None, seg["action"] if seg["action"] != "work" else "unassigned"
        if c["key"]:
            role, hours, contacts = "key_account_manager", key_account_hours, seg.get("contacts_per_year", 0)
            allowed = (role, *STAND_IN[role])
            # The method's rule first (a key-account manager), then the current manager or another stand-in.
            who, status = _pick(
                c["current_manager"], (role,), by_role, role_of, left, hours, role, stand_in_efficiency, fit=fit
            )
            if who is None:
                who, status = _pick(
                    c["current_manager"], allowed, by_role, role_of, left, hours, role, stand_in_efficiency, fit=fit
                )
            if who is None:  # nobody has the hours: the one with most left owns it anyway
                pool = [m for r in allowed for m in by_role.get(r, [])]
                if pool:
                    who, status = max(pool, key=lambda m: left[m]), "over_capacity"
                    left[who] -= hours
        elif c["_review"]:  # a largest client of an unworked segment: an owner for a review of its terms
            contacts, per = review[c["client_id"]]
            # a review or a win-back by an account manager first; a large prospect by a hunter first
            prefer = ("hunter", "closer", "farmer", "key_account_manager")
            if c.get("status") != "potential":
                prefer = ("farmer", "key_account_manager", "closer", "hunter")
            role, hours = prefer[0], contacts * per
            allowed = tuple(r for r in prefer if r in by_role)
            who, status = _pick(
                c["current_manager"], allowed or (role,), by_role, role_of, left, hours, role, 1.0, fit=fit
            )
            if who is None:
                pool = [m for r in allowed for m in by_role.get(r, [])]
                if pool:
                    who, status = max(pool, key=lambda m: left[m]), "over_capacity"
                    left[who] -= hours
        elif seg["action"] == "work":
            role = seg.get("worked_by", seg["role"])
            # The top tier's clients that change hands go to a key-account manager with hours first: where
            # KAMs stand in at all, their hours serve the largest clients, not the micro ones (same hours).
            senior = "key_account_manager" if seg["tier"] == top_tier and role == "farmer" else None
            contacts = seg["contacts_per_year"]
            hours = contacts * seg["hours_per_contact"]
            allowed = (seg["role"], *[r for r in STAND_IN.get(seg["role"], ()) if r != seg["role"]])
            who, status = _pick(
                c["current_manager"],
                allowed,
                by_role,
                role_of,
                left,
                hours,
                role,
                stand_in_efficiency,
                exclude=c["former_manager"] if pd.notna(c["former_manager"]) else None,
                fit=fit,
                first=senior,
            )
            asked[len(rows)] = {
                "allowed": allowed,
                "preferred": role,
                "hours": hours,
                "contacts": contacts,
                "exclude": c["former_manager"] if pd.notna(c["former_manager"]) else None,
                "industry": c.get("industry"),
                "size_band": c.get("size_band"),
            }
        else:
            role, hours, contacts = seg["role"], 0.0, 0
        if who is not None:
            book.add(who, c.get("industry"), c.get("size_band"))
            if status != "over_capacity" and not (c["_review"] and not c["key"]):
                # The hours the owner spends, as the load books them: a stand-in's at their pace.
                own = ("key_account_manager",) if c["key"] else (allowed[0], role)
                hours = hours if role_of[who] in own else hours / stand_in_efficiency
        rows.append(
            {
                "client_id": c["client_id"],
                "name": c.get("name", ""),
                "segment": c["segment"],
                "tier": seg["tier"],
                "action": "work" if c["key"] or (c["_review"] and who is not None) else seg["action"],
                "role": role_of.get(who, role) if who is not None else role,  # who does the work
                "planned_role": role,  # the role the plan gave the segment (or the key account)
                "manager_id": who,
                "manager_name": name_of.get(who, ""),
                "contacts_per_year": contacts if who is not None else 0,
                "hours": hours if who is not None else 0.0,
                "status": status,
                "taken_back": bool(c["taken_back"]),
                "review": bool(c["_review"]),
            }
        )
    for i in [i for i in asked if rows[i]["status"] == "unassigned"]:
        make_room(i, rows, asked, by_role, role_of, name_of, left, stand_in_efficiency, book)
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


def _pick(
    current, allowed, by_role, role_of, left, hours, preferred, efficiency, exclude=None, fit=None, first=None
) -> tuple[str | None, str]:
    """The owner of one client: current manager, else the preferred role, else a stand-in; hours booked.

    ``exclude`` is a manager who may not get the client (the one it was taken back from); ``fit``
    (:meth:`Portfolios.fit`) ranks the people of a role before their hours left; ``first``, a stand-in
    role tried before the preferred one (its hours still at a stand-in's pace).
    """

    def cost(m: str) -> float:
        return hours if role_of[m] in (allowed[0], preferred) else hours / efficiency

    if pd.notna(current) and role_of.get(current) in allowed and left[current] >= cost(current):
        left[current] -= cost(current)
        return current, "kept"
    for r in dict.fromkeys((first, preferred, *allowed) if first else (preferred, *allowed)):
        candidates = [m for m in by_role.get(r, []) if left[m] >= cost(m) and m != exclude]
        if candidates:
            who = max(candidates, key=lambda m: (fit(m) if fit else (), left[m]))
            left[who] -= cost(who)
            return who, "assigned" if r in (allowed[0], preferred) else "stand_in"
    return None, "unassigned"


def make_room(
    i: int,
    rows: list[dict],
    asked: dict[int, dict],
    by_role: dict,
    role_of: dict,
    name_of: dict,
    left: dict,
    efficiency: float,
    book: Portfolios | None = None,
) -> bool:
    """Give waiting row ``i`` an owner by moving one earlier client out of the way; False when no move does.

    The clients go out in priority order, so a role a waiting client needs can
    be filled with earlier clients that another role, with hours left, could
    also work (a farmer full of A clients while a key-account manager, who
    may farm, is idle and the waiting client is a hunter's). For each manager
    who may work the waiting client, most hours left first: an earlier client
    of theirs (not kept with its own manager: continuity stays) whose hours
    cover the shortfall moves to the colleague allowed for it with most hours
    left, and the waiting client takes its place. One move per waiting client.
    """

    def cost(m: str, ask: dict) -> float:
        own = (ask["allowed"][0], ask["preferred"])
        return ask["hours"] if role_of[m] in own else ask["hours"] / efficiency

    def give(j: int, m: str) -> None:
        ask = asked[j]
        left[m] -= cost(m, ask)
        if book is not None:
            book.add(m, ask.get("industry"), ask.get("size_band"))
        rows[j].update(
            manager_id=m,
            manager_name=name_of.get(m, ""),
            role=role_of[m],
            contacts_per_year=ask["contacts"],
            hours=cost(m, ask),  # the owner's hours, a stand-in's at their pace
            status="assigned" if role_of[m] in (ask["allowed"][0], ask["preferred"]) else "stand_in",
        )

    ask = asked[i]
    owners = [m for r in dict.fromkeys((ask["preferred"], *ask["allowed"])) for m in by_role.get(r, [])]
    for m in sorted((m for m in owners if m != ask["exclude"]), key=lambda m: -left[m]):
        short = cost(m, ask) - left[m]
        if short <= 0:  # an earlier move freed the hours
            give(i, m)
            return True
        for j, other in asked.items():
            row = rows[j]
            if row["manager_id"] != m or row["status"] not in ("assigned", "stand_in") or cost(m, other) < short:
                continue
            roles = dict.fromkeys((other["preferred"], *other["allowed"]))
            takers = [k for r in roles for k in by_role.get(r, []) if k not in (m, other["exclude"])]
            takers = [k for k in takers if left[k] >= cost(k, other)]
            if takers:
                left[m] += cost(m, other)
                if book is not None:
                    book.remove(m, other.get("industry"), other.get("size_band"))
                    fit = book.fit(other.get("industry"), other.get("size_band"))
                    give(j, max(takers, key=lambda k: (fit(k), left[k])))
                else:
                    give(j, max(takers, key=lambda k: left[k]))
                give(i, m)
                return True
    return False


class Portfolios:
    """Who holds which industries and sizes so far, to keep portfolios apart as the method asks."""

    def __init__(self, managers: list[str], max_industries: int = 3):
        self.industries: dict[str, Counter] = {m: Counter() for m in managers}
        self.sizes: dict[str, Counter] = {m: Counter() for m in managers}
        self.max_industries = max_industries

    def add(self, manager: str, industry, size) -> None:
        """Book a client of ``industry`` and ``size`` into ``manager``'s portfolio."""
        if pd.notna(industry):
            self.industries[manager][industry] += 1
        if pd.notna(size):
            self.sizes[manager][size] += 1

    def remove(self, manager: str, industry, size) -> None:
        """Take a client of ``industry`` and ``size`` out of ``manager``'s portfolio (it moved)."""
        for counts, key in ((self.industries[manager], industry), (self.sizes[manager], size)):
            if pd.notna(key) and counts[key] > 0:
                counts[key] -= 1
                if not counts[key]:
                    del counts[key]

    def fit(self, industry, size) -> Callable[[str], tuple[int, int]]:
        """How well a client suits a manager's portfolio: (no size clash, industry already there / room for it)."""
        far = dict(zip(FAR_SIZES, reversed(FAR_SIZES), strict=True)).get(size) if pd.notna(size) else None

        def score(m: str) -> tuple[int, int]:
            clash = far is not None and self.sizes[m][far] > 0
            held = self.industries[m]
            industry_fit = (
                0 if pd.isna(industry) else 2 if held[industry] else 1 if len(held) < self.max_industries else 0
            )
            return (0 if clash else 1, industry_fit)

        return score


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


#: Size bands far enough apart that one manager should not hold both (the method: do not mix large and small).
FAR_SIZES = ("micro", "large")


def portfolio_mix(call_plan: pd.DataFrame, clients: pd.DataFrame, max_industries: int = 3) -> pd.DataFrame:
    """Managers whose portfolio mixes what the method says to keep apart: large with micro clients, many industries.

    Parameters
    ----------
    call_plan : DataFrame
        ``client_id, manager_id`` (clients without a manager are left out).
    clients : DataFrame
        ``client_id`` and, where known, ``size_band`` and ``industry``.
    max_industries : int, default 3
        More distinct industries than this in one portfolio is "very different industries".

    Returns
    -------
    DataFrame
        One row per manager with a finding: ``manager_id, clients, large, micro,
        industries, mixed_sizes, many_industries``; empty when no portfolio mixes
        (or the client table has neither size nor industry).
    """
    cols = ["manager_id", "clients", "large", "micro", "industries", "mixed_sizes", "many_industries"]
    owned = call_plan.loc[call_plan["manager_id"].notna(), ["client_id", "manager_id"]]
    attrs = [c for c in ("size_band", "industry") if c in clients]
    if owned.empty or not attrs:
        return pd.DataFrame(columns=cols)
    df = owned.merge(clients[["client_id", *attrs]], on="client_id", how="left")
    size = df["size_band"] if "size_band" in df else pd.Series("unknown", index=df.index)
    industry = df["industry"] if "industry" in df else pd.Series(pd.NA, index=df.index)
    out = pd.DataFrame(
        {
            "clients": df.groupby("manager_id").size(),
            "large": (size == FAR_SIZES[1]).groupby(df["manager_id"]).sum(),
            "micro": (size == FAR_SIZES[0]).groupby(df["manager_id"]).sum(),
            "industries": industry.groupby(df["manager_id"]).nunique(),
        }
    ).reset_index()
    out["mixed_sizes"] = (out["large"] > 0) & (out["micro"] > 0)
    out["many_industries"] = out["industries"] > max_industries
    return out.loc[out["mixed_sizes"] | out["many_industries"], cols].reset_index(drop=True)
