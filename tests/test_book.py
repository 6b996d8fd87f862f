"""The rendered course: two localised sites, offline, with no solutions."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import LANGS, ROOT, load_script
from sources import cell_source, read_notebook, solution_lines
from spanish import decimal_commas, hints, peninsular

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


#: Lines of the solutions that are the shape of any Keras model, shown by
#: the chapters' pages on purpose.
KERAS_BOILERPLATE = {
    "model = keras.Sequential([",
    "keras.Input((num_words,)),",
    'keras.layers.Dense(1, activation="sigmoid"),',
}


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
    # Keras boilerplate that every model-building answer shares with the
    # book's own examples (chapter 3's and 5's models): not a leak.
    forbidden -= KERAS_BOILERPLATE
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


# --- What a reader of the site needs: how to run the exercises, which
# chapters exist, and Spanish written for Latin American students. -------

#: Elements whose text is code, not prose.
CODE_TAGS = {"pre", "code", "script", "style", "kbd", "samp"}
CODE_CLASSES = {"highlight", "cell_input", "headerlink"}
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input",
             "link", "meta", "source", "track", "wbr"}


class Article(HTMLParser):
    """The body of a page (``<article class="bd-article">``): its anchors,
    its whole text, and its prose (the text outside code)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.inside = False
        self.stack = []
        self.anchors, self.text, self.prose = [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = set((attrs.get("class") or "").split())
        if tag == "article" and "bd-article" in classes:
            self.inside = True
            return
        if not self.inside or tag in VOID_TAGS:
            return
        if tag == "a" and attrs.get("href"):
            self.anchors.append(attrs)
        # Code, and words marked as another language (<span lang="en">
        # in the glossary), are not the page's prose.
        self.stack.append(
            (tag, tag in CODE_TAGS or bool(classes & CODE_CLASSES)
             or bool(attrs.get("lang")))
        )

    def handle_endtag(self, tag):
        if tag == "article" and self.inside:
            self.inside = False
            return
        # Close up to the matching tag (tolerates unclosed <p>, <li>...).
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        if not self.inside:
            return
        self.text.append(data)
        if not any(code for _, code in self.stack):
            self.prose.append(data)


def article(source):
    """Parse a page (a path or its HTML) into an :class:`Article`."""
    parser = Article()
    parser.feed(source if isinstance(source, str) and "<" in source
                else Path(source).read_text("utf-8"))
    parser.text = re.sub(r"\s+", " ", "".join(parser.text))
    parser.prose = re.sub(r"\s+", " ", "".join(parser.prose))
    return parser


def toc_chapters(lang):
    """Files of the chapters of _toc.yml (root excluded), for one site."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text("utf-8"))
    return [entry["file"].replace("{lang}", lang)
            for entry in toc["chapters"]]


def built_chapter_numbers(files):
    """Numbers of the chapters among toc files (``book/es/03-bptt`` -> 3)."""
    return {int(m[1]) for f in files
            if (m := re.match(r"book/\w+/(\d+)-", f))}


#: The trees whose prose the language and chapter checks read: the
#: chapters' pages and the released notebooks.
PROSE_TREES = ("book", "exercises")


def prose_pages(built_html, lang):
    """The pages of ``PROSE_TREES`` in one site."""
    return sorted(page for tree in PROSE_TREES
                  for page in (built_html / lang).glob(f"{tree}/**/*.html"))


def run_page(built_html, lang):
    return built_html / lang / "book" / lang / "run-exercises.html"


def missing_instructions(page):
    """What the run page lacks of the two ways to install the course
    from the folder the student received: ``make lab`` in it, or
    ``pip install -e`` of it."""
    missing = []
    if "make lab" not in page.text:
        missing.append("make lab")
    if not re.search(r"pip install -e <[^>]+>", page.text):
        missing.append("pip install -e")
    return missing


@pytest.mark.parametrize("lang", LANGS)
def test_run_page_sends_the_reader_to_the_course_folder(built_html, lang):
    path = run_page(built_html, lang)
    assert path.exists(), f"{path} is missing"
    page = article(path)
    assert missing_instructions(page) == []
    # The detector sees the same page installing from elsewhere.
    page.text = page.text.replace("make lab", "make all").replace(
        "pip install -e", "pip install")
    assert missing_instructions(page) == ["make lab", "pip install -e"]


def links_to(page_path, page, target):
    """Whether the body of ``page`` links to the file ``target``."""
    return any(
        (page_path.parent / a["href"].split("#")[0]).resolve() == target
        for a in page.anchors if not EXTERNAL.match(a["href"])
    )


@pytest.mark.parametrize("lang", LANGS)
def test_run_page_is_linked_from_home_and_every_chapter(built_html, lang):
    target = run_page(built_html, lang).resolve()
    pages = [built_html / lang / "book" / lang / "index.html"]
    pages += [built_html / lang / f"{f}.html" for f in toc_chapters(lang)
              if re.match(r"book/\w+/\d+-", f)]
    assert len(pages) >= 3
    for path in pages:
        assert links_to(path, article(path), target), (
            f"{path}: no link to the run-the-exercises page in its body"
        )
    # The detector sees a chapter whose body lost the link (the sidebar,
    # outside the body, still has one).
    html = pages[1].read_text("utf-8")
    planted = re.sub(r'href="[^"]*run-exercises\.html[^"]*"', 'href="#"',
                     html.split('<article class="bd-article">')[1])
    planted = ('<article class="bd-article">' + planted)
    assert not links_to(pages[1], article(planted), target)


def home_chapters(built_html, lang, html=None):
    """The pages that the home page's contents list, in order, as files
    relative to the site (``book/es/01-embeddings-activations``)."""
    home = built_html / lang / "book" / lang / "index.html"

    class Contents(HTMLParser):
        def __init__(self):
            super().__init__()
            self.items, self.depth, self.want = [], 0, False

        def handle_starttag(self, tag, attrs):
            classes = (dict(attrs).get("class") or "").split()
            if tag == "div" and "toctree-wrapper" in classes:
                self.depth = 1
            elif self.depth and tag == "div":
                self.depth += 1
            if self.depth and tag == "li":
                self.want = "toctree-l1" in classes
            elif self.depth and tag == "a" and self.want:
                self.items.append(dict(attrs)["href"])
                self.want = False

        def handle_endtag(self, tag):
            if self.depth and tag == "div":
                self.depth -= 1

    parser = Contents()
    parser.feed(html or home.read_text("utf-8"))
    site = (built_html / lang).resolve()
    return [
        str((home.parent / href.split("#")[0]).resolve().relative_to(site))
        .removesuffix(".html")
        for href in parser.items
    ]


@pytest.mark.parametrize("lang", LANGS)
def test_home_lists_the_chapters_of_the_toc(built_html, lang):
    listed = home_chapters(built_html, lang)
    assert listed == toc_chapters(lang)
    assert built_chapter_numbers(listed), "no chapter on the home page"
    # The detector sees a home page that lost one entry.
    html = (built_html / lang / "book" / lang / "index.html").read_text(
        "utf-8")
    wrapper = html.index('<div class="toctree-wrapper')
    entry = re.compile(r'<li class="toctree-l1">.*?</li>', re.S)
    planted = html[:wrapper] + entry.sub("", html[wrapper:], count=1)
    assert home_chapters(built_html, lang, planted) == listed[1:]


#: A chapter named by number, with an optional second number ("chapters
#: 5 and 6", "capítulos 4–6"), and the word that marks it as coming.
CHAPTER_MENTION = {
    "es": re.compile(r"\bcap[ií]tulos?\s+(\d+)(?:\s*(?:[–-]|a|y)\s*(\d+))?",
                     re.I),
    "en": re.compile(r"\bchapters?\s+(\d+)(?:\s*(?:[–-]|to|and)\s*(\d+))?",
                     re.I),
}
COMING = {"es": re.compile(r"próximamente", re.I),
          "en": re.compile(r"\bcoming\b", re.I)}


def unbuilt_chapters(prose, lang, built):
    """Chapter numbers that ``prose`` names, are not built, and are not
    marked as coming in the same sentence."""
    found = []
    for match in CHAPTER_MENTION[lang].finditer(prose):
        first = int(match[1])
        last = int(match[2]) if match[2] else first
        start = max(prose.rfind(". ", 0, match.start()), 0)
        end = prose.find(". ", match.end())
        sentence = prose[start:end if end >= 0 else len(prose)]
        if COMING[lang].search(sentence):
            continue
        found += [n for n in range(first, last + 1) if n not in built]
    return found


@pytest.mark.parametrize(("lang", "prose", "expected"), [
    ("es", "El capítulo 2 sigue. El capítulo 5 trata la regularización.",
     [5]),
    ("es", "Los capítulos 4 a 6 cierran el curso.", [5, 6]),
    ("es", "El capítulo 5 (próximamente) trata la regularización.", []),
    ("es", "Como en el capítulo 3, y en el {ref} capítulo 1.", []),
    ("en", "Chapters 5 and 6 follow. Chapter 4 is built.", [5, 6]),
    ("en", "Chapter 6 is coming soon.", []),
    ("en", "as chapter 1 did", []),
])
def test_unbuilt_chapter_detector(lang, prose, expected):
    assert unbuilt_chapters(prose, lang, built={1, 2, 3, 4}) == expected


@pytest.mark.parametrize("lang", LANGS)
def test_no_page_names_a_chapter_that_is_not_built(built_html, lang):
    built = built_chapter_numbers(toc_chapters(lang))
    assert built
    offenders = {
        str(page.relative_to(built_html)): found
        for page in prose_pages(built_html, lang)
        if (found := unbuilt_chapters(article(page).prose, lang, built))
    }
    assert not offenders, offenders


@pytest.mark.parametrize("prose", [
    "la desviación típica", "De media, cada palabra", "la tipificación",
    "un vídeo", "hacia delante", "las puertas de la LSTM",
    "el notebook del capítulo", "tu ordenador", "un fichero",
    "en coma flotante", "el coste", "os pide", "programáis", "tenéis",
])
def test_peninsular_detector_sees_a_planted_form(prose):
    assert peninsular(prose)


def test_peninsular_detector_accepts_latin_american_forms():
    prose = ("En promedio, la desviación estándar tras la estandarización; "
             "un video, hacia adelante, las compuertas de la LSTM, el "
             "cuaderno, tu computadora, un archivo, en punto flotante, "
             "el costo; ustedes programan, pueden y tienen.")
    assert peninsular(prose) == []


def test_decimal_comma_detector():
    planted = article(
        '<article class="bd-article"><p>con momento 0,9 y '
        r"\(\beta = 0{,}999\)</p><pre>print(0,5)</pre></article>")
    assert decimal_commas(planted.prose) == ["0,9", r"0{,}999\)"]
    clean = article(
        '<article class="bd-article"><p>momento 0.9, etiquetas '
        r"\(y \in \{0, 1\}\), los valores 1, 2 y 3</p>"
        "<pre>f(0,5)</pre><code>x[0,1]</code></article>")
    assert decimal_commas(clean.prose) == []


def test_spanish_prose_is_latin_american_with_decimal_points(built_html):
    pages = prose_pages(built_html, "es")
    assert len(pages) >= 5
    offenders = {}
    for page in pages:
        prose = article(page).prose
        found = peninsular(prose) + decimal_commas(prose)
        if found:
            offenders[str(page.relative_to(built_html))] = found
    assert not offenders, (offenders, hints(sum(offenders.values(), [])))


def test_no_address_no_repository_or_launch_buttons():
    """Without a real address in _config.yml's repository.url (empty,
    or the placeholder the course was drafted with), the sites have no
    repository button and no launch buttons; with one, they have both."""
    build = load_script("book/build.py")
    for lang in LANGS:
        config = build.site_config(lang)
        if build.has_repository(config):
            assert config["html"]["use_repository_button"]
            assert "launch_buttons" in config
        else:
            assert not config["html"]["use_repository_button"]
            assert "launch_buttons" not in config
    assert not build.has_repository({"repository": {"url": ""}})
    assert not build.has_repository({})
    assert not build.has_repository(
        {"repository": {"url": "https://github.com/rnn-course/rnn-course"}})
    assert build.has_repository(
        {"repository": {"url": "https://github.com/someone/rnn-course"}})


# --- The theme's interface strings (book/_ext/interface.py) -------------

ATTRIBUTE = re.compile(r'\b(?:title|aria-label|data-bs-title)="([^"]*)"')


def interface_translations():
    import sys

    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    try:
        from interface import translations
    finally:
        sys.path.remove(str(ROOT / "book" / "_ext"))
    return translations("es")


def test_interface_catalogs_translate_the_strings_the_theme_leaves():
    strings = interface_translations()
    for english in ("Link to this heading", "Toggle primary sidebar",
                    "Toggle hidden content", "Download this page"):
        assert strings.get(english), english
    assert all(spanish != english for english, spanish in strings.items())


@pytest.mark.parametrize("lang", LANGS)
def test_interface_attributes_are_in_the_site_language(built_html, lang):
    """No tooltip or ARIA label of the Spanish site is one of the English
    strings of book/locales, nor misspelt as the theme's catalog has it;
    the English site keeps them English."""
    strings = interface_translations()
    wrong = set(strings) | {"Descarga esta pagina"}
    if lang == "en":
        wrong = set(strings.values())
    found = []
    for page in sorted((built_html / lang).glob("**/*.html")):
        values = set(ATTRIBUTE.findall(page.read_text("utf-8")))
        found += [(page.name, value) for value in values & wrong]
    assert not found, found[:10]


#: A Python warning printed by a cell ("FutureWarning: ...",
#: "Pandas4Warning: ..."): noise for the reader, and a sign that the code
#: on the page will break with a newer library.
PRINTED_WARNING = re.compile(r"\b\w*Warning: ")


def printed_warnings(text):
    return PRINTED_WARNING.findall(text)


def test_printed_warning_detector():
    assert printed_warnings(
        "x.py:9: Pandas4Warning: 'str' is not supported") == [
        "Pandas4Warning: "]
    assert printed_warnings("UserWarning: y, DeprecationWarning: z") == [
        "UserWarning: ", "DeprecationWarning: "]
    assert printed_warnings("a page about warnings: none here") == []


@pytest.mark.parametrize("lang", LANGS)
def test_no_cell_prints_a_warning(built_html, lang):
    offenders = {page.name: found for page in prose_pages(built_html, lang)
                 if (found := printed_warnings(article(page).text))}
    assert not offenders, offenders


# --- The end of every chapter --------------------------------------------

#: The three parts that end every chapter, in order, in each language.
ENDING = {"es": ("Ideas clave", "Ejercicios", "Cuaderno calificado"),
          "en": ("Key ideas", "Exercises", "Graded notebook")}


def chapter_sources(lang):
    return sorted((ROOT / "book" / lang).glob("[0-9][0-9]-*.md"))


def ending_problems(text, lang, slug):
    """What is wrong with the end of a chapter's source ``text``."""
    code = re.compile(r"^```\{code-cell\}.*?^```", re.S | re.M)
    sections = re.split(r"^## ", code.sub("", text), flags=re.M)
    titles = [part.split("\n", 1)[0].strip() for part in sections[1:]]
    if tuple(titles[-3:]) != ENDING[lang]:
        return [f"last sections are {titles[-3:]}"]
    ideas, exercises, notebook = sections[-3:]
    problems = []
    bullets = len(re.findall(r"^- ", ideas, re.M))
    if not 5 <= bullets <= 8:
        problems.append(f"{bullets} key ideas")
    questions = re.split(r"^```\{dropdown\}", exercises, flags=re.M)
    asked = len(re.findall(r"^\d+\. ", questions[0], re.M))
    if not 4 <= asked <= 6:
        problems.append(f"{asked} exercises")
    if len(questions) != 2:
        problems.append("no folded answers")
    elif len(re.findall(r"^\d+\. ", questions[1], re.M)) != asked:
        problems.append("not one answer per exercise")
    if f"/exercises/{slug}-{lang}/{slug}>`" not in notebook:
        problems.append("no link to the graded notebook")
    if "<run-exercises>`" not in notebook:
        problems.append("no link to the run-the-exercises page")
    return problems


@pytest.mark.parametrize("lang", LANGS)
def test_every_chapter_ends_with_ideas_exercises_and_notebook(lang):
    pages = chapter_sources(lang)
    assert len(pages) == 7
    offenders = {}
    for page in pages:
        found = ending_problems(page.read_text("utf-8"), lang, page.stem)
        if found:
            offenders[page.name] = found
    assert not offenders, offenders


@pytest.mark.parametrize("lang", LANGS)
def test_ending_detector_sees_planted_chapters(lang):
    page = chapter_sources(lang)[3]
    text, slug = page.read_text("utf-8"), page.stem
    ideas, exercises, notebook = ENDING[lang]
    # Two parts swapped; a part missing; a part renamed.
    swapped = (text.replace(f"## {ideas}\n", "## @@\n")
               .replace(f"## {exercises}\n", f"## {ideas}\n")
               .replace("## @@\n", f"## {exercises}\n"))
    assert ending_problems(swapped, lang, slug)
    assert ending_problems(text.replace(f"## {exercises}\n", ""), lang, slug)
    assert ending_problems(text.replace(f"## {ideas}\n", "## Summary\n"),
                           lang, slug)
    # A section after the end.
    assert ending_problems(text + "\n## More\n\nText.\n", lang, slug)
    # Too few ideas, answers unfolded, no notebook link.
    start = text.index(f"## {ideas}\n")
    few = text[:start] + re.sub(r"^- ", "  ", text[start:], count=4,
                                flags=re.M)
    assert "key ideas" in " ".join(ending_problems(few, lang, slug))
    unfolded = text.replace("```{dropdown}", "Answers:")
    assert "no folded answers" in ending_problems(unfolded, lang, slug)
    unlinked = text.replace(f"/exercises/{slug}-{lang}/", "/elsewhere/")
    assert ending_problems(unlinked, lang, slug) == [
        "no link to the graded notebook"]
    assert ending_problems(text, lang, slug) == []


# --- Bookkeeping code is hidden from readers -----------------------------

#: Tags that keep a cell's code off the page (or folded).
HIDDEN = ("remove-input", "hide-input", "remove-cell")
CODE_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(?P<body>.*?)^```\s*$",
                       re.S | re.M)


def cell_tags_and_code(body):
    """A page cell's tags and its code (front matter or options removed)."""
    options = ""
    if body.startswith("---\n"):
        options, body = body[4:].split("\n---\n", 1)
    else:
        while body.startswith(":"):
            option, body = body.split("\n", 1)
            options += option + "\n"
    tags = re.search(r"tags:\s*\[([^\]]*)\]", options)
    return [t.strip() for t in tags[1].split(",")] if tags else [], body


def bookkeeping_cells(text):
    """Visible code cells of a page's source that show bookkeeping: a
    call of ``glue``, or nothing but ``assert`` statements."""
    import ast

    found = []
    for number, match in enumerate(CODE_CELL.finditer(text)):
        tags, code = cell_tags_and_code(match["body"])
        if any(tag in HIDDEN for tag in tags):
            continue
        statements = ast.parse(code).body
        glued = [node for node in ast.walk(ast.Module(statements, []))
                 if isinstance(node, ast.Call)
                 and getattr(node.func, "id", "") == "glue"]
        only_asserts = statements and all(
            isinstance(node, ast.Assert) for node in statements)
        if glued or only_asserts:
            found.append(number)
    return found


@pytest.mark.parametrize("lang", LANGS)
def test_no_visible_cell_is_bookkeeping(lang):
    offenders = {page.name: found for page in chapter_sources(lang)
                 if (found := bookkeeping_cells(page.read_text("utf-8")))}
    assert not offenders, offenders


def test_bookkeeping_detector_sees_planted_cells():
    page = chapter_sources("en")[5].read_text("utf-8")
    assert bookkeeping_cells(page) == []
    cells = len(CODE_CELL.findall(page))
    glue_cell = ('```{code-cell} ipython3\n'
                 'glue("batch", settings["batch"], display=False)\n```\n')
    assert_cell = ('```{code-cell} ipython3\n:tags: [remove-stderr]\n\n'
                   'assert frozen["gru"]["trainable"] > 0\n```\n')
    mixed = ('```{code-cell} ipython3\n---\ntags: [hide-output]\n---\n'
             'x = 1\nglue("x", x, display=False)\nx\n```\n')
    for planted in (glue_cell, assert_cell, mixed):
        assert bookkeeping_cells(page + "\n" + planted) == [cells]
    # Hidden, the same cells are fine; a cell that teaches and checks
    # itself with an assert is fine.
    hidden = glue_cell.replace("ipython3\n", "ipython3\n:tags: [remove-input]"
                               "\n\n")
    teaches = ('```{code-cell} ipython3\nw = 2.0 * 3.0\nassert w == 6.0\n'
               'w\n```\n')
    assert bookkeeping_cells(page + "\n" + hidden + "\n" + teaches) == []


# --- What a table shows ----------------------------------------------------

#: A missing value printed as pandas prints it, and a count printed with
#: decimals ("2527.0000" reviews).
MISSHOWN = re.compile(r"(?<![\w.])(NaN|None|\d{3,}\.0{3,})(?![\w.])")


def misshown_values(text):
    """Cells of a built page's tables that show a missing value as "NaN"
    (say "—" and why) or a count with a row of zero decimals."""
    tables = re.findall(r"<table.*?</table>", text, re.S)
    cells = [re.sub(r"<[^>]+>", "", cell).strip()
             for table in tables
             for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", table,
                                    re.S)]
    return [cell for cell in cells if MISSHOWN.search(cell)]


def test_misshown_value_detector():
    table = ("<table><tr><th>reviews</th><td>{}</td><td>0.8888</td>"
             "<td>{}</td></tr></table>")
    assert misshown_values(table.format("2527.0000", "NaN")) == [
        "2527.0000", "NaN"]
    assert misshown_values(table.format("2527", "—")) == []
    assert misshown_values(table.format("1.0000", "0.1000")) == []


@pytest.mark.parametrize("lang", LANGS)
def test_tables_show_no_nan_and_no_count_with_decimals(built_html, lang):
    offenders = {page.name: found for page in prose_pages(built_html, lang)
                 if (found := misshown_values(page.read_text("utf-8")))}
    assert not offenders, offenders


def test_words_marked_as_another_language_are_not_prose():
    """The glossary's English column (<span lang="en">) is not Spanish
    prose; the same word unmarked is."""
    marked = article('<article class="bd-article"><p>cuaderno: '
                     '<span lang="en">notebook</span></p></article>')
    assert peninsular(marked.prose) == []
    unmarked = article('<article class="bd-article"><p>cuaderno: '
                       'notebook</p></article>')
    assert peninsular(unmarked.prose) == ["notebook"]


# --- Titles, references and glossary ---------------------------------------

TITLE = {"es": ("Capítulo", "Cuaderno"), "en": ("Chapter", "Notebook")}


def title_problems(page_text, notebook_title, lang, number):
    """What is wrong with the titles of a chapter's page and notebook."""
    code = re.compile(r"^```.*?^```", re.S | re.M)
    headings = re.findall(r"^(#{1,2}) (.+)$", code.sub("", page_text), re.M)
    chapter, notebook = TITLE[lang]
    problems = []
    if not headings or headings[0][1] != headings[0][1].strip() or (
            not headings[0][1].startswith(f"{chapter} {number} · ")):
        problems.append("page title without its chapter number")
    if not notebook_title.startswith(f"{notebook} {number} · "):
        problems.append("notebook title without its number")
    if headings and notebook_title == headings[0][1]:
        problems.append("page and notebook share a title")
    if len(headings) > 1 and headings[1][1] == headings[0][1].split(
            " · ", 1)[-1]:
        problems.append("first section repeats the title")
    return problems


def notebook_title(slug, lang):
    cells = read_notebook(ROOT / "solutions" / f"{slug}-{lang}" /
                          f"{slug}.ipynb")["cells"]
    return next(line[2:] for cell in cells if cell["cell_type"] == "markdown"
                for line in cell_source(cell).splitlines()
                if line.startswith("# "))


@pytest.mark.parametrize("lang", LANGS)
def test_chapter_titles_carry_their_numbers(lang):
    for page in chapter_sources(lang):
        number = int(page.name[:2])
        text = page.read_text("utf-8")
        title = notebook_title(page.stem, lang)
        assert title_problems(text, title, lang, number) == [], page.name
    # The detector sees an unnumbered title, a shared title and a first
    # section that repeats the title.
    page = chapter_sources(lang)[2]
    text, title = page.read_text("utf-8"), notebook_title(page.stem, lang)
    chapter, _ = TITLE[lang]
    h1 = re.search(r"^# (.+)$", text, re.M)[1]
    bare = h1.split(" · ", 1)[1]
    assert title_problems(text.replace(h1, bare), title, lang, 3)
    assert title_problems(text.replace(h1, title), title, lang, 3)
    repeated = text.replace("\n## ", f"\n## {bare}\n\n## ", 1)
    assert title_problems(repeated, title, lang, 3) == [
        "first section repeats the title"]


def test_every_reference_is_cited_in_both_languages():
    bib = (ROOT / "book" / "references.bib").read_text("utf-8")
    keys = set(re.findall(r"^@\w+\{(\w+),", bib, re.M))
    assert len(keys) >= 7
    for lang in LANGS:
        text = "".join(p.read_text("utf-8")
                       for p in (ROOT / "book" / lang).glob("*.md"))
        cited = set(re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", text))
        assert cited == keys, (lang, keys ^ cited)


@pytest.mark.parametrize("lang", LANGS)
def test_glossary_and_references_are_linked_from_home(built_html, lang):
    home = built_html / lang / "book" / lang / "index.html"
    for name in ("glossary", "references"):
        target = (built_html / lang / "book" / lang / f"{name}.html")
        assert target.exists(), target
        assert links_to(home, article(home), target.resolve()), name
    rows = article(built_html / lang / "book" / lang / "glossary.html")
    assert rows.text.count("|") == 0
    assert len(re.findall(r"<tr", (built_html / lang / "book" / lang /
                                   "glossary.html").read_text("utf-8"))) > 30
