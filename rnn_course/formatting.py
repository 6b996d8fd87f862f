"""Numbers and run descriptions as the book writes them in each language.

One convention per language, applied by :func:`number` wherever a page
prints or glues a count:

- thousands are grouped only in numbers of five digits or more
  (``2000`` but ``10 000``), as the RAE and the SI brochure advise, so
  that a year or a four-digit count is never split;
- Spanish groups with a narrow no-break space (U+202F): thin, as the
  RAE asks, and, unlike the breakable thin space U+2009, a number is
  never broken across two lines; English groups with a comma;
- both languages write the decimal point (the RAE recommends it, and
  code prints it).

:func:`use_book_numbers` makes a page's tables (pandas DataFrames) write
their counts the same way (:func:`table_html`). :func:`record_text` says
in the page's language what a bench record's descriptive fields
(``machine``, ``optimizer``) say in English.
"""

import numbers
import re

import numpy as np

#: The narrow no-break space that groups Spanish thousands.
NARROW_NBSP = "\u202f"
#: What groups the thousands, by language.
SEPARATORS = {"es": NARROW_NBSP, "en": ","}
#: Numbers with fewer digits than this are written ungrouped.
GROUP_FROM_DIGITS = 5


def number(value, lang, digits=None):
    """``value`` written in ``lang``'s convention.

    Parameters
    ----------
    value : int or float
        An integer-valued number (a count) or any real number.
    lang : {"es", "en"}
    digits : int, optional
        Decimals to write; by default none for an integer-valued
        ``value`` and Python's shortest repr otherwise.

    Returns
    -------
    str
        E.g. ``number(25000, "es") == "25\\u202f000"``,
        ``number(25000, "en") == "25,000"``,
        ``number(0.81234, "en", digits=4) == "0.8123"``.
    """
    separator = SEPARATORS[lang]
    value = value.item() if hasattr(value, "item") else value
    if digits is None:
        text = str(int(value)) if float(value).is_integer() else repr(
            float(value))
    else:
        text = f"{float(value):.{digits}f}"
    sign = "-" if text.startswith("-") else ""
    whole, point, decimals = text.lstrip("-").partition(".")
    if len(whole) >= GROUP_FROM_DIGITS:
        groups = []
        while whole:
            groups.insert(0, whole[-3:])
            whole = whole[:-3]
        whole = separator.join(groups)
    return f"{sign}{whole}{point}{decimals}"


#: The English phrases of bench records' descriptions, by language.
RECORD_PHRASES = {
    "es": ((re.compile(r"\b(\d+) cores \(run on one\)"),
            r"\1 núcleos (se usó uno)"),
           (re.compile(r"\b1 core\b"), "1 núcleo"),
           (re.compile(r"\b(\d+) cores\b"), r"\1 núcleos"),
           (re.compile(r"\blearning rate\b"), "tasa de aprendizaje")),
    "en": (),
}


def record_text(text, lang):
    """A bench record's description (machine, optimiser) in ``lang``.

    Parameters
    ----------
    text : str
        E.g. ``"2 cores (run on one), x86_64"`` or
        ``"RMSprop, learning rate 0.001"``.
    lang : {"es", "en"}

    Returns
    -------
    str
        E.g. ``"2 núcleos (se usó uno), x86_64"`` in Spanish.
    """
    for pattern, replacement in RECORD_PHRASES[lang]:
        text = pattern.sub(replacement, text)
    return text


def _is_count(values):
    """Whether a table column holds counts: integers (missing values
    aside), some of them of GROUP_FROM_DIGITS digits or more."""
    present = [v for v in values
               if isinstance(v, numbers.Real) and not isinstance(v, bool)
               and np.isfinite(v)]
    if not present or len(present) < sum(not _missing(v) for v in values):
        return False
    if not all(float(v).is_integer() for v in present):
        return False
    return max(abs(v) for v in present) >= 10 ** (GROUP_FROM_DIGITS - 1)


def _missing(value):
    """Whether a table cell is empty (None, NaN or a blank string)."""
    if isinstance(value, str):
        return not value.strip()
    return value is None or (isinstance(value, float) and np.isnan(value))


def table_html(table, lang):
    """HTML of a pandas DataFrame, its count columns written by
    :func:`number`.

    Parameters
    ----------
    table : pandas.DataFrame
    lang : {"es", "en"}

    Returns
    -------
    str
    """

    def count(value):
        return str(value) if _missing(value) else number(value, lang)

    formatters = {column: count for column in table.columns
                  if _is_count(table[column])}
    return table.to_html(formatters=formatters, border=1)


def use_book_numbers(lang, shell=None):
    """Show this IPython session's DataFrames through :func:`table_html`.

    Parameters
    ----------
    lang : {"es", "en"}
    shell : IPython.core.interactiveshell.InteractiveShell, optional
        The running shell when omitted.
    """
    import pandas as pd

    if shell is None:
        from IPython import get_ipython

        shell = get_ipython()
    if shell is None:
        return
    formatter = shell.display_formatter.formatters["text/html"]
    formatter.for_type(pd.DataFrame, lambda table: table_html(table, lang))
