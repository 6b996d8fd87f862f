"""The rendered course: two localised sites, offline, with no solutions."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import LANGS, ROOT
from sources import cell_source, read_notebook, solution_lines

OTHER = {"es": "en", "en": "es"}
#: Interface strings that only a localised theme writes: the search box,
#: and the previous/next links at the foot of each page.
INTERFACE = {"es": ("Buscar", ("anterior", "siguiente")),
             "en": ("Search", ("previous", "next"))}
EXTERNAL = re.compile(r"^(https?:)?//", re.I)


class Links(HTMLParser):
    """Collects what a page loads (scripts, styles, fonts) and links to."""

    def __init__(self):
        super().__init__()
        self.loads, self.anchors, self.html_lang = [], [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.html_lang = attrs.get("lang")
        elif tag in ("script", "img", "iframe", "source") and attrs.get("src"):
            self.loads.append(attrs["src"])
        elif tag == "link" and attrs.get("href"):
            rel = attrs.get("rel", "")
            if rel in ("stylesheet", "preload", "icon", "modulepreload"):
                self.loads.append(attrs["href"])
        elif tag == "a" and attrs.get("href"):
            self.anchors.append(attrs)


def parse(path):
    parser = Links()
    parser.feed(Path(path).read_text("utf-8"))
    return parser


def site_pages(built_html, lang):
    """Content pages of a site (not search, genindex or redirects)."""
    pages = sorted((built_html / lang).glob("book/**/*.html"))
    pages += sorted((built_html / lang).glob("exercises/**/*.html"))
    return pages


def test_landing_page_offers_both_languages(built_html):
    page = parse(built_html / "index.html")
    targets = {a["href"] for a in page.anchors}
    assert targets == {"es/index.html", "en/index.html"}
    for lang in LANGS:
        assert (built_html / lang / "index.html").exists()


@pytest.mark.parametrize("lang", LANGS)
def test_each_site_is_localised(built_html, lang):
    pages = site_pages(built_html, lang)
    assert len(pages) >= 2
    for page in pages:
        text = page.read_text("utf-8")
        assert parse(page).html_lang == lang, page
        search, prev_next = INTERFACE[lang]
        assert "Show code cell" not in text, f"{page}: myst-nb toggle"
        assert search in text, f"{page}: search box not in {lang}"
        assert any(f'"prev-next-subtitle">{word}</p>' in text
                   for word in prev_next), (
            f"{page}: previous/next links not in {lang}"
        )
    # Sphinx writes the search index with the language's stemmer.
    assert (built_html / lang / "searchindex.js").exists()
    language_data = (built_html / lang / "_static" / "language_data.js")
    stemmer = {"es": "SpanishStemmer", "en": "Porter"}[lang]
    assert stemmer in language_data.read_text("utf-8")


def test_every_page_has_its_counterpart(built_html):
    names = {
        lang: {
            str(p.relative_to(built_html / lang)).replace(f"-{lang}/", "-*/")
            .replace(f"book/{lang}/", "book/*/")
            for p in site_pages(built_html, lang)
        }
        for lang in LANGS
    }
    assert names["es"] == names["en"]


@pytest.mark.parametrize("lang", LANGS)
def test_counterpart_links_resolve(built_html, lang):
    for page in site_pages(built_html, lang):
        links = [a for a in parse(page).anchors
                 if a.get("hreflang") == OTHER[lang]]
        assert len(links) == 1, f"{page}: no link to its counterpart"
        target = (page.parent / links[0]["href"]).resolve()
        assert target.exists(), f"{page}: {links[0]['href']} is broken"
        assert target.is_relative_to(built_html / OTHER[lang])


def test_nothing_loads_from_another_host(built_html):
    offenders = []
    for page in built_html.glob("**/*.html"):
        if "mathjax" in page.parts:
            continue
        offenders += [(page, u) for u in parse(page).loads
                      if EXTERNAL.match(u)]
    for css in built_html.glob("**/*.css"):
        text = css.read_text("utf-8", errors="replace")
        for url in re.findall(r"(?:url\(|@import\s+)['\"]?([^'\")\s]+)",
                              text):
            if EXTERNAL.match(url):
                offenders.append((css, url))
    assert not offenders, offenders[:5]


def test_mathjax_is_served_locally(built_html):
    page = built_html / "en" / "book" / "en" / "index.html"
    scripts = [s for s in parse(page).loads if "tex-chtml" in s]
    assert len(scripts) == 1
    assert (page.parent / scripts[0]).resolve().exists()


def test_no_solution_or_hidden_test_in_the_book(built_html):
    forbidden = {"BEGIN SOLUTION", "HIDDEN TESTS", "hidden_checks"}
    for notebook in (ROOT / "solutions").glob("*/*.ipynb"):
        forbidden |= solution_lines(read_notebook(notebook))
    # A later chapter may give an earlier chapter's answers on purpose
    # (chapter 3 starts from chapter 2's forward pass): released is shown.
    for notebook in (ROOT / "exercises").glob("*/*.ipynb"):
        for cell in read_notebook(notebook)["cells"]:
            forbidden -= {line.strip() for line in
                          cell_source(cell).splitlines()}
    assert len(forbidden) > 10, "found no solution to look for"
    leaks = []
    for path in (ROOT / "_build").glob("**/*"):
        if not path.is_file() or path.suffix not in {
            ".html", ".js", ".txt", ".ipynb", ".md", ".py", ".json",
        } or "mathjax" in path.parts:
            continue
        text = path.read_text("utf-8", errors="replace")
        text = text.replace("&quot;", '"').replace("&#39;", "'")
        leaks += [(path, line) for line in forbidden if line in text]
    assert not leaks, leaks[:5]
