"""Render an executed notebook into the client report: self-contained HTML, then PDF.

The HTML comes from nbconvert's ``HTMLExporter`` with the project template
``templates/report/client`` (results only: no code, no prompts, no scripts,
no CDN links, images embedded as ``data:`` URIs, CSS inlined); the PDF comes
from WeasyPrint rendering that same HTML with its print stylesheet (A4, page
numbers ``n / N``).

nbconvert and WeasyPrint are imported inside the functions, so importing this
module costs nothing in a notebook kernel.
"""

from __future__ import annotations

import html as _html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

from ..paths import TEMPLATES

#: Root of the project's nbconvert templates; the client template is ``TEMPLATE_DIR / "client"``.
TEMPLATE_DIR: Path = TEMPLATES / "report"

#: Cells carrying any of these tags are removed from the report, input and outputs.
REMOVE_TAGS = ("parameters", "injected-parameters", "remove_cell")

#: Name of the template folder under ``TEMPLATE_DIR``.
TEMPLATE_NAME = "client"

__all__ = [
    "TEMPLATE_DIR",
    "REMOVE_TAGS",
    "render_html",
    "render_pdf",
    "page_layout",
    "short_pages",
    "assert_self_contained",
]


# --------------------------------------------------------------------- HTML


def render_html(notebook_path, html_path, title: str | None = None, language: str | None = None) -> Path:
    """Render an executed notebook as the self-contained client HTML report.

    Parameters
    ----------
    notebook_path : str or os.PathLike
        The executed notebook (``.ipynb``), e.g. the output of papermill.
    html_path : str or os.PathLike
        Where to write the HTML file; parent folders are created.
    title : str, optional
        Page ``<title>`` (and PDF title). Defaults to the notebook metadata
        ``title`` when set, else the notebook's file name without suffix.
    language : str, optional
        The report's language, set as the page's ``lang`` (hyphenation, screen readers).

    Returns
    -------
    pathlib.Path
        ``html_path``.

    Raises
    ------
    ValueError
        If the rendered page would still make a network request (see
        :func:`assert_self_contained`); nothing is written in that case.

    Notes
    -----
    Only results reach the client: code and prompts are never rendered, cells
    tagged with one of :data:`REMOVE_TAGS` are removed entirely, and
    stdout/stderr stream outputs and error outputs are dropped (so are
    javascript/widget outputs and an ``execute_result`` that is only a
    plain-text repr, such as the ``<Axes: ...>`` a plotting cell ends with).
    ``text/html`` outputs (headings, paragraphs, ``DataFrame.to_html`` and
    ``Styler.to_html`` tables) are kept as they are, and images are embedded
    as ``data:`` URIs. Table columns whose body cells are all numbers get
    the class ``num`` and are right-aligned.
    """
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    notebook_path = Path(notebook_path)
    html_path = Path(html_path)
    nb = nbformat.read(notebook_path, as_version=4)
    if title:
        nb.metadata["title"] = title
    if language:
        nb.metadata["language_code"] = language

    exporter = HTMLExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATE_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
        anchor_link_text="",
        exclude_anchor_links=True,
        sanitize_html=False,
    )
    exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags=set(REMOVE_TAGS), enabled=True), enabled=True)
    exporter.register_preprocessor(_client_outputs_preprocessor(), enabled=True)

    resources = {
        "metadata": {
            "name": notebook_path.stem,
            # Relative image paths in markdown cells are resolved (and embedded) from here.
            "path": str(notebook_path.resolve().parent),
        }
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    body = _postprocess(body)
    assert_self_contained(body)

    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(body, encoding="utf-8")
    return html_path


def _client_outputs_preprocessor():
    """Build the preprocessor that drops stream and error outputs from code cells.

    Returns
    -------
    nbconvert.preprocessors.Preprocessor
        An instance; the class is built here so that nbconvert is imported lazily.
    """
    from nbconvert.preprocessors import Preprocessor

    class DropStreamsAndErrors(Preprocessor):
        """Remove ``stream`` (stdout/stderr) and ``error`` outputs of every code cell."""

        def preprocess_cell(self, cell, resources, index):
            if cell.cell_type == "code":
                cell.outputs = [out for out in cell.outputs if out.get("output_type") not in ("stream", "error")]
            return cell, resources

    return DropStreamsAndErrors(enabled=True)


# -------------------------------------------------------- numeric alignment

_NEUTRAL = {"", "nan", "NaN", "<NA>", "NaT", "None", "—", "–", "-", "n/a", "N/A", "…"}
_NUMBER_RE = re.compile(
    r"^\(?(?:[A-Z]{3}\s)?[+\-−]?\s?[$€£₽¥]?\s?[+\-−]?\d[\d\s.,'’]*(?:[eE][+\-]?\d+)?"
    r"\s?(?:%|‰|п\.\s?п\.|p\.p\.|pp|x|×|[$€£₽¥]|[A-Z]{3}|руб\.?|р\.|тыс\.?|млн|млрд|k|K|M|bn|mn)?\)?$"
)


def _cell_text(cell) -> str:
    text = cell.get_text(" ", strip=True)
    return re.sub(r"[\u00a0\u2007\u2009\u202f]", " ", text).strip()


def _is_number(text: str) -> bool:
    return bool(_NUMBER_RE.match(text))


def _postprocess(page: str) -> str:
    """Finish the exported page: numeric columns, wide tables, ``<img>`` attributes.

    Parameters
    ----------
    page : str
        Full HTML page from the exporter.

    Returns
    -------
    str
        The page re-serialized with attributes in document order (``src``
        first on images); numeric table columns carry the class ``num``
        and tables too wide for a portrait A4 page ``wide`` or ``x-wide``
        (see :func:`_mark_wide_table`).

    Notes
    -----
    ``HTMLExporter`` already round-trips the page through BeautifulSoup,
    whose default formatter sorts attributes alphabetically (``<img alt=...
    src=...>``); this keeps the order of the template instead.
    """
    from bs4 import BeautifulSoup
    from bs4.formatter import HTMLFormatter

    class _DocumentOrder(HTMLFormatter):
        def attributes(self, tag):
            return list(tag.attrs.items()) if tag.attrs else []

    soup = BeautifulSoup(page, "html.parser")
    for table in soup.find_all("table"):
        _align_numeric_columns(table)
        _mark_wide_table(table)
    # A number stays on the line of the word after it ("16 менеджеров", "2 контакта"): typography, so
    # here and not in the texts (summary.json and the catalogue keep plain spaces).
    # So does a dash with the word before it, and with a number after it ("новых — 3").
    for node in soup.find_all(string=lambda s: bool(NUMBER_AND_WORD.search(s) or DASH_SPACE.search(s))):
        if node.parent is not None and node.parent.name not in ("style", "script"):
            node.replace_with(DASH_SPACE.sub("\u00a0", NUMBER_AND_WORD.sub("\u00a0", str(node))))
    for img in soup.find_all("img"):
        if "src" in img.attrs:
            img.attrs = {"src": img.attrs["src"], **{k: v for k, v in img.attrs.items() if k != "src"}}
    minimal = HTMLFormatter.REGISTRY["minimal"]
    formatter = _DocumentOrder(
        entity_substitution=minimal.entity_substitution,
        void_element_close_prefix=minimal.void_element_close_prefix,
        cdata_containing_tags=minimal.cdata_containing_tags,
    )
    return soup.decode(formatter=formatter)


#: A space between a number and the word after it, bound with a no-break space in the rendered page.
NUMBER_AND_WORD = re.compile(r"(?<=\d) (?=[^\W\d_])")
#: The space before a spaced dash (a line never starts with one), and after it before a number.
DASH_SPACE = re.compile(r"(?<=\S) (?=\u2014)|(?<=\u2014) (?=[\d\u2212])")


def _align_numeric_columns(table) -> None:
    """Add ``class="num"`` to the cells of table columns that hold only numbers.

    Parameters
    ----------
    table : bs4.element.Tag
        A ``<table>`` element, changed in place: ``num`` is added to the
        numeric ``<td>`` cells and to the header cells above them.

    Notes
    -----
    Columns are counted from the right of each row: pandas and Styler tables
    start rows with a variable number of index ``<th>`` (row spans of a
    MultiIndex) but always end with one ``<td>`` per data column. A column is
    numeric when each of its body cells is a number or a missing-value marker
    (``NaN``, ``—``...) and at least one is a number. Header rows using
    ``colspan`` are left alone.
    """
    body_rows = [
        tr for tr in table.find_all("tr") if tr.find_parent("table") is table and tr.find_parent("thead") is None
    ]
    # column (counted from the right) -> [all numeric-or-neutral, any number]
    columns: dict[int, list[bool]] = {}
    for tr in body_rows:
        for pos, td in enumerate(reversed(tr.find_all("td", recursive=False))):
            text = _cell_text(td)
            state = columns.setdefault(pos, [True, False])
            if text in _NEUTRAL:
                continue
            if _is_number(text):
                state[1] = True
            else:
                state[0] = False
    numeric = {pos for pos, (ok, seen) in columns.items() if ok and seen}
    if not numeric:
        return
    for tr in body_rows:
        for pos, td in enumerate(reversed(tr.find_all("td", recursive=False))):
            if pos in numeric:
                td["class"] = [*td.get("class", []), "num"]
    thead = table.find("thead")
    if thead is not None and thead.find_parent("table") is table:
        for tr in thead.find_all("tr"):
            cells = tr.find_all(["th", "td"], recursive=False)
            if any(str(c.get("colspan", "1")) != "1" for c in cells):
                continue
            for pos, cell in enumerate(reversed(cells)):
                if pos in numeric:
                    cell["class"] = [*cell.get("class", []), "num"]


#: Print geometry used to fit tables: text width of a portrait and of a
#: landscape A4 page (pt), the table font (pt) and the smallest font allowed.
_PORTRAIT_PT = 505.0
_LANDSCAPE_PT = 750.0
_TABLE_FONT_PT = 8.5
_MIN_FONT_PT = 5.5
_CHAR_EM = 0.68  # average advance of DejaVu Sans (digits 0.64 em, bold capitals more)


def _mark_wide_table(table) -> None:
    """Shrink, or put on a landscape page, a table too wide for portrait A4 in print.

    Parameters
    ----------
    table : bs4.element.Tag
        A ``<table>`` element. If it does not fit the portrait text width at
        the normal print size it gets the class ``wide`` (smaller font on the
        portrait page) or, when that font would go under 7 pt, ``x-wide``
        (landscape page; the enclosing ``section.cell`` gets ``landscape``),
        and the font size as ``style="--print-font-size: …pt"``.

    Notes
    -----
    The estimate counts, per column, the longest number or text in the body
    (text capped at 30 characters, since it can wrap; at 12 in a table of
    class ``wb-wrap``, whose cells are phrases that wrap in narrow columns)
    and the longest word of the header. Screens are unaffected: there a wide table scrolls
    horizontally inside its output.
    """
    widths: dict[int, int] = {}
    cap = 12 if "wb-wrap" in table.get("class", []) else 30
    for tr in table.find_all("tr"):
        if tr.find_parent("table") is not table:
            continue
        in_head = tr.find_parent("thead") is not None
        cells = tr.find_all(["th", "td"], recursive=False)
        if any(str(c.get("colspan", "1")) != "1" for c in cells):
            continue
        for pos, cell in enumerate(reversed(cells)):
            text = _cell_text(cell)
            if in_head:
                need = max((len(word) for word in text.split()), default=0)
            elif "num" in cell.get("class", []):
                need = len(text)
            else:
                need = min(len(text), cap)
            widths[pos] = max(widths.get(pos, 0), need)
    chars, ncols = sum(widths.values()), len(widths)
    if not chars:
        return

    def font_to_fit(width_pt: float, padding_pt: float) -> float:
        return (width_pt - ncols * padding_pt) / (_CHAR_EM * chars)

    if font_to_fit(_PORTRAIT_PT, 10.0) >= _TABLE_FONT_PT:
        return
    size = font_to_fit(_PORTRAIT_PT, 4.0)
    kind = "wide"
    if size < 7.0:
        kind = "x-wide"
        size = font_to_fit(_LANDSCAPE_PT, 4.0)
        section = table.find_parent("section")
        if section is not None:
            section["class"] = [*section.get("class", []), "landscape"]
    size = max(_MIN_FONT_PT, min(_TABLE_FONT_PT, int(size * 10) / 10))
    table["class"] = [*table.get("class", []), kind]
    style = table.get("style", "").strip().rstrip(";")
    table["style"] = (style + "; " if style else "") + f"--print-font-size: {size}pt"


# ---------------------------------------------------------- self-contained

#: Schemes that reach the network, plus protocol-relative ``//host/...``.
_REMOTE_RE = re.compile(r"^\s*(?:(?:https?|ftp|wss?):)?//", re.IGNORECASE)
_CSS_URL_RE = re.compile(
    r"""@import\s+(?:url\(\s*)?["']?\s*([^"')\s;]+)|url\(\s*["']?\s*([^"')\s]+)""",
    re.IGNORECASE,
)
#: Elements whose attributes are fetched when the page loads.
_FETCHING_TAGS = {
    "script": ("src",),
    "link": ("href",),
    "img": ("src", "srcset"),
    "iframe": ("src",),
    "frame": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "source": ("src", "srcset"),
    "track": ("src",),
    "video": ("src", "poster"),
    "audio": ("src",),
    "input": ("src",),
    "image": ("href", "xlink:href"),  # SVG
    "use": ("href", "xlink:href"),  # SVG
    "feimage": ("href", "xlink:href"),  # SVG
}


class _RemoteRefFinder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.offenders: list[str] = []
        self._in_style = False

    def _remote_css(self, css: str) -> list[str]:
        urls = []
        for match in _CSS_URL_RE.finditer(css):
            url = match.group(1) or match.group(2) or ""
            if _REMOTE_RE.match(url):
                urls.append(url)
        return urls

    def handle_starttag(self, tag, attrs):
        attrs_d = {name.lower(): (value or "") for name, value in attrs}
        shown = "<" + tag + "".join(f' {k}="{_html.escape(v)}"' for k, v in attrs_d.items() if len(v) < 200) + ">"
        for name in _FETCHING_TAGS.get(tag, ()):
            value = attrs_d.get(name)
            if value is None:
                continue
            candidates = [c.strip().split(" ")[0] for c in value.split(",")] if name == "srcset" else [value]
            if any(_REMOTE_RE.match(c) for c in candidates):
                self.offenders.append(f"{shown} ({name}={value!r})")
        if "style" in attrs_d:
            for url in self._remote_css(attrs_d["style"]):
                self.offenders.append(f"{shown} (style url {url!r})")
        if tag == "style":
            self._in_style = True

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag == "style":
            self._in_style = False

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            for url in self._remote_css(data):
                self.offenders.append(f"<style> ({url!r})")


def assert_self_contained(html: str) -> None:
    """Check that an HTML page makes no network request when opened.

    Parameters
    ----------
    html : str
        The page (or fragment) to check.

    Raises
    ------
    ValueError
        Naming the first offending tag and how many there are, if a
        ``script``, ``link``, ``img``, ``iframe`` (or ``source``, ``video``,
        ``audio``, ``embed``, ``object``, SVG ``image``/``use``) refers to an
        ``http:``, ``https:``, ``ftp:``, ``ws(s):`` or protocol-relative
        (``//host``) URL, or if CSS in a ``<style>`` element or ``style``
        attribute does (``@import``, ``url(...)``).

    Notes
    -----
    Ordinary hyperlinks (``<a href="https://...">``) are allowed: they make
    no request until clicked. ``data:`` URIs and relative paths are allowed.
    """
    finder = _RemoteRefFinder()
    finder.feed(html)
    finder.close()
    if finder.offenders:
        more = f" (and {len(finder.offenders) - 1} more)" if len(finder.offenders) > 1 else ""
        raise ValueError(f"HTML is not self-contained: {finder.offenders[0]} would make a network request{more}")


# ---------------------------------------------------------------------- PDF


def render_pdf(html_path, pdf_path, layout_path=None) -> Path:
    """Render the client HTML report to PDF with WeasyPrint.

    Parameters
    ----------
    html_path : str or os.PathLike
        HTML written by :func:`render_html`.
    pdf_path : str or os.PathLike
        Where to write the PDF; parent folders are created.
    layout_path : str or os.PathLike, optional
        Where to write how full each page is (JSON, see :func:`page_layout`),
        for the layout check "no page under half full but a chapter's last".

    Returns
    -------
    pathlib.Path
        ``pdf_path``.

    Notes
    -----
    The page's print stylesheet applies: A4, page numbers ``n / N`` in the
    footer, each ``h2`` section but the first on a new page. WeasyPrint is
    only allowed ``data:`` and ``file:`` URLs, so rendering never waits on
    the network.
    """
    import weasyprint

    html_path = Path(html_path)
    pdf_path = Path(pdf_path)
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    document = weasyprint.HTML(
        filename=str(html_path),
        base_url=str(html_path.resolve().parent) + "/",
        url_fetcher=_offline_url_fetcher(),
        encoding="utf-8",
    )
    rendered = document.render()
    rendered.write_pdf(str(pdf_path))
    if layout_path is not None:
        layout_path = Path(layout_path)
        layout_path.parent.mkdir(parents=True, exist_ok=True)
        layout_path.write_text(json.dumps(page_layout(rendered), indent=1), encoding="utf-8")
    return pdf_path


#: A page other than a chapter's last should be at least this full (share of the page's content height)...
MIN_PAGE_FILL = 0.5
#: ...and a chapter's last page should hold more than a stray paragraph or box.
MIN_LAST_PAGE_FILL = 0.15


def page_layout(rendered) -> list[dict]:
    """How full each page of a rendered WeasyPrint document is, and where chapters start.

    Returns one dict per page: ``page`` (1-based), ``fill`` (the share of the
    content area down to the lowest line, image or table row; the footer's
    page number is not counted), ``starts_chapter`` (an ``h2`` begins on it)
    and ``chapter_last`` (the next page starts a chapter, or it is the last
    page). :func:`short_pages` applies the rule to it.
    """
    leaves = ("LineBox", "InlineReplacedBox", "BlockReplacedBox")
    pages = []
    for number, page in enumerate(rendered.pages, start=1):
        box = page._page_box
        top, height = box.content_box_y(), box.height
        bottom, chapter = top, False
        for child in box.children:
            if type(child).__name__ == "MarginBox":  # the footer's page number
                continue
            for b in child.descendants():
                chapter = chapter or getattr(b, "element_tag", None) == "h2"
                if type(b).__name__ in leaves:
                    bottom = max(bottom, b.position_y + b.margin_height())
        pages.append({"page": number, "fill": round((bottom - top) / height, 3), "starts_chapter": chapter})
    for this, following in zip(pages, pages[1:] + [None], strict=True):
        this["chapter_last"] = following is None or following["starts_chapter"]
    return pages


def short_pages(
    layout: list[dict], min_fill: float = MIN_PAGE_FILL, min_last_fill: float = MIN_LAST_PAGE_FILL
) -> list[dict]:
    """The pages of :func:`page_layout` that break the layout rule.

    A page under ``min_fill`` that does not end a chapter, or a chapter's last page under ``min_last_fill``
    (a stray box alone on a page).
    """
    return [p for p in layout if p["fill"] < (min_last_fill if p["chapter_last"] else min_fill)]


def _offline_url_fetcher():
    """WeasyPrint URL fetcher refusing anything but ``data:`` and ``file:`` URLs."""
    import weasyprint.urls as wurls

    allowed = {"data", "file"}
    if hasattr(wurls, "URLFetcher"):  # WeasyPrint >= 66
        return wurls.URLFetcher(allowed_protocols=allowed)

    def fetcher(url, *args, **kwargs):  # older WeasyPrint: a plain function
        scheme = url.split(":", 1)[0].lower()
        if scheme not in allowed:
            raise ValueError(f"network access disabled for the report: {url}")
        return wurls.default_url_fetcher(url, *args, **kwargs)

    return fetcher
