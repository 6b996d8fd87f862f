"""One list of what the course's Spanish avoids, read by every test.

The course writes neutral Latin American Spanish with the decimal point.
:data:`PENINSULAR` maps each Peninsular form (a regular expression,
matched whole-word and case-insensitively) to the word used instead;
the book's pages (tests/test_book.py) and the notebooks, check messages
and README (tests/test_language.py) are read with the same list.
"""

import re

PENINSULAR = {
    r"desviaci[oó]n(es)? t[ií]picas?": "desviación estándar",
    r"error(es)? t[ií]picos?": "error estándar",
    r"de media": "en promedio",
    r"tipific\w*": "estandarización, estandarizar",
    r"vídeos?": "video",
    r"(hacia|para) delante": "hacia adelante",
    r"puertas?": "compuerta",
    r"notebooks?": "cuaderno",
    r"ordenador(es)?": "computadora",
    r"ficheros?": "archivo",
    r"coma flotante": "punto flotante",
    r"costes?": "costo",
    r"cog(er|e|es|en|ido|iendo|ió|emos)": "tomar",
    r"puls(a|ar|as|ad|e|en|ando)": "presiona, haz clic",
    r"vosotr[oa]s|vuestr[oa]s?|os": "ustedes",
    r"\w+[áé]is": "ustedes (forma verbal)",
}
PENINSULAR_RE = re.compile(
    "|".join(rf"\b(?:{pattern})\b" for pattern in PENINSULAR), re.I
)
#: A decimal comma: a digit, a comma (or TeX's ``{,}``) and a digit, with
#: no space; the word around it is what is reported.
DECIMAL_COMMA = re.compile(r"\S*\d(?:,|\{,\})\d\S*")


def peninsular(text):
    """The Peninsular forms of ``text``."""
    return [m[0] for m in PENINSULAR_RE.finditer(text)]


def hints(forms):
    """What to write instead of each of ``forms``."""
    forms = list(forms)
    return {form: PENINSULAR[pattern] for pattern in PENINSULAR
            for form in forms if re.fullmatch(pattern, form, re.I)}


def decimal_commas(text):
    """Every word of ``text`` with a "digit,digit" in it."""
    return DECIMAL_COMMA.findall(text)
