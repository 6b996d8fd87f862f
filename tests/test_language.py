"""What a student reads is in the notebook's language, and in one Spanish.

The Spanish of the course is neutral Latin American: the Spanish
notebooks (solutions and exercises), the Spanish side of the hidden
checks' messages and the Spanish paragraphs of the README use no
Peninsular form from ``spanish.PENINSULAR``, no decimal comma, and the
notebooks' docstrings are Spanish, NumPy section headers included. Only
prose, docstrings, comments and string literals are read: code, inline
code and math are left out, so that a tuple such as ``(2,3)`` is not a
decimal comma.

The notebooks' first cell names what to install when ``rnn_course`` is
missing, with the repository URL of ``_config.yml``.
"""

import ast
import io
import re
import sys
import tokenize
from html.parser import HTMLParser

import pytest
from conftest import ROOT
from sources import cell_source, read_notebook
from spanish import decimal_commas, hints, peninsular

SPANISH_NOTEBOOKS = sorted(
    path.relative_to(ROOT)
    for tree in ("solutions", "exercises")
    for path in (ROOT / tree).glob("*-es/*.ipynb")
)
ENGLISH_NOTEBOOKS = sorted(
    path.relative_to(ROOT)
    for tree in ("solutions", "exercises")
    for path in (ROOT / tree).glob("*-en/*.ipynb")
)
CHECK_MODULES = sorted((ROOT / "autograder" / "hidden_checks").glob("*.py"))


#: NumPy docstring sections as a Spanish notebook writes them.
SPANISH_SECTIONS = {
    "Parámetros", "Devuelve", "Excepciones", "Notas", "Ejemplos",
    "Véase también", "Referencias",
}
#: Short function words of each language, none shared by the other.
ENGLISH_WORDS = set(
    "the of and is are was to with by for from that this these each its "
    "it be not if or on in as an at which into than every before after "
    "same only".split()
)
SPANISH_WORDS = set(
    "el la los las de del y que en un una por con para se es su sus al "
    "lo como cada sin sobre entre o antes después mismo misma solo".split()
)


# --- What is read --------------------------------------------------------

def prose(markdown):
    """Markdown without code blocks, inline code and math."""
    text = re.sub(r"^```.*?^```", " ", markdown, flags=re.S | re.M)
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.S)
    text = re.sub(r"\$[^$]*\$", " ", text)
    text = re.sub(r"``.*?``|`[^`]*`", " ", text, flags=re.S)
    return text


def python_texts(source):
    """Comments and string literals of Python code, as (kind, text).

    IPython lines (``%``, ``!``) are left out. The text of a string is
    read with inline code (````...````) removed: identifiers, not words.
    """
    lines = [
        line for line in source.splitlines()
        if not line.lstrip().startswith(("%", "!"))
    ]
    code = "\n".join(lines) + "\n"
    readline = io.StringIO(code).readline
    texts = []
    for token in tokenize.generate_tokens(readline):
        if token.type == tokenize.COMMENT:
            texts.append(("comment", token.string.lstrip("#")))
        elif token.type == tokenize.STRING:
            try:
                value = ast.literal_eval(token.string)
            except (ValueError, SyntaxError):
                continue
            if isinstance(value, str):
                texts.append(("string", prose(value)))
    return texts


def docstrings(source):
    """Docstrings of the functions and classes defined in ``source``."""
    lines = [
        line for line in source.splitlines()
        if not line.lstrip().startswith(("%", "!"))
    ]
    tree = ast.parse("\n".join(lines))
    return [
        ast.get_docstring(node)
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.ClassDef))
        and ast.get_docstring(node)
    ]


def notebook_texts(path):
    """Everything a student reads in a notebook, as (where, text)."""
    texts = []
    for index, cell in enumerate(read_notebook(ROOT / path)["cells"]):
        source = cell_source(cell)
        if cell["cell_type"] == "markdown":
            texts.append((f"{path} cell {index}", prose(source)))
        elif cell["cell_type"] == "code":
            for kind, text in python_texts(source):
                texts.append((f"{path} cell {index} ({kind})", text))
    return texts


def notebook_docstrings(path):
    """Docstrings of a notebook's code cells, as (where, docstring)."""
    return [
        (f"{path} cell {index}", doc)
        for index, cell in enumerate(read_notebook(ROOT / path)["cells"])
        if cell["cell_type"] == "code"
        for doc in docstrings(cell_source(cell))
    ]


def spanish_messages(source, name="<checks>"):
    """The Spanish side of every ``Text(en, es)`` of a checks module.

    An f-string keeps its literal parts; an ``es`` that is a variable
    or a call is not a text of its own and is left out.
    """
    tree = ast.parse(source)
    messages = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = getattr(node.func, "id", getattr(node.func, "attr", None))
        if func != "Text":
            continue
        es = node.args[1] if len(node.args) > 1 else next(
            (k.value for k in node.keywords if k.arg == "es"), None
        )
        if isinstance(es, ast.Constant) and isinstance(es.value, str):
            text = es.value
        elif isinstance(es, ast.JoinedStr):
            text = " ".join(
                part.value for part in es.values
                if isinstance(part, ast.Constant)
            )
        else:
            continue
        messages.append((f"{name}:{node.lineno}", text))
    return messages


def readme_paragraphs():
    """The README's prose paragraphs (code blocks and inline code cut)."""
    text = prose((ROOT / "README.md").read_text("utf-8"))
    return [p for p in re.split(r"\n\s*\n", text) if p.strip()]


#: Where a README paragraph may switch language: a bilingual heading's
#: " · ", a table's "|", the end of a sentence at the end of a line.
LANGUAGE_SWITCH = re.compile(r" · |\s*\|\s*|(?<=[.;:!?)])[ \t]*\n")


def spanish_readme_paragraphs():
    """The README's Spanish text, by the function words of each part.

    The README alternates the two languages, sometimes within one
    paragraph: each paragraph is cut at :data:`LANGUAGE_SWITCH` first.
    """
    return [
        part
        for paragraph in readme_paragraphs()
        for part in LANGUAGE_SWITCH.split(paragraph)
        if language(part) == "es"
    ]


# --- Detectors -----------------------------------------------------------

def words(text):
    """Lower-case words of ``text`` ("in situ", Latin in both, left out)."""
    text = re.sub(r"\bin situ\b", " ", text.lower())
    return re.findall(r"[^\W\d_]+", text)


def language(text):
    """"en", "es" or None: the language whose function words dominate.

    English needs two of its function words at least: a lone "by" is
    more likely an identifier (the bias ``by``) than a sentence.
    """
    found = words(text)
    en = sum(w in ENGLISH_WORDS for w in found)
    es = sum(w in SPANISH_WORDS for w in found)
    if en > es and en >= 2:
        return "en"
    if es > en:
        return "es"
    return None


def english_sections(docstring):
    """NumPy section headers of ``docstring`` that are not Spanish."""
    lines = [line.strip() for line in docstring.splitlines()]
    return [
        header for header, rule in zip(lines, lines[1:], strict=False)
        if header and len(rule) >= 3 and set(rule) == {"-"}
        and header not in SPANISH_SECTIONS
    ]


def english_lines(docstring):
    """Lines of a docstring that read as English.

    The whole docstring is English when its English function words
    outnumber its Spanish ones; one line is when it has at least two
    English function words and no Spanish one.
    """
    if language(docstring) == "en":
        return [docstring.strip().splitlines()[0]]
    found = []
    for line in docstring.splitlines():
        line_words = words(re.sub(r"``.*?``", " ", line))
        en = sum(w in ENGLISH_WORDS for w in line_words)
        es = sum(w in SPANISH_WORDS for w in line_words)
        if en >= 2 and es == 0:
            found.append(line.strip())
    return found


# --- The detectors fail on planted examples ------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("La desviación típica de los datos", ["desviación típica"]),
    ("De media, cada palabra", ["De media"]),
    ("Tipificamos las entradas", ["Tipificamos"]),
    ("Mira el vídeo", ["vídeo"]),
    ("el paso hacia delante", ["hacia delante"]),
    ("una celda con puertas", ["puertas"]),
    ("Abre el notebook", ["notebook"]),
    ("en tu ordenador", ["ordenador"]),
    ("guarda el fichero", ["fichero"]),
    ("coge el primer vecino", ["coge"]),
    ("pulsa Validate", ["pulsa"]),
    ("Ejecutad la celda si queréis", ["queréis"]),
    ("os lo explica vuestro libro", ["os", "vuestro"]),
    ("la desviación estándar, en promedio, una compuerta, el cuaderno, "
     "hacia adelante, la computadora, el archivo, toma, presiona, "
     "ustedes, los países, la estandarización", []),
])
def test_peninsular_detector(text, expected):
    assert peninsular(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("un valor de 0,9", ["0,9"]),
    ("tasa 1,5e-3; 20,000 palabras", ["1,5e-3;", "20,000"]),
    ("0.9, 0.5 y (2, 3)", []),
    ("117 248 parámetros", []),
])
def test_decimal_comma_detector(text, expected):
    assert decimal_commas(text) == expected


def test_decimal_comma_is_not_read_in_code_or_math():
    cell = "x = np.zeros((2,3))  # forma (2, 3)\nprint('0.5')\n"
    assert [t for _, t in python_texts(cell) if decimal_commas(t)] == []
    markdown = "Con $x_{1,2}$ y `a[1,2]`, el valor 0,5.\n$$E_{1,2}$$"
    assert decimal_commas(prose(markdown)) == ["0,5."]


ENGLISH_DOC = """Apply an activation function elementwise.

    Parameters
    ----------
    z : np.ndarray of float, any shape
        Pre-activations.
"""
SPANISH_DOC = """Aplica una función de activación elemento a elemento.

    Parámetros
    ----------
    z : np.ndarray de float, cualquier forma
        Preactivaciones.

    Devuelve
    --------
    a : np.ndarray de float, de la forma de ``z``
"""
MIXED_DOC = """Aplica una función de activación elemento a elemento.

    Parámetros
    ----------
    z : np.ndarray de float, cualquier forma
        The pre-activations of the layer, not modified.
    name : str
        El nombre de la activación, en minúsculas.
"""


@pytest.mark.parametrize(("doc", "sections", "english"), [
    (ENGLISH_DOC, ["Parameters"], True),
    (SPANISH_DOC.replace("Devuelve", "Returns"), ["Returns"], False),
    (SPANISH_DOC, [], False),
    (MIXED_DOC, [], True),
])
def test_docstring_detectors(doc, sections, english):
    assert english_sections(doc) == sections
    assert bool(english_lines(doc)) == english


def test_the_english_detector_flags_the_english_notebooks():
    """Every docstring of an English notebook reads as English."""
    docs = [d for path in ENGLISH_NOTEBOOKS for d in notebook_docstrings(path)]
    assert docs, "no docstrings found in the English notebooks"
    missed = [where for where, doc in docs if not english_lines(doc)]
    assert missed == []


PLANTED_CHECKS = '''
_A = Text("The gates.", "Las puertas, " "de media 0,5.")
_B = Text(en=f"for {x}", es=f"para {x} de media")
_C = _common.Text("A video.", "Un vídeo.")
_D = Text("Kept out.", es_variable)
'''


def test_spanish_message_reader():
    assert spanish_messages(PLANTED_CHECKS) == [
        ("<checks>:2", "Las puertas, de media 0,5."),
        ("<checks>:3", "para   de media"),
        ("<checks>:4", "Un vídeo."),
    ]
    for path in CHECK_MODULES:
        # A chapter's module (chNN.py) has many messages; a module of one
        # check (e.g. ch05_model.py) or of shared machinery has a few.
        wanted = 20 if re.fullmatch(r"ch\d\d\.py", path.name) else 1
        if not path.name.startswith(("ch", "accuracy")):
            continue
        found = spanish_messages(path.read_text("utf-8"), path.name)
        assert len(found) >= wanted, f"{path.name}: too few messages found"


def test_readme_language_split():
    spanish = spanish_readme_paragraphs()
    assert any("Curso abierto y bilingüe" in p for p in spanish)
    assert any("elige Español o English" in p for p in spanish)
    assert not any(
        re.search(r"\b(the|and|of)\b", p, re.I) for p in spanish
    ), [p for p in spanish if re.search(r"\b(the|and|of)\b", p, re.I)]


# --- The course ----------------------------------------------------------

def all_spanish_texts():
    texts = []
    for path in SPANISH_NOTEBOOKS:
        texts += notebook_texts(path)
    for path in CHECK_MODULES:
        texts += spanish_messages(path.read_text("utf-8"), path.name)
    texts += [("README.md", p) for p in spanish_readme_paragraphs()]
    return texts


def test_spanish_is_latin_american():
    found = [
        (where, form)
        for where, text in all_spanish_texts()
        for form in peninsular(text)
    ]
    use = hints(form for _, form in found)
    assert found == [], f"Peninsular forms (use instead: {use})"


def test_spanish_uses_the_decimal_point():
    found = [
        (where, snippet)
        for where, text in all_spanish_texts()
        for snippet in decimal_commas(text)
    ]
    assert found == []


@pytest.mark.parametrize("path", SPANISH_NOTEBOOKS, ids=str)
def test_spanish_notebook_docstrings_are_spanish(path):
    docs = notebook_docstrings(path)
    if "exercises" not in str(path):
        assert docs, f"{path}: no docstrings found"
    sections = [(w, s) for w, doc in docs for s in english_sections(doc)]
    assert sections == [], "NumPy sections in English"
    english = [(w, line) for w, doc in docs for line in english_lines(doc)]
    assert english == [], "English docstring lines"


@pytest.mark.parametrize("path", SPANISH_NOTEBOOKS, ids=str)
def test_spanish_notebook_comments_and_messages_are_spanish(path):
    english = [
        (where, text.strip()) for where, text in notebook_texts(path)
        if "cell" in where and language(text) == "en"
    ]
    assert english == []


# --- The first cell: what to install -------------------------------------

RUN_PAGE = {"es": "Cómo ejecutar los ejercicios", "en": "Run the exercises"}
NOTEBOOKS = sorted(
    path.relative_to(ROOT)
    for tree in ("solutions", "exercises")
    for path in (ROOT / tree).glob("*-e[sn]/*.ipynb")
)


def imports_cell(path):
    cells = read_notebook(ROOT / path)["cells"]
    first = next(c for c in cells if c["cell_type"] == "code")
    return cell_source(first)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=str)
def test_missing_course_package_says_what_to_install(path, monkeypatch):
    source = imports_cell(path)
    if "rnn_course" not in source:
        pytest.skip(f"{path} does not import rnn_course")
    for name in [m for m in sys.modules if m.split(".")[0] == "rnn_course"]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "rnn_course", None)
    with pytest.raises(ImportError) as raised:
        exec(compile(source, str(path), "exec"), {})  # noqa: S102 -- ours
    message = str(raised.value)
    lang = path.parent.name.rsplit("-", 1)[1]
    # The course's folder, wherever it came from: the course has no
    # public address to name.
    assert "pip install -e" in message
    assert "make lab" in message
    assert RUN_PAGE[lang] in message
    assert language(message) == lang, message


def addresses(source):
    """The web addresses that ``source`` names."""
    return re.findall(r"https?://[^\s\"'\\]+", source)


def test_the_address_finder():
    assert addresses('"clone\\n  https://github.com/a/b\\n"') == [
        "https://github.com/a/b"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=str)
def test_notebooks_name_no_address(path):
    """The install hint names the student's own copy of the course, not
    an address: the course has no public one."""
    assert addresses(imports_cell(path)) == [], path


def test_the_first_cell_imports_numpy_and_runs_with_the_course():
    for path in NOTEBOOKS:
        namespace = {}
        code = compile(imports_cell(path), str(path), "exec")
        exec(code, namespace)  # noqa: S102 -- our own notebooks
        assert "np" in namespace


# --- The built Spanish site: no English labels, one number convention ----

#: What the bench records and the theme write in English, and a Spanish
#: page must not show: the models' names, the optimiser, the machine, the
#: footer's author. Matched as words, outside code and math.
ENGLISH_LABELS = re.compile(
    r"\b(early stopping|recurrent dropout|fine-tuned|average pooling|"
    r"long T|no mask|learning rate|run on one|cores|RNN course)\b")
#: Thousands grouped with commas ("10,000"): a Spanish reader takes
#: "2,000" for two.
COMMA_THOUSANDS = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,])")
#: A count of five digits or more written without grouping ("5383681");
#: digits right after a slash belong to a path, a DOI or an address.
UNGROUPED = re.compile(r"(?<![\d.,\u202f\w/-])\d{5,}(?![\d\w-]|\.\d)")


class PageText(HTMLParser):
    """The visible text of a built page, each piece with where it is:
    ``prose`` (paragraphs, list items, headings, captions, the footer),
    ``table`` (cells) or ``output`` (text printed by a code cell). The
    code of code cells, inline code, math, scripts and styles are left
    out, and so is text marked as another language (an element with a
    ``lang`` attribute below the page's root: the glossary's column of
    the other language's terms)."""

    SKIP_TAGS = {"script", "style", "code", "template", "noscript"}
    SKIP_CLASSES = {"cell_input", "math", "highlight"}
    BLOCKS = {"p": "prose", "li": "prose", "h1": "prose", "h2": "prose",
              "h3": "prose", "figcaption": "prose", "footer": "prose",
              "td": "table", "th": "table", "pre": "output"}
    VOID = {"br", "img", "input", "meta", "link", "hr", "source", "wbr"}

    def __init__(self):
        super().__init__()
        self.stack, self.pieces = [], []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        classes = set((dict(attrs).get("class") or "").split())
        skip = tag in self.SKIP_TAGS or bool(classes & self.SKIP_CLASSES)
        skip = skip or (tag != "html" and bool(dict(attrs).get("lang")))
        self.stack.append((tag, skip, self.BLOCKS.get(tag)))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        if not data.strip() or any(skip for _, skip, _ in self.stack):
            return
        kinds = [kind for _, _, kind in self.stack if kind]
        if kinds:
            self.pieces.append((kinds[-1], data))


def page_text(html):
    """[(kind, text)] of a built page (see :class:`PageText`)."""
    parser = PageText()
    parser.feed(html)
    return parser.pieces


def english_labels(pieces):
    """English labels of ``ENGLISH_LABELS`` in a Spanish page's text."""
    return [match.group() for _, text in pieces
            for match in ENGLISH_LABELS.finditer(text)]


def misgrouped_numbers(pieces, lang):
    """Numbers against the page language's convention: comma thousands
    on a Spanish page; ungrouped counts of five digits or more in prose
    and tables (printed output also holds seeds, paths and commands)."""
    found = []
    for kind, text in pieces:
        if lang == "es":
            found += COMMA_THOUSANDS.findall(text)
        if kind in ("prose", "table"):
            found += UNGROUPED.findall(text)
    return found


def test_the_label_and_number_detectors_find_planted_cases():
    planted = page_text(
        '<div class="cell_input"><pre>dense["512-512-1 + early stopping"]'
        " 10,000 123456</pre></div>"
        '<p>Con <span class="math">\\(10000\\)</span> y <code>60000</code>'
        " reseñas, el 512-512-1 + early stopping gana.</p>"
        "<table><tr><th>GRU + dropout + recurrent dropout</th>"
        "<td>5383681</td><td>5\u202f383\u202f681</td></tr></table>"
        '<div class="cell_output"><pre>RMSprop, learning rate 0.001, '
        "2,000 reseñas, seed 20261203</pre></div>"
        "<footer><p>Por RNN course</p></footer>")
    assert english_labels(planted) == [
        "early stopping", "recurrent dropout", "learning rate",
        "RNN course"]
    assert misgrouped_numbers(planted, "es") == ["5383681", "2,000"]
    assert misgrouped_numbers(planted, "en") == ["5383681"]
    clean = page_text("<p>Con 10\u202f000 reseñas de 2026-12-03, versión "
                      "3.15.1, exactitud 0.80034 y 2000 palabras "
                      "(doi:10.1162/089976600300015015).</p>"
                      "<p>With 10,000 reviews.</p>"
                      '<table><tr><td>detención temprana</td><td><span '
                      'lang="en">early stopping</span></td></tr></table>')
    assert misgrouped_numbers(clean[:1], "es") == []
    assert misgrouped_numbers(clean[1:2], "en") == []
    assert english_labels(clean) == []  # the lang-marked term included


@pytest.mark.parametrize("lang", ["es", "en"])
def test_built_pages_write_numbers_in_their_language(built_html, lang):
    pages = sorted((built_html / lang).glob("book/**/*.html"))
    assert len(pages) >= 6
    found = {}
    for page in pages:
        numbers = misgrouped_numbers(
            page_text(page.read_text("utf-8")), lang)
        if numbers:
            found[page.name] = numbers
    assert not found, found


def test_spanish_pages_show_no_english_labels(built_html):
    pages = sorted((built_html / "es").glob("book/**/*.html"))
    assert len(pages) >= 6
    found = {}
    for page in pages:
        labels = english_labels(page_text(page.read_text("utf-8")))
        if labels:
            found[page.name] = sorted(set(labels))
    assert not found, found
