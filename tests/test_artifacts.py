import pandas as pd

from workbench.artifacts import spreadsheet_safe, write_csv


def test_text_cells_that_spreadsheets_run_as_formulas_are_neutralised(tmp_path):
    df = pd.DataFrame(
        {
            "name": ['=HYPERLINK("http://evil.example","x")', "+7 495", "-2+3", "@SUM(A1)", "\tx", "\rx", "Иван", None],
            "value": [-5.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
        }
    )
    safe = spreadsheet_safe(df)
    assert safe["name"].tolist()[:7] == [
        '\'=HYPERLINK("http://evil.example","x")',
        "'+7 495",
        "'-2+3",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "Иван",
    ]
    assert pd.isna(safe["name"].iloc[7])
    assert safe["value"].tolist() == df["value"].tolist()  # numbers are not text: a negative number stays a number
    assert df["name"].iloc[0].startswith("=")  # the caller's frame is not changed
    path = write_csv(df, tmp_path / "plan.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads the Cyrillic right
    back = pd.read_csv(path)
    assert back["name"].iloc[0].startswith("'=") and "Иван" in back["name"].tolist()
