"""The book's layout, checked statically in the built HTML and the sources.

What a reader sees at 1280 px and at 390 px depends on a few things that
can be checked without a browser: every figure is drawn no wider than the
text column, links to its full-size file and has alt text in its page's
language; the stylesheet gives equations, tables and code their own
scroll boxes; inline math keeps the punctuation that follows it; display
equations are broken into rows short enough for the column; the launch
buttons open the repository of ``_config.yml`` on Binder and Colab, and
only when it has a public address; nothing links to the placeholder.

Each check is a function of what it reads, so that the tests below can
also show it failing on a planted example.
"""

import json
import posixpath
import re
import struct
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml
from conftest import LANGS, ROOT, load_script

from rnn_course.plots import (
    COLUMN_WIDTH,
    FIGURE_DPI,
    FONT_SIZE,
    PIXEL_DENSITY,
)

#: Width of the text column of a page, in CSS pixels, in a 1280 px wide
#: window (sphinx-book-theme: the figures' and equations' box).
COLUMN_PX = 676
#: Size of the body text, in CSS pixels.
BODY_TEXT_PX = 16
#: A row of a display equation (the text between two ``\\``) may hold at
#: most this many glyphs (see ``glyphs``). In Chromium at 1280 px the
#: book's rows of 47 to 50 glyphs render 585 to 605 px wide, and the rows
#: that overflowed the 676 px column (the softmax derivative, the
#: bidirectional equations, clipping, dL/dW_h, the Spanish GRU) counted
#: 52 to 64.
MAX_ROW_GLYPHS = 50
#: Inline math followed by punctuation, as Sphinx's MathJax writes it.
MATH_THEN_PUNCTUATION = re.compile(
    r'(<span class="math-punct">)?<span class="math notranslate nohighlight">'
    r"\\\((?:(?!\\\)</span>).)*\\\)</span>([.,;:!?])", re.S)
PATH_LIKE = re.compile(r"(^|/)[^\s/]+\.(png|jpe?g|svg|gif)$|^\S*/\S*$", re.I)


class Page(HTMLParser):
    """The images of a page, each with the link around it (or None)."""

    def __init__(self):
        super().__init__()
        self.images, self.stylesheets, self.anchors = [], [], []
        self._open_links, self._article = [], 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "article":
            self._article += 1
        elif tag == "a":
            self._open_links.append(attrs.get("href"))
            self.anchors.append(attrs)
        elif tag == "img":
            link = self._open_links[-1] if self._open_links else None
            self.images.append({"src": attrs.get("src", ""),
                                "alt": attrs.get("alt"),
                                "style": attrs.get("style") or "",
                                "link": link,
                                "content": self._article > 0})
        elif tag == "link" and attrs.get("rel") == "stylesheet":
            self.stylesheets.append(attrs.get("href", ""))

    def handle_endtag(self, tag):
        if tag == "article":
            self._article -= 1
        elif tag == "a" and self._open_links:
            self._open_links.pop()


def parse(text):
    page = Page()
    page.feed(text)
    return page


def site_pages(built_html, lang):
    """Content pages of a site: the book's pages and the notebooks."""
    site = built_html / lang
    return sorted(site.glob("book/**/*.html")) + sorted(
        site.glob("exercises/**/*.html"))


def twin(page, built_html):
    """The same page in the other language's site."""
    relative = page.relative_to(built_html).as_posix()
    lang = relative.split("/")[0]
    other = {"es": "en", "en": "es"}[lang]
    relative = relative.replace(f"{lang}/book/{lang}/",
                                f"{other}/book/{other}/", 1)
    relative = relative.replace(f"-{lang}/", f"-{other}/")
    return built_html / (other + relative[len(lang):])


def target(page, url):
    """The local file a relative URL of ``page`` points to."""
    path = unquote(urlsplit(url).path)
    return Path(posixpath.normpath(
        posixpath.join(page.parent.as_posix(), path)))


# --- checks ---------------------------------------------------------------

def alt_problems(images):
    """Images without real alt text: missing, empty, or a file path."""
    return [image["src"] for image in images
            if not (image["alt"] or "").strip()
            or PATH_LIKE.search(image["alt"].strip())]


def untranslated_alts(images, twin_images):
    """Content images whose alt text is the same as their twin's."""
    ours = [i["alt"] for i in images if i["content"]]
    theirs = [i["alt"] for i in twin_images if i["content"]]
    return [alt for alt, other in zip(ours, theirs, strict=False)
            if alt == other]


def unlinked_images(page, images):
    """Content images not wrapped in a link to their own file."""
    return [image["src"] for image in images if image["content"] and (
        image["link"] is None
        or target(page, image["link"]) != target(page, image["src"]))]


def png_width(path):
    """Pixel width of a PNG file, read from its header."""
    header = Path(path).read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">I", header[16:20])[0]


def css_rules(text):
    """``{selector: declarations}`` of a stylesheet (no nesting)."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    rules = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^}]*)\}", text):
        declarations = {
            name.strip(): value.strip()
            for name, _, value in (d.partition(":") for d in body.split(";"))
            if value.strip()
        }
        for selector in selectors.split(","):
            rules.setdefault(" ".join(selector.split()), {}).update(
                declarations)
    return rules


#: The stylesheet's promises: selector -> declarations it must hold.
SCROLL_BOXES = {
    "div.math": {"overflow-x": "auto"},
    'div.math mjx-container[display="true"]': {"min-width": "0",
                                               "overflow-x": "auto"},
    ".pst-scrollable-table-container": {"overflow-x": "auto"},
    "div.cell_output .output.text_html": {"overflow-x": "auto"},
    "div.highlight pre": {"overflow-x": "auto"},
    "div.cell_output pre": {"overflow-x": "auto"},
    "span.math-punct": {"white-space": "nowrap"},
    # Printed output wraps at the column; prose breaks long words.
    "div.cell_output .output pre": {"white-space": "pre-wrap",
                                    "overflow-wrap": "anywhere"},
    "article.bd-article p": {"overflow-wrap": "anywhere"},
    "article.bd-article code": {"overflow-wrap": "anywhere"},
    # A table's row labels stay on one line.
    "table.dataframe tbody th": {"white-space": "nowrap"},
}


def missing_css(rules):
    return [f"{selector} {{{name}: {value}}}"
            for selector, wanted in SCROLL_BOXES.items()
            for name, value in wanted.items()
            if rules.get(selector, {}).get(name) != value]


def loose_punctuation(html):
    """Punctuation after inline math that the browser may wrap apart."""
    return [match.group(0)[-40:] for match in
            MATH_THEN_PUNCTUATION.finditer(html) if not match.group(1)]


def display_equations(markdown):
    """The bodies of a page's ``$$ ... $$`` display equations."""
    return re.findall(r"^\$\$\n(.*?)\n\$\$$", markdown, re.S | re.M)


SPACES = {r"\,": 0, r"\;": 0, r"\!": 0, r"\quad": 1, r"\qquad": 2}


def glyphs(row):
    """Roughly how many glyphs wide a row of TeX renders.

    A command counts as one glyph (``\\alpha``, ``\\sum``), spacing as
    none to two, ``\\text{...}`` and ``\\operatorname{...}`` as their
    letters, and a fraction as its wider part; braces, ``^``, ``_`` and
    ``&`` as nothing.
    """
    count, i = 0, 0
    while i < len(row):
        if row.startswith(r"\frac", i) or row.startswith(r"\dfrac", i):
            i = row.index("{", i)
            top, i = _group(row, i)
            bottom, i = _group(row, i)
            count += max(glyphs(top), glyphs(bottom))
        elif row.startswith((r"\text", r"\operatorname"), i) and (
                row.find("{", i) != -1):
            name_end = row.index("{", i)
            if re.fullmatch(r"\\[a-z]+", row[i:name_end]):
                content, i = _group(row, name_end)
                count += len(content)
            else:
                count, i = count + 1, i + 1
        elif row[i] == "\\":
            match = re.match(r"\\([a-zA-Z]+|.)", row[i:])
            command = match.group(0)
            i += len(command)
            if command in SPACES:
                count += SPACES[command]
            elif command.startswith((r"\begin", r"\end")):
                _, i = _group(row, i)
            elif command not in (r"\left", r"\right", r"\bigl", r"\bigr",
                                 r"\Bigl", r"\Bigr", r"\big", r"\Big",
                                 r"\mathrm", r"\mathbf", r"\hat",
                                 r"\tilde", r"\overrightarrow",
                                 r"\overleftarrow", r"\tfrac"):
                count += 1
        elif row[i] in "{}^_& \n":
            i += 1
        else:
            count, i = count + 1, i + 1
    return count


def _group(text, start):
    """The content of the brace group opening at ``start``, and the index
    after it."""
    while text[start] != "{":
        start += 1
    depth = 0
    for end in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[end], 0)
        if depth == 0:
            return text[start + 1:end], end + 1
    raise ValueError(f"unbalanced braces in {text!r}")


def long_rows(markdown):
    """Rows of display equations wider than MAX_ROW_GLYPHS glyphs."""
    rows = []
    for body in display_equations(markdown):
        for row in re.split(r"\\\\", body):
            if glyphs(row) > MAX_ROW_GLYPHS:
                rows.append(" ".join(row.split())[:70])
    return rows


def launch_links(anchors):
    """The hrefs of a page's launch buttons, by service."""
    links = {}
    for anchor in anchors:
        href = anchor.get("href", "")
        for service, host in (("binder", "mybinder.org"),
                              ("colab", "colab.research.google.com")):
            if urlsplit(href).hostname == host:
                links[service] = href
    return links


def launch_problems(links, repository, notebook):
    """What is wrong with a notebook page's Binder and Colab links."""
    url = repository["url"].rstrip("/")
    owner_repo = urlsplit(url).path.strip("/")
    branch = repository.get("branch", "main")
    expected = {
        "binder": f"https://mybinder.org/v2/gh/{owner_repo}/{branch}"
                  f"?urlpath=lab/tree/{notebook}",
        "colab": f"https://colab.research.google.com/github/{owner_repo}"
                 f"/blob/{branch}/{notebook}",
    }
    return [f"{service}: {links.get(service)!r} is not {href!r}"
            for service, href in expected.items()
            if links.get(service) != href]


# --- the built book -------------------------------------------------------

@pytest.fixture(scope="module")
def pages(built_html):
    found = [p for lang in LANGS for p in site_pages(built_html, lang)]
    assert len(found) >= 4
    return {page: parse(page.read_text("utf-8")) for page in found}


def test_every_image_has_real_alt_text(pages, built_html):
    images = sum(len(parsed.images) for parsed in pages.values())
    assert images >= 10, "found no figures to check"
    for page, parsed in pages.items():
        assert not alt_problems(parsed.images), page
    for path in built_html.glob("*/genindex.html"):
        assert not alt_problems(parse(path.read_text("utf-8")).images)


def test_alt_text_is_in_the_page_language(pages, built_html):
    checked = 0
    for page, parsed in pages.items():
        other = twin(page, built_html)
        assert other in pages, f"{page}: no twin {other}"
        twin_images = pages[other].images
        assert (sum(i["content"] for i in parsed.images)
                == sum(i["content"] for i in twin_images)), page
        assert not untranslated_alts(parsed.images, twin_images), page
        checked += sum(i["content"] for i in parsed.images)
    assert checked >= 10


def test_every_figure_links_to_its_full_size_file(pages):
    for page, parsed in pages.items():
        assert not unlinked_images(page, parsed.images), page
        for image in parsed.images:
            if image["content"]:
                assert target(page, image["src"]).exists(), image


def test_figures_are_drawn_for_the_text_column(pages):
    # The style's promise: the column width, with text as large as the
    # body text when the figure is shown at its own size.
    assert COLUMN_WIDTH * FIGURE_DPI <= COLUMN_PX
    assert FONT_SIZE / 72 * FIGURE_DPI >= BODY_TEXT_PX
    widths = {}
    for page, parsed in pages.items():
        for image in parsed.images:
            path = target(page, image["src"])
            if image["content"] and path.suffix == ".png":
                # Saved at PIXEL_DENSITY pixels per CSS pixel, shown at
                # the width the page gives it.
                shown = re.search(r"width:\s*(\d+)px", image["style"])
                assert shown, f"{page}: {image['src']} has no width"
                assert abs(png_width(path) / PIXEL_DENSITY
                           - int(shown.group(1))) <= 1, image["src"]
                widths[path] = int(shown.group(1))
    assert len(widths) >= 10
    too_wide = {p.name: w for p, w in widths.items() if w > COLUMN_PX}
    assert not too_wide, too_wide
    # Shown at 0.8 of their size or more at 1280 px, they are not tiny.
    assert min(widths.values()) >= 0.5 * COLUMN_PX


@pytest.mark.parametrize("lang", LANGS)
def test_the_scroll_box_stylesheet_is_loaded(pages, built_html, lang):
    css = built_html / lang / "_static" / "layout.css"
    assert not missing_css(css_rules(css.read_text("utf-8")))
    for page, parsed in pages.items():
        if page.is_relative_to(built_html / lang):
            loaded = [target(page, href) for href in parsed.stylesheets]
            assert css.resolve() in [p.resolve() for p in loaded], page


def test_inline_math_keeps_its_punctuation(pages):
    wrapped = 0
    for page in pages:
        html = page.read_text("utf-8")
        assert not loose_punctuation(html), page
        wrapped += html.count('<span class="math-punct">')
    assert wrapped >= 10


def test_launch_buttons_open_the_repository(pages, built_html):
    config = yaml.safe_load((ROOT / "_config.yml").read_text("utf-8"))
    repository = config["repository"]
    if not load_script("book/build.py").has_repository(config):
        # No public address: no page opens a notebook on Binder or Colab.
        for page, parsed in pages.items():
            assert not launch_links(parsed.anchors), page
        return
    notebooks = 0
    for page, parsed in pages.items():
        lang = page.relative_to(built_html).parts[0]
        relative = page.relative_to(built_html / lang).with_suffix(".ipynb")
        if relative.parts[0] == "exercises":
            notebook = relative.as_posix()
            notebooks += 1
        else:
            # A chapter page opens the notebook of its chapter.
            slug = page.stem
            notebook = f"exercises/{slug}-{lang}/{slug}.ipynb"
            if not (ROOT / notebook).exists():
                assert not launch_links(parsed.anchors), page
                continue
        assert (ROOT / notebook).exists(), notebook
        assert not launch_problems(launch_links(parsed.anchors),
                                   repository, notebook), page
        assert any(a.get("href") == repository["url"]
                   for a in parsed.anchors), f"{page}: no repository link"
        if lang == "es":
            text = page.read_text("utf-8")
            assert "Launch" not in text, page
            assert not re.search(r'alt="[^"]* logo"', text), page
    assert notebooks >= 2


# --- the sources ----------------------------------------------------------

def test_display_equations_fit_the_column_in_the_sources():
    sources = sorted((ROOT / "book").glob("*/*.md"))
    assert len(sources) >= 4
    equations = 0
    for source in sources:
        markdown = source.read_text("utf-8")
        equations += len(display_equations(markdown))
        assert not long_rows(markdown), source
    assert equations >= 20


def test_figure_text_is_as_large_as_the_body_text():
    for source in sorted((ROOT / "book").glob("*/*.md")):
        sizes = re.findall(r"fontsize=([0-9.]+)", source.read_text("utf-8"))
        assert all(float(size) >= FONT_SIZE for size in sizes), source


def test_binder_installs_the_course():
    binder = ROOT / ".binder"
    # repo2docker: the Python of runtime.txt, then pip on requirements.txt
    assert (binder / "runtime.txt").read_text().strip() == "python-3.11"
    lines = (binder / "requirements.txt").read_text().splitlines()
    assert "-r ../requirements.lock" in lines
    assert (binder / "../requirements.lock").resolve() == (
        ROOT / "requirements.lock")
    post_build = (binder / "postBuild").read_text()
    assert "pip install" in post_build and "--editable ." in post_build
    assert (binder / "postBuild").stat().st_mode & 0o111


# --- each check fails on a planted example ---------------------------------

def test_the_checks_catch_planted_mistakes(tmp_path):
    page = tmp_path / "page.html"
    (tmp_path / "_images").mkdir()
    (tmp_path / "_images" / "a.png").write_bytes(b"")
    html = ('<article><a href="_images/b.png">'
            '<img src="_images/a.png" alt="_images/a.png"></a>'
            '<img src="_images/a.png" alt=""></article>')
    images = parse(html).images
    assert len(alt_problems(images)) == 2
    assert len(unlinked_images(page, images)) == 2
    good = parse('<article><a href="_images/a.png"><img src="_images/a.png"'
                 ' alt="A heat map of eight words"></a></article>').images
    assert not alt_problems(good) and not unlinked_images(page, good)
    assert untranslated_alts(good, good) == ["A heat map of eight words"]

    png = tmp_path / "wide.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"
                    + struct.pack(">II", 1309, 215))
    assert png_width(png) == 1309 > COLUMN_PX

    css = "div.math { overflow: hidden } span.math-punct{white-space:nowrap}"
    assert len(missing_css(css_rules(css))) == len(
        [v for wanted in SCROLL_BOXES.values() for v in wanted]) - 1

    loose = ('<span class="math notranslate nohighlight">\\(x_t\\)</span>.'
             ' and <span class="math-punct"><span class="math notranslate '
             'nohighlight">\\(h\\)</span>,</span>')
    assert len(loose_punctuation(loose)) == 1

    softmax_before = r"""$$
\operatorname{softmax}(z)_k = \frac{e^{z_k}}{\sum_{j=1}^{K} e^{z_j}},
\qquad
\frac{\partial\, \operatorname{softmax}(z)_k}{\partial z_j}
= \operatorname{softmax}(z)_k \bigl(\delta_{kj}
  - \operatorname{softmax}(z)_j\bigr)
$$"""
    assert len(long_rows(softmax_before)) == 1
    assert not long_rows(softmax_before.replace(r"\qquad", r"\\"))

    repository = {"url": "https://github.com/rnn-course/rnn-course",
                  "branch": "main"}
    notebook = "exercises/01-x-en/01-x.ipynb"
    links = launch_links([
        {"href": "https://mybinder.org/v2/gh/rnn-course/rnn-course/main"
                 "?urlpath=lab/tree/exercises/01-x-en/01-x.ipynb"},
        {"href": "https://colab.research.google.com/github/rnn-course/"
                 "rnn-course/blob/main/./exercises/01-x-en/01-x.ipynb"},
    ])
    assert len(launch_problems(links, repository, notebook)) == 1


# --- The build's own guards (book/_ext) ------------------------------------

def extension(name):
    return load_script(f"book/_ext/{name}.py")


def test_a_cell_that_printed_an_error_is_found():
    from docutils import nodes

    layout = extension("layout")
    document = nodes.section()
    document += nodes.literal_block("x", "x = 1", classes=["cell_input"])
    document += nodes.literal_block(
        "LegendOverDataError: legend covers line 'GRU'",
        "LegendOverDataError: legend covers line 'GRU'",
        classes=["output", "traceback"])
    found = layout.error_outputs(document)
    assert [block.astext() for block in found] == [
        "LegendOverDataError: legend covers line 'GRU'"]


def test_phone_versions_are_taken_out_and_shown_by_picture(tmp_path):
    from rnn_course.plots import PHONE_CHUNK, add_chunk, split_chunk

    layout = extension("layout")
    png = (b"\x89PNG\r\n\x1a\n" + b"\0\0\0\rIHDR"
           + struct.pack(">II", 1342, 600) + b"\x08\x06\0\0\0" + b"crc!"
           + b"\0\0\0\0IEND\xaeB`\x82")
    phone = png.replace(struct.pack(">II", 1342, 600),
                        struct.pack(">II", 702, 1400))
    (tmp_path / "a.png").write_bytes(add_chunk(png, PHONE_CHUNK, phone))
    (tmp_path / "b.png").write_bytes(png)
    assert layout.extract_phone_versions(tmp_path) == {"a": 351}
    assert (tmp_path / "a-phone.png").read_bytes() == phone
    assert split_chunk((tmp_path / "a.png").read_bytes(), PHONE_CHUNK) == (
        png, None)
    assert not (tmp_path / "b-phone.png").exists()
    page = ('<a href="../_images/a.png"><img alt="Dos paneles" '
            'src="../_images/a.png" style="width: 671px;" /></a>'
            '<img alt="Uno" src="../_images/b.png" style="width: 600px;" />')
    shown = layout.picture_tags(page, {"a": 351})
    assert shown == (
        '<a href="../_images/a.png"><picture><source media="'
        f'{layout.PHONE_MEDIA}" srcset="../_images/a-phone.png"><img '
        'alt="Dos paneles" src="../_images/a.png" style="width: 671px;" '
        'data-phone-width="351" /></picture></a>'
        '<img alt="Uno" src="../_images/b.png" style="width: 600px;" />')


def test_multi_panel_figures_have_phone_versions(pages):
    pictures = 0
    for page in pages:
        html = page.read_text("utf-8")
        for source in re.findall(r'<source media="[^"]*" srcset="([^"]*)"',
                                 html):
            assert target(page, source).exists(), (page, source)
            pictures += 1
    # Chapters 1, 4, 5 and 6 have figures of panels side by side.
    assert pictures >= 2 * 5


def test_the_spanish_search_tries_missing_accents(built_html):
    # What it finds is read in a browser (tests/test_browser.py).
    accents = extension("accents")
    spanish = (built_html / "es/_static/language_data.js").read_text("utf-8")
    english = (built_html / "en/_static/language_data.js").read_text("utf-8")
    assert spanish.count(accents.MARKER) == 1
    assert spanish.endswith(accents.ACCENTS_JS)
    assert accents.MARKER not in english


def test_search_messages_take_the_course_translations():
    interface = extension("interface")
    script = ('Documentation.addTranslations({"locale": "es", "messages": '
              '{"Search Results": "Resultados", "Your search did not match '
              'any documents.": "Su búsqueda no coincide con ningún '
              'documentos."}, "plural_expr": "n == 1 ? 0 : 1"});\n')
    strings = {"Your search did not match any documents.":
               "Tu búsqueda no coincide con ninguna página.",
               "Link to this heading": "Enlace a este encabezado"}
    translated = interface.translate_script(script, strings)
    data = json.loads(translated[translated.index("(") + 1:
                                 translated.rindex(")")])
    assert data["messages"] == {
        "Search Results": "Resultados",
        "Your search did not match any documents.":
            "Tu búsqueda no coincide con ninguna página."}
    assert data["plural_expr"] == "n == 1 ? 0 : 1"


# --- The repository's address is the course's, not the placeholder ---------

#: The address the course was drafted with: it does not exist.
PLACEHOLDER = re.compile(r"(?<![\w-])rnn-course/rnn-course\b")


def placeholder_links(text):
    """Links (or install hints) of ``text`` to the placeholder address."""
    return PLACEHOLDER.findall(text)


def test_the_placeholder_detector():
    assert placeholder_links(
        '<a href="https://mybinder.org/v2/gh/rnn-course/rnn-course/main">'
        '</a> pip install "rnn-course @ git+https://github.com/rnn-course/'
        'rnn-course"') == ["rnn-course/rnn-course"] * 2
    assert placeholder_links(
        '<a href="https://github.com/someone/rnn-course">x</a>') == []


def test_no_page_or_notebook_links_to_the_placeholder(pages):
    found = {page.name: placeholder_links(page.read_text("utf-8"))
             for page in pages}
    for notebook in sorted((ROOT / "exercises").glob("*/*.ipynb")):
        found[notebook.name] = placeholder_links(notebook.read_text("utf-8"))
    found = {name: links for name, links in found.items() if links}
    assert not found, found
