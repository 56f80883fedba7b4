"""Report language: gettext catalogues (Babel) and locale formatting.

All text the client reads comes from the report's gettext catalogues in
``workbench/report/locales/``: ``report.pot``, the template, holds the English
(the source language), and ``<language>/LC_MESSAGES/report.po`` a
translation. Edit them with any PO editor (Poedit, Weblate, a text editor);
``make catalogues`` merges new template entries into the translations
(``pybabel update``). A translation is compiled with Babel (``.mo``) when the
report loads and read through Python's :mod:`gettext`; a message missing or
marked fuzzy in a translation stops the run with its key, so a Russian report
never falls back to English text.

Each message's context (``msgctxt``) is its key in the code:
``t("cover.title", company=...)`` is ``pgettext("cover.title", "<English>")``
with its ``{placeholders}`` filled in; numbers, money, percentages and dates
are formatted for the locale (Babel).

Counts agree with their nouns through gettext's plural forms. A count phrase
is a ``ngettext`` entry with context ``plural:<name>``, and the catalogue's
``Plural-Forms`` picks the form: English ``client``/``clients``; Russian three
forms, ``1 331 клиент``, ``2 054 клиента``, ``5 клиентов``. A number written
with decimals takes the phrase's entry ``fraction:<name>`` (Russian's genitive
singular: «5,2 ставки», «0,5 клиента»; English the plural), since
``Plural-Forms`` speaks only of integers. A test checks that the catalogue's
``Plural-Forms`` agrees with CLDR's rules (Babel) for every integer it tries::

    msgctxt "plural:active_clients"
    msgid "active client"
    msgid_plural "active clients"
    msgstr[0] "активный клиент"
    msgstr[1] "активных клиента"
    msgstr[2] "активных клиентов"

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

Each language picks the phrases its grammar needs, so a Russian message may
count with a phrase English never uses (its template entry is marked "Russian
only"); a message's placeholders match between languages, and a placeholder
that is a count in one language is a count in every language
(``tests/test_i18n.py``).
"""

from __future__ import annotations

import datetime as dt
import gettext
import io
import math
import re
import string
from decimal import Decimal
from functools import cache
from numbers import Integral
from pathlib import Path

from babel import Locale
from babel.dates import format_date
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
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
SOURCE_LANGUAGE = "en"
_LOCALE = {"en": "en_GB", "ru": "ru_RU"}
DOMAIN = "report"
#: Context prefixes of a count phrase's two entries (see the module docstring).
PLURAL, FRACTION = "plural:", "fraction:"
_CATEGORIES = ("zero", "one", "two", "few", "many", "other")  # CLDR's order


def catalogue_path(language: str) -> Path:
    """The catalogue file of a language: the template for English, else ``<language>/LC_MESSAGES/report.po``."""
    if language not in LANGUAGES:
        raise ValueError(f"language '{language}' not supported; expected one of {', '.join(LANGUAGES)}")
    if language == SOURCE_LANGUAGE:
        return LOCALES / f"{DOMAIN}.pot"
    return LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def _po(language: str) -> Catalog:
    path = catalogue_path(language)
    with open(path, "rb") as fh:
        return read_po(fh, locale=None if language == SOURCE_LANGUAGE else language, domain=DOMAIN)


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The language's :mod:`gettext` translations: its ``.po`` compiled with Babel; English reads the template.

    Raises
    ------
    ValueError
        The translation lacks a message of the template, or has one marked fuzzy (named by key).
    """
    if language == SOURCE_LANGUAGE:
        return gettext.NullTranslations()  # the source language: a message is its msgid
    po, template = _po(language), _po(SOURCE_LANGUAGE)
    missing = [
        str(m.context)
        for m in template
        if m.id and not (m.context or "").startswith((PLURAL, FRACTION)) and not _translated(po, m)
    ]
    if missing:
        raise ValueError(
            f"{catalogue_path(language)}: {len(missing)} message(s) of the template untranslated or fuzzy: "
            f"{', '.join(missing[:10])}{' …' if len(missing) > 10 else ''} (run `make catalogues`, then translate)"
        )
    compiled = io.BytesIO()
    write_mo(compiled, po)  # fuzzy entries are left out: checked above
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def _translated(po: Catalog, message) -> bool:
    """The translation holds the template's message, not fuzzy, with every form filled in."""
    found = po.get(message.id, context=message.context)
    if found is None or found.fuzzy:
        return False
    strings = found.string if isinstance(found.string, (tuple, list)) else (found.string,)
    return all(s for s in strings)


@cache
def catalogue(language: str) -> dict[str, str]:
    """The ``key -> text`` messages of a language, in the template's order (count phrases: :func:`plurals`)."""
    tr = translations(language)
    return {
        m.context: tr.pgettext(m.context, m.id)
        for m in _po(SOURCE_LANGUAGE)
        if isinstance(m.id, str) and m.id and m.context and not m.context.startswith((PLURAL, FRACTION))
    }


@cache
def _phrases(language: str) -> dict[str, tuple[str, str]]:
    """The count phrases a language translates: ``name -> (msgid, msgid_plural)`` of the template."""
    template, po = _po(SOURCE_LANGUAGE), _po(language)
    out = {}
    for m in template:
        if not (m.context and m.context.startswith(PLURAL)) or isinstance(m.id, str):
            continue
        name = m.context[len(PLURAL) :]
        fraction = template.get(m.id[1], context=FRACTION + name)
        if fraction is None:
            raise ValueError(f"{catalogue_path(SOURCE_LANGUAGE)}: count phrase '{name}' has no '{FRACTION}{name}'")
        if language == SOURCE_LANGUAGE or (_translated(po, m) and _translated(po, fraction)):
            out[name] = (m.id[0], m.id[1])
    return out


def plural_forms(language: str) -> tuple[str, ...]:
    """The CLDR plural categories of a language, in CLDR's order: ``("one", "other")``, Russian four."""
    tags = Locale.parse(_LOCALE[language]).plural_form.tags | {"other"}
    return tuple(c for c in _CATEGORIES if c in tags)


@cache
def plurals(language: str) -> dict[str, dict[str, str]]:
    """The count phrases of a language by CLDR category: ``name -> {category: form}``.

    The integer categories are the forms ``Plural-Forms`` picks for a number
    of that category (English 1 and 2, Russian 1, 2 and 5); ``other`` in
    Russian (fractions) is the ``fraction:`` entry.
    """
    t = Translator(language)
    sample = {"one": 1, "few": 2, "many": 5}
    out = {}
    for name in _phrases(language):
        forms = {c: t._form(name, Decimal(sample[c])) for c in plural_forms(language) if c != "other"}
        out[name] = forms | {"other": t._form(name, Decimal("1.5"))}
    return out


def _missing(value) -> bool:
    """None, NaN, NaT or pandas' NA: written as a dash."""
    try:
        return value is None or bool(value != value) or str(value) in ("<NA>", "NaT")
    except TypeError:  # pandas.NA refuses bool()
        return True


#: The minus sign of typeset text (U+2212), not the hyphen a keyboard types: −0,7 %, −£1.2M.
MINUS = "\u2212"
#: What a table cell or sentence shows for a missing number: the em dash the playbooks use for "nothing".
MISSING = "\u2014"


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
        self._gettext = translations(language)
        self._phrase_ids = _phrases(language)
        self._plural_form = Locale.parse(self.locale).plural_form
        self._messages = _Messages(self)

    def __call__(self, key: str, /, **values) -> str:
        """The text of ``key``, with ``{placeholders}`` filled in and ``{n:plural:phrase}`` counts agreed."""
        try:
            text = self.texts[key]
        except KeyError:
            raise KeyError(
                f"no text '{key}' in the {self.language} catalogue ({catalogue_path(self.language)})"
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
        if phrase not in self._phrase_ids:
            raise KeyError(
                f"no plural '{phrase}' in the {self.language} catalogue ({catalogue_path(self.language)})"
            ) from None
        if isinstance(value, str):
            written = value
        elif _missing(value):
            written = MISSING
        elif digits is not None:
            written = self.number(value, digits)
        elif isinstance(value, Integral) or float(value).is_integer():
            written = self.number(value)
        else:
            written = self.decimal(value)
        form = self._form(phrase, self._parse(written))
        return form.replace("#", written) if "#" in form else f"{written} {form}"

    def _parse(self, written: str) -> Decimal | None:
        """A number as written for the locale ("2 054", "5,0"), or ``None`` for a dash or other non-number."""
        try:
            return parse_decimal(written.replace(MINUS, "-"), locale=self.locale, strict=True)
        except NumberFormatError:
            return None

    def _form(self, phrase: str, number: Decimal | None) -> str:
        """The phrase's form for a number: ``npgettext`` for an integer, the ``fraction:`` entry for decimals.

        A number written with decimals ("5,0", "5,2") has its own entry, as CLDR
        gives it its own category; a dash reads like none ("– клиентов").
        """
        one, other = self._phrase_ids[phrase]
        if number is not None and int(number.as_tuple().exponent) < 0:
            return self._gettext.pgettext(FRACTION + phrase, other)
        n = int(abs(number)) if number is not None else 0
        return self._gettext.npgettext(PLURAL + phrase, one, other, n)

    def plural_form(self, written: str) -> str:
        """The CLDR category of a number as written for the locale ("2,0" is ``other`` in Russian, "2" ``few``).

        The reference the catalogue's ``Plural-Forms`` is checked against
        (``tests/test_i18n.py``). A dash or other non-number takes ``many``
        where the language has it (Russian "– клиентов"), else ``other``.
        """
        number = self._parse(written)
        if number is None:
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

    def _grouped(self, value, column: bool) -> bool:
        """Whether a number's thousands are grouped: always in a column; in Russian prose not for four digits.

        Russian typography (Мильчин, «Справочник издателя и автора») writes 1000–9999 without a space in
        running text and groups them only in a column beside longer numbers, where digits must align.
        """
        return column or self.language != "ru" or not 1000 <= abs(float(value)) < 10000

    def number(self, value, digits: int = 0, column: bool = False) -> str:
        """A number with ``digits`` decimals and the locale's grouping (1,234 / 1 234; Russian prose: 1234).

        ``column``: the number stands in a table column or on a chart axis, where it is always grouped.
        """
        if _missing(value):
            return MISSING
        pattern = ("#,##0" if self._grouped(value, column) else "0") + ("." + "0" * digits if digits else "")
        return _minus(format_decimal(value, format=pattern, locale=self.locale))

    def decimal(self, value, max_digits: int = 2) -> str:
        """A number with only the decimals it needs (1, 0.75, 0.5)."""
        if _missing(value):
            return MISSING
        return _minus(format_decimal(value, format="#,##0." + "#" * max_digits, locale=self.locale))

    def duration(self, hours) -> str:
        """Time a contact takes, as a reader says it: 45 min, 1 h, 1 h 30 min (not 0.75 h)."""
        if _missing(hours):
            return MISSING
        minutes = round(float(hours) * 60)
        whole, rest = divmod(minutes, 60)
        parts = ([self("units.hours", n=self.number(whole))] if whole else []) + (
            [self("units.minutes", n=self.number(rest))] if rest or not whole else []
        )
        return " ".join(parts)

    def rounded_count(self, value) -> str:
        """A count that may be fractional (equivalent clients): one decimal only while it is small (4,5; 92; 222)."""
        return self.decimal(value, 1) if abs(value) < 10 else self.number(value)

    def money(self, value, digits: int = 0, column: bool = False) -> str:
        """An amount with the currency sign, written for the locale (``column``: grouped as :meth:`number`)."""
        if _missing(value):
            return MISSING
        # The locale's own pattern (English £8,021,266, Russian 8 021 266 ₽), with the decimals asked for.
        pattern = Locale.parse(self.locale).currency_formats["standard"].pattern.split(";")[0]
        pattern = re.sub(r"0\.0+", "0" + ("." + "0" * digits if digits else ""), pattern)
        if not self._grouped(value, column):
            pattern = pattern.replace("#,##0", "0")
        text = format_currency(value, self.currency, format=pattern, locale=self.locale, currency_digits=False)
        return _minus(re.sub(r"^(-?[A-Z]{3})(\d)", "\\1\u00a0\\2", text))  # a code, not a sign, is spaced: RUB 1,500

    def money_round(self, value) -> str:
        """Money rounded for a sentence, with its unit and currency: £8.0M, 8,0 млн ₽; under a thousand, whole: £835."""
        if _missing(value):
            return MISSING
        if abs(value) < 1000:  # Babel's compact format has no unit below a thousand and keeps every decimal
            return self.money(value, 2 if 0 < abs(value) < 10 else 0)
        # Three significant figures, the same in every sentence and table: 7.4bn, 26.4m, 298m (not 594.8m).
        mantissa = abs(value) / 10 ** (3 * int(math.log10(abs(value)) // 3))
        digits = 0 if round(mantissa, 1) >= 100 else 1
        text = format_compact_currency(value, self.currency, locale=self.locale, fraction_digits=digits)
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
            return MISSING
        for scale, key in ((1e9, "units.bn"), (1e6, "units.mn"), (1e3, "units.k")):
            if abs(value) >= scale:
                scaled = value / scale
                places = digits if digits is not None else (0 if abs(scaled - round(scaled)) < 1e-9 else 1)
                return f"{self.number(scaled, places)}\u00a0{self(key)}"
        return self.number(value)

    def pct(self, value, digits: int = 1) -> str:
        """A share (0.25) as a percentage for the locale."""
        if _missing(value):
            return MISSING
        # The locale's own pattern: English 73%, Russian 73 %.
        pattern = Locale.parse(self.locale).percent_formats[None].pattern.split(";")[0]
        pattern = pattern.replace("#,##0", "#,##0" + ("." + "0" * digits if digits else ""), 1)
        if round(float(value) * 100, digits) == 0:  # −0,2 % shown as 0 % is 0 %, not "−0 %"
            value = 0.0
        return _minus(format_percent(value, format=pattern, locale=self.locale))

    def date(self, value) -> str:
        """A date written out for the locale (1 November 2025 / 1 ноября 2025 г.)."""
        if _missing(value):
            return MISSING
        if hasattr(value, "date") and not isinstance(value, dt.date):
            value = value.date()
        if isinstance(value, dt.datetime):
            value = value.date()
        return format_date(value, format="long", locale=self.locale)
