"""One format per column, decided from the whole column; headerless 1C exports; row filters."""

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.cli import main as cli
from workbench.config import parse_config
from workbench.intake import IntakeError, load_tables
from workbench.intake.formats import parse_dates, parse_numbers


def dates(values, **options):
    parsed, decided = parse_dates(pd.Series(values, dtype="string"), where="lines.csv, column 'Дата'", **options)
    return [None if pd.isna(v) else v.strftime("%Y-%m-%d %H:%M") for v in parsed], decided


def numbers(values, **options):
    parsed, decided = parse_numbers(pd.Series(values, dtype="string"), where="lines.csv, column 'Сумма'", **options)
    return [None if pd.isna(v) else round(v, 6) for v in parsed], decided


# --------------------------------------------------------------------------- dates


def test_dotted_dates_with_every_day_up_to_12_are_day_first_never_mixed():
    # Read value by value, 11.09.2024 became 9 November while 27.07.2024 stayed 27 July.
    parsed, decided = dates(["11.09.2024", "05.06.2025", "01.02.2025"])
    assert parsed == ["2024-09-11 00:00", "2025-06-05 00:00", "2025-02-01 00:00"]
    assert decided.value == "%d.%m.%Y" and decided.how.startswith("convention: dotted dates are day-first")


def test_dotted_dates_with_a_day_above_12_fit_one_format_only():
    parsed, decided = dates(["11.09.2024 0:00:00", "27.07.2024 13:45:10", None])
    assert parsed == ["2024-09-11 00:00", "2024-07-27 13:45", None]
    assert (decided.value, decided.how) == ("%d.%m.%Y", "only fit")


def test_two_digit_years():
    parsed, decided = dates(["05.06.25", "31.12.24"])
    assert parsed == ["2025-06-05 00:00", "2024-12-31 00:00"] and decided.value == "%d.%m.%y"


def test_slashed_dates_with_every_day_up_to_12_need_a_locale():
    with pytest.raises(
        IntakeError, match=r"lines.csv, column 'Дата': ambiguous dates: .*%d/%m/%Y and as %m/%d/%Y.*locale"
    ):
        dates(["01/02/2025", "03/04/2025"])
    assert dates(["01/02/2025", "03/04/2025"], locale="en_US")[0] == ["2025-01-02 00:00", "2025-03-04 00:00"]
    assert dates(["01/02/2025", "03/04/2025"], locale="en_GB")[0] == ["2025-02-01 00:00", "2025-04-03 00:00"]
    parsed, decided = dates(["01/02/2025"], dayfirst=True)
    assert parsed == ["2025-02-01 00:00"] and decided.how == "dayfirst: slashed dates are day-first"


def test_a_column_mixing_both_orders_is_an_error_with_examples():
    with pytest.raises(IntakeError) as info:
        dates(["13/02/2025", "03/14/2025", "01/01/2025"])
    message = str(info.value)
    assert "no single date format reads every value" in message
    assert "%d/%m/%Y breaks on '03/14/2025'" in message and "%m/%d/%Y breaks on '13/02/2025'" in message


def test_excel_serial_dates_in_text():
    parsed, decided = dates(["45544", "45545.5"])
    assert parsed == ["2024-09-09 00:00", "2024-09-10 12:00"] and decided.value == "excel serial"


def test_iso_dates_and_a_value_no_format_reads():
    # A value that is no date in any format is the row's problem (rejected), not the column's.
    parsed, decided = dates(["2024-01-05", "2024-01-06 10:00", "someday"])
    assert parsed == ["2024-01-05 00:00", "2024-01-06 10:00", None] and decided.value == "ISO 8601"


def test_explicit_date_format_wins():
    parsed, decided = dates(["05.06.2025", "2025-06-05"], date_format="%m.%d.%Y")
    assert parsed == ["2025-05-06 00:00", None] and decided.how == "config"


FORMATS = [
    ("%d.%m.%Y", {}),
    ("%d.%m.%y", {}),
    ("%Y-%m-%d", {}),
    ("%d.%m.%Y %H:%M:%S", {}),
    ("%Y-%m-%dT%H:%M:%S", {}),
    ("%m/%d/%Y", {"locale": "en_US"}),
    ("%d/%m/%Y", {"locale": "ru_RU"}),
    ("%d/%m/%y", {"dayfirst": True}),
]


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(FORMATS),
    st.lists(
        st.datetimes(min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(2068, 12, 31)).map(
            lambda d: d.replace(microsecond=0)
        ),
        min_size=1,
        max_size=25,
    ),
)
def test_dates_written_in_one_format_read_back_equal(fmt_options, moments):
    fmt, options = fmt_options
    if "%H" not in fmt:
        moments = [m.replace(hour=0, minute=0, second=0) for m in moments]
    parsed, _ = parse_dates(pd.Series([m.strftime(fmt) for m in moments], dtype="string"), **options)
    assert list(parsed) == [pd.Timestamp(m) for m in moments]


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("values", "expected", "decimal"),
    [
        (["1 234,50", "2,5", "-3"], [1234.5, 2.5, -3.0], ","),  # space thousands, decimal comma
        (["1\u00a0234,50", "7"], [1234.5, 7.0], ","),  # non-breaking space
        (["1\u202f234,50", "7"], [1234.5, 7.0], ","),  # narrow no-break space (Babel's Russian)
        (["1.234,50", "1.234.567"], [1234.5, 1234567.0], ","),  # German / Russian accounting
        (["1,234.50", "1,234,567"], [1234.5, 1234567.0], "."),  # English
        (["1'234.50", "\u22123.5"], [1234.5, -3.5], "."),  # Swiss, a real minus sign
        (["1,234", "2,5"], [1.234, 2.5], ","),  # 1,234 resolved by the rest of the column
        (["1,234", "2.5"], [1234.0, 2.5], "."),
    ],
)
def test_decimal_mark_and_thousands_decided_per_column(values, expected, decimal):
    parsed, decided = numbers(values)
    assert parsed == expected and decided.value == decimal and decided.how == "only fit"


def test_an_ambiguous_1_234_column_is_an_error_unless_the_locale_settles_it():
    with pytest.raises(IntakeError, match=r"ambiguous numbers: in '1,234', '2,345' .*decimal.*locale"):
        numbers(["1,234", "2,345"])
    assert numbers(["1,234", "2,345"], locale="ru_RU")[0] == [1.234, 2.345]
    assert numbers(["1,234", "2,345"], locale="en_US")[0] == [1234.0, 2345.0]


def test_a_column_in_two_conventions_is_an_error():
    with pytest.raises(
        IntakeError, match=r"numbers in two conventions: '2,5' have a decimal comma, '3.75' a decimal point"
    ):
        numbers(["2,5", "3.75"])


def test_badly_grouped_values_are_not_numbers():
    # 12.34,5 would be 1234.5 if the dots were simply dropped; the row is rejected instead.
    assert numbers(["12.34,5", "1.234,5"])[0] == [None, 1234.5]


def test_plain_numbers_decide_nothing():
    assert numbers(["100", "-7", None]) == ([100.0, -7.0, None], None)


# --------------------------------------------------------------------------- a 1C export, end to end of intake

ONE_C_LINES = [
    # document; date; amount; counterparty; status  (a trailing ';' on every line, as 1C writes)
    ("Заказ 0001", "27.07.2024", "1 234,50", "ООО «Ромашка»", "Закрыт"),
    ("Заказ 0002", "11.09.2024", "2,5", "ИП Иванов", "Закрыт"),
    ("Заказ 0003", "05.06.2025", "10 000", "ООО «Ромашка»", "К выполнению"),
    ("Заказ 0004", "01.02.2025", "-100,25", "АО «Север»", "Закрыт"),
    ("Заказ 0005", "31.02.2025", "50", "АО «Север»", "Закрыт"),  # no such day: rejected
    ("Заказ 0006", "25.07.2025", "300,00", "ИП Иванов", "В резерве"),
    ("Заказ 0007", "12.12.2024", "1.000,75", "ИП Иванов", "Закрыт"),
]


def write_1c(path):
    text = "".join(";".join(row) + ";\r\n" for row in ONE_C_LINES)
    path.write_bytes("\ufeff".encode() + text.encode("utf-8"))


ONE_C_CONFIG = {
    "engagement": {"company": "ООО Тест"},
    "data": {
        "transactions": {
            "file": "data/orders.csv",
            "header": False,
            "columns": {"invoice_id": 1, "date": 2, "amount": 3, "client_id": 4},
            "filter": {"keep": {5: ["Закрыт"]}},
        }
    },
}


@pytest.fixture
def one_c(tmp_path):
    (tmp_path / "data").mkdir()
    write_1c(tmp_path / "data" / "orders.csv")
    return tmp_path


def test_headerless_1c_export_with_trailing_separator_and_a_status_filter(one_c):
    intake = load_tables(parse_config(ONE_C_CONFIG), one_c)
    tx = intake.tables["transactions"]
    assert tx["invoice_id"].tolist() == ["Заказ 0001", "Заказ 0002", "Заказ 0004", "Заказ 0007"]
    assert tx["date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-07-27", "2024-09-11", "2025-02-01", "2024-12-12"]
    assert tx["amount"].tolist() == [1234.5, 2.5, -100.25, 1000.75]
    assert tx["client_id"].tolist() == ["ООО «Ромашка»", "ИП Иванов", "АО «Север»", "ИП Иванов"]
    # Rows read = used + filtered + rejected; the filtered ones are valued.
    summary = intake.summary().iloc[0]
    assert (summary["rows_read"], summary["rows_accepted"], summary["rows_filtered"], summary["rows_rejected"]) == (
        7,
        4,
        2,
        1,
    )
    assert intake.filtered.to_dict("records") == [
        {"table": "transactions", "file": "orders.csv", "rows": 2, "amount": 10300.0}
    ]
    assert intake.rejected[["row", "column", "value"]].values.tolist() == [[5, "date", "31.02.2025"]]
    decided = {(f["column"], f["setting"]): (f["value"], f["how"]) for f in intake.formats}
    assert decided[("", "encoding")] == ("utf-8", "byte-order mark")
    assert decided[("", "sep")][0] == ";"
    assert decided[("", "header")] == ("false", "config")
    assert decided[(2, "date_format")][0] == "%d.%m.%Y"
    assert decided[(3, "decimal")][0] == ","


def test_a_non_empty_last_column_is_kept(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "orders.csv").write_text("К1;01.02.2025;5;note\nК2;03.02.2025;6;\n", encoding="utf-8")
    config = {
        "engagement": {"company": "ООО Тест"},
        "data": {
            "transactions": {
                "file": "data/orders.csv",
                "header": False,
                "columns": {"client_id": 1, "date": 2, "amount": 3},
            }
        },
    }
    intake = load_tables(parse_config(config), tmp_path)
    assert intake.summary().iloc[0]["rows_accepted"] == 2
    with pytest.raises(IntakeError, match="column 5 .*the file has 4 columns"):
        config["data"]["transactions"]["columns"]["product_line"] = 5
        load_tables(parse_config(config), tmp_path)


def test_a_headerless_file_read_with_a_header_says_so(one_c):
    config = {
        "engagement": {"company": "ООО Тест"},
        "data": {
            "transactions": {
                "file": "data/orders.csv",
                "columns": {"client_id": "Контрагент", "date": "Дата", "amount": "Сумма"},
            }
        },
    }
    with pytest.raises(IntakeError, match=r"first row looks like data \(27.07.2024, 1 234,50\).*header: false"):
        load_tables(parse_config(config), one_c)


def test_positions_are_required_without_header():
    config = {
        "engagement": {"company": "X"},
        "data": {"transactions": {"file": "a.csv", "header": False, "columns": {"date": "Дата"}}},
    }
    with pytest.raises(Exception, match="with header: false, map columns by position"):
        parse_config(config)


def test_filter_on_a_column_the_file_lacks(one_c):
    config = {
        **ONE_C_CONFIG,
        "data": {"transactions": {**ONE_C_CONFIG["data"]["transactions"], "filter": {"keep": {9: ["Закрыт"]}}}},
    }
    with pytest.raises(IntakeError, match=r"orders.csv: data.transactions.filter.keep: column 9 not found"):
        load_tables(parse_config(config), one_c)


def test_validate_prints_what_it_decided_and_how_to_pin_it(one_c, capsys):
    import yaml

    (one_c / "engagement.yaml").write_text(yaml.safe_dump(ONE_C_CONFIG, allow_unicode=True), encoding="utf-8")
    assert cli(["validate", str(one_c)]) == 0
    out = capsys.readouterr().out
    assert "column 2 (transactions.date) date_format: '%d.%m.%Y'  [convention: dotted dates are day-first" not in out
    assert "column 2 (transactions.date) date_format: '%d.%m.%Y'  [only fit]" in out  # 27.07 settles it
    assert "column 3 (transactions.amount) decimal: ','" in out and "encoding: 'utf-8'  [byte-order mark]" in out
    assert "To pin what was decided" in out and "date_format: '%d.%m.%Y'" in out.split("To pin")[1]
    assert "Rows left out by data.<table>.filter" in out
