"""One format per column, decided from the whole column: dates and text numbers.

A value read wrong is worse than one refused. So a column's format is never
guessed value by value (``11.09.2024`` month-first in one row and day-first
in the next): every candidate format is tried on every value, the one that
reads them all is chosen, a tie is settled by a stated convention or the
export's locale, and a column no single format reads, or one that stays
ambiguous, is an :class:`~workbench.intake.tables.IntakeError` that lists the
candidates and the first values that break each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .tables import IntakeError

#: Date formats tried on a text column, in the order they are listed in errors.
DATE_CANDIDATES = (
    "%d.%m.%Y",
    "%m.%d.%Y",
    "%d.%m.%y",
    "%m.%d.%y",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d/%m/%y",
    "%m/%d/%y",
    "%Y/%m/%d",
    "%d-%m-%Y",
    "%Y.%m.%d",
)
#: Spreadsheet serial dates (days since 1899-12-30) taken as dates: 1954-10-03 to 2119-01-11.
EXCEL_SERIALS = (20_000, 80_000)
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
#: Names of the two formats that are not strftime patterns.
ISO, EXCEL = "ISO 8601", "excel serial"
#: A date, then optionally a time (``11.09.2024 0:00:00``, ``2024-09-11T10:30``); a timezone is dropped.
_DATE_TIME = re.compile(
    r"^(?P<date>[^\sT]+)(?:[ T](?P<time>\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?))?\s*(?:Z|[+-]\d{2}:?\d{2})?$"
)
#: Characters that only ever group thousands: spaces of every width and apostrophes.
_GROUP_CHARS = "[ \u00a0\u202f\u2009']"


@dataclass(frozen=True)
class ColumnFormat:
    """How one column was read, and why (shown by ``workbench validate``).

    Attributes
    ----------
    setting : str
        The ``engagement.yaml`` key that pins it: ``date_format`` or ``decimal``.
    value : str
        The format (``%d.%m.%Y``, ``ISO 8601``, ``excel serial``) or the decimal
        mark (``,``) with the thousands separator in ``thousands``.
    how : str
        ``config`` (given), ``only fit`` (the one format that reads every value),
        or the convention or locale that settled a tie, in words.
    thousands : str
        For numbers: the thousands separator (``" "`` also stands for the
        other space characters; ``""`` when there is none).
    basis : str
        ``how`` as a code for the report: ``config``, ``only_fit``,
        ``convention``, ``locale`` or ``dayfirst``.
    """

    setting: str
    value: str
    how: str
    thousands: str = ""
    basis: str = "only_fit"


# --------------------------------------------------------------------------- dates


def parse_dates(
    text: pd.Series,
    *,
    date_format: str | None = None,
    dayfirst: bool | None = None,
    locale: str | None = None,
    where: str = "",
) -> tuple[pd.Series, ColumnFormat | None]:
    """Read a text column of dates with one format decided from all its values.

    Parameters
    ----------
    text : Series of str
        Stripped texts; empty cells are NA.
    date_format : str, optional
        A strftime format from the config: used as it is (values it does not
        read are left NaT, for the caller to reject).
    dayfirst, locale : optional
        Settle slashed dates that read both ways (every day <= 12): ``dayfirst``
        if given, else the order of the ``locale``'s short date format.
    where : str
        ``file, column`` for error messages.

    Returns
    -------
    parsed : Series of datetime64
        NaT where the cell is empty (or, with an explicit format, unreadable).
    decided : ColumnFormat or None
        None for an empty column.

    Raises
    ------
    IntakeError
        No single format reads every value, or two do and nothing settles which.
    """
    present = text.dropna()
    if date_format:
        return pd.to_datetime(text, format=date_format, errors="coerce"), ColumnFormat(
            "date_format", date_format, "config", basis="config"
        )
    if present.empty:
        return pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]"), None
    iso = pd.to_datetime(text, format="ISO8601", errors="coerce")
    if iso[present.index].notna().all():  # the fast path: ISO dates, with or without time
        return iso, ColumnFormat("date_format", ISO, "only fit")
    codes, uniq_texts = pd.factorize(present)  # the work is done once per distinct text
    texts = pd.Series(uniq_texts, dtype="string")
    parts = texts.str.extract(_DATE_TIME)
    hms = parts["time"].fillna("0:00").str.replace(",", ".", regex=False)
    clock = pd.to_timedelta(hms.where(hms.str.count(":") == 2, hms + ":00"), errors="coerce")
    readings = {ISO: pd.to_datetime(texts, format="ISO8601", errors="coerce")}
    serial = pd.to_numeric(texts, errors="coerce")
    readings[EXCEL] = (EXCEL_EPOCH + pd.to_timedelta(serial, unit="D")).where(serial.between(*EXCEL_SERIALS))
    for fmt in DATE_CANDIDATES:
        readings[fmt] = pd.to_datetime(parts["date"], format=fmt, errors="coerce") + clock
    readable = pd.DataFrame(readings).notna().any(axis=1)
    if not readable.any():  # nothing here is a date in any format: every row is rejected, not the column
        return pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]"), None
    fits: list[str] = []
    seen = {fmt: reading[readable] for fmt, reading in readings.items()}
    for fmt, reading in seen.items():  # formats that read every value, one of those that read them identically
        if reading.notna().all() and not any(reading.equals(seen[f]) for f in fits):
            fits.append(fmt)
    breaks = {
        fmt: texts[readable & readings[fmt].isna()]
        for fmt, reading in seen.items()
        if reading.isna().any() and readings[fmt].notna().any()
    }
    fmt, how, basis = _settle(fits, breaks, texts[readable], dayfirst, locale, where)
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    out[present.index] = readings[fmt].to_numpy()[codes]
    return out, ColumnFormat("date_format", fmt, how, basis=basis)


def _settle(
    fits: list[str],
    breaks: dict[str, pd.Series],
    uniq: pd.Series,
    dayfirst: bool | None,
    locale: str | None,
    where: str,
) -> tuple[str, str, str]:
    if len(fits) == 1:
        return fits[0], "only fit", "only_fit"
    if not fits:
        listed = "; ".join(f"{fmt} breaks on {_examples(bad)}" for fmt, bad in breaks.items())
        raise IntakeError(
            f"{where}: no single date format reads every value (the column mixes formats or orders): {listed}. "
            "Correct the export, or set date_format in engagement.yaml to reject the values that do not fit it"
        )
    day_first = [f for f in fits if f.startswith("%d")]
    month_first = [f for f in fits if f.startswith("%m")]
    if len(fits) == 2 and len(day_first) == 1 and len(month_first) == 1:
        if "." in fits[0]:
            return (
                day_first[0],
                "convention: dotted dates are day-first (as Russian and German systems write them)",
                "convention",
            )
        order = dayfirst if dayfirst is not None else _locale_dayfirst(locale)
        if order is not None:
            source = "dayfirst" if dayfirst is not None else f"locale {locale}"
            how = f"{source}: slashed dates are {'day' if order else 'month'}-first"
            return (day_first if order else month_first)[0], how, "dayfirst" if dayfirst is not None else "locale"
    raise IntakeError(
        f"{where}: ambiguous dates: every value reads as {' and as '.join(fits)} (no day above 12), e.g. "
        f"{_examples(uniq)}; set date_format (e.g. date_format: '{fits[0]}') or the export's locale "
        "(e.g. locale: en_GB or en_US) in engagement.yaml"
    )


def _locale_dayfirst(locale: str | None) -> bool | None:
    """Whether the locale's short date format puts the day before the month (Babel's CLDR data)."""
    if not locale:
        return None
    from babel.dates import get_date_format

    pattern = get_date_format("short", locale=locale).pattern
    return pattern.lower().index("d") < pattern.index("M")


# --------------------------------------------------------------------------- numbers


def parse_numbers(
    text: pd.Series,
    *,
    decimal: str | None = None,
    thousands: str | None = None,
    locale: str | None = None,
    where: str = "",
) -> tuple[pd.Series, ColumnFormat | None]:
    """Read a text column of numbers with one decimal mark decided from all its values.

    Spaces (plain, non-breaking, narrow, thin) and apostrophes only ever group
    thousands. Of ``.`` and ``,``, a value settles which is the decimal mark
    when it holds both (``1.234,50``), one of them twice (``1,234,567``), or
    one of them followed by other than three digits (``2,5``). A column whose
    only marks are ``1,234``-shaped is settled by ``locale``, else it is an
    error; so is a column where values settle it both ways.

    Parameters
    ----------
    text : Series of str
        Stripped texts; empty cells are NA.
    decimal, thousands : str, optional
        From the config: used as given.
    locale : str, optional
        The export's locale, for columns the values leave ambiguous.
    where : str
        ``file, column`` for error messages.

    Returns
    -------
    parsed : Series of float
        NaN where empty or not a number in the decided convention (the caller rejects those rows).
    decided : ColumnFormat or None
        None when the column holds no marks to decide on (plain integers, or empty).
    """
    present = text.dropna()
    out = pd.Series(np.nan, index=text.index, dtype=float)
    if present.empty:
        return out, None
    codes, uniq_texts = pd.factorize(present)  # the work is done once per distinct text
    # Arrow-backed strings: pandas runs contains / count / replace in C++ (RE2), a must at millions of values.
    texts = pd.Series(uniq_texts, dtype="string[pyarrow]")
    if texts.str.contains("[\u2212\u2013]", regex=True).any():
        texts = texts.str.replace("\u2212", "-", regex=False).str.replace("\u2013", "-", regex=False)
    plain = pd.to_numeric(texts, errors="coerce")  # the fast path: 1234.5
    if decimal is not None:
        mark, group, how = decimal, thousands if thousands is not None else ("." if decimal == "," else ","), "config"
    elif plain.notna().all() and _dot_settled(texts):
        mark, group, how = ".", thousands if thousands is not None else "", "only fit"
    else:
        mark, group, how = _decide_mark(texts, thousands, locale, where)
    if mark == "." and plain.notna().all():
        values = plain
    else:
        cleaned = texts.str.replace(_GROUP_CHARS, "", regex=True)
        if group and group.strip():
            grouped = cleaned.str.contains(group, regex=False)
            well_grouped = cleaned.str.fullmatch(
                rf"[+-]?\d{{1,3}}(?:{re.escape(group)}\d{{3}})+(?:{re.escape(mark)}\d*)?"
            )
            cleaned = cleaned.where(~grouped | well_grouped, "not a number")  # 12.34,5 is not 1234.5
            cleaned = cleaned.str.replace(group, "", regex=False)
        if mark != ".":
            cleaned = cleaned.where(~cleaned.str.contains(".", regex=False), "not a number")
            cleaned = cleaned.str.replace(mark, ".", regex=False)
        values = pd.to_numeric(cleaned, errors="coerce")
    out[present.index] = values.to_numpy(dtype=float)[codes]
    if how != "config" and not texts.str.contains("[.,]", regex=True).any():
        return out, None  # plain integers: nothing to decide
    basis = "locale" if how.startswith("locale") else how.replace(" ", "_")
    return out, ColumnFormat("decimal", mark, how, thousands=group, basis=basis)


def _dot_settled(texts: pd.Series) -> bool:
    """Whether the dot of plain numbers (all read by ``to_numeric``) is a decimal point beyond doubt.

    True when no value has a dot (integers) or one value's dot cannot group
    thousands (``2.5``, ``1234.567``, ``0.125``); False when every dotted value
    is ``1.234``-shaped, which the full rule settles (locale, or an error).
    """
    dotted = texts.str.contains(".", regex=False)
    if not dotted.any():
        return True
    return bool((dotted & ~texts.str.fullmatch(r"[+-]?[1-9]\d{0,2}\.\d{3}")).any())


def _decide_mark(present: pd.Series, thousands: str | None, locale: str | None, where: str) -> tuple[str, str, str]:
    """The decimal mark, the thousands separator and how they were settled."""
    uniq = present.str.replace(_GROUP_CHARS, "", regex=True)
    spaced = present.str.contains(_GROUP_CHARS, regex=True).any()
    space_group = " " if spaced else ""
    marks = uniq[uniq.str.contains("[.,]", regex=True)]
    if marks.empty:
        return ".", thousands if thousands is not None else space_group, "only fit"
    # Every test below is a regex contains or count: no per-value Python (see parse_numbers).
    dots, commas = marks.str.count(r"\."), marks.str.count(",")
    both = (dots > 0) & (commas > 0)
    last_comma = marks.str.contains(r",\d*$", regex=True)
    single = (dots + commas) == 1
    three_after = marks.str.contains(r"[.,]\d{3}$", regex=True)
    long_integer = marks.str.contains(r"^[+-]?\d{4,}[.,]", regex=True)
    zero_integer = marks.str.contains(r"^[+-]?0?[.,]", regex=True)
    # A single mark is a decimal unless three digits follow it after a 1-3 digit, non-zero integer part.
    decimal_shaped = single & (~three_after | long_integer | zero_integer)
    says_comma = (both & last_comma) | (dots > 1) & (commas <= 1) | (decimal_shaped & (commas == 1))
    says_dot = (both & ~last_comma) | (commas > 1) & (dots <= 1) | (decimal_shaped & (dots == 1))
    if says_comma.any() and says_dot.any():
        raise IntakeError(
            f"{where}: numbers in two conventions: {_examples(marks[says_comma])} have a decimal comma, "
            f"{_examples(marks[says_dot])} a decimal point; correct the export or set decimal in engagement.yaml "
            "(values of the other convention are then rejected)"
        )
    if says_comma.any():
        return ",", thousands if thousands is not None else ("." if (dots > 0).any() else space_group), "only fit"
    if says_dot.any():
        return ".", thousands if thousands is not None else ("," if (commas > 0).any() else space_group), "only fit"
    if locale:  # every mark is 1,234-shaped: the locale says which it is
        from babel.numbers import get_decimal_symbol

        mark = get_decimal_symbol(locale)
        other = "." if mark == "," else ","
        return mark, thousands if thousands is not None else other, f"locale {locale}"
    raise IntakeError(
        f"{where}: ambiguous numbers: in {_examples(marks)} the mark may be a decimal or a thousands separator "
        "(no value settles it); set decimal (e.g. decimal: ',') or the export's locale (e.g. locale: ru_RU) "
        "in engagement.yaml"
    )


def _examples(values: pd.Series, n: int = 3) -> str:
    shown = [f"'{v}'" for v in pd.unique(values.astype(str))[:n]]
    return ", ".join(shown) + (" ..." if values.nunique() > n else "")
