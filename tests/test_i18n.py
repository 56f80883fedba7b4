"""Report language: catalogues in step, numbers written for the locale, counts agreeing with their nouns."""

import datetime as dt
import re
import string

import pytest

from workbench.report import i18n
from workbench.report.i18n import LANGUAGES, Translator, catalogue, plural_forms, plurals


def _placeholders(text: str) -> set[tuple[str, bool]]:
    """``(name, is a count)`` of every placeholder: ``{n:plural:clients}`` is ``("n", True)``."""
    return {(f, (spec or "").startswith("plural:")) for _, f, spec, _ in string.Formatter().parse(text) if f}


def _phrases(text: str) -> set[str]:
    return {
        spec.split(":", 1)[1]
        for _, f, spec, _ in string.Formatter().parse(text)
        if f and (spec or "").startswith("plural:")
    }


def test_catalogues_have_the_same_keys_and_placeholders():
    en, ru = catalogue("en"), catalogue("ru")
    assert set(en) == set(ru)
    # The same names, and a count in one language is a count in the other (the caller passes a number).
    assert {k: _placeholders(v) for k, v in en.items()} == {k: _placeholders(v) for k, v in ru.items()}


def test_every_plural_entry_has_the_forms_its_language_needs_and_is_used():
    from workbench.paths import ROOT

    assert plural_forms("ru") == ("one", "few", "many", "other") and plural_forms("en") == ("one", "other")
    code = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "workbench").rglob("*.py"))
    used: set[str] = set()
    for language in LANGUAGES:
        entries = plurals(language)
        for name, forms in entries.items():
            assert tuple(forms) == plural_forms(language), (language, name)
            assert all(f.strip() for f in forms.values()), (language, name)
        in_messages = set().union(*(_phrases(text) for text in catalogue(language).values()))
        assert in_messages <= set(entries), (
            language,
            in_messages - set(entries),
        )  # every count names a phrase there is
        used |= in_messages
    unused = {n for n in set(plurals("en")) - used if f'"{n}"' not in code}
    assert not unused, unused  # the template carries no phrase that no language and no code uses


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogues_plural_forms_agree_with_cldr(language):
    """gettext's ``Plural-Forms`` (integers) and the ``fraction:`` entries pick the form CLDR's rules give."""
    t = Translator(language)

    def placed(form: str, written: str) -> str:
        return form.replace("#", written) if "#" in form else f"{written} {form}"

    numbers = [*range(0, 250), 1001, 1011, 1331, 2054, 10_000, 1_000_021]
    for name, forms in plurals(language).items():
        for n in numbers:
            written = t.number(n)
            assert t.count(n, name) == placed(forms[t.plural_form(written)], written), (name, n)
        for x in (0.5, 1.5, 5.2, 21.5):
            assert t.plural_form(t.decimal(x)) == "other"
            assert t.count(x, name) == placed(forms["other"], t.decimal(x)), (name, x)
        assert t.count("5" + t.decimal(0.5)[1:-1] + "0", name) == placed(
            forms["other"], "5" + t.decimal(0.5)[1:-1] + "0"
        )


@pytest.fixture
def catalogue_copy(tmp_path, monkeypatch):
    """A copy of the catalogues to break, loaded in place of the real ones (caches cleared around the test)."""
    import shutil

    from workbench.paths import LOCALES

    shutil.copytree(LOCALES, tmp_path / "locales")
    monkeypatch.setattr(i18n, "LOCALES", tmp_path / "locales")
    caches = (i18n._po, i18n.translations, i18n.catalogue, i18n._phrases, i18n.plurals)
    for cached in caches:
        cached.cache_clear()
    yield tmp_path / "locales" / "ru" / "LC_MESSAGES" / "report.po"
    monkeypatch.undo()
    for cached in caches:
        cached.cache_clear()


def _edit(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_an_untranslated_or_fuzzy_message_stops_the_russian_report(catalogue_copy):
    _edit(
        catalogue_copy,
        'msgctxt "common.notes"\nmsgid "Notes on the data and the assumptions"\nmsgstr "Примечания к данным и допущениям"',
        'msgctxt "common.notes"\nmsgid "Notes on the data and the assumptions"\nmsgstr ""',
    )
    _edit(catalogue_copy, 'msgctxt "common.revenue"\n', '#, fuzzy\nmsgctxt "common.revenue"\n')
    with pytest.raises(
        ValueError,
        match=r"report\.po: 2 message\(s\) of the template untranslated or fuzzy: common\.notes, common\.revenue",
    ):
        Translator("ru")
    assert Translator("en")("common.notes") == "Notes on the data and the assumptions"  # English reads the template


def test_a_count_phrase_missing_a_form_is_not_there_to_count_with(catalogue_copy):
    _edit(catalogue_copy, 'msgstr[2] "клиентов"\n', 'msgstr[2] ""\n')
    t = Translator("ru")
    with pytest.raises(KeyError, match="no plural 'clients' in the ru catalogue"):
        t.count(5, "clients")
    with pytest.raises(KeyError, match="no plural 'nope' in the ru catalogue"):
        t.count(1, "nope")


def test_the_translation_holds_only_what_the_template_has():
    """An entry the template dropped is marked obsolete by ``make catalogues``, not left live in the .po."""
    template = {(m.id, m.context) for m in i18n._po("en") if m.id}
    extra = [m.context for m in i18n._po("ru") if m.id and (m.id, m.context) not in template]
    assert not extra, extra


RU = Translator("ru")
COUNTS = [1, 2, 5, 11, 21, 1331, 2054]


@pytest.mark.parametrize(
    "phrase, expected",
    [
        (
            "clients",
            ["1 клиент", "2 клиента", "5 клиентов", "11 клиентов", "21 клиент", "1331 клиент", "2054 клиента"],
        ),
        (
            "active_clients",
            [
                "1 активный клиент",
                "2 активных клиента",
                "5 активных клиентов",
                "11 активных клиентов",
                "21 активный клиент",
                "1331 активный клиент",
                "2054 активных клиента",
            ],
        ),
        (
            "contacts_year",
            [
                "1 контакт в год",
                "2 контакта в год",
                "5 контактов в год",
                "11 контактов в год",
                "21 контакт в год",
                "1331 контакт в год",
                "2054 контакта в год",
            ],
        ),
        ("fte", ["1 ставка", "2 ставки", "5 ставок", "11 ставок", "21 ставка", "1331 ставка", "2054 ставки"]),
        (
            "clients_gen",
            ["1 клиента", "2 клиентов", "5 клиентов", "11 клиентов", "21 клиента", "1331 клиента", "2054 клиентов"],
        ),
    ],
)
def test_russian_numerals_agree_with_their_phrase(phrase, expected):
    assert [RU.count(n, phrase).replace("\u00a0", " ") for n in COUNTS] == expected
    # The same through a message, with the number written first by t.number (its non-breaking space kept).
    assert RU.count(RU.number(20541), phrase) == RU.count(20541, phrase) and "\u00a0" in RU.count(20541, phrase)


def test_russian_prose_writes_four_digits_without_a_space_and_columns_group_them():
    """Мильчин: 1000–9999 ungrouped in running text, grouped in a column beside longer numbers."""
    assert RU.number(2054) == "2054" and RU.number(1000) == "1000" and RU.number(-9999) == "\u22129999"
    assert RU.number(2054, column=True) == "2\u00a0054" and RU.number(12054) == "12\u00a0054"
    assert RU.number(2054.5, 1) == "2054,5" and RU.number(999) == "999"
    assert (
        RU.money(4500).replace("\u00a0", " ") == "4500 ₽"
        and RU.money(4500, column=True).replace("\u00a0", " ") == "4 500 ₽"
    )
    assert RU.money(45000).replace("\u00a0", " ") == "45 000 ₽"
    assert Translator("en").number(2054) == "2,054"  # English groups four digits as its style guides do


def test_fractions_take_the_genitive_singular_as_written():
    assert RU.count(0.5, "fte") == "0,5 ставки" and RU.count(5.2, "fte") == "5,2 ставки"
    assert RU.count(RU.number(5.2, 1), "fte") == "5,2 ставки"
    # "5,0" is read as a decimal, like "5,2"; a whole 5 is "5 ставок".
    assert RU.count(5, "fte", digits=1) == "5,0 ставки" and RU.count(5.0, "fte") == "5 ставок"
    assert RU("cover.d_fte", role="охотник", fte=RU.number(1.5, 1)) == "1,5 ставки на роль «охотник»"
    assert RU("cover.d_fte", role="охотник", fte=RU.number(1, 0)) == "1 ставка на роль «охотник»"
    assert RU("playbooks.frequency", n=RU.decimal(0.5), hours=RU.duration(0.25)) == "0,5 контакта в год, по 15 мин"


def test_messages_agree_where_the_old_text_did_not():
    assert RU("playbooks.frequency", n="4", hours=RU.duration(0.5)) == "4 контакта в год, по 30 мин"
    assert RU("playbooks.frequency", n="1", hours=RU.duration(1)) == "1 контакт в год, по 1 ч"
    assert RU("playbooks.frequency", n="2", hours=RU.duration(1.5)) == "2 контакта в год, по 1 ч 30 мин"
    parts = [RU(f"cover.f_base_part.{s}", n=n) for s, n in (("active", 2054), ("lost", 121), ("potential", 121))]
    base = RU("cover.f_base", parts=", ".join(parts)).replace("\u00a0", " ")
    assert base == (
        "Клиентская база: 2054 активных клиента, 121 ушедший клиент, 121 потенциальный клиент (ещё ничего не покупал)."
    )
    text = RU("goal.concentration", n="81", clients="400", share="72 %", n80="152", share80="29 %").replace(
        "\u00a0", " "
    )
    assert "80 % выручки получено от 152 клиентов (29 % активных клиентов)" in text and "152 клиентов (29" in text
    assert "от 121 клиента" in RU("goal.concentration", n="1", clients="1", share="1", n80="121", share80="1")
    # A number the verb agrees with: "#" places it inside the phrase.
    assert [RU.count(n, "heads_needed") for n in (1, 3, 5)] == [
        "нужен 1 руководитель",
        "нужны 3 руководителя",
        "нужно 5 руководителей",
    ]
    assert (
        RU("rules.span_of_control", max=7, fte="1")
        == "У одного руководителя отдела продаж должно быть не больше 7 подчинённых, поэтому нужен 1 руководитель."
    )
    assert RU.count("–", "clients") == "– клиентов"
    # A missing number is the em dash the playbooks print for "nothing", in both languages.
    assert RU.number(float("nan")) == "—" and RU.count(None, "clients") == "— клиентов"


def test_english_counts_are_one_or_other():
    en = Translator("en")
    assert [en.count(n, "clients") for n in (1, 2, 0, 2054)] == ["1 client", "2 clients", "0 clients", "2,054 clients"]
    assert (
        en.count(1.5, "contacts_year") == "1.5 contacts a year" and en.count("1", "contacts_year") == "1 contact a year"
    )
    assert en("playbooks.frequency", n="1", hours=en.duration(0.5)) == "1 contact a year, 30 min each"
    assert (
        en("rules.span_of_control", max=7, fte="1")
        == "A head of sales leads at most 7 people, so 1 head of sales is needed."
    )
    assert en("cover.d_wave", named="1").startswith("Owners: 1 client has a named owner")


def test_a_run_that_renames_a_text_does_not_rename_it_for_the_next_report():
    t = Translator("ru")
    t.texts["segments.A"] = "A — другое"
    assert Translator("ru")("segments.A") != "A — другое"


def test_numbers_money_percentages_and_dates_follow_the_locale():
    en, ru = Translator("en", "RUB"), Translator("ru", "RUB")
    assert en.number(1234567) == "1,234,567"
    assert ru.number(1234567) == "1\u00a0234\u00a0567"
    # Each locale's own patterns: English 12.3% and the sign first, Russian 12,3 % and the sign last.
    assert en.pct(0.123) == "12.3%" and ru.pct(0.123) == "12,3\u00a0%"
    assert ru.money(1500) == "1500\u00a0₽" and ru.money(1500, column=True) == "1\u00a0500\u00a0₽"
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


# --------------------------------------------------------------------------- the rendered Russian report

_NUMBER = r"(?<![\d,])\d{1,3}(?:[\u00a0 ]\d{3})*(?:,\d+)?"


@pytest.fixture(scope="module")
def russian_report_text(tmp_path_factory):
    """The body text of a small Russian demo report: the six steps as the notebooks run them, every section."""
    import html

    import matplotlib
    import yaml

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from workbench import STEPS, allocation, criteria, demo, goal, grouping, playbooks, priorities
    from workbench.config import parse_config
    from workbench.engagement import save_intake, step_parameters
    from workbench.intake import load_tables
    from workbench.paths import TEMPLATES
    from workbench.report.narrative import ClientReport

    base = tmp_path_factory.mktemp("ru_report")
    demo.generate(base / "data", n_clients=300, seed=11)
    raw = yaml.safe_load((TEMPLATES / "engagement.yaml").read_text(encoding="utf-8"))
    raw["engagement"]["language"] = "ru"
    config = parse_config(raw)
    run_dir = base / "run"
    save_intake(run_dir, config, load_tables(config, base))
    modules = dict(zip(STEPS, (goal, criteria, grouping, priorities, playbooks, allocation), strict=True))
    for step in STEPS:
        params = step_parameters(config, step, run_dir)
        params.pop("run_dir")
        if step != "playbooks":
            params.pop("language")
        modules[step].run_step(run_dir, **params)
    out: list = []
    report = ClientReport(run_dir, "ru", config.engagement.currency, sink=out.append)
    for section in ("cover", *STEPS, "appendix"):
        getattr(report, section)()
    plt.close("all")
    body = " ".join(o for o in out if isinstance(o, str))
    return html.unescape(re.sub(r"<[^>]+>", " ", body)).replace("\u00a0", " ")


def test_rendered_russian_report_has_no_numeral_disagreement_or_label_dodges(russian_report_text):
    text = russian_report_text
    assert "клиентов" in text and "ставк" in text  # the report did say something about counts
    # A number ending in 1 (not 11) never takes the genitive plural; 2-4 never take it in the nominative.
    assert not re.search(r"(?<![\d ])(?:\d* )?(?:\d*[02-9])?1 (?:клиентов|контактов|ставок|активных)\b", text), (
        re.findall(r".{40}\b1 (?:клиентов|контактов|ставок)\b.{20}", text)
    )
    assert not re.search(r"(?<!\bу )(?<!\bот )(?<!\bдля )(?<!\bне больше )(?<![\d ,])[234] клиентов\b", text)
    assert not re.search(r"(?<![\d ,])[234] (?:контактов|ставок)\b", text)
    assert not re.search(r"\d,\d+ (?:ставок|контактов|клиентов)\b", text)  # a fraction takes the genitive singular
    # The label dodges are gone: "(клиентов: 590)", "клиентов — 590", "руководителей: 1".
    # (A named quantity may still be a label: "Эквивалентное число равных клиентов: 44,3".)
    assert not re.search(r"клиентов: \d+[;)]", text) and not re.search(r"\((?:клиентов|сценариев|отделов)\w*: \d", text)
    assert not re.search(r"(?:клиентов|руководителей|отделов продаж|отделов) — \d", text)
    assert not re.search(r"(?:руководителей|ставок): \d", text) and "Менеджеров, которые нужны плану:" not in text
    # Every count of clients takes a form its number allows in some case (nominative, genitive, instrumental).
    forms = {c: {plurals("ru")[p][c] for p in ("clients", "clients_gen", "clients_instr")} for c in plural_forms("ru")}
    for number, noun in re.findall(rf"({_NUMBER}) (клиент\w*)", text):
        category = RU.plural_form(number.replace(" ", "\u00a0"))
        assert noun in forms[category], (number, noun)


EN = Translator("en")


def test_lists_join_as_each_language_lists_them():
    assert EN.join(["A", "B"]) == "A and B" and EN.join(["A", "B", "C"]) == "A, B and C"
    assert RU.join(["A", "B"]) == "A и B" and RU.join(["A", "B", "C"]) == "A, B и C"
    assert RU.join([]) == "" and RU.join(["A"]) == "A"


def test_labels_read_lower_case_inside_a_sentence_but_abbreviations_stay():
    label = RU.label("roles", "head_of_sales")
    assert label[0].isupper() and RU.inline("roles", "head_of_sales") == label[0].lower() + label[1:]
    RU.texts["roles.test_abbrev"] = "КАМ по ключевым клиентам"
    try:
        assert RU.inline("roles", "test_abbrev") == "КАМ по ключевым клиентам"
    finally:
        del RU.texts["roles.test_abbrev"]


def test_money_ranges_write_a_shared_unit_once_where_it_follows_the_number():
    assert RU.money_range(5.2e6, 13.7e6) == {"low": "5,2", "high": "13,7\u00a0млн\u00a0₽"}
    assert RU.money_range(900e3, 1.2e6) == {"low": "900\u00a0тыс.\u00a0₽", "high": "1,2\u00a0млн\u00a0₽"}
    gbp = Translator("en", "GBP")
    assert gbp.money_range(5.2e6, 13.7e6) == {"low": "£5.2m", "high": "£13.7m"}  # the sign leads: both keep it


def test_negative_numbers_carry_a_real_minus_sign():
    minus = "\u2212"
    assert RU.pct(-0.007) == f"{minus}0,7\u00a0%" and EN.pct(-0.085) == f"{minus}8.5%"
    assert RU.money(-1500) == f"{minus}1500\u00a0₽" and RU.number(-12345) == f"{minus}12\u00a0345"
    assert RU.money_round(-1.2e6).startswith(minus) and "-" not in RU.money_short(-1e5)
    assert RU.count(-2, "clients") == f"{minus}2 клиента"  # the form is still chosen from the number


def test_money_in_sentences_has_three_significant_figures_and_a_band_is_a_share(tmp_path):
    from workbench.report.narrative import ClientReport

    ru, en = Translator("ru", "RUB"), Translator("en", "GBP")
    # The same precision whatever the size: no "298 млн ₽" beside "594,8 млн ₽".
    assert [ru.money_round(v) for v in (594.8e6, 297.96e6, 26.44e6, 1.1e9)] == [
        "595\u00a0млн\u00a0₽",
        "298\u00a0млн\u00a0₽",
        "26,4\u00a0млн\u00a0₽",
        "1,1\u00a0млрд\u00a0₽",
    ]
    assert en.money_round(12_345) == "£12.3k" and en.money_round(999_960_000) == "£1bn"
    # A forecast's band in one unit: a share of the value, not "1,1 млрд ₽ ± 324,6 млн ₽".
    report = ClientReport(tmp_path, "ru", currency="RUB")
    assert report._banded(1.1e9, 3.246e8) == "1,1\u00a0млрд\u00a0₽ ± 30\u00a0%"
    assert report._banded(1.1e9, float("nan")) == "1,1\u00a0млрд\u00a0₽"
    assert report._banded(float("nan"), 1.0) == "—"


def test_rejected_rows_reasons_are_in_the_reports_language(tmp_path):
    from workbench.report.narrative import ClientReport

    ru = ClientReport(tmp_path, "ru")
    assert ru._reason("empty") == "пустое значение"
    assert ru._reason("not a number (decimal mark ',')") == "не число (десятичный разделитель «,»)"
    assert ru._reason("client_id not in the clients file") == "client_id: значение не найдено в таблице «Клиенты»"
    assert ru._reason("duplicate client_id (first row kept)") == "client_id повторяется (оставлена первая строка)"
    assert ru._reason("not a date in format %d.%m.%Y").startswith("не соответствует формату даты")
    assert ru._reason("something new") == "something new"  # an unknown reason is kept, never dropped
    assert ClientReport(tmp_path, "en")._reason("empty") == "empty"


def test_old_data_is_said_on_page_one_with_its_age(tmp_path):
    import pandas as pd

    from workbench.report.narrative import ClientReport

    now = pd.Timestamp.now().normalize()
    en, ru = ClientReport(tmp_path, "en"), ClientReport(tmp_path, "ru")
    assert en._data_age(now - pd.DateOffset(months=1)) == []  # a fresh export: nothing to say
    (sentence,) = en._data_age(now - pd.DateOffset(years=28, days=1))
    assert sentence.startswith("Data as of") and "28 years before this report" in sentence
    (sentence,) = ru._data_age(now - pd.DateOffset(months=7, days=1))
    assert "за 7 месяцев до даты отчёта" in sentence
    (sentence,) = ru._data_age(now - pd.DateOffset(years=21, days=1))
    assert "за 21 год до даты отчёта" in sentence
