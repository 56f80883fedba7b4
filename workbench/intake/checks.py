"""Checks across rows and tables: duplicate clients, unknown keys, missing costs, team roles."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..config import ROLES
from .tables import REJECTED_COLUMNS, IntakeError


def estimate_missing_cost(transactions: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Fill an empty cost from the cost ratio of the line's product line (or of all lines).

    A line without cost keeps its revenue in the analysis instead of being
    rejected; its cost is ``amount x cost/amount`` of the lines of the same
    product line that have a cost. ``cost_estimated`` marks such lines.
    Nothing is estimated when no line has a cost (margin is then unknown).

    Returns
    -------
    transactions : DataFrame
    estimated : int
        How many lines got an estimated cost.
    """
    if "cost" not in transactions:
        return transactions, 0
    missing = transactions["cost"].isna()
    if not missing.any() or missing.all():
        return transactions, 0
    known = transactions.loc[~missing]
    overall = known["cost"].sum() / known["amount"].sum()
    ratio = pd.Series(overall, index=transactions.index)
    if "product_line" in transactions:
        sums = known.groupby("product_line")[["cost", "amount"]].sum()
        by_line = transactions["product_line"].map(sums["cost"] / sums["amount"])
        ratio = by_line.where(by_line.notna(), overall)
    out = transactions.copy()
    out.loc[missing, "cost"] = out.loc[missing, "amount"] * ratio[missing]
    out["cost_estimated"] = missing
    return out, int(missing.sum())


#: Client attributes an export may carry on its invoice lines instead of a client table.
LINE_ATTRIBUTES = ("region", "industry", "channel")


def attributes_from_lines(
    clients: pd.DataFrame, transactions: pd.DataFrame, file: str = ""
) -> tuple[pd.DataFrame, list[dict]]:
    """Give clients the region, industry or channel their invoice lines carry, where the client table has none.

    Each client takes the value of most of its lines, the latest line's
    value breaking a tie: a rule, stated in a note with how many clients had
    more than one value, not a guess per value. A value the client table
    already holds is kept.

    Returns
    -------
    clients : DataFrame
    notes : list of dict
        One ``attribute_from_lines`` note per attribute taken from the lines:
        ``file`` (the lines'), ``column``, ``clients`` (that got a value),
        ``mixed`` (whose lines had more than one).
    """
    out, notes = clients.copy(), []
    for attr in LINE_ATTRIBUTES:
        if attr not in transactions or not transactions[attr].notna().any():
            continue
        lines = transactions.loc[transactions[attr].notna(), ["client_id", attr, "date"]]
        tally = lines.groupby(["client_id", attr], observed=True).agg(lines=("date", "size"), last=("date", "max"))
        tally = tally.reset_index().sort_values(["client_id", "lines", "last"], ascending=[True, False, False])
        chosen = tally.drop_duplicates("client_id").set_index("client_id")[attr]
        mixed = int((tally.groupby("client_id").size() > 1).sum())
        own = out[attr] if attr in out else pd.Series(pd.NA, index=out.index, dtype="string")
        taken = own.isna() & out["client_id"].isin(chosen.index)
        if not taken.any():
            continue
        out[attr] = own.where(~taken, out["client_id"].map(chosen)).astype("string")
        values = {"file": file, "column": attr, "clients": int(taken.sum()), "mixed": mixed}
        notes.append({"key": "attribute_from_lines", "values": values})
    return out, notes


def check_relations(tables: dict[str, pd.DataFrame], files: dict[str, Path]) -> pd.DataFrame:
    """Reject duplicate clients, lines of unknown clients and payments of unknown invoices."""
    problems = []
    if "clients" in tables:
        clients = tables["clients"]
        dup = clients["client_id"].duplicated(keep="first")
        if dup.any():
            problems.append(
                _relation_rejects("clients", files, clients, dup, "client_id", "duplicate client_id (first row kept)")
            )
            tables["clients"] = clients.loc[~dup].reset_index(drop=True)
        known = set(tables["clients"]["client_id"])
        tx = tables["transactions"]
        unknown = ~tx["client_id"].isin(known)
        if unknown.any():
            problems.append(
                _relation_rejects("transactions", files, tx, unknown, "client_id", "client_id not in the clients file")
            )
            tables["transactions"] = tx.loc[~unknown].reset_index(drop=True)
    if "payments" in tables and "invoice_id" in tables["transactions"]:
        pay = tables["payments"]
        unknown = ~pay["invoice_id"].isin(set(tables["transactions"]["invoice_id"].dropna()))
        if unknown.any():
            problems.append(
                _relation_rejects(
                    "payments", files, pay, unknown, "invoice_id", "invoice_id not in the transactions file"
                )
            )
            tables["payments"] = pay.loc[~unknown].reset_index(drop=True)
    return pd.concat(problems, ignore_index=True) if problems else pd.DataFrame(columns=REJECTED_COLUMNS)


def _relation_rejects(table, files, df, mask, column, reason) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "table": table,
            "file": files[table].name,
            "row": df.loc[mask, "_row"].to_numpy(),
            "column": column,
            "value": df.loc[mask, column].astype(str).to_numpy(),
            "reason": reason,
            "amount": df.loc[mask, "amount"].to_numpy() if "amount" in df else float("nan"),
        }
    )


def normalise_team(team: pd.DataFrame) -> pd.DataFrame:
    """Roles written as codes (``Key account manager`` -> ``key_account_manager``), checked; capacity 1 FTE unless given."""
    team = team.copy()
    team["role"] = team["role"].astype("string").str.strip().str.lower().str.replace(r"[\s-]+", "_", regex=True)
    unknown = ~team["role"].isin(ROLES)
    if unknown.any():
        bad = team.loc[unknown, ["manager_id", "role"]].to_dict("records")
        raise IntakeError(f"team: unknown role(s) {bad}; expected one of {', '.join(ROLES)}")
    if "capacity" not in team:
        team["capacity"] = 1.0
    team["capacity"] = team["capacity"].fillna(1.0).astype(float)
    return team
