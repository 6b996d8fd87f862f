"""Finding sentences of a page that a recorded run has made false.

A page's sentence whose truth depends on a recorded run (which models
exist, how many, which is better, whether a change is a gain or a cost)
is glued from the record or asserted beside it. The chapter tests keep
the sentences that were once stale out of the page's source with the
patterns of this module, each proven on a planted copy of the sentence.
"""

import re

from conftest import ROOT

#: Number words, both languages, for the sentences that count.
NUMBERS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7,
}


def page_source(chapter, lang):
    """The MyST source of a chapter's page, its whitespace collapsed."""
    path = ROOT / "book" / lang / chapter
    return flat(path.read_text("utf-8"))


def flat(text):
    """``text`` with every run of whitespace turned into one space."""
    return re.sub(r"\s+", " ", text)


def matches(patterns, text):
    """The passages of ``text`` that any of ``patterns`` finds."""
    return [m[0] for pattern in patterns
            for m in re.finditer(pattern, flat(text), re.I)]


def miscounts(pattern, text, count):
    """Passages where ``pattern`` (a group ``n``, a number word) names a
    number other than ``count``."""
    return [m[0] for m in re.finditer(pattern, flat(text), re.I)
            if NUMBERS.get(m["n"].lower(), count) != count]
