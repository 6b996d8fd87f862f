"""Chapter 4's pages and notebooks say nothing that is false.

Sentences once stale are kept out of the pages' and notebooks' sources
by patterns, each proven on a planted copy of the sentence.
"""

import json

import pytest
from claims import matches
from conftest import ROOT

LANGS = ("es", "en")


def sources(lang):
    """The page's source and the solution notebook's markdown and code."""
    page = (ROOT / "book" / lang / "04-gated-cells.md").read_text("utf-8")
    notebook = json.loads((
        ROOT / "solutions" / f"04-gated-cells-{lang}" / "04-gated-cells.ipynb"
    ).read_text("utf-8"))
    cells = "\n\n".join("".join(cell["source"])
                        for cell in notebook["cells"])
    return page + "\n\n" + cells


def stale_claims(text):
    """Sentences of chapter 4's sources that are false."""
    return matches((
        # reset_after=False is the default of Keras before TensorFlow 2,
        # not of tf.keras in TensorFlow 2 (there it is True).
        r"Keras 2's default, `reset_after=False`",
        r"defecto de Keras 2,? `reset_after=False`",
        r"reset_after=False`?,? (the )?(Keras 2|TF2|TensorFlow 2)'?s? default",
        # The slides do not say what their three reports predict.
        r"slides report three (such )?(character|language) models",
        r"three such models with exactly",
        r"reportan tres modelos así",
        r"tres modelos de lenguaje",
        # The book says "detención temprana": one term everywhere.
        r"parada temprana",
    ), text)


STALE = {
    "en": ["the original GRU (Keras 2's default, `reset_after=False`) "
           "resets before the product",
           "The course's slides report three such models with exactly "
           "these three numbers"],
    "es": ["la GRU original (la opción por defecto de Keras 2, "
           "`reset_after=False`) reinicia antes del producto",
           "Las diapositivas del curso reportan tres modelos así con "
           "exactamente estos tres números",
           "penalizaciones de los pesos y parada temprana."],
}


@pytest.mark.parametrize("lang", LANGS)
def test_no_sentence_of_chapter_4_is_stale(lang):
    assert stale_claims(sources(lang)) == []


@pytest.mark.parametrize(("lang", "sentence"), [
    (lang, sentence) for lang in LANGS for sentence in STALE[lang]])
def test_stale_sentence_detector_sees_each_planted_sentence(lang,
                                                            sentence):
    assert stale_claims(sources(lang) + "\n" + sentence + "\n")


def test_slide_reports_table_labels_its_rows():
    """The rows of the slides' three reports are named, not 0, 1, 2."""
    for lang in LANGS:
        page = (ROOT / "book" / lang / "04-gated-cells.md").read_text(
            "utf-8")
        cell = page[page.index("slide_reports = pd.DataFrame("):]
        cell = cell[:cell.index("```")]
        assert "index=[" in cell, lang
