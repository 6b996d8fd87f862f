"""Sphinx extension: the Spanish site's search ignores missing accents.

A student who types "retropropagacion" looks for "retropropagación".
Sphinx indexes each word's stem, made by Snowball's Spanish stemmer:
in Python (the ``snowballstemmer`` package) when it builds the index,
and in JavaScript (Sphinx's own, older, copy) when the reader searches.
Both stem "retropropagación" to "retropropag", but the JavaScript one
leaves "retropropagacion" whole, so the query finds nothing.

Once the site is written, :data:`ACCENTS_JS` wraps the ``Stemmer`` of
its ``_static/language_data.js``: a query word whose stem is not in the
index is tried again with an accent on each of its vowels in turn (a
Spanish word carries at most one written accent, or a diaeresis on
"u"), and the first of those stems that the index holds is searched
for. A word that is in the index as typed is searched for as typed.
"""

from pathlib import Path

#: Appended to the Spanish site's ``_static/language_data.js``.
ACCENTS_JS = """
/* Words typed without their accent (book/_ext/accents.py). */
Stemmer = (function (Base) {
  const marks = {a: "\u00e1", e: "\u00e9", i: "\u00ed", o: "\u00f3",
                 u: "\u00fa\u00fc"};
  const indexed = function (stem) {
    if (typeof Search === "undefined" || !Search._index) return true;
    const index = Search._index;
    return stem in index.terms || stem in index.titleterms;
  };
  return function () {
    const base = new Base();
    this.stemWord = function (word) {
      const plain = base.stemWord(word);
      if (indexed(plain)) return plain;
      for (let i = 0; i < word.length; i++) {
        for (const mark of marks[word[i]] || "") {
          const stem = base.stemWord(
            word.slice(0, i) + mark + word.slice(i + 1));
          if (indexed(stem)) return stem;
        }
      }
      return plain;
    };
  };
})(Stemmer);
"""
MARKER = "(book/_ext/accents.py)"


def accented_queries(app, exception):
    """Wrap the Spanish site's JavaScript stemmer (once)."""
    if exception is not None or app.builder.format != "html":
        return
    if app.config.language != "es":
        return
    script = Path(app.outdir) / "_static" / "language_data.js"
    text = script.read_text("utf-8")
    if MARKER not in text:
        script.write_text(text + ACCENTS_JS, "utf-8")


def setup(app):
    app.connect("build-finished", accented_queries)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
