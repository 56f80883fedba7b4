"""Report language: translation catalogues and locale formatting (Babel).

All text the client reads comes from ``workbench/report/locales/<language>.yaml``;
numbers, money, percentages and dates are formatted for the locale.

Counts agree with their nouns through CLDR plural rules, as gettext's
``Plural-Forms`` and Project Fluent select them (Babel's
``Locale.plural_form``). A catalogue's ``plurals:`` section holds phrases, one
form per plural category of the language: English ``one``, ``other``; Russian
``one`` (1, 21, 1 331), ``few`` (2–4, 22, 2 054), ``many`` (0, 5–20, 11, 111)
and ``other`` (fractions: 0,5 and 5,2 take the genitive singular)::

    plurals:
      active_clients: {one: активный клиент, few: активных клиента, many: активных клиентов, other: активного клиента}

A phrase is a phrase, not a noun: after 2–4 a Russian adjective takes the
genitive plural ("2 активных клиента"), and a case governed by the sentence
gets its own entry (``clients_gen``: "у 1 331 клиента", "у 2 054 клиентов").
A message writes a count as ``{name:plural:phrase}``; the value is a number
(written by :meth:`Translator.number`, or :meth:`Translator.decimal` when it
has decimals) or a number already written for the locale (``t.number(x, 1)``),
and the form is chosen from the number as the reader sees it ("5,0 ставки",
like "5,2 ставки"). The number goes before the phrase, or where a form puts
``#`` ("нужен # руководитель", "нужны # руководителя"), so a verb or a
preposition can agree as well. In code, :meth:`Translator.count` does the
same: ``t.count(2054, "active_clients")`` is "2 054 активных клиента".

Each language picks the phrases its grammar needs, so the entries of
``plurals:`` need not match between languages; a message's placeholders do,
and a placeholder that is a count in one language is a count in every
language (``tests/test_i18n.py``).
"""

from __future__ import annotations

import datetime as dt
import re
import string
from functools import cache
from numbers import Integral

import yaml
from babel import Locale
from babel.dates import format_date
from babel.numbers import (
    NumberFormatError,
    format_compact_currency,
    format_currency,
    format_decimal,
    format_percent,
    parse_decimal,
)

from ..paths import LOCALES

LANGUAGES = ("en", "ru")
_LOCALE = {"en": "en_GB", "ru": "ru_RU"}
#: The catalogue section of count phrases (see the module docstring).
PLURALS = "plurals"
_CATEGORIES = ("zero", "one", "two", "few", "many", "other")  # CLDR's order


@cache
def _tree(language: str) -> dict:
    if language not in LANGUAGES:
        raise ValueError(f"language '{language}' not supported; expected one of {', '.join(LANGUAGES)}")
    with open(LOCALES / f"{language}.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@cache
def catalogue(language: str) -> dict[str, str]:
    """The flat ``key -> text`` catalogue of a language (its messages; the count phrases are :func:`plurals`)."""
    return _flatten({k: v for k, v in _tree(language).items() if k != PLURALS})


def plural_forms(language: str) -> tuple[str, ...]:
    """The CLDR plural categories of a language, in CLDR's order: ``("one", "other")``, Russian four."""
    tags = Locale.parse(_LOCALE[language]).plural_form.tags | {"other"}
    return tuple(c for c in _CATEGORIES if c in tags)


@cache
def plurals(language: str) -> dict[str, dict[str, str]]:
    """The count phrases of a language: ``name -> {category: form}``, every category the language has.

    Raises
    ------
    ValueError
        An entry lacks a form the language needs or has one it does not.
    """
    need = plural_forms(language)
    out: dict[str, dict[str, str]] = {}
    for name, forms in (_tree(language).get(PLURALS) or {}).items():
        have = tuple(forms) if isinstance(forms, dict) else ()
        if set(have) != set(need):
            raise ValueError(
                f"plural '{name}' in {LOCALES / (language + '.yaml')} has forms {', '.join(have) or 'none'}; "
                f"{language} needs exactly {', '.join(need)}"
            )
        out[name] = {c: str(forms[c]) for c in need}
    return out


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


#: The minus sign of typeset text (U+2212), not the hyphen a keyboard types: −0,7 %, −£1.2M.
MINUS = "\u2212"


def _keep_together(text: str) -> str:
    """No line break inside a number or before its per cent sign: "10 000", "15–20 %" stay whole."""
    text = re.sub(r"(?<=\d) (?=%)", "\u00a0", text)
    return re.sub(r"(?<=\d) (?=\d{3}\b)", "\u00a0", text)


def _minus(text: str) -> str:
    """A formatted number with a real minus sign (Babel writes the hyphen-minus)."""
    return text.replace("-", MINUS)


class _Messages(string.Formatter):
    """``str.format`` with one more format: ``{n:plural:phrase}`` is ``t.count(n, "phrase")``."""

    def __init__(self, t: Translator):
        super().__init__()
        self.t = t

    def format_field(self, value, format_spec: str):
        kind, _, phrase = format_spec.partition(":")
        if kind == "plural" and phrase:
            return self.t.count(value, phrase)
        return super().format_field(value, format_spec)


class Translator:
    """Text and number formatting for one report language.

    ``t("section.key", name=value)`` is a catalogue text with its placeholders
    filled in; ``t.count(n, "phrase")`` and ``{n:plural:phrase}`` in a text
    write a count with the form its number takes (see the module docstring).

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
        self.texts = dict(catalogue(language))  # a run may replace texts (summary.run_translator): a copy
        self.plurals = plurals(language)
        self._plural_form = Locale.parse(self.locale).plural_form
        self._messages = _Messages(self)

    def __call__(self, key: str, /, **values) -> str:
        """The text of ``key``, with ``{placeholders}`` filled in and ``{n:plural:phrase}`` counts agreed."""
        try:
            text = self.texts[key]
        except KeyError:
            raise KeyError(
                f"no text '{key}' in the {self.language} catalogue ({LOCALES / (self.language + '.yaml')})"
            ) from None
        text = self._messages.vformat(text, (), values) if values else text
        return _keep_together(text)

    def count(self, value, phrase: str, digits: int | None = None) -> str:
        """A number with its phrase in the form the number takes: "2 054 активных клиента", "1 client".

        Parameters
        ----------
        value : number or str
            A number, written with ``digits`` decimals (``None``: an integer as
            :meth:`number`, otherwise as :meth:`decimal`), or a number already
            written for the locale (``t.number(x, 1)``), kept as it is.
        phrase : str
            An entry of the catalogue's ``plurals:`` section. The number goes
            before the form, or in place of ``#`` where the form has one.
        """
        try:
            forms = self.plurals[phrase]
        except KeyError:
            raise KeyError(
                f"no plural '{phrase}' in the {self.language} catalogue ({LOCALES / (self.language + '.yaml')})"
            ) from None
        if isinstance(value, str):
            written = value
        elif _missing(value):
            written = "–"
        elif digits is not None:
            written = self.number(value, digits)
        elif isinstance(value, Integral) or float(value).is_integer():
            written = self.number(value)
        else:
            written = self.decimal(value)
        form = forms[self.plural_form(written)]
        return form.replace("#", written) if "#" in form else f"{written} {form}"

    def plural_form(self, written: str) -> str:
        """The CLDR category of a number as written for the locale ("2,0" is ``other`` in Russian, "2" ``few``).

        A dash or other non-number takes ``many`` where the language has it
        (Russian "– клиентов"), else ``other``.
        """
        try:
            number = parse_decimal(written.replace(MINUS, "-"), locale=self.locale, strict=True)
        except NumberFormatError:
            return "many" if "many" in self._plural_form.tags else "other"
        return self._plural_form(abs(number))

    def join(self, items) -> str:
        """Items listed in a sentence as the locale lists them: "A, B and C", «A, B и C» (CLDR, Babel)."""
        from babel.lists import format_list

        items = [str(i) for i in items]
        return format_list(items, locale=self.locale) if items else ""

    def inline(self, group: str, value) -> str:
        """A label as it reads inside a sentence: "менеджер по ключевым клиентам", "head of sales".

        The first letter goes lower case unless the label opens with an abbreviation ("CRM", "KAM").
        """
        return self.mid_sentence(self.label(group, value))

    @staticmethod
    def mid_sentence(text: str) -> str:
        """A label's first letter in lower case, unless it opens an abbreviation (see :meth:`inline`)."""
        if len(text) > 1 and text[0].isupper() and not text[1].isupper():
            return text[0].lower() + text[1:]
        return text

    def label(self, group: str, value) -> str:
        """Translate a code (a role, a status, a metric) if the catalogue has it, else keep it."""
        return self.texts.get(f"{group}.{value}", str(value))

    def number(self, value, digits: int = 0) -> str:
        """A number with ``digits`` decimals and the locale's grouping (1,234 / 1 234)."""
        if _missing(value):
            return "–"
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return _minus(format_decimal(value, format=pattern, locale=self.locale))

    def decimal(self, value, max_digits: int = 2) -> str:
        """A number with only the decimals it needs (1, 0.75, 0.5)."""
        if _missing(value):
            return "–"
        return _minus(format_decimal(value, format="#,##0." + "#" * max_digits, locale=self.locale))

    def duration(self, hours) -> str:
        """Time a contact takes, as a reader says it: 45 min, 1 h, 1 h 30 min (not 0.75 h)."""
        if _missing(hours):
            return "–"
        minutes = round(float(hours) * 60)
        whole, rest = divmod(minutes, 60)
        parts = ([self("units.hours", n=self.number(whole))] if whole else []) + (
            [self("units.minutes", n=self.number(rest))] if rest or not whole else []
        )
        return " ".join(parts)

    def rounded_count(self, value) -> str:
        """A count that may be fractional (equivalent clients): one decimal only while it is small (4,5; 92; 222)."""
        return self.decimal(value, 1) if abs(value) < 10 else self.number(value)

    def money(self, value, digits: int = 0) -> str:
        """An amount with the currency sign, written for the locale."""
        if _missing(value):
            return "–"
        # The locale's own pattern (English £8,021,266, Russian 8 021 266 ₽), with the decimals asked for.
        pattern = Locale.parse(self.locale).currency_formats["standard"].pattern.split(";")[0]
        pattern = re.sub(r"0\.0+", "0" + ("." + "0" * digits if digits else ""), pattern)
        text = format_currency(value, self.currency, format=pattern, locale=self.locale, currency_digits=False)
        return _minus(re.sub(r"^(-?[A-Z]{3})(\d)", "\\1\u00a0\\2", text))  # a code, not a sign, is spaced: RUB 1,500

    def money_round(self, value) -> str:
        """Money rounded for a sentence, with its unit and currency: £8.0M, 8,0 млн ₽; under a thousand, whole: £835."""
        if _missing(value):
            return "–"
        if abs(value) < 1000:  # Babel's compact format has no unit below a thousand and keeps every decimal
            return self.money(value, 2 if 0 < abs(value) < 10 else 0)
        text = format_compact_currency(value, self.currency, locale=self.locale, fraction_digits=1)
        return _minus(re.sub(r"^(-?[A-Z]{3})(\d)", "\\1\u00a0\\2", text))  # RUB 1.4bn, not RUB1.4bn

    def money_range(self, low, high) -> dict[str, str]:
        """The ends of a money range for a sentence, the shared unit written once: «от 5,2 до 13,7 млн ₽».

        Where both ends round to the same unit written after the number (Russian), the low end drops it;
        where the unit comes first (£5.2M, RUB 5.2M) both ends keep it. Returns ``{"low": ..., "high": ...}``.
        """
        lo, hi = self.money_round(low), self.money_round(high)
        number = re.compile(r"^([-\u2212]?[\d\u00a0\u202f .,]*\d)(\D.*)$")
        a, b = number.match(lo), number.match(hi)
        if a and b and a.group(2) == b.group(2):
            lo = a.group(1)
        return {"low": lo, "high": hi}

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
        if round(float(value) * 100, digits) == 0:  # −0,2 % shown as 0 % is 0 %, not "−0 %"
            value = 0.0
        return _minus(format_percent(value, format=pattern, locale=self.locale))

    def date(self, value) -> str:
        """A date written out for the locale (1 November 2025 / 1 ноября 2025 г.)."""
        if _missing(value):
            return "–"
        if hasattr(value, "date") and not isinstance(value, dt.date):
            value = value.date()
        if isinstance(value, dt.datetime):
            value = value.date()
        return format_date(value, format="long", locale=self.locale)
