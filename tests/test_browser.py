"""The built book in a real browser: every page of both sites, at a laptop
(1280 px) and a phone (390 px) width, in headless Chromium.

A page fails on an equation, table or code block wider than its column
without its own scroll box, a figure shown below 0.8 of its drawn width
on the laptop, an interface string of the other language, a MathJax
error, a request to another host than 127.0.0.1, or a console error
(``tests/browser.py`` says how each is measured). Each detector is shown
to find exactly the problem planted in a small page, and nothing in a
clean one. The run also saves screenshots of each chapter page, in each
language and at each width, to ``_build/screenshots/``.

Without Chromium the tests are skipped, saying how to install it, unless
``REQUIRE_BROWSER=1`` (as in ``.ci/run``), where they fail.
"""

import importlib.util
import os
import re
from pathlib import Path

import pytest
from browser import (
    INSTALL,
    LAPTOP,
    PHONE,
    WIDTHS,
    chromium,
    chromium_path,
    inspect,
    pages_of,
    serve,
)
from conftest import LANGS, ROOT

SCREENSHOTS = ROOT / "_build" / "screenshots"
KINDS = ("overflow", "page-width", "clipped", "scroll-cue", "figure",
         "language", "mathjax", "request", "console")
CHAPTER = re.compile(r"^(?P<lang>es|en)/book/(?P=lang)/(?P<name>\d\d-[^/]+)"
                     r"\.html$")


@pytest.fixture(scope="module")
def browser():
    """The system's Chromium, or a skip (a failure with REQUIRE_BROWSER=1)
    saying how to install it."""
    required = os.environ.get("REQUIRE_BROWSER") == "1"
    missing = None
    if importlib.util.find_spec("playwright") is None:
        missing = "Playwright is missing: run `make venv`"
    elif chromium_path() is None:
        missing = INSTALL
    if missing:
        if required:
            pytest.fail(f"{missing} (REQUIRE_BROWSER=1)")
        pytest.skip(missing)
    with chromium() as instance:
        yield instance


def screenshots_of(paths):
    """{chapter page: file stem}: one page per chapter and language."""
    shots = {}
    for path in paths:
        match = CHAPTER.match(path)
        if match:
            shots[path] = SCREENSHOTS / f"{match['lang']}-{match['name']}"
    return shots


@pytest.fixture(scope="module")
def book(browser, built_html):
    """Every page of the built book and the problems found in it."""
    paths = pages_of(built_html)
    with serve(built_html) as base:
        problems = inspect(browser, base, paths,
                           screenshots=screenshots_of(paths))
    return paths, problems


def test_every_page_of_both_sites_is_visited(book):
    paths, _ = book
    twins = {}
    for lang in LANGS:
        pages = [p for p in paths if p.startswith(f"{lang}/")]
        assert len(pages) >= 10, pages
        assert any("exercises/" in p for p in pages), pages
        assert any("search.html" in p for p in pages), pages
        twins[lang] = {
            p.replace(f"-{lang}/", "-*/").replace(f"/{lang}/", "/*/")
            .removeprefix(f"{lang}/") for p in pages
        }
    assert twins["es"] == twins["en"]


@pytest.mark.parametrize("kind", KINDS)
def test_the_book_has_no_problem(book, kind):
    _, problems = book
    found = [str(p) for p in problems if p.kind == kind]
    assert not found, f"{len(found)} found:\n" + "\n".join(found[:40])


def test_screenshots_of_each_chapter_at_both_widths(book):
    paths, _ = book
    chapters = screenshots_of(paths)
    assert len(chapters) >= 2 * 4, chapters
    assert {stem.name[:2] for stem in chapters.values()} == set(LANGS)
    for stem in chapters.values():
        for width in WIDTHS:
            shot = Path(f"{stem}-{width}.png")
            assert shot.stat().st_size > 10_000, shot


# --- Each detector on planted pages --------------------------------------

PAGE = """<!DOCTYPE html>
<html lang="{lang}">
<head><meta charset="utf-8"><title>planted</title>{head}</head>
<body>
<article class="bd-article" style="width: 600px; margin: 0 20px">
{body}
</article>
</body>
</html>
"""
#: An image drawn 400 or 1000 px wide.
SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="{0}" height="50">'
       '<rect width="{0}" height="50" fill="teal"/></svg>')
MATHJAX = '<script src="mathjax/tex-chtml.js"></script>'
LONG_PATH = ("exercises/01-embeddings-activations-es/"
             "01-embeddings-activations.ipynb")
#: A scroll box's cue, as the book's stylesheet draws it (a shadow).
CUE = ("background: radial-gradient(farthest-side at 100% 50%, "
       "rgba(0,0,0,.3), transparent) right center / 1rem 100% no-repeat")
LONG_FORMULA = ("\\[" + " + ".join(f"x_{{{{{i}}}}}" for i in range(1, 30))
                + "\\]")
WIDE = '<table style="width: 900px"><tr><td>a</td><td>b</td></tr></table>'

#: name: (language, head, body); the clean page has none of the problems.
PLANTED = {
    "clean": ("es", MATHJAX, f"""
<h1>Limpio <a class="headerlink" href="#" title="Enlace a este encabezado"
>#</a></h1>
<p lang="en"><a href="#" title="next page">Read in English</a></p>
<div style="overflow-x: auto; {CUE}">{WIDE}</div>
<div class="math" style="overflow-x: auto">\\[
x_1 + x_2 + x_3 + x_4 + x_5 + x_6 + x_7 + x_8 + x_9 + x_{{10}}
+ x_{{11}} + x_{{12}} + x_{{13}} + x_{{14}} + x_{{15}} + x_{{16}}
+ x_{{17}} + x_{{18}} + x_{{19}} + x_{{20}} + x_{{21}} + x_{{22}}
\\]</div>
<p>Con <span class="math">\\(h_t = \\tanh(a_t)\\)</span>.</p>
<img src="small.svg" alt="Una franja">
<img src="large.svg" alt="Una franja ancha" style="width: 850px">
<script>console.log("informe"); console.warn("aviso");</script>
"""),
    "wide-table": ("es", "", f"<p>Una tabla.</p>{WIDE}"),
    "shrunk-figure": ("es", "", '<img src="large.svg" alt="Franja" '
                      'style="width: 1000px; max-width: 100%">'),
    "english-tooltip": ("es", "",
                        '<button title="Toggle primary sidebar">≡</button>'),
    "spanish-label": ("en", "",
                      '<nav aria-label="Navegación del sitio">x</nav>'),
    "english-chrome": ("es", "", "<p>Texto.</p>"),
    "external-script": ("es", '<script src="https://cdn.example.org/x.js">'
                        "</script>", "<p>Texto.</p>"),
    "console-error": ("es", "", '<script>console.error("planted")</script>'),
    "page-error": ("es", "", '<script>throw new Error("planted")</script>'),
    "mathjax-error": ("es", MATHJAX,
                      '<div class="math">\\[x^1^2\\]</div>'),
    "mathjax-missing": ("es", "",
                        '<p><span class="math">\\(x_t\\)</span></p>'),
    "table-without-cue": ("es", "",
                          f'<div style="overflow-x: auto">{WIDE}</div>'),
    # Narrower than the column, wider than its box, which cuts it.
    "clipped-math": ("es", MATHJAX, '<div class="math" style="overflow: '
                     'hidden; width: 300px">\\[' + " + ".join(
                         f"x_{{{i}}}" for i in range(1, 14)) + "\\]</div>"),
}
#: Pages read at the phone's width (in a fluid column): name: (language,
#: head, body).
PHONE_PLANTED = {
    "phone-clean": ("es", MATHJAX, f"""
<p>Una ruta que se parte: <code style="overflow-wrap: anywhere;
  white-space: normal">{LONG_PATH}</code></p>
<div class="math" style="overflow-x: auto">{LONG_FORMULA}</div>
<div style="overflow-x: auto; {CUE}">{WIDE}</div>
<div class="cell_output"><img src="small.svg" alt="Una franja"
  style="width: 300px"></div>
"""),
    # Sphinx writes inline code as <span class="pre">, which does not
    # wrap.
    "long-path": ("es", "", '<p>Abre <code style="white-space: nowrap">'
                  f"{LONG_PATH}</code></p>"),
    # Many narrow panels side by side: 1000 px drawn, shown ~350 px.
    "multi-panel-figure": ("es", "", '<div class="cell_output"><img '
                           'src="large.svg" alt="Seis paneles" style="'
                           'width: 1000px; max-width: 100%; height: auto">'
                           "</div>"),
}
PHONE_PAGE = """<!DOCTYPE html>
<html lang="{lang}">
<head><meta charset="utf-8"><meta name="viewport"
  content="width=device-width, initial-scale=1"><title>planted</title>
{head}</head>
<body style="margin: 0">
<article class="bd-article" style="padding: 0 16px">
{body}
</article>
</body>
</html>
"""
#: name: the one problem expected (kind, part of the element, of the value).
EXPECTED = {
    "wide-table": ("overflow", "table", "900 px wide in a 600 px column"),
    "shrunk-figure": ("figure", "img", "shown at 0.60 of its 1000 px"),
    "english-tooltip": ("language", "button",
                        'title="Toggle primary sidebar"'),
    "spanish-label": ("language", "nav",
                      'aria-label="Navegación del sitio"'),
    "english-chrome": ("language", "footer", 'text "Back to top"'),
    "external-script": ("request", "script", "https://cdn.example.org/x.js"),
    "console-error": ("console", "console.error", "planted"),
    "page-error": ("console", "uncaught error", "planted"),
    "mathjax-error": ("mathjax", "merror", "Double exponent"),
    "mathjax-missing": ("mathjax", "span.math", "not typeset"),
    "table-without-cue": ("scroll-cue", "table",
                          "900 px in a 600 px box with no scroll cue"),
    "clipped-math": ("clipped", "mjx-container",
                     "box that does not scroll"),
    "long-path": ("page-width", "code", "px window"),
    "multi-panel-figure": ("figure", "img", "text shown at 6.0 px"),
}


def planted_html(name):
    if name in PHONE_PLANTED:
        lang, head, body = PHONE_PLANTED[name]
        return PHONE_PAGE.format(lang=lang, head=head, body=body)
    lang, head, body = PLANTED[name]
    page = PAGE.format(lang=lang, head=head, body=body)
    if name == "english-chrome":
        # The theme's chrome: outside the article.
        page = page.replace("</body>", "<footer>Back to top</footer>"
                            "\n</body>")
    return page


@pytest.fixture(scope="module")
def planted(browser, tmp_path_factory):
    """{page name: problems found} for the pages of PLANTED."""
    folder = tmp_path_factory.mktemp("planted")
    for name in [*PLANTED, *PHONE_PLANTED]:
        (folder / f"{name}.html").write_text(planted_html(name), "utf-8")
    (folder / "small.svg").write_text(SVG.format(400), "utf-8")
    (folder / "large.svg").write_text(SVG.format(1000), "utf-8")
    spec = importlib.util.find_spec("mathjax")
    source = Path(spec.submodule_search_locations[0]) / "static/mathjax/es5"
    (folder / "mathjax").symlink_to(source, target_is_directory=True)
    paths = [f"{name}.html" for name in PLANTED]
    phone_paths = [f"{name}.html" for name in PHONE_PLANTED]
    with serve(folder) as base:
        problems = inspect(browser, base, paths, widths=(LAPTOP,))
        problems += inspect(browser, base, phone_paths, widths=(PHONE,))
    return {name: [p for p in problems if p.page == f"{name}.html"]
            for name in [*PLANTED, *PHONE_PLANTED]}


@pytest.mark.parametrize("name", ["clean", "phone-clean"])
def test_a_clean_page_reports_nothing(planted, name):
    assert planted[name] == [], [str(p) for p in planted[name]]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_detector_finds_exactly_the_planted_problem(planted, name):
    kind, element, value = EXPECTED[name]
    found = planted[name]
    assert len(found) == 1, [str(p) for p in found]
    assert found[0].kind == kind, str(found[0])
    assert element in found[0].element, str(found[0])
    assert value in found[0].value, str(found[0])


def test_every_detector_is_planted():
    assert {kind for kind, _, _ in EXPECTED.values()} == set(KINDS)


# --- Search on the Spanish site (book/_ext/accents.py, book/locales) -------

def search(browser, base, lang, query):
    """(summary message, result links) of the site's search page."""
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{base}{lang}/search.html?q={query}", wait_until="load")
    page.wait_for_function(
        "() => { const s = document.querySelector("
        "'#search-results .search-summary');"
        " return s && /\\d|ningun|no coincide|did not match/i"
        ".test(s.textContent); }")
    summary = page.locator("#search-results .search-summary").inner_text()
    links = page.locator("#search-results ul.search li a").all_inner_texts()
    context.close()
    return summary.strip(), links


def test_spanish_search_finds_words_typed_without_accents(browser,
                                                          built_html):
    with serve(built_html) as base:
        plain, plain_links = search(browser, base, "es", "retropropagacion")
        accented, accented_links = search(browser, base, "es",
                                          "retropropagación")
        none, _ = search(browser, base, "es", "zxqwv")
    assert accented_links, accented
    assert sorted(plain_links) == sorted(accented_links), plain
    assert re.fullmatch(r"Búsqueda terminada\. Páginas que coinciden: "
                        r"\d+\.", plain), plain
    assert none == ("Tu búsqueda no coincide con ninguna página. Revisa "
                    "que todas las palabras estén bien escritas."), none
