"""The client report: executed notebook -> self-contained HTML -> PDF."""

from __future__ import annotations

import re

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbconvert")
pytest.importorskip("nbclient")
pytest.importorskip("weasyprint")

from workbench.report.render import (  # noqa: E402
    REMOVE_TAGS,
    TEMPLATE_DIR,
    assert_self_contained,
    render_html,
    render_pdf,
)

PRINTED = "SECRET-STDOUT-LINE-42"


def _code(source: str, tags: tuple[str, ...] = ()):
    cell = nbformat.v4.new_code_cell(source)
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def _notebook():
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [
        _code("x = 1", ("parameters",)),
        _code("x = 2\nclient = 'ООО Ромашка'", ("injected-parameters",)),
        _code(
            "from IPython.display import HTML, display\n"
            "display(HTML('<h1>Сегментация клиентов</h1><p>Отчёт для клиента.</p>'))"
        ),
        _code('display(HTML("<h2>Раздел 1. Цель</h2><p>Текст на русском языке</p>"))'),
        _code(
            "import pandas as pd\n"
            "df = pd.DataFrame({'Сегмент': ['Ключевые', 'Растущие', 'Спящие'],\n"
            "                   'Клиентов': [120, 340, 1250],\n"
            "                   'Выручка, ₽': [12500000.5, 4300000.0, 900000.25]})\n"
            "display(HTML('<h2>Раздел 2. Сегменты</h2>'))\n"
            "display(HTML(df.to_html(index=False)))"
        ),
        _code(
            "import matplotlib\n"
            "matplotlib.use('Agg')\n"
            "import matplotlib.pyplot as plt\n"
            "import seaborn as sns\n"
            "%matplotlib inline\n"
            "fig, ax = plt.subplots(figsize=(6, 3.5))\n"
            "sns.barplot(x=['Ключевые', 'Растущие', 'Спящие'], y=[120, 340, 1250], ax=ax)\n"
            "ax.set_title('Клиенты по сегментам')\n"
            "ax.set_ylabel('Число клиентов')\n"
            "plt.show()"
        ),
        _code(f"print({PRINTED!r})\nimport sys; print('stderr-noise', file=sys.stderr)"),
        _code("hidden = 'внутреннее'\ndisplay(HTML('<p>HIDDEN-BY-TAG</p>'))", ("remove_cell",)),
    ]
    return nb


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    from nbclient import NotebookClient

    tmp = tmp_path_factory.mktemp("report")
    nb = _notebook()
    NotebookClient(nb, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(tmp)}}).execute()
    nb_path = tmp / "executed.ipynb"
    nbformat.write(nb, nb_path)
    html_path = render_html(nb_path, tmp / "out" / "report.html", title="Отчёт о сегментации")
    pdf_path = render_pdf(html_path, tmp / "out" / "report.pdf")
    return html_path, pdf_path


def test_template_folder_exists():
    assert (TEMPLATE_DIR / "client" / "index.html.j2").is_file()
    assert (TEMPLATE_DIR / "client" / "conf.json").is_file()
    assert set(REMOVE_TAGS) == {"parameters", "injected-parameters", "remove_cell"}


def test_html_is_self_contained_and_client_only(rendered):
    html_path, _ = rendered
    html = html_path.read_text(encoding="utf-8")

    assert "<script" not in html
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", html, re.I)
    assert "http://" not in html and "https://" not in html
    assert "require.js" not in html and "MathJax" not in html
    assert "jupyter-widgets" not in html and "widget-state" not in html
    assert_self_contained(html)

    # no code, no parameters, no prompts, no streams
    assert "x = 1" not in html and "x = 2" not in html
    assert "display(HTML" not in html and "sns.barplot" not in html
    assert PRINTED not in html and "stderr-noise" not in html
    assert "HIDDEN-BY-TAG" not in html
    assert "In [" not in html and "In&nbsp;[" not in html
    assert "Out[" not in html
    assert "¶" not in html and 'class="anchor-link"' not in html
    assert "&lt;Axes" not in html

    # the content is there
    assert "<title>Отчёт о сегментации</title>" in html
    assert "Раздел 1. Цель" in html and "Текст на русском языке" in html
    assert "Ключевые" in html and "<table" in html
    assert '<img src="data:image/png;base64' in html
    # numeric columns are right-aligned, text columns are not
    assert re.search(r'<td class="num">\s*120\s*</td>', html)
    assert re.search(r"<td>\s*Ключевые\s*</td>", html)
    # the first h2 does not start a page, the next ones do (print CSS)
    assert html.count("<h2 data-first-h2") == 1


def test_pdf_has_the_russian_text(rendered):
    pypdf = pytest.importorskip("pypdf")
    _, pdf_path = rendered
    assert pdf_path.is_file()
    assert pdf_path.read_bytes()[:4] == b"%PDF"
    reader = pypdf.PdfReader(str(pdf_path))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    assert "Цель" in text
    assert "русском" in text
    assert PRINTED not in text
    first = reader.pages[0].extract_text() or ""
    assert "Сегментация клиентов" in first  # the cover: no blank first page
    assert "Цель" in (reader.pages[1].extract_text() or "")  # the first chapter on its own page, right after
    assert "1 / " in first  # page numbers in the footer


def test_title_defaults_to_notebook_metadata(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.metadata["title"] = "Заголовок из метаданных"
    nb.cells = [nbformat.v4.new_markdown_cell("## Итоги\n\nВсё <b>хорошо</b>.")]
    nb_path = tmp_path / "n.ipynb"
    nbformat.write(nb, nb_path)
    html = render_html(nb_path, tmp_path / "n.html").read_text(encoding="utf-8")
    assert "<title>Заголовок из метаданных</title>" in html
    assert "Итоги" in html and "¶" not in html and 'class="anchor-link"' not in html


@pytest.mark.parametrize(
    "snippet",
    [
        '<script src="https://cdn.x/y.js"></script>',
        '<link href="//fonts.x/a.css">',
        '<link rel="stylesheet" href="http://fonts.x/a.css">',
        '<img src="HTTPS://x.y/z.png">',
        '<iframe src="https://x.y/"></iframe>',
        "<style>@import url(https://fonts.x/a.css);</style>",
        "<style>@import 'http://fonts.x/a.css';</style>",
        '<div style="background: url(//x.y/bg.png)"></div>',
    ],
)
def test_assert_self_contained_rejects_remote_references(snippet):
    with pytest.raises(ValueError, match="not self-contained"):
        assert_self_contained(f"<html><head></head><body>{snippet}</body></html>")


def test_assert_self_contained_names_the_tag():
    with pytest.raises(ValueError, match=r"<script"):
        assert_self_contained('<script src="https://cdn.x/y.js"></script>')
    with pytest.raises(ValueError, match=r"<link"):
        assert_self_contained('<link href="//fonts.x/a.css">')


def test_assert_self_contained_accepts_local_content():
    assert_self_contained(
        "<html><head><style>body{color:#000} .x{background:url(data:image/png;base64,AAA)}</style></head>"
        '<body><a href="https://example.org/">a link is not a request</a>'
        '<img src="data:image/png;base64,iVBORw0KGgo="><img src="chart.png"></body></html>'
    )


def test_wide_tables_are_fitted_for_print(tmp_path):
    pd = pytest.importorskip("pandas")
    nb = nbformat.v4.new_notebook()
    narrow = pd.DataFrame({"Сегмент": ["A", "B"], "Клиентов": [1, 2]})
    wide = pd.DataFrame([[1234567] * 16] * 3, columns=[f"Показатель {i}" for i in range(16)])
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={"text/html": narrow.to_html()}),
        nbformat.v4.new_output("display_data", data={"text/html": wide.to_html()}),
    ]
    nb.cells = [cell]
    nb_path = tmp_path / "w.ipynb"
    nbformat.write(nb, nb_path)
    html = render_html(nb_path, tmp_path / "w.html").read_text(encoding="utf-8")
    tables = re.findall(r"<table[^>]*>", html)
    assert len(tables) == 2
    assert "wide" not in tables[0]
    assert "x-wide" in tables[1] and "--print-font-size" in tables[1]
    assert '<section class="cell landscape">' in html
    pdf = render_pdf(tmp_path / "w.html", tmp_path / "w.pdf")
    assert pdf.read_bytes()[:4] == b"%PDF"


def test_a_table_of_phrases_that_wrap_stays_on_a_portrait_page(tmp_path):
    pd = pytest.importorskip("pandas")
    phrases = pd.DataFrame(
        [["Рост маржи за счёт крупнейших клиентов"] * 6] * 4, columns=[f"Сценарий {i}" for i in range(6)]
    )
    nb = nbformat.v4.new_notebook()
    cells = []
    for classes in ("dataframe", "dataframe wb-wrap"):
        cell = nbformat.v4.new_code_cell("")
        cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": phrases.to_html(classes=classes)})]
        cells.append(cell)
    nb.cells = cells
    nbformat.write(nb, tmp_path / "p.ipynb")
    html = render_html(tmp_path / "p.ipynb", tmp_path / "p.html").read_text(encoding="utf-8")
    plain, wrapped = re.findall(r"<table[^>]*>", html)
    assert "x-wide" in plain  # 6 x 30 characters of text: landscape
    assert "wb-wrap" in wrapped and "x-wide" not in wrapped  # the same phrases wrap in portrait columns
    assert html.count('class="cell landscape"') == 1


def test_page_layout_measures_fill_and_finds_the_pages_that_end_chapters():
    import weasyprint

    from workbench.report.render import page_layout, short_pages

    lines = "".join(f"<p>line {i}</p>" for i in range(20))
    page = (
        "<html><body><h2>One</h2><p>short</p>"
        '<div style="break-before: page">' + lines + "</div>"
        '<h2 style="break-before: page">Two</h2><p>end</p></body></html>'
    )
    layout = page_layout(weasyprint.HTML(string=page).render())
    assert [p["starts_chapter"] for p in layout] == [True, False, True]
    assert [p["chapter_last"] for p in layout] == [False, True, True]
    assert layout[0]["fill"] < 0.2 and layout[1]["fill"] > 0.5
    # The first page is short and no chapter ends on it; the last page ends the document but holds one line.
    assert [p["page"] for p in short_pages(layout)] == [1, 3]
    assert [p["page"] for p in short_pages(layout, min_last_fill=0.0)] == [1]


def test_a_number_stays_on_the_line_of_the_word_after_it(tmp_path):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("")
    text = (
        "<p>после найма будет 16 менеджеров, 2 контакта в год; style 7pt</p><p>новых — 3, ушедших — много</p>"
        "<style>p { margin: 0 auto; }</style>"
    )
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": text})]
    nb.cells = [cell]
    nbformat.write(nb, tmp_path / "n.ipynb")
    html = render_html(tmp_path / "n.ipynb", tmp_path / "n.html").read_text(encoding="utf-8")
    assert "будет 16\u00a0менеджеров, 2\u00a0контакта в год" in html
    # A dash keeps the word before it (a line never starts with a dash) and the number after it.
    assert "новых\u00a0—\u00a03, ушедших\u00a0— много" in html
    assert "margin: 0 auto" in html  # styles are left alone
