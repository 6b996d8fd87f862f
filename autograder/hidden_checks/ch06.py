"""Hidden checks of chapter 6: cleaning, GloVe rows, int8 quantisation.

One ``check_<function>(student_fn, lang="en")`` per text or NumPy
function of ``solutions/06-sentiment-{en,es}``. (The check of the Keras
function, ``check_build_sentiment_model``, trains the model and lives in
its own module.) The oracles are chapter 6's text pipeline,
:mod:`hidden_checks.sentiment`, written once for the checks and the
bench and never shown to the students:

* :func:`sentiment.clean` on hand-picked texts (``<br />`` tags in their
  three spellings, punctuation, digits, accents, apostrophes, runs of
  spaces, the empty string) and on real IMDB reviews of the course's
  training split, some with the ``<br />`` tags of the original files
  put back; the strings must be equal;
* :func:`sentiment.embedding_matrix` on a vocabulary learnt by Keras's
  ``TextVectorization`` from real reviews and a real GloVe subset (some
  words unknown to it), and on small hand-made vocabularies; the rows
  must equal GloVe's vectors exactly, every other row be zero, and the
  coverage agree to :data:`COVERAGE_TOL`;
* for :func:`quantize_int8`, the contract itself: int8 entries in
  [-127, 127] (a quarter of the float32 memory), one scale per row equal
  to max |row| / 127 to :data:`SCALE_RTOL`, a positive scale and zeros
  for a row of zeros, and every entry within half a step of its row,
  ``|x - s q| <= s / 2`` up to :data:`STEP_SLACK` of a step (float32
  rounding); on random rows of very different sizes and on a real GloVe
  embedding matrix;
* for :func:`dequantize_int8`, the product ``q * scale`` per row,
  computed in float64, to the course's tolerance ``RTOL``.

When a value is wrong, the check recomputes it the way a few common
mistakes would (the ``<br />`` left in, no lower-casing, punctuation
kept, rows shifted by one, the special tokens counted, one global scale,
a scale of max / 255, truncation instead of rounding, the scale ignored)
and names the mistake only when it reproduces the student's value and
not the expected one. Each check draws its inputs from its own seeded
generator and leaves every global random state alone.
"""

import functools
import re

import numpy as np

from . import sentiment
from ._common import (
    Text,
    call,
    expect_array,
    expect_scalar,
    expect_tuple,
    expect_value,
    fail,
    shape_case,
)
from ._common import hidden_check as _hidden_check

# The notebooks import every check of the chapter from this module; the
# one that trains a model lives in ch06_model.
from .ch06_model import check_build_sentiment_model  # noqa: F401

#: The coverage is a ratio of two counts: a correct one is exact up to
#: the float64 rounding of one division.
COVERAGE_TOL = 1e-12
#: Relative tolerance on each scale s_i = max |row_i| / 127: float32
#: holds it to 6e-8, whichever way it is computed.
SCALE_RTOL = 1e-6
#: Slack of the per-entry bound |x - s q| <= s (1/2 + STEP_SLACK): x / s
#: computed in float32 is off by at most 127 * 6e-8 ~ 8e-6 of a step,
#: so rounding may fall on the other side of a half only that close to
#: it. Truncation is off by up to a whole step.
STEP_SLACK = 1e-4

_SEED = {
    "clean_review": 601,
    "build_embedding_matrix": 602,
    "quantize_int8": 603,
    "dequantize_int8": 604,
}


def hidden_check(check):
    """:func:`_common.hidden_check`, with NumPy's warnings silenced too
    (a student's 0 / 0 must fail by its value, not by a warning)."""

    @functools.wraps(check)
    def quiet(student_fn, lang):
        with np.errstate(all="ignore"):
            return check(student_fn, lang)

    return _hidden_check(quiet)


# ----------------------------------------------------------------- data


@functools.lru_cache(maxsize=1)
def _training_reviews():
    """The course's IMDB training texts, shape (10000,)."""
    from rnn_course.data import imdb_splits

    return imdb_splits()["train"].texts


@functools.lru_cache(maxsize=1)
def _glove_subset():
    """GloVe's 20000 most frequent words: some review words are not in
    it, so the matrix has zero rows besides the two special ones."""
    from rnn_course.data import load_glove

    return load_glove(limit=20_000)


@functools.lru_cache(maxsize=1)
def _real_vocabulary():
    """A TextVectorization vocabulary of 3000 tokens, learnt from 2000
    cleaned training reviews (the first two tokens "" and "[UNK]")."""
    texts = [sentiment.clean(t) for t in _training_reviews()[:2000]]
    layer = sentiment.sequence_vectorizer(np.asarray(texts, dtype=object),
                                          3000, 200)
    return tuple(str(token) for token in layer.get_vocabulary())


def make_glove(words, vectors):
    """An ``rnn_course.data.GloVe`` holding ``words`` and their rows."""
    from rnn_course.data import GloVe

    words = np.asarray(list(words), dtype=object)
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    return GloVe(vectors=vectors, words=words,
                 index={word: row for row, word in enumerate(words)})


# ------------------------------------------------------ wrong variants
# What a few common mistakes give (for the hints).

_NOT_WORD = re.compile(r"[\W_]+")
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


def clean_keeping_breaks(text):
    """Cleaning without the ``<br />`` step: "br" stays as a word."""
    return " ".join(_NOT_WORD.sub(" ", text.lower()).split())


def clean_without_lower(text):
    """Cleaning without lower-casing."""
    return " ".join(_NOT_WORD.sub(" ", _BREAK.sub(" ", text)).split())


def clean_keeping_punctuation(text):
    """Only the breaks removed and the spaces collapsed."""
    return " ".join(_BREAK.sub(" ", text.lower()).split())


def clean_ascii_only(text):
    """Every character but a-z and 0-9 removed (accents lost)."""
    text = _BREAK.sub(" ", text.lower())
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def clean_dropping_digits(text):
    """Digits treated as separators."""
    text = _BREAK.sub(" ", text.lower())
    return " ".join(re.sub(r"[\W\d_]+", " ", text).split())


def clean_deleting(text):
    """Punctuation deleted instead of turned into a space ("don't" ->
    "dont", "well-made" -> "wellmade")."""
    text = _BREAK.sub(" ", text.lower())
    return " ".join(re.sub(r"[^\w\s]|_", "", text).split())


def clean_not_stripped(text):
    """Runs collapsed but the ends not stripped."""
    text = _BREAK.sub(" ", text.lower())
    return re.sub(r" +", " ", _NOT_WORD.sub(" ", text))


def rows_shifted(vocabulary, glove, shift):
    """Row i holds the vector of ``vocabulary[i + shift]``."""
    matrix = np.zeros((len(vocabulary), glove.vectors.shape[1]))
    for i in range(len(vocabulary)):
        j = i + shift
        if 0 <= j < len(vocabulary) and vocabulary[j] in glove:
            matrix[i] = glove[vocabulary[j]]
    return matrix


def special_rows_filled(vocabulary, glove):
    """Every token GloVe knows gets its vector, the special ones too."""
    matrix = np.zeros((len(vocabulary), glove.vectors.shape[1]))
    for i, word in enumerate(vocabulary):
        if word in glove:
            matrix[i] = glove[word]
    return matrix


# -------------------------------------------------------------- messages

_CLEAN_RULES = Text(
    "clean_review lower-cases the text, turns `<br />` (and `<br>`, "
    "`<br/>`) into a space, turns every run of characters that are "
    "neither letters nor digits into one space, and strips the ends.",
    "clean_review pasa el texto a minúsculas, convierte `<br />` (y "
    "`<br>`, `<br/>`) en un espacio, convierte cada tramo de caracteres "
    "que no son letras ni dígitos en un solo espacio y quita los "
    "espacios de los extremos.",
)
_KEEPS_BREAKS = Text(
    "The `<br />` tags leave the word \"br\" behind: replace them by a "
    "space (all three spellings, `<br />`, `<br/>` and `<br>`) before "
    "removing punctuation.",
    "Las etiquetas `<br />` dejan la palabra \"br\": reemplázalas por un "
    "espacio (en sus tres formas, `<br />`, `<br/>` y `<br>`) antes de "
    "quitar la puntuación.",
)
_NO_LOWER = Text(
    "The result must be in lower case (`text.lower()`): GloVe's words "
    "are, and \"Great\" and \"great\" must be one token.",
    "El resultado debe estar en minúsculas (`text.lower()`): las "
    "palabras de GloVe lo están, y \"Great\" y \"great\" deben ser un "
    "solo token.",
)
_KEEPS_PUNCTUATION = Text(
    "Punctuation must go: every run of characters that are neither "
    "letters nor digits becomes one space, so that \"film!\" and "
    "\"film\" are the same token (e.g. `re.sub(r\"[\\W_]+\", \" \", "
    "text)`).",
    "La puntuación debe desaparecer: cada tramo de caracteres que no son "
    "letras ni dígitos se convierte en un espacio, para que \"film!\" y "
    "\"film\" sean el mismo token (p. ej. `re.sub(r\"[\\W_]+\", \" \", "
    "text)`).",
)
_ASCII_ONLY = Text(
    "Accented letters are letters: \"café\" stays \"café\". Keep every "
    "character for which `str.isalnum()` is true (or use `[\\W_]+` in a "
    "regular expression), not only a-z and 0-9.",
    "Las letras con tilde son letras: \"café\" queda \"café\". Conserva "
    "todo carácter para el que `str.isalnum()` es verdadero (o usa "
    "`[\\W_]+` en una expresión regular), no solo a-z y 0-9.",
)
_DROPS_DIGITS = Text(
    "Digits are kept: \"10/10\" becomes \"10 10\", not an empty string.",
    "Los dígitos se conservan: \"10/10\" queda \"10 10\", no una cadena "
    "vacía.",
)
_DELETES = Text(
    "A character that is neither a letter nor a digit becomes a space, "
    "it is not deleted: \"don't\" becomes \"don t\" and \"well-made\" "
    "becomes \"well made\".",
    "Un carácter que no es letra ni dígito se convierte en un espacio, "
    "no se borra: \"don't\" queda \"don t\" y \"well-made\" queda "
    "\"well made\".",
)
_NOT_STRIPPED = Text(
    "Strip the spaces at both ends: the result neither starts nor ends "
    "with a space (`\" \".join(text.split())` does both things).",
    "Quita los espacios de ambos extremos: el resultado no empieza ni "
    "termina con un espacio (`\" \".join(text.split())` hace las dos "
    "cosas).",
)

_ROW_RULE = Text(
    "Row i of the matrix is the GloVe vector of vocabulary[i] (the token "
    "whose id is i), zeros when GloVe does not know the word; rows 0 "
    "(padding, \"\") and 1 (\"[UNK]\") are always zeros.",
    "La fila i de la matriz es el vector de GloVe de vocabulary[i] (el "
    "token cuyo id es i), ceros cuando GloVe no conoce la palabra; las "
    "filas 0 (relleno, \"\") y 1 (\"[UNK]\") siempre son ceros.",
)
_SHIFTED = Text(
    "The rows are shifted: row i must be the vector of vocabulary[i] "
    "itself, the token with id i, not of its neighbour (do not skip the "
    "two special tokens when you enumerate: their rows stay zeros).",
    "Las filas están desplazadas: la fila i debe ser el vector del propio "
    "vocabulary[i], el token con id i, no el de su vecino (no saltes los "
    "dos tokens especiales al enumerar: sus filas quedan en ceros).",
)
_SPECIALS_FILLED = Text(
    "Rows 0 (padding) and 1 (\"[UNK]\") are always zeros, even when the "
    "word vectors hold an entry for those tokens: the model must learn "
    "nothing from padding or from an unknown word.",
    "Las filas 0 (relleno) y 1 (\"[UNK]\") siempre son ceros, aunque los "
    "vectores de palabras tengan una entrada para esos tokens: el modelo "
    "no debe aprender nada del relleno ni de una palabra desconocida.",
)
_COVERAGE_RULE = Text(
    "coverage is the number of real words (the V - 2 tokens after \"\" "
    "and \"[UNK]\") that GloVe knows, divided by V - 2.",
    "coverage es el número de palabras reales (los V - 2 tokens después "
    "de \"\" y \"[UNK]\") que GloVe conoce, dividido entre V - 2.",
)
_COVERAGE_SPECIALS = Text(
    "The two special tokens are not words: divide by V - 2, the number "
    "of real words, not by V.",
    "Los dos tokens especiales no son palabras: divide entre V - 2, el "
    "número de palabras reales, no entre V.",
)
_COVERAGE_PERCENT = Text(
    "coverage is a fraction between 0 and 1, not a percentage.",
    "coverage es una fracción entre 0 y 1, no un porcentaje.",
)

_SCALE_RULE = Text(
    "Each row has its own scale: s_i = max_j |x_ij| / 127, so that the "
    "largest entry of the row becomes +-127.",
    "Cada fila tiene su propia escala: s_i = max_j |x_ij| / 127, para que "
    "la entrada más grande de la fila quede en +-127.",
)
_GLOBAL_SCALE = Text(
    "One scale for the whole matrix wastes the 8 bits of every row whose "
    "entries are small: compute one scale per row, "
    "np.abs(matrix).max(axis=1) / 127.",
    "Una sola escala para toda la matriz desperdicia los 8 bits de cada "
    "fila cuyas entradas son pequeñas: calcula una escala por fila, "
    "np.abs(matrix).max(axis=1) / 127.",
)
_BY_255 = Text(
    "The int8 entries are symmetric, in [-127, 127]: divide max |row| by "
    "127, not by 255 (that is the range of uint8).",
    "Las entradas int8 son simétricas, en [-127, 127]: divide max |fila| "
    "entre 127, no entre 255 (ese es el rango de uint8).",
)
_NO_ABS = Text(
    "The scale comes from the largest absolute value of the row, "
    "max |x_ij|, not from its largest value: a row whose largest entry "
    "in size is negative must fit too.",
    "La escala sale del mayor valor absoluto de la fila, max |x_ij|, no "
    "de su mayor valor: una fila cuya entrada más grande en tamaño es "
    "negativa también debe caber.",
)
_TRUNCATED = Text(
    "q must be rounded to the nearest integer (np.rint or np.round) "
    "before the cast: `.astype(np.int8)` alone truncates toward zero and "
    "doubles the error.",
    "q debe redondearse al entero más cercano (np.rint o np.round) antes "
    "de convertirlo: `.astype(np.int8)` solo trunca hacia cero y duplica "
    "el error.",
)
_ZERO_ROW = Text(
    "A row of zeros has max |row| = 0: give it a positive scale (1, say) "
    "so that nothing is divided by 0, and its q stays zeros.",
    "Una fila de ceros tiene max |fila| = 0: dale una escala positiva (1, "
    "por ejemplo) para no dividir entre 0, y su q queda en ceros.",
)
_DEQUANTIZE_RULE = Text(
    "Each entry comes back multiplied by the scale of its row: "
    "x_ij ~ s_i q_ij, i.e. q.astype(np.float32) * scale[:, None].",
    "Cada entrada vuelve multiplicada por la escala de su fila: "
    "x_ij ~ s_i q_ij, es decir, q.astype(np.float32) * scale[:, None].",
)
_IGNORES_SCALE = Text(
    "q holds steps, not values: multiply each row by its scale, "
    "q * scale[:, None].",
    "q guarda pasos, no valores: multiplica cada fila por su escala, "
    "q * scale[:, None].",
)
_DIVIDES = Text(
    "Quantising divided by the scale; dequantising multiplies by it: "
    "q * scale[:, None].",
    "Al cuantizar se dividió entre la escala; al decuantizar se "
    "multiplica por ella: q * scale[:, None].",
)
_WRONG_AXIS = Text(
    "scale has one entry per row: broadcast it along the rows, "
    "scale[:, None], not along the columns.",
    "scale tiene una entrada por fila: propágala a lo largo de las filas, "
    "scale[:, None], no de las columnas.",
)


# ------------------------------------------------------------ cleaning

#: (label, text): every rule of the contract, one at a time and mixed.
_HAND_PICKED = [
    (Text("a review with `<br /><br />` tags",
          "una reseña con etiquetas `<br /><br />`"),
     "Great film!<br /><br />Loved it."),
    (Text("`<br>`, `<br/>` and `<BR />`", "`<br>`, `<br/>` y `<BR />`"),
     "One<br>two<br/>three<BR />four<br />five"),
    (Text("punctuation", "puntuación"),
     "Wow... what a film?! (Really; truly: \"great\")."),
    (Text("digits", "dígitos"), "I give it 10/10, or 9.5 out of 10"),
    (Text("accented letters", "letras con tilde"),
     "Amélie: a CAFÉ delight, ¡Qué película! Señor Müller"),
    (Text("apostrophes and hyphens", "apóstrofos y guiones"),
     "Don't miss it - it's a well-made, 'must-see' film"),
    (Text("repeated spaces, tabs and line breaks",
          "espacios repetidos, tabuladores y saltos de línea"),
     "  too    many \t spaces\n\nhere   "),
    (Text("underscores and symbols", "guiones bajos y símbolos"),
     "snake_case & co. * $5 @home #1 100%"),
    (Text("the empty string", "la cadena vacía"), ""),
    (Text("only punctuation", "solo puntuación"), "?!... --- <br />"),
    (Text("upper case", "mayúsculas"), "THE WORST MOVIE EVER MADE"),
]


def _real_review_cases(rng):
    """(label, text) of 40 real reviews, 20 of them with `<br />` tags
    put back between sentences, as in the original files."""
    texts = _training_reviews()
    ids = rng.choice(len(texts), size=40, replace=False)
    cases = []
    for k, i in enumerate(ids):
        text = str(texts[i])
        if k % 2 == 0:
            text = text.replace(". ", ".<br /><br />", 3)
        cases.append((Text("a real IMDB review", "una reseña real de IMDB"),
                      text))
    return cases


_CLEAN_MISTAKES = [
    (clean_keeping_breaks, _KEEPS_BREAKS),
    (clean_without_lower, _NO_LOWER),
    (clean_keeping_punctuation, _KEEPS_PUNCTUATION),
    (clean_ascii_only, _ASCII_ONLY),
    (clean_dropping_digits, _DROPS_DIGITS),
    (clean_deleting, _DELETES),
    (clean_not_stripped, _NOT_STRIPPED),
]


def _clean_case(student_fn, label, text, lang):
    expected = sentiment.clean(text)
    got = call(student_fn, (text,), name="clean_review",
               arg_names=("text",), lang=lang)
    if got is None:
        fail(lang, Text("clean_review(text) is None: did you forget the "
                        "`return`?",
                        "clean_review(text) es None: ¿olvidaste el "
                        "`return`?"))
    if not isinstance(got, str):
        kind = type(got).__name__
        fail(lang, Text(
            f"clean_review must return a str, not an object of type "
            f"{kind}.",
            f"clean_review debe devolver un str, no un objeto {kind}.",
        ))
    if got == expected:
        return
    hint = _CLEAN_RULES
    for mistake, text_hint in _CLEAN_MISTAKES:
        wrong = mistake(text)
        if wrong != expected and got == wrong:
            hint = text_hint
            break
    first = next((k for k, (a, b) in enumerate(zip(got, expected,
                                                         strict=False))
                  if a != b), min(len(got), len(expected)))
    fail(
        lang,
        Text("clean_review does not give the expected text for",
             "clean_review no da el texto esperado para"),
        label,
        Text(f"(the first difference is at character {first}).",
             f"(la primera diferencia está en el carácter {first})."),
        hint,
    )


@hidden_check
def check_clean_review(student_fn, lang="en"):
    """Check ``clean_review(text) -> str``.

    Oracle: :func:`sentiment.clean`, on hand-picked texts (each rule of
    the contract) and on 40 real reviews of the course's training split,
    half of them with ``<br />`` tags; the strings must be equal.
    """
    rng = np.random.default_rng(_SEED["clean_review"])
    for label, text in _HAND_PICKED + _real_review_cases(rng):
        _clean_case(student_fn, label, text, lang)


# ------------------------------------------------ the embedding matrix


def _embedding_cases(rng):
    """(label, vocabulary, glove) of the check.

    A vocabulary learnt from real reviews with a real GloVe subset (some
    words unknown); a small one whose word vectors also hold the two
    special tokens (their rows must stay zeros); one where GloVe knows
    no word; one with the special tokens only.
    """
    glove = _glove_subset()
    cases = [(Text("a vocabulary of 3000 tokens learnt from IMDB reviews "
                   "and GloVe's 20000 most frequent words",
                   "un vocabulario de 3000 tokens aprendido de reseñas de "
                   "IMDB y las 20000 palabras más frecuentes de GloVe"),
              list(_real_vocabulary()), glove)]
    words = ["the", "film", "zqxwv", "great", "café", "10", "br",
             "blorptastic", "movie", "bad"]
    known = [w for w in words if w in glove and w != "film"]
    extra = ["", "[UNK]", "film"]
    vectors = np.concatenate([
        np.stack([glove[w] for w in known]),
        rng.standard_normal((len(extra), 50)).astype(np.float32),
    ])
    small = make_glove(known + extra, vectors)
    cases.append((Text("a small vocabulary whose word vectors also hold "
                       "\"\" and \"[UNK]\"",
                       "un vocabulario pequeño cuyos vectores de palabras "
                       "también tienen \"\" y \"[UNK]\""),
                  ["", "[UNK]", *words], small))
    unknown = ["", "[UNK]", "zqxwv", "blorptastic", "qqqq"]
    cases.append((Text("a vocabulary of words GloVe does not know",
                       "un vocabulario de palabras que GloVe no conoce"),
                  unknown, glove))
    dim = 7
    tiny = make_glove(["a", "b", "c"],
                      rng.standard_normal((3, dim)).astype(np.float32))
    cases.append((Text("word vectors of dimension 7",
                       "vectores de palabras de dimensión 7"),
                  ["", "[UNK]", "c", "a", "zz", "b"], tiny))
    return cases


class _Watching:
    """``student_fn`` that keeps the vocabulary it was given.

    :func:`call` compares the arrays and containers of an argument before
    and after the call, not the strings of a list: the check compares
    the vocabulary itself. (In trusted grading the proxy brings the
    kernel's copy back into this list.) ``__code__`` is the student's,
    so that an exception still names the student's line.
    """

    def __init__(self, fn):
        self.fn, self.given = fn, []
        self.__code__ = getattr(fn, "__code__", None)

    def __call__(self, vocabulary, glove):
        self.given.append(vocabulary)
        return self.fn(vocabulary, glove)


def _embedding_case(student_fn, label, vocabulary, glove, lang):
    expected, coverage = sentiment.embedding_matrix(vocabulary, glove)
    watching = _Watching(student_fn)
    result = call(watching, (vocabulary, glove),
                  name="build_embedding_matrix",
                  arg_names=("vocabulary", "glove"), lang=lang)
    if any(list(given) != list(vocabulary) for given in watching.given):
        fail(lang, Text(
            "build_embedding_matrix modified its argument `vocabulary` in "
            "place. Read from it and build the matrix apart: the caller "
            "still needs the vocabulary.",
            "build_embedding_matrix modificó su argumento `vocabulary` in "
            "situ. Lee de él y construye la matriz aparte: quien llama "
            "aún necesita el vocabulario.",
        ))
    matrix, got_coverage = expect_tuple(
        result, 2, what="build_embedding_matrix(vocabulary, glove)",
        names="(matrix, coverage)", lang=lang,
    )
    matrix = expect_array(
        matrix, what="matrix", shape=expected.shape, lang=lang,
        shape_hint=Text(
            "The matrix has one row per token of the vocabulary, the two "
            "special ones included, and one column per dimension of the "
            "word vectors: (len(vocabulary), glove.vectors.shape[1]).",
            "La matriz tiene una fila por token del vocabulario, los dos "
            "especiales incluidos, y una columna por dimensión de los "
            "vectores de palabras: (len(vocabulary), "
            "glove.vectors.shape[1]).",
        ),
    )
    if matrix.dtype != np.float32:
        fail(lang, Text(
            f"matrix must be float32, the dtype of GloVe's vectors and of "
            f"the Embedding layer; its dtype is {matrix.dtype}.",
            f"matrix debe ser float32, el dtype de los vectores de GloVe "
            f"y de la capa Embedding; su dtype es {matrix.dtype}.",
        ))
    if not np.array_equal(matrix, expected):
        wrong_rows = int(np.sum(np.any(matrix != expected, axis=1)))
        hint = _ROW_RULE
        for compute, text in (
            (lambda: rows_shifted(vocabulary, glove, -1), _SHIFTED),
            (lambda: rows_shifted(vocabulary, glove, 1), _SHIFTED),
            (lambda: rows_shifted(vocabulary, glove, 2), _SHIFTED),
            (lambda: special_rows_filled(vocabulary, glove),
             _SPECIALS_FILLED),
        ):
            wrong = compute()
            if not np.array_equal(wrong, expected) and np.array_equal(
                    matrix, wrong):
                hint = text
                break
        fail(
            lang,
            Text(f"{wrong_rows} rows of the matrix are wrong for",
                 f"{wrong_rows} filas de la matriz están mal para"),
            label,
            Text(".", "."),
            hint,
        )
    got_coverage = expect_scalar(got_coverage, what="coverage", lang=lang)
    if abs(got_coverage - coverage) <= COVERAGE_TOL:
        return
    found = round(coverage * max(len(vocabulary) - 2, 1))
    hint = _COVERAGE_RULE
    for wrong, text in (
        (found / len(vocabulary), _COVERAGE_SPECIALS),
        ((found + 2) / len(vocabulary), _COVERAGE_SPECIALS),
        (100 * coverage, _COVERAGE_PERCENT),
    ):
        if abs(wrong - coverage) > COVERAGE_TOL and abs(
                got_coverage - wrong) <= COVERAGE_TOL:
            hint = text
            break
    fail(
        lang,
        Text(f"coverage is {got_coverage:.6f}; expected {coverage:.6f} for",
             f"coverage vale {got_coverage:.6f}; se esperaba "
             f"{coverage:.6f} para"),
        label,
        Text(".", "."),
        hint,
    )


@hidden_check
def check_build_embedding_matrix(student_fn, lang="en"):
    """Check ``build_embedding_matrix(vocabulary, glove)``.

    Oracle: :func:`sentiment.embedding_matrix` on a TextVectorization
    vocabulary of real reviews with a real GloVe subset, and on small
    hand-made vocabularies and word vectors (the special tokens among
    GloVe's words, no word known, another dimension). The matrix must be
    float32 and equal, row for row; the coverage within COVERAGE_TOL.
    """
    rng = np.random.default_rng(_SEED["build_embedding_matrix"])
    for label, vocabulary, glove in _embedding_cases(rng):
        _embedding_case(student_fn, label, vocabulary, glove, lang)


# ---------------------------------------------------------- quantisation


def _quantize_cases(rng):
    """Matrices of float32 rows of very different sizes, zero rows, a
    row whose largest entry in size is negative, one lone nonzero entry,
    and a real GloVe embedding matrix (with its zero rows)."""
    cases = []
    sizes = 10.0 ** rng.uniform(-4, 2, size=(60, 1))
    random_rows = rng.standard_normal((60, 16)) * sizes
    random_rows[[3, 17, 40]] = 0.0
    cases.append(random_rows)
    hand = np.array([
        [0.5, -1.27, 0.3, 0.0],
        [0.0, 0.0, 0.0, 0.0],
        [1e-3, -2e-3, 5e-4, 0.0],
        [10.0, 0.0, 0.0, 0.0],
        [0.0, 0.0, -3.0, 0.0],
        [-0.25, -0.5, -0.75, -1.0],
    ])
    cases.append(hand)
    cases.append(rng.uniform(-1, 1, size=(5, 5)))
    glove = _glove_subset()
    matrix, _ = sentiment.embedding_matrix(list(_real_vocabulary()), glove)
    cases.append(matrix)
    return [np.asarray(m, dtype=np.float32) for m in cases]


def _quantize_case(student_fn, matrix, lang):
    V, d = matrix.shape
    result = call(student_fn, (matrix,), name="quantize_int8",
                  arg_names=("matrix",), lang=lang)
    q, scale = expect_tuple(result, 2, what="quantize_int8(matrix)",
                            names="(q, scale)", lang=lang)
    case = shape_case(matrix=matrix.shape)
    q = expect_array(q, what="q", shape=(V, d), lang=lang, kind="int")
    if q.dtype != np.int8:
        fail(lang, Text(
            f"q must be int8: 1 byte per entry, 4 times less memory than "
            f"float32 (q.nbytes * 4 == matrix.nbytes). Its dtype is "
            f"{q.dtype}, {q.dtype.itemsize} bytes per entry.",
            f"q debe ser int8: 1 byte por entrada, 4 veces menos memoria "
            f"que float32 (q.nbytes * 4 == matrix.nbytes). Su dtype es "
            f"{q.dtype}, {q.dtype.itemsize} bytes por entrada.",
        ))
    if q.nbytes * 4 != matrix.nbytes:
        fail(lang, Text("q must take a quarter of the matrix's memory.",
                        "q debe ocupar la cuarta parte de la memoria de "
                        "la matriz."))
    if np.any(q == -128):
        fail(lang, Text(
            "q holds -128: the entries are symmetric, in [-127, 127].",
            "q contiene -128: las entradas son simétricas, en [-127, 127].",
        ), _SCALE_RULE)
    scale = expect_array(
        scale, what="scale", shape=(V,), lang=lang,
        shape_hint=Text("scale has one entry per row of the matrix, "
                        "shape (V,).",
                        "scale tiene una entrada por fila de la matriz, "
                        "forma (V,)."),
        finite_hint=_ZERO_ROW,
    )
    if scale.dtype != np.float32:
        fail(lang, Text(f"scale must be float32; its dtype is "
                        f"{scale.dtype}.",
                        f"scale debe ser float32; su dtype es "
                        f"{scale.dtype}."))
    x = matrix.astype(np.float64)
    top = np.abs(x).max(axis=1)
    zero = top == 0
    s = scale.astype(np.float64)
    if np.any(s[zero] <= 0):
        fail(lang, Text("a row of zeros got a scale that is not positive.",
                        "una fila de ceros recibió una escala que no es "
                        "positiva."), _ZERO_ROW)
    if np.any(q[zero] != 0):
        fail(lang, Text("a row of zeros must stay zeros in q.",
                        "una fila de ceros debe quedar en ceros en q."),
             _ZERO_ROW)
    wanted = top / 127.0
    off = ~zero & (np.abs(s - wanted) > SCALE_RTOL * wanted)
    if np.any(off):
        hint = _SCALE_RULE
        for wrong, text in (
            (np.full(V, top.max() / 127.0), _GLOBAL_SCALE),
            (top / 255.0, _BY_255),
            (np.abs(x.max(axis=1)) / 127.0, _NO_ABS),
        ):
            if np.all(np.abs(s - wrong)[~zero] <= SCALE_RTOL
                      * np.abs(wrong[~zero])):
                hint = text
                break
        fail(
            lang,
            Text(f"{int(off.sum())} of the {V} scales differ from "
                 "max |row| / 127",
                 f"{int(off.sum())} de las {V} escalas difieren de "
                 "max |fila| / 127"),
            case,
            Text(".", "."),
            hint,
        )
    error = np.abs(x - q * s[:, None])
    bound = s[:, None] * (0.5 + STEP_SLACK)
    if np.any(error > bound):
        worst = float(np.max(error / s[:, None]))
        # Truncated in float32 or in float64: an entry within STEP_SLACK
        # of an integer may be truncated either way.
        steps = x / s[:, None]
        near = np.abs(steps - np.rint(steps)) < STEP_SLACK
        truncated = np.all((q == np.trunc(steps)) | near)
        rounded = np.all((q == np.rint(steps)) | near)
        hint = _TRUNCATED if truncated and not rounded else None
        fail(
            lang,
            Text(f"|x - s q| reaches {worst:.3f} steps s of its row",
                 f"|x - s q| llega a {worst:.3f} pasos s de su fila"),
            case,
            Text(
                "; rounding to the nearest step keeps it within half a "
                "step, |x_ij - s_i q_ij| <= s_i / 2.",
                "; redondear al paso más cercano lo mantiene dentro de "
                "medio paso, |x_ij - s_i q_ij| <= s_i / 2.",
            ),
            hint,
        )


@hidden_check
def check_quantize_int8(student_fn, lang="en"):
    """Check ``quantize_int8(matrix) -> (q, scale)``.

    The contract, on random rows of sizes from 1e-4 to 100, hand-picked
    rows and a real GloVe embedding matrix: q int8 of the matrix's shape
    (a quarter of its float32 memory), in [-127, 127]; scale float32,
    shape (V,), max |row| / 127 within SCALE_RTOL, positive with q zero
    for a zero row; every entry within s_i (1/2 + STEP_SLACK) of
    s_i q_ij.
    """
    rng = np.random.default_rng(_SEED["quantize_int8"])
    for matrix in _quantize_cases(rng):
        _quantize_case(student_fn, matrix, lang)


def _dequantize_case(student_fn, q, scale, lang):
    expected = q.astype(np.float64) * scale.astype(np.float64)[:, None]
    result = call(student_fn, (q, scale), name="dequantize_int8",
                  arg_names=("q", "scale"), lang=lang)
    got = expect_array(result, what="dequantize_int8(q, scale)",
                       shape=q.shape, lang=lang)
    if got.dtype != np.float32:
        fail(lang, Text(
            f"dequantize_int8 must return float32, the dtype of the "
            f"matrix it stands for; its dtype is {got.dtype}.",
            f"dequantize_int8 debe devolver float32, el dtype de la "
            f"matriz que representa; su dtype es {got.dtype}.",
        ))
    q64 = q.astype(np.float64)
    s64 = scale.astype(np.float64)
    pairs = [
        (lambda: q64, _IGNORES_SCALE),
        (lambda: q64 / s64[:, None], _DIVIDES),
        (lambda: q64 * s64[None, :] if q.shape[0] == q.shape[1]
         else None, _WRONG_AXIS),
    ]
    # float32 is the contract: compared in float64, with no dtype note.
    expect_value(
        got.astype(np.float64), expected,
        what="dequantize_int8(q, scale)", lang=lang,
        case=shape_case(q=q.shape), hint=_DEQUANTIZE_RULE,
        mistakes=pairs,
    )


@hidden_check
def check_dequantize_int8(student_fn, lang="en"):
    """Check ``dequantize_int8(q, scale) -> float32 (V, d)``.

    Oracle: ``q * scale[:, None]`` in float64, to the course's RTOL, on
    random int8 matrices (a square one, where the axis of the scale
    matters) with scales from 1e-5 to 1, and on the quantised real GloVe
    embedding matrix.
    """
    rng = np.random.default_rng(_SEED["dequantize_int8"])
    for shape in [(40, 12), (6, 6), (3, 50)]:
        q = rng.integers(-127, 128, size=shape).astype(np.int8)
        scale = (10.0 ** rng.uniform(-5, 0, size=shape[0])).astype(
            np.float32)
        _dequantize_case(student_fn, q, scale, lang)
    matrix, _ = sentiment.embedding_matrix(list(_real_vocabulary()),
                                           _glove_subset())
    q, scale = sentiment.quantize_int8(matrix)
    _dequantize_case(student_fn, q, scale, lang)
