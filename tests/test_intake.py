"""Intake: CRM exports in CSV, Excel and Parquet into canonical tables; bad rows rejected with a reason."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from workbench.config import TableSource, parse_config
from workbench.intake import IntakeError, analysis_period, load_tables, read_export, to_canonical

LINE_COLUMNS = {"client_id": "Client ID", "date": "Date", "amount": "Sum", "cost": "Cost"}


def _canonical(path, table="transactions", **source):
    source = TableSource(file=path.name, **source)
    result = to_canonical(read_export(path, source), table, source, path)
    return result.table, result.rejected


def _rejected(bad: pd.DataFrame) -> list[tuple]:
    return sorted(
        bad[["file", "row", "column", "value", "reason"]].itertuples(index=False, name=None), key=lambda r: r[1]
    )


# --------------------------------------------------------------------------- one file


def test_csv_bad_rows_rejected_with_reasons(tmp_path):
    path = tmp_path / "lines.csv"
    path.write_text(
        "Client ID,Date,Sum,Cost\n"  # spreadsheet row 1
        "K1,2025-01-15,100.5,60\n"  # row 2: fine
        "K2,not-a-date,200,100\n"  # row 3: bad date
        "K3,2025-02-01,abc,10\n"  # row 4: bad amount
        "K4,2025-02-03,50,20\n"  # row 5: fine
        ",2025-02-05,70,30\n",  # row 6: no client
        encoding="utf-8",
    )
    df, bad = _canonical(path, columns=LINE_COLUMNS)
    assert _rejected(bad) == [
        ("lines.csv", 3, "date", "not-a-date", "not a date in format ISO 8601"),
        ("lines.csv", 4, "amount", "abc", "not a number (decimal mark '.')"),
        ("lines.csv", 6, "client_id", "", "empty"),
    ]
    assert (bad["table"] == "transactions").all()
    # The other rows are kept, typed, with their spreadsheet row.
    assert df["client_id"].tolist() == ["K1", "K4"]
    assert df["_row"].tolist() == [2, 5]
    assert df["amount"].tolist() == [100.5, 50.0]
    assert df["cost"].tolist() == [60.0, 20.0]
    assert df["date"].tolist() == [pd.Timestamp("2025-01-15"), pd.Timestamp("2025-02-03")]


def test_csv_decimal_comma_and_thousands_space(tmp_path):
    path = tmp_path / "lines_ru.csv"
    path.write_text(
        "Клиент;Дата;Сумма\n"
        "K1;31.12.2025;1 234,50\n"  # space as thousands separator
        "K2;01.02.2025;1.234,5\n"  # dot as thousands separator
        "K3;15.03.2025;1\u00a0500,25\n"  # non-breaking space, as Excel writes it
        "K4;16.03.2025;0,75\n"
        "K5;17.03.2025;2 000\n",
        encoding="utf-8",
    )
    columns = {"client_id": "Клиент", "date": "Дата", "amount": "Сумма"}
    df, bad = _canonical(path, columns=columns, sep=";", decimal=",", date_format="%d.%m.%Y")
    assert bad.empty
    assert df["amount"].tolist() == [1234.5, 1234.5, 1500.25, 0.75, 2000.0]
    assert df["date"].tolist() == [
        pd.Timestamp(d) for d in ("2025-12-31", "2025-02-01", "2025-03-15", "2025-03-16", "2025-03-17")
    ]


def test_date_format_in_the_reason(tmp_path):
    path = tmp_path / "lines.csv"
    path.write_text("Client ID,Date,Sum\nK1,2025-12-31,1\n", encoding="utf-8")
    _, bad = _canonical(
        path, columns={"client_id": "Client ID", "date": "Date", "amount": "Sum"}, date_format="%d.%m.%Y"
    )
    assert _rejected(bad) == [("lines.csv", 2, "date", "2025-12-31", "not a date in format %d.%m.%Y")]


def test_xlsx_with_sheet_and_bad_rows(tmp_path):
    path = tmp_path / "lines.xlsx"
    raw = pd.DataFrame(
        {
            "Client ID": [101, 102, 103, 104],  # numbers in Excel
            "Date": [dt.datetime(2025, 1, 15), dt.datetime(2025, 1, 16), "31/02/2025", dt.datetime(2025, 1, 18)],
            "Sum": [100.5, "12x", 30, 40],
            "Cost": [50, 5, 10, 20],
        }
    )
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"x": [1]}).to_excel(writer, sheet_name="Notes", index=False)
        raw.to_excel(writer, sheet_name="Lines", index=False)
    df, bad = _canonical(path, columns=LINE_COLUMNS, sheet="Lines")
    # Header is row 1: 102 is on row 3, 103 (31 February) on row 4.
    assert _rejected(bad) == [
        ("lines.xlsx", 3, "amount", "12x", "not a number"),
        ("lines.xlsx", 4, "date", "31/02/2025", "not a date"),
    ]
    assert df["client_id"].tolist() == ["101", "104"]  # ids are text
    assert df["amount"].tolist() == [100.5, 40.0]
    assert df["cost"].tolist() == [50.0, 20.0]
    assert df["date"].tolist() == [pd.Timestamp("2025-01-15"), pd.Timestamp("2025-01-18")]
    assert df["_row"].tolist() == [2, 5]


def test_xlsx_number_cells_unaffected_by_decimal_comma(tmp_path):
    # A Russian export: some amounts are numbers, some text with a decimal comma.
    path = tmp_path / "lines.xlsx"
    pd.DataFrame(
        {"Client ID": ["K1", "K2"], "Date": [dt.datetime(2025, 1, 15)] * 2, "Sum": [100.5, "1 234,5"]}
    ).to_excel(path, index=False)
    df, bad = _canonical(path, columns={"client_id": "Client ID", "date": "Date", "amount": "Sum"}, decimal=",")
    assert bad.empty
    assert df["amount"].tolist() == [100.5, 1234.5]


def test_xlsx_date_cells_unaffected_by_date_format(tmp_path):
    # Some dates are date cells, some text in the export's format.
    path = tmp_path / "lines.xlsx"
    pd.DataFrame({"Client ID": ["K1", "K2"], "Date": [dt.datetime(2025, 1, 15), "16.01.2025"], "Sum": [1, 2]}).to_excel(
        path, index=False
    )
    df, bad = _canonical(
        path, columns={"client_id": "Client ID", "date": "Date", "amount": "Sum"}, date_format="%d.%m.%Y"
    )
    assert bad.empty
    assert df["date"].tolist() == [pd.Timestamp("2025-01-15"), pd.Timestamp("2025-01-16")]


def test_parquet_typed_columns(tmp_path):
    path = tmp_path / "lines.parquet"
    pd.DataFrame(
        {
            "Client ID": ["K1", "K2", "K3"],
            "Date": pd.to_datetime(["2025-01-15", "2025-01-16", "2025-01-17"]),
            "Sum": [100.5, None, 30.0],
        }
    ).to_parquet(path)
    df, bad = _canonical(path, columns={"client_id": "Client ID", "date": "Date", "amount": "Sum"})
    assert df["client_id"].tolist() == ["K1", "K3"]
    assert df["amount"].tolist() == [100.5, 30.0]
    assert df["date"].tolist() == [pd.Timestamp("2025-01-15"), pd.Timestamp("2025-01-17")]
    # A Parquet file has no header row: the second record is row 2.
    assert bad[["file", "row", "column", "reason"]].values.tolist() == [["lines.parquet", 2, "amount", "empty"]]


def test_canonical_names_need_no_mapping(tmp_path):
    path = tmp_path / "lines.csv"
    path.write_text("client_id,date,amount\n007,2025-01-15,10\n", encoding="utf-8")
    df, bad = _canonical(path)
    assert bad.empty and df["amount"].tolist() == [10.0]
    assert df["client_id"].tolist() == ["007"]  # leading zeros kept


def test_mapped_column_absent_names_file_column_and_nearest(tmp_path):
    path = tmp_path / "lines.csv"
    path.write_text("Client ID,Date,Amount\nK1,2025-01-15,10\n", encoding="utf-8")
    with pytest.raises(IntakeError) as exc:
        _canonical(path, columns={"client_id": "Client ID", "date": "Date", "amount": "Ammount"})
    msg = str(exc.value)
    assert "lines.csv" in msg and "'Ammount'" in msg and "transactions.amount" in msg
    assert "did you mean 'Amount'" in msg


def test_required_column_not_mapped(tmp_path):
    path = tmp_path / "lines.csv"
    path.write_text("Client ID,Date,Sum\nK1,2025-01-15,10\n", encoding="utf-8")
    with pytest.raises(IntakeError) as exc:
        _canonical(path, columns={"client_id": "Client ID", "date": "Date"})
    msg = str(exc.value)
    assert msg.startswith(str(path))
    assert "required column" in msg and "transactions.amount" in msg and "not mapped" in msg


def test_unsupported_and_missing_file(tmp_path):
    (tmp_path / "lines.json").write_text("{}", encoding="utf-8")
    with pytest.raises(IntakeError, match="unsupported file type '.json'"):
        read_export(tmp_path / "lines.json", TableSource(file="lines.json"))
    with pytest.raises(IntakeError, match="nothing.csv: file not found"):
        read_export(tmp_path / "nothing.csv", TableSource(file="nothing.csv"))


# --------------------------------------------------------------------------- the engagement


def _write(tmp_path, name, text):
    (tmp_path / name).write_text(text, encoding="utf-8")


def _config(**data):
    raw = {
        "engagement": {"company": "Acme"},
        "data": {"transactions": {"file": "lines.csv", "columns": LINE_COLUMNS}, **data},
    }
    return parse_config(raw)


@pytest.fixture()
def engagement_dir(tmp_path):
    _write(
        tmp_path,
        "lines.csv",
        "Invoice,Client ID,Date,Sum,Cost\n"
        "I1,K1,2025-01-15,100,60\n"  # row 2
        "I2,K2,2025-02-15,200,100\n"  # row 3
        "I3,K9,2025-03-15,300,100\n"  # row 4: K9 is not in the clients file
        "I4,K3,2025-12-31,50,10\n",
    )  # row 5
    _write(
        tmp_path,
        "clients.csv",
        "ID,Company,Channel\n"
        "K1,Alpha,Direct\n"  # row 2
        "K2,Beta,Web\n"  # row 3
        "K2,Beta again,Web\n"  # row 4: duplicate
        "K3,Gamma,Direct\n",
    )  # row 5
    _write(tmp_path, "team.csv", "Manager,Role,Load\nM1,Key account manager,1\nM2,  Farmer ,0.5\nM3,head-of-sales,\n")
    _write(
        tmp_path, "pay.csv", "Invoice,Due,Paid\nI1,2025-02-15,2025-02-20\nI7,2025-03-15,\n"
    )  # row 3: no such invoice
    return tmp_path


LINES = {"file": "lines.csv", "columns": {**LINE_COLUMNS, "invoice_id": "Invoice"}}
CLIENTS = {"file": "clients.csv", "columns": {"client_id": "ID", "name": "Company", "channel": "Channel"}}
TEAM = {"file": "team.csv", "columns": {"manager_id": "Manager", "role": "Role", "capacity": "Load"}}
PAY = {"file": "pay.csv", "columns": {"invoice_id": "Invoice", "due_date": "Due", "paid_date": "Paid"}}


def test_load_tables_relations(engagement_dir):
    intake = load_tables(_config(transactions=LINES, clients=CLIENTS, payments=PAY), engagement_dir)
    assert len(intake.rejected) == 3
    assert set(_rejected(intake.rejected)) == {
        ("pay.csv", 3, "invoice_id", "I7", "invoice_id not in the transactions file"),
        ("lines.csv", 4, "client_id", "K9", "client_id not in the clients file"),
        ("clients.csv", 4, "client_id", "K2", "duplicate client_id (first row kept)"),
    }
    clients = intake.tables["clients"]
    assert clients["client_id"].tolist() == ["K1", "K2", "K3"]
    assert clients.loc[clients["client_id"] == "K2", "name"].item() == "Beta"  # the first row kept
    assert intake.tables["transactions"]["client_id"].tolist() == ["K1", "K2", "K3"]
    assert intake.tables["payments"]["invoice_id"].tolist() == ["I1"]
    assert "_row" not in intake.tables["transactions"]
    summary = intake.summary().set_index("table")
    assert summary.loc["transactions", ["rows_read", "rows_accepted", "rows_rejected"]].tolist() == [4, 3, 1]
    assert summary.loc["clients", ["rows_read", "rows_accepted", "rows_rejected"]].tolist() == [4, 3, 1]


def test_clients_derived_from_transactions(engagement_dir):
    intake = load_tables(_config(transactions=LINES), engagement_dir)
    # No clients file: every client of the lines, K9 included, nothing rejected.
    assert intake.tables["clients"]["client_id"].tolist() == ["K1", "K2", "K3", "K9"]
    assert intake.rejected.empty
    assert intake.tables["transactions"]["cost"].notna().any() and "payments" not in intake.tables


def test_team_roles_normalised(engagement_dir):
    intake = load_tables(_config(transactions=LINES, team=TEAM), engagement_dir)
    team = intake.tables["team"]
    assert team["role"].tolist() == ["key_account_manager", "farmer", "head_of_sales"]
    assert team["capacity"].tolist() == [1.0, 0.5, 1.0]  # empty capacity -> 1


def test_team_from_the_config(engagement_dir):
    raw = {
        "engagement": {"company": "Acme"},
        "data": {"transactions": LINES},
        "team": [{"manager_id": "M1", "role": "hunter"}, {"manager_id": "M2", "role": "farmer", "capacity": 0.5}],
    }
    intake = load_tables(parse_config(raw), engagement_dir)
    assert intake.tables["team"][["manager_id", "role", "capacity"]].values.tolist() == [
        ["M1", "hunter", 1.0],
        ["M2", "farmer", 0.5],
    ]


def test_unknown_role_raises(engagement_dir):
    _write(engagement_dir, "team.csv", "Manager,Role,Load\nM1,Farmer,1\nM2,Boss,1\n")
    with pytest.raises(IntakeError, match="unknown role.*boss"):
        load_tables(_config(transactions=LINES, team=TEAM), engagement_dir)


def test_all_lines_rejected_raises(engagement_dir):
    _write(engagement_dir, "lines.csv", "Invoice,Client ID,Date,Sum,Cost\nI1,K1,someday,100,60\n")
    with pytest.raises(IntakeError, match="no usable transaction rows"):
        load_tables(_config(transactions=LINES), engagement_dir)


# --------------------------------------------------------------------------- the period


def test_analysis_period_defaults_to_the_last_transaction():
    tx = pd.DataFrame({"date": pd.to_datetime(["2024-03-01 00:00", "2025-12-31 15:30"])})
    # Twelve months up to 2025-12-31: 2024-12-31 + 1 day.
    assert analysis_period(tx) == (pd.Timestamp("2025-01-01"), pd.Timestamp("2025-12-31"))


def test_analysis_period_with_as_of_and_lookback():
    tx = pd.DataFrame({"date": pd.to_datetime(["2025-12-31"])})
    # 2025-03-31 minus one month is 2025-02-28 (month end), plus a day: 2025-03-01.
    assert analysis_period(tx, as_of="2025-03-31", lookback_months=1) == (
        pd.Timestamp("2025-03-01"),
        pd.Timestamp("2025-03-31"),
    )
    assert analysis_period(tx, as_of=dt.date(2025, 6, 30), lookback_months=6) == (
        pd.Timestamp("2024-12-31"),
        pd.Timestamp("2025-06-30"),
    )


def test_wrong_encoding_says_how_to_fix_it(tmp_path):
    from workbench.config import TableSource
    from workbench.intake import IntakeError, read_export

    path = tmp_path / "lines.csv"
    pd.DataFrame({"Клиент": ["К1"], "Сумма": ["1 234,5"]}).to_csv(path, sep=";", index=False, encoding="cp1251")
    with pytest.raises(IntakeError, match=r"lines.csv: not readable as utf-8 .*encoding: cp1251"):
        read_export(path, TableSource(file="lines.csv", sep=";", encoding="utf-8"))  # said, so it wins
    for source in (TableSource(file="lines.csv"), TableSource(file="lines.csv", sep=";", encoding="cp1251")):
        df = read_export(path, source)  # decided from the file: not UTF-8, Russian in Windows-1251, ";"
        assert df.columns.tolist() == ["Клиент", "Сумма"] and df.iloc[0].tolist() == ["К1", "1 234,5"]
    # Bytes that are neither UTF-8 nor Russian text are refused, not read as garbage.
    (tmp_path / "latin.csv").write_bytes("Client;Name\nK1;Café Müller\n".encode("latin-1"))
    with pytest.raises(IntakeError, match=r"latin.csv: not UTF-8 .*set the file's encoding"):
        read_export(tmp_path / "latin.csv", TableSource(file="latin.csv"))


def test_summary_counts_exact_duplicates_and_keeps_them(tmp_path):
    from workbench.config import parse_config
    from workbench.intake import load_tables

    (tmp_path / "lines.csv").write_text(
        "c,d,a\nK1,2025-01-01,10\nK1,2025-01-01,10\nK2,2025-01-02,5\n", encoding="utf-8"
    )
    config = parse_config(
        {
            "engagement": {"company": "X"},
            "data": {"transactions": {"file": "lines.csv", "columns": {"client_id": "c", "date": "d", "amount": "a"}}},
        }
    )
    intake = load_tables(config, tmp_path)
    assert len(intake.tables["transactions"]) == 3
    row = intake.summary().set_index("table").loc["transactions"]
    assert (row["rows_read"], row["rows_accepted"], row["exact_duplicates"]) == (3, 3, 1)


def test_empty_cost_is_estimated_from_the_product_line_not_rejected():
    from workbench.intake import estimate_missing_cost

    tx = pd.DataFrame(
        {
            "client_id": ["K1", "K1", "K2", "K3"],
            "product_line": ["X", "X", "Y", "X"],
            "amount": [100.0, 50.0, 10.0, 200.0],
            "cost": [60.0, np.nan, np.nan, 100.0],
        }
    )
    out, n = estimate_missing_cost(tx)
    # Line X's ratio: (60 + 100) / (100 + 200) = 0.5333..; 50 x 0.5333 = 26.67.
    # Y has no known cost: all lines' ratio, the same 160 / 300, gives 10 x 0.5333 = 5.33.
    assert n == 2
    assert out["cost"].tolist() == pytest.approx([60.0, 50 * 160 / 300, 10 * 160 / 300, 100.0])
    assert out["cost_estimated"].tolist() == [False, True, True, False]


def test_no_cost_at_all_is_left_unknown():
    from workbench.intake import estimate_missing_cost

    tx = pd.DataFrame({"client_id": ["K1"], "amount": [10.0], "cost": [np.nan]})
    out, n = estimate_missing_cost(tx)
    assert n == 0 and out["cost"].isna().all()


def test_load_tables_keeps_lines_without_cost_and_says_so(tmp_path):
    from workbench.config import parse_config
    from workbench.intake import load_tables

    (tmp_path / "lines.csv").write_text("c,d,a,k\nK1,2025-01-01,10,6\nK2,2025-01-02,5,\n", encoding="utf-8")
    config = parse_config(
        {
            "engagement": {"company": "X"},
            "data": {
                "transactions": {
                    "file": "lines.csv",
                    "columns": {"client_id": "c", "date": "d", "amount": "a", "cost": "k"},
                }
            },
        }
    )
    intake = load_tables(config, tmp_path)
    assert len(intake.tables["transactions"]) == 2 and intake.rejected.empty
    assert intake.tables["transactions"]["cost"].tolist() == pytest.approx([6.0, 3.0])  # 5 x 6/10
    assert intake.notes == [{"key": "cost_estimated", "values": {"n": 1, "file": "lines.csv"}}]


def test_clients_take_the_region_of_most_of_their_lines_and_a_note_says_so(tmp_path):
    from workbench.config import parse_config
    from workbench.intake import load_tables

    # K1: two lines in UK, one in France -> UK; K2: one line each, the latest (Spain) breaks the tie;
    # K3: no country on its line -> no region.
    (tmp_path / "lines.csv").write_text(
        "c,d,a,country\n"
        "K1,2025-01-01,10,UK\nK1,2025-01-02,10,France\nK1,2025-01-03,10,UK\n"
        "K2,2025-01-01,5,Germany\nK2,2025-02-01,5,Spain\n"
        "K3,2025-01-01,5,\n",
        encoding="utf-8",
    )
    config = parse_config(
        {
            "engagement": {"company": "X"},
            "data": {
                "transactions": {
                    "file": "lines.csv",
                    "columns": {"client_id": "c", "date": "d", "amount": "a", "region": "country"},
                }
            },
        }
    )
    intake = load_tables(config, tmp_path)
    regions = intake.tables["clients"].set_index("client_id")["region"]
    assert regions["K1"] == "UK" and regions["K2"] == "Spain" and pd.isna(regions["K3"])
    assert intake.rejected.empty  # a line without a country is kept
    assert intake.notes == [
        {
            "key": "attribute_from_lines",
            "values": {"file": "lines.csv", "column": "region", "clients": 2, "mixed": 2},
        }
    ]


def test_a_client_tables_own_region_wins_over_its_lines():
    from workbench.intake.checks import attributes_from_lines

    clients = pd.DataFrame({"client_id": ["K1", "K2"], "region": pd.Series(["Kazan", pd.NA], dtype="string")})
    tx = pd.DataFrame(
        {"client_id": ["K1", "K2"], "date": pd.to_datetime(["2025-01-01"] * 2), "region": ["Moscow", "Omsk"]}
    )
    out, notes = attributes_from_lines(clients, tx, "lines.csv")
    assert out["region"].tolist() == ["Kazan", "Omsk"]
    assert notes[0]["values"]["clients"] == 1


@pytest.mark.parametrize("language", ["en", "ru"])
def test_page_one_says_what_the_lines_without_a_client_are_worth(tmp_path, language):
    from workbench import artifacts
    from workbench.config import parse_config
    from workbench.intake import load_tables
    from workbench.report.narrative import ClientReport

    # Two lines of 90 and 10 have a client; one of 50 has none and one of 1 has an unreadable date.
    (tmp_path / "lines.csv").write_text(
        "c,d,a\nK1,2025-01-01,90\nK2,2025-01-02,10\n,2025-01-03,50\nK2,someday,1\n", encoding="utf-8"
    )
    config = parse_config(
        {
            "engagement": {"company": "X"},
            "data": {"transactions": {"file": "lines.csv", "columns": {"client_id": "c", "date": "d", "amount": "a"}}},
        }
    )
    intake = load_tables(config, tmp_path)
    rejected = intake.rejected.set_index("row")
    assert rejected.loc[4, "amount"] == 50 and rejected.loc[5, "amount"] == 1  # rejected.csv says what is at stake
    artifacts.save(tmp_path, "intake", rejected=intake.rejected, transactions=intake.tables["transactions"])
    (sentence,) = ClientReport(tmp_path, language)._left_out()
    # 2 lines, 51 of 151 = 34 %; not all of them lack only a client, so the general reason.
    if language == "en":
        assert sentence.startswith("Data left out: 2 lines of the sales export, worth")
        assert "(34%" in sentence and "could not be read" in sentence
    else:
        assert sentence.startswith("Данные вне анализа: 2 строки выгрузки продаж на")
        assert "(34\u00a0%" in sentence and "не удалось прочитать" in sentence
    # Lines without a client only: said as such; under 1 % of the value: left to the appendix.
    only = intake.rejected.loc[intake.rejected["column"] == "client_id"]
    artifacts.save(tmp_path, "intake", rejected=only)
    assert "no client ID" in ClientReport(tmp_path, "en")._left_out()[0]
    artifacts.save(tmp_path, "intake", rejected=only.assign(amount=0.5))
    assert ClientReport(tmp_path, "en")._left_out() == []
