"""Sphinx extension: the Spanish site's search ignores accents.

A student who types "retropropagacion" looks for "retropropagación".
Sphinx indexes each word's stem (Snowball's Spanish stemmer, in Python
when it builds the index, in JavaScript when the reader searches), and
the two spellings have different stems. Here both sides drop the acute
accent and the diaeresis before stemming (``fold``): the index built by
:class:`FoldedSpanish`, and the query stemmed by the ``Stemmer`` that
``language_data.js`` defines, which :data:`FOLD_JS` wraps once the site
is written. The tilde of "ñ" stays: "año" and "ano" are different words.
"""

import unicodedata
from pathlib import Path

import sphinx.search
from sphinx.search.es import SearchSpanish

#: Combining marks that a query may leave out: acute accent, diaeresis.
FOLDED_MARKS = {"\u0301", "\u0308"}

#: Appended to ``_static/language_data.js``: the same folding, in the
#: browser, before Sphinx's Spanish stemmer.
FOLD_JS = """
/* Accents folded before stemming (book/_ext/accents.py). */
Stemmer = (function (Base) {
  return function () {
    const base = new Base();
    this.stemWord = function (word) {
      const folded = word.normalize("NFD").replace(/[\\u0301\\u0308]/g, "")
        .normalize("NFC");
      return base.stemWord(folded);
    };
  };
})(Stemmer);
"""
MARKER = "(book/_ext/accents.py)"


def fold(word):
    """``word`` without acute accents or diaereses ("ñ" stays)."""
    decomposed = unicodedata.normalize("NFD", word)
    kept = "".join(c for c in decomposed if c not in FOLDED_MARKS)
    return unicodedata.normalize("NFC", kept)


class FoldedSpanish(SearchSpanish):
    """Sphinx's Spanish search, stemming each word without its accents."""

    def stem(self, word):
        return self.stemmer.stemWord(fold(word.lower()))


def fold_queries(app, exception):
    """Wrap the site's JavaScript stemmer in the same folding."""
    if exception is not None or app.builder.format != "html":
        return
    if app.config.language != "es":
        return
    script = Path(app.outdir) / "_static" / "language_data.js"
    text = script.read_text("utf-8")
    if MARKER not in text:
        script.write_text(text + FOLD_JS, "utf-8")


def setup(app):
    sphinx.search.languages["es"] = FoldedSpanish
    app.connect("build-finished", fold_queries)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
