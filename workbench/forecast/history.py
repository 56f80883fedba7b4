"""Invoice lines reduced once to client x day, and the calendar arithmetic of windows.

Every forecaster and the backtest read the lines through a :class:`ClientHistory`:
one row per client and day (sorted by client, then day) with the day's net amount
and cost, clients numbered ``0 .. n_clients - 1`` in sorted ``client_id`` order.
A backtest builds it once and hands the same object to every candidate, so the
10 M lines of a 1 M-client base are grouped once, not once per model.

Conventions shared by the package:

- a **day** is an integer: days since 1970-01-01 (a line at 15:30 counts on its date);
- a **window** of ``months`` up to ``as_of`` is the days ``d`` with
  ``as_of - months < d <= as_of`` (calendar months, :class:`pandas.DateOffset`),
  the same window as ``intake.analysis_period``;
- a **purchase day** is a client's day with a positive net amount (a day of
  returns only is not a purchase). Purchases are counted in distinct purchase
  days, as lifetimes and PyMC-Marketing count them; several invoices on one day
  count once, so ``invoice_id`` is not needed here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

EPOCH = pd.Timestamp("1970-01-01")
REQUIRED_COLUMNS = ("client_id", "date", "amount")


def day_number(when: pd.Timestamp) -> int:
    """The day of ``when`` as days since 1970-01-01 (time of day dropped)."""
    return int((pd.Timestamp(when).normalize() - EPOCH).days)


def months_before(as_of: pd.Timestamp, months: int) -> int:
    """The day number ``months`` calendar months before ``as_of`` (excluded from the window)."""
    return day_number(pd.Timestamp(as_of).normalize() - pd.DateOffset(months=months))


def _argsort(key: np.ndarray) -> np.ndarray:
    """``np.argsort`` of non-negative int64 keys; through a plain sort of key and row packed in one int64 when they fit.

    numpy sorts int64 values several times faster than it argsorts them (10 M keys:
    0.2 s against 1.4 s on the 2-core reference machine), so when the key and the
    row number fit in 62 bits together the row number rides in the low bits.
    """
    n = key.size
    row_bits = max(int(n - 1).bit_length(), 1)
    key_bits = max(int(key.max()).bit_length(), 1) if n else 1
    if row_bits + key_bits > 62:
        return np.argsort(key, kind="stable")
    packed = np.sort((key << row_bits) | np.arange(n, dtype=np.int64))
    return packed & ((1 << row_bits) - 1)


def window_days(as_of: pd.Timestamp, months: int) -> tuple[int, int]:
    """``(after_day, last_day)``: the window of ``months`` calendar months up to ``as_of``."""
    return months_before(as_of, months), day_number(as_of)


def full_months_between(start: pd.Timestamp, end: pd.Timestamp) -> int:
    """Whole calendar months from ``start`` to ``end`` (0 when ``end`` is before ``start + 1 month``).

    Parameters
    ----------
    start, end : pandas.Timestamp
        The first and the last day (time of day is dropped).

    Returns
    -------
    int
        The largest ``m`` with ``start + m months <= end``.
    """
    start, end = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if start + pd.DateOffset(months=months) > end:
        months -= 1
    return max(months, 0)


@dataclass(frozen=True, eq=False)
class ClientHistory:
    """Invoice lines as one row per client and day.

    Build it with :meth:`from_transactions`; the arrays are aligned and sorted by
    client, then day.

    Attributes
    ----------
    clients : pandas.Index
        ``client_id`` of each client number (sorted).
    client : numpy.ndarray of int64
        Client number of each row.
    day : numpy.ndarray of int64
        Day number of each row (days since 1970-01-01).
    amount : numpy.ndarray of float64
        Net amount of the client's day (returns negative).
    cost : numpy.ndarray of float64 or None
        Cost of the client's day; ``None`` when the lines have no ``cost``.
    """

    clients: pd.Index
    client: np.ndarray
    day: np.ndarray
    amount: np.ndarray
    cost: np.ndarray | None

    @classmethod
    def from_transactions(cls, transactions: pd.DataFrame) -> ClientHistory:
        """Group invoice lines by client and day.

        Parameters
        ----------
        transactions : pandas.DataFrame
            The canonical ``transactions`` table: ``client_id``, ``date``
            (datetime64), ``amount``; optionally ``cost``. Other columns are ignored.

        Returns
        -------
        ClientHistory

        Raises
        ------
        ValueError
            When a required column is missing, or ``client_id``, ``date``,
            ``amount`` or ``cost`` has a missing value (intake rejects such rows
            and estimates a missing cost, so here they are a caller's error).
        """
        missing = [c for c in REQUIRED_COLUMNS if c not in transactions.columns]
        if missing:
            raise ValueError(f"transactions lack the column(s) {missing}; need {list(REQUIRED_COLUMNS)}")
        has_cost = "cost" in transactions.columns
        for col in [*REQUIRED_COLUMNS, *(["cost"] if has_cost else [])]:
            n_missing = int(transactions[col].isna().sum())
            if n_missing:
                raise ValueError(f"transactions.{col} has {n_missing} missing value(s)")
        codes, clients = pd.factorize(transactions["client_id"].astype(str), sort=True)
        index = pd.Index(clients, name="client_id")
        if len(transactions) == 0:
            empty_f, empty_i = np.zeros(0), np.zeros(0, np.int64)
            return cls(index, empty_i, empty_i, empty_f, empty_f if has_cost else None)
        day = transactions["date"].to_numpy().astype("datetime64[D]").astype(np.int64)
        first = int(day.min())
        span = int(day.max()) - first + 1
        key = codes.astype(np.int64) * span + (day - first)
        order = _argsort(key)
        key = key[order]
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        keys = key[starts]
        amount = np.add.reduceat(transactions["amount"].to_numpy(dtype=float)[order], starts)
        cost = np.add.reduceat(transactions["cost"].to_numpy(dtype=float)[order], starts) if has_cost else None
        return cls(clients=index, client=keys // span, day=keys % span + first, amount=amount, cost=cost)

    @property
    def n_clients(self) -> int:
        """Number of clients (known at any date)."""
        return len(self.clients)

    @property
    def has_cost(self) -> bool:
        """Whether the lines had a ``cost`` column (margin can be forecast)."""
        return self.cost is not None

    @property
    def first_date(self) -> pd.Timestamp:
        """The first day with a line (``ValueError`` when there is none)."""
        if not self.day.size:
            raise ValueError("the history is empty")
        return EPOCH + pd.Timedelta(days=int(self.day.min()))

    @property
    def last_date(self) -> pd.Timestamp:
        """The last day with a line (``ValueError`` when there is none)."""
        if not self.day.size:
            raise ValueError("the history is empty")
        return EPOCH + pd.Timedelta(days=int(self.day.max()))

    def until(self, last_day: int) -> ClientHistory:
        """The rows on or before ``last_day``, with the same client numbering."""
        keep = self.day <= last_day
        if keep.all():
            return self
        return ClientHistory(
            self.clients,
            self.client[keep],
            self.day[keep],
            self.amount[keep],
            None if self.cost is None else self.cost[keep],
        )

    def per_client(self, values: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """Sum ``values`` (one per row) per client number, over the rows in ``mask``."""
        if mask is None:
            return np.bincount(self.client, weights=values, minlength=self.n_clients)
        return np.bincount(self.client[mask], weights=values[mask], minlength=self.n_clients)

    def window(self, after_day: int, last_day: int) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
        """Per client: net amount, cost and purchase days over days ``after_day < d <= last_day``.

        Returns
        -------
        amount : numpy.ndarray of float64
            Net amount per client number.
        cost : numpy.ndarray of float64 or None
            Cost per client number (``None`` without cost).
        purchase_days : numpy.ndarray of float64
            Number of purchase days (positive net amount) per client number.
        """
        mask = (self.day > after_day) & (self.day <= last_day)
        amount = self.per_client(self.amount, mask)
        cost = None if self.cost is None else self.per_client(self.cost, mask)
        purchases = np.bincount(self.client[mask & (self.amount > 0)], minlength=self.n_clients).astype(float)
        return amount, cost, purchases

    def known(self) -> np.ndarray:
        """Boolean per client number: the client has at least one row (is in the base)."""
        return np.bincount(self.client, minlength=self.n_clients) > 0

    def purchase_summary(self) -> pd.DataFrame:
        """Per client with at least one purchase day: first and last purchase day, count, amounts.

        Returns
        -------
        pandas.DataFrame
            Indexed by client number, with ``first_day``, ``last_day``,
            ``purchase_days`` (count), ``purchase_amount`` (sum over purchase
            days) and ``first_amount`` (amount of the first purchase day).
        """
        pos = self.amount > 0
        client, day, amount = self.client[pos], self.day[pos], self.amount[pos]
        if client.size == 0:
            cols = ["first_day", "last_day", "purchase_days", "purchase_amount", "first_amount"]
            return pd.DataFrame(columns=cols, index=pd.Index([], dtype=np.int64, name="client"), dtype=float)
        # Rows are sorted by client then day: a client's first row is its first purchase day.
        starts = np.flatnonzero(np.r_[True, client[1:] != client[:-1]])
        ends = np.r_[starts[1:], client.size] - 1
        sums = np.add.reduceat(amount, starts)
        return pd.DataFrame(
            {
                "first_day": day[starts],
                "last_day": day[ends],
                "purchase_days": (ends - starts + 1).astype(float),
                "purchase_amount": sums,
                "first_amount": amount[starts],
            },
            index=pd.Index(client[starts], name="client"),
        )

    def margin_rate(self) -> np.ndarray:
        """Per client number: margin / revenue over the whole history (``NaN`` without cost).

        A client whose net revenue is not positive gets the base's overall rate
        (total margin / total revenue), so that a forecast revenue times the rate
        is a usable margin forecast for every client.
        """
        if self.cost is None:
            return np.full(self.n_clients, np.nan)
        revenue = self.per_client(self.amount)
        margin = revenue - self.per_client(self.cost)
        total_revenue = revenue.sum()
        overall = margin.sum() / total_revenue if total_revenue > 0 else 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(revenue > 0, margin / np.where(revenue > 0, revenue, 1.0), overall)


def as_history(transactions: pd.DataFrame | ClientHistory) -> ClientHistory:
    """A :class:`ClientHistory` from the canonical ``transactions`` table (or the history itself)."""
    if isinstance(transactions, ClientHistory):
        return transactions
    return ClientHistory.from_transactions(transactions)
