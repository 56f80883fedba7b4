"""Report language: catalogues in step, numbers written for the locale."""

import datetime as dt

import pytest

from workbench.report.i18n import Translator, catalogue


def test_catalogues_have_the_same_keys_and_placeholders():
    import string

    en, ru = catalogue("en"), catalogue("ru")
    assert set(en) == set(ru)
    fields = lambda text: {f for _, f, _, _ in string.Formatter().parse(text) if f}  # noqa: E731
    assert {k: fields(v) for k, v in en.items()} == {k: fields(v) for k, v in ru.items()}


def test_numbers_money_percentages_and_dates_follow_the_locale():
    en, ru = Translator("en", "RUB"), Translator("ru", "RUB")
    assert en.number(1234567) == "1,234,567"
    assert ru.number(1234567) == "1\u00a0234\u00a0567"
    # Each locale's own patterns: English 12.3% and the sign first, Russian 12,3 % and the sign last.
    assert en.pct(0.123) == "12.3%" and ru.pct(0.123) == "12,3\u00a0%"
    assert ru.money(1500) == "1\u00a0500\u00a0₽"
    assert en.money(1500) == "RUB\u00a01,500"
    assert Translator("en", "GBP").money(8021266) == "£8,021,266" and Translator("en", "GBP").pct(0.73, 0) == "73%"
    assert Translator("en", "GBP").money_round(8021266) == "£8m" and ru.money_round(7.4e9) == "7,4\u00a0млрд\u00a0₽"
    assert ru.date(dt.date(2026, 10, 31)) == "31 октября 2026\u202fг."
    assert en.date(dt.date(2026, 10, 31)) == "31 October 2026"
    assert [en.decimal(v) for v in (1.0, 0.75, 0.5)] == ["1", "0.75", "0.5"] and ru.decimal(0.75) == "0,75"


def test_short_money_on_axes_is_never_ambiguous():
    en = Translator("en")
    # 1.5 bn must not round to "2 bn" next to a real 2 bn tick.
    assert [en.money_short(v, None) for v in (5e8, 1e9, 1.5e9, 2e9)] == [
        "500\u00a0mn",
        "1\u00a0bn",
        "1.5\u00a0bn",
        "2\u00a0bn",
    ]
    assert Translator("ru").money_short(2.5e6) == "2,5\u00a0млн"


def test_unknown_key_and_language_fail_clearly():
    with pytest.raises(KeyError, match="no text 'nope' in the en catalogue"):
        Translator("en")("nope")
    with pytest.raises(ValueError, match="language 'de' not supported"):
        catalogue("de")
