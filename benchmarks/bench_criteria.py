"""Intake and per-client criteria at growing sizes, each against a plain pandas baseline.

Both run in this process on the same synthetic invoice lines; the result is
reported as a ratio (workbench time / pandas time), so it does not depend on
the machine. Run with ``make bench``; pass sizes as arguments to override.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from timing import best_of  # noqa: E402  (benchmarks run as scripts: their folder is on the path)

from workbench.config import TableSource
from workbench.criteria import client_criteria
from workbench.intake import read_export, to_canonical


def invoice_lines(n_lines: int, n_clients: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    client = rng.integers(0, n_clients, n_lines)
    dates = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 1095, n_lines), unit="D")
    amount = rng.lognormal(9, 1, n_lines).round(2)
    tx = pd.DataFrame(
        {
            "client_id": pd.Series(client).map("C{:06d}".format),
            "invoice_id": pd.Series(rng.integers(0, n_lines // 3, n_lines)).map("I{:08d}".format),
            "date": dates,
            "amount": amount,
            "cost": (amount * rng.uniform(0.6, 0.9, n_lines)).round(2),
            "product_line": rng.choice(["a", "b", "c", "d", "e"], n_lines),
        }
    )
    clients = pd.DataFrame({"client_id": [f"C{i:06d}" for i in range(n_clients)]})
    return clients, tx


def pandas_baseline(tx: pd.DataFrame, start: pd.Timestamp) -> pd.DataFrame:
    """The same core aggregation in plain pandas (named aggregation)."""
    cur = tx.loc[tx["date"] >= start]
    life = tx.groupby("client_id").agg(
        first=("date", "min"), last=("date", "max"), revenue_total=("amount", "sum"), lines=("product_line", "nunique")
    )
    now = cur.groupby("client_id").agg(
        revenue=("amount", "sum"), cost=("cost", "sum"), invoices=("invoice_id", "nunique")
    )
    return life.join(now)


def main(sizes: list[int]) -> None:
    end = pd.Timestamp("2025-12-31")
    start = end - pd.DateOffset(months=12) + pd.Timedelta(days=1)
    print(f"{'lines':>10} {'step':>9} {'workbench s':>12} {'pandas s':>9} {'ratio':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            clients, tx = invoice_lines(n, max(n // 50, 100))
            path = Path(tmp) / "lines.csv"
            tx.to_csv(path, index=False)
            source = TableSource(file=str(path))
            # Intake types and checks every value and keeps rejected rows; the baseline only parses.
            wb = best_of(
                lambda path=path, source=source: to_canonical(read_export(path, source), "transactions", source, path)
            )
            pd_ = best_of(lambda path=path: pd.read_csv(path, parse_dates=["date"]))
            print(f"{n:>10,} {'intake':>9} {wb:>12.3f} {pd_:>9.3f} {wb / pd_:>6.2f}")
            wb = best_of(lambda clients=clients, tx=tx: client_criteria(clients, tx, start=start, end=end))
            pd_ = best_of(lambda tx=tx: pandas_baseline(tx, start))
            print(f"{n:>10,} {'criteria':>9} {wb:>12.3f} {pd_:>9.3f} {wb / pd_:>6.2f}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [200_000, 1_000_000, 3_000_000])
