"""Forecast backtest and selection at growing client counts, against a plain pandas baseline.

Synthetic invoice lines (about ``LINES_PER_CLIENT`` per client over three
years, returns included) are generated once per size. The baseline is a plain
pandas ``groupby`` of revenue per client over the same lines, timed in this
process; each step is reported in seconds and as a ratio to it, so the ratios
do not depend on the machine. The target: ``backtest`` (grouping the lines,
fitting and forecasting every candidate, metrics, selection) for 1,000,000
clients within a minute on a 2-core machine.

Run: ``.venv/bin/python benchmarks/bench_forecast.py [n_clients ...]``
(default 10,000 100,000 1,000,000). Timings are the best of ``--repeat``
runs (default 1 above 100,000 clients, else 3). ``--threads N`` also times the
supervised candidate with ``n_threads=N`` (OpenMP threads), to compare on a
busy machine.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pandas as pd
from timing import best_of  # noqa: E402  (benchmarks run as scripts: their folder is on the path)

from workbench.forecast import SupervisedForecast, backtest, default_candidates, forecast
from workbench.forecast.history import ClientHistory

LINES_PER_CLIENT = 10
AS_OF = pd.Timestamp("2025-12-31")
CUTOFF = AS_OF - pd.DateOffset(months=12)
YEARS = 3


def invoice_lines(n_clients: int, seed: int = 0) -> pd.DataFrame:
    """About ``LINES_PER_CLIENT`` lines per client: a client's lines cluster in its active years."""
    rng = np.random.default_rng(seed)
    n = n_clients * LINES_PER_CLIENT
    client = rng.integers(0, n_clients, n)
    days = YEARS * 365
    # Each client is active from a start day on (some stop early), so recency carries information.
    start = rng.integers(0, days, n_clients)
    length = rng.integers(30, days + 1, n_clients)
    offset = (start[client] + rng.random(n) * length[client]).astype(np.int64) % days
    level = rng.lognormal(7, 1, n_clients)
    amount = level[client] * rng.lognormal(0, 0.5, n)
    amount[rng.random(n) < 0.03] *= -0.5  # returns
    return pd.DataFrame(
        {
            "client_id": pd.Series(client).map("C{:07d}".format),
            "date": AS_OF - pd.to_timedelta(days - 1 - offset, unit="D"),
            "amount": amount.round(2),
            "cost": (np.abs(amount) * rng.uniform(0.6, 0.9, n) * np.sign(amount)).round(2),
        }
    )


def main(sizes: list[int], repeat: int | None, threads: int | None) -> None:
    print(f"cores: {os.cpu_count()}, load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'clients':>10} {'lines':>11} {'step':>18} {'seconds':>8} {'ratio':>6}")
    for n in sizes:
        reps = repeat or (1 if n > 100_000 else 3)
        tx = invoice_lines(n)
        baseline = best_of(lambda tx=tx: tx.groupby("client_id")["amount"].sum(), reps)

        def show(step: str, seconds: float, n: int = n, lines: int = len(tx), baseline: float = baseline) -> None:
            print(f"{n:>10,} {lines:>11,} {step:>18} {seconds:>8.2f} {seconds / baseline:>6.1f}", flush=True)

        show("pandas groupby", baseline)
        history = ClientHistory.from_transactions(tx)
        show("client x day", best_of(lambda tx=tx: ClientHistory.from_transactions(tx), reps))
        for candidate in default_candidates():
            seconds = best_of(lambda c=candidate, h=history: c.clone().fit(h, CUTOFF, 12).predict(), reps)
            show(f"  {candidate.name} fit+predict", seconds)
        if threads is not None:
            limited = SupervisedForecast(n_threads=threads)
            seconds = best_of(lambda c=limited, h=history: c.clone().fit(h, CUTOFF, 12).predict(), reps)
            show(f"  supervised {threads} thr", seconds)
        results: list = []
        seconds = best_of(lambda tx=tx, out=results: out.append(backtest(tx, AS_OF)), reps)
        show("backtest+selection", seconds)
        result = results[-1]
        show(f"forecast ({result.chosen})", best_of(lambda tx=tx, r=result: forecast(tx, r), reps))
        line = result.metrics[["top_share", "total_ratio", "rank_correlation"]].round(3).to_dict("index")
        print(f"{'':>10} chosen {result.chosen} ({result.reason}); {line}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    args = sys.argv[1:]
    options: dict[str, int | None] = {"--repeat": None, "--threads": None}
    for flag in options:
        if flag in args:
            i = args.index(flag)
            options[flag] = int(args[i + 1])
            del args[i : i + 2]
    main([int(a) for a in args] or [10_000, 100_000, 1_000_000], options["--repeat"], options["--threads"])
