"""Sphinx extension: the theme's interface in the site's language.

Sphinx, pydata-sphinx-theme and sphinx-book-theme translate their
interface strings through message catalogs, but their Spanish catalogs
leave a few in English ("Link to this heading") or misspelt ("Descarga
esta pagina"), and some strings are written with no translation at all
(the sidebar toggles' tooltips, the ``Main`` and ``Page`` navigation
labels, myst-nb's "Toggle hidden content"). This extension:

- compiles ``book/locales/<language>/LC_MESSAGES/<domain>.po`` (with
  Babel, into the build's doctree folder) and adds each as a message
  catalog of its domain (``sphinx``: Sphinx and pydata-sphinx-theme;
  ``booktheme``: sphinx-book-theme). Loaded before the theme (it comes
  first in ``_config.yml``'s extensions), its ``booktheme`` catalog is
  read before the theme's own; its ``sphinx`` catalog fills what
  Sphinx's leaves untranslated;
- once the pages are written, gives the strings that no catalog reaches
  in the site's language: every ``title``, ``aria-label`` or
  ``data-bs-title`` attribute whose whole value is an English string of
  those catalogs; and the messages of the search page, which Sphinx
  reads from ``_static/translations.js`` (made from its own catalog
  only): each message of that file that ``book/locales`` translates
  takes that translation.

A site whose language has no folder under ``book/locales/`` (English)
is left as the theme writes it.
"""

import html
import json
import re
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES = Path(__file__).resolve().parent.parent / "locales"
#: Attributes that carry interface text (tooltips, screen readers).
ATTRIBUTE = re.compile(r'\b(title|aria-label|data-bs-title)="([^"]*)"')


def catalogs(language):
    """{domain: babel Catalog} of ``book/locales/<language>/``."""
    folder = LOCALES / str(language) / "LC_MESSAGES"
    found = {}
    for po in sorted(folder.glob("*.po")):
        with po.open("rb") as source:
            found[po.stem] = read_po(source, locale=language,
                                     domain=po.stem)
    return found


def translations(language):
    """{English string: translation} of every catalog of ``language``."""
    return {
        message.id: message.string
        for catalog in catalogs(language).values()
        for message in catalog
        if message.id and message.string
    }


def add_catalogs(app):
    """Compile this site's catalogs and add them to Sphinx's."""
    language = app.config.language
    found = catalogs(language)
    if not found:
        return
    compiled = Path(app.doctreedir) / "locales"
    folder = compiled / language / "LC_MESSAGES"
    folder.mkdir(parents=True, exist_ok=True)
    for domain, catalog in found.items():
        with (folder / f"{domain}.mo").open("wb") as target:
            write_mo(target, catalog)
        app.add_message_catalog(domain, str(compiled))


def translate_attributes(text, strings):
    """``text`` (HTML) with each interface attribute of ``strings`` (its
    English value) given its translation."""

    def replace(match):
        name, value = match.groups()
        english = html.unescape(value)
        if english not in strings:
            return match.group()
        return f'{name}="{html.escape(strings[english])}"'

    return ATTRIBUTE.sub(replace, text)


#: ``_static/translations.js``: one call with a JSON object.
TRANSLATIONS_JS = re.compile(
    r"\A(\s*Documentation\.addTranslations\()(.*)(\);\s*)\Z", re.S)


def translate_script(text, strings):
    """``translations.js`` (its text) with each message of ``strings``
    that it holds given the translation of ``strings``."""
    match = TRANSLATIONS_JS.match(text)
    if match is None:
        raise ValueError("translations.js: not one addTranslations() call")
    data = json.loads(match.group(2))
    messages = data["messages"]
    for english in messages:
        if english in strings:
            messages[english] = strings[english]
    return (match.group(1) + json.dumps(data, indent=4, ensure_ascii=False)
            + match.group(3))


def translate_pages(app, exception):
    """Translate the attributes that no catalog reached, in every page."""
    if exception is not None or app.builder.format != "html":
        return
    strings = translations(app.config.language)
    if not strings:
        return
    for page in Path(app.outdir).glob("**/*.html"):
        text = page.read_text("utf-8")
        translated = translate_attributes(text, strings)
        if translated != text:
            page.write_text(translated, "utf-8")
    script = Path(app.outdir) / "_static" / "translations.js"
    if script.exists():
        script.write_text(
            translate_script(script.read_text("utf-8"), strings), "utf-8")


def setup(app):
    # Now, before the theme adds its own catalogs (see the docstring).
    add_catalogs(app)
    app.connect("build-finished", translate_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
