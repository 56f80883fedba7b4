"""Report language: translation catalogues and locale formatting (Babel).

All text the client reads comes from ``workbench/report/locales/<language>.yaml``;
numbers, money, percentages and dates are formatted for the locale.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache

import yaml
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_compact_currency, format_currency, format_decimal, format_percent

from ..paths import LOCALES

LANGUAGES = ("en", "ru")
_LOCALE = {"en": "en_GB", "ru": "ru_RU"}


@cache
def catalogue(language: str) -> dict[str, str]:
    """The flat ``key -> text`` catalogue of a language."""
    if language not in LANGUAGES:
        raise ValueError(f"language '{language}' not supported; expected one of {', '.join(LANGUAGES)}")
    with open(LOCALES / f"{language}.yaml", encoding="utf-8") as fh:
        return _flatten(yaml.safe_load(fh))


def _flatten(tree: dict, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = str(value)
    return flat


def _missing(value) -> bool:
    """None, NaN, NaT or pandas' NA: written as a dash."""
    try:
        return value is None or bool(value != value) or str(value) in ("<NA>", "NaT")
    except TypeError:  # pandas.NA refuses bool()
        return True


class Translator:
    """Text and number formatting for one report language.

    Parameters
    ----------
    language : {"en", "ru"}
    currency : str, default "RUB"
        ISO code used by :meth:`money`.
    """

    def __init__(self, language: str = "en", currency: str = "RUB"):
        self.language = language
        self.locale = _LOCALE[language]
        self.currency = currency
        self.texts = catalogue(language)

    def __call__(self, key: str, /, **values) -> str:
        """The text of ``key``, with ``{placeholders}`` filled in."""
        try:
            text = self.texts[key]
        except KeyError:
            raise KeyError(
                f"no text '{key}' in the {self.language} catalogue ({LOCALES / (self.language + '.yaml')})"
            ) from None
        return text.format(**values) if values else text

    def label(self, group: str, value) -> str:
        """Translate a code (a role, a status, a metric) if the catalogue has it, else keep it."""
        return self.texts.get(f"{group}.{value}", str(value))

    def number(self, value, digits: int = 0) -> str:
        """A number with ``digits`` decimals and the locale's grouping (1,234 / 1 234)."""
        if _missing(value):
            return "–"
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, format=pattern, locale=self.locale)

    def decimal(self, value, max_digits: int = 2) -> str:
        """A number with only the decimals it needs (1, 0.75, 0.5)."""
        if _missing(value):
            return "–"
        return format_decimal(value, format="#,##0." + "#" * max_digits, locale=self.locale)

    def money(self, value, digits: int = 0) -> str:
        """An amount with the currency sign, written for the locale."""
        if _missing(value):
            return "–"
        # The locale's own pattern (English £8,021,266, Russian 8 021 266 ₽), with the decimals asked for.
        pattern = Locale.parse(self.locale).currency_formats["standard"].pattern.split(";")[0]
        pattern = re.sub(r"0\.0+", "0" + ("." + "0" * digits if digits else ""), pattern)
        text = format_currency(value, self.currency, format=pattern, locale=self.locale, currency_digits=False)
        return re.sub(r"^(-?[A-Z]{3})(\d)", "\\1\u00a0\\2", text)  # a code, not a sign, is spaced: RUB 1,500

    def money_round(self, value) -> str:
        """Money rounded for a sentence, with its unit and currency: £8.0M, 8,0 млн ₽."""
        if _missing(value):
            return "–"
        text = format_compact_currency(value, self.currency, locale=self.locale, fraction_digits=1)
        return re.sub(r"^(-?[A-Z]{3})(\d)", "\\1\u00a0\\2", text)  # RUB 1.4bn, not RUB1.4bn

    def money_short(self, value, digits: int | None = 1) -> str:
        """Money in thousands, millions or billions, for charts and dense tables.

        ``digits=None`` writes whole units when exact and one decimal otherwise
        (axis ticks: 1 bn, 1.5 bn, 2 bn).
        """
        if _missing(value):
            return "–"
        for scale, key in ((1e9, "units.bn"), (1e6, "units.mn"), (1e3, "units.k")):
            if abs(value) >= scale:
                scaled = value / scale
                places = digits if digits is not None else (0 if abs(scaled - round(scaled)) < 1e-9 else 1)
                return f"{self.number(scaled, places)}\u00a0{self(key)}"
        return self.number(value)

    def pct(self, value, digits: int = 1) -> str:
        """A share (0.25) as a percentage for the locale."""
        if _missing(value):
            return "–"
        # The locale's own pattern: English 73%, Russian 73 %.
        pattern = Locale.parse(self.locale).percent_formats[None].pattern.split(";")[0]
        pattern = pattern.replace("#,##0", "#,##0" + ("." + "0" * digits if digits else ""), 1)
        return format_percent(value, format=pattern, locale=self.locale)

    def date(self, value) -> str:
        """A date written out for the locale (1 November 2025 / 1 ноября 2025 г.)."""
        if _missing(value):
            return "–"
        if hasattr(value, "date") and not isinstance(value, dt.date):
            value = value.date()
        if isinstance(value, dt.datetime):
            value = value.date()
        return format_date(value, format="long", locale=self.locale)
