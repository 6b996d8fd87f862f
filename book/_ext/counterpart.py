"""Sphinx extension: link every page to its twin in the other language.

A page names its language and its counterpart in its front matter::

    lang: es
    counterpart: ../en/01-embeddings-activations

The student notebooks, which are generated and carry no front matter,
follow the folder rule ``exercises/<slug>-es/`` <-> ``exercises/<slug>-en/``.
Each language is built as its own site (``_build/html/es``, ``.../en``),
so the link climbs out of this site and into the other one. A counterpart
that does not exist is a warning, and the build treats warnings as errors.
"""

import posixpath
import re
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)

OTHER = {"es": "en", "en": "es"}
LINK_TEXT = {"es": "Leer en español", "en": "Read in English"}
EXERCISE = re.compile(r"^exercises/(?P<slug>[^/]+)-(?P<lang>es|en)/")


def counterpart_of(docname, meta):
    """Language of the other page and its docname, or None."""
    if "counterpart" in meta:
        lang = OTHER[meta.get("lang")]
        here = posixpath.dirname(docname)
        path = posixpath.normpath(posixpath.join(here, meta["counterpart"]))
        return lang, path
    match = EXERCISE.match(docname)
    if match:
        lang = OTHER[match["lang"]]
        path = EXERCISE.sub(
            f"exercises/{match['slug']}-{lang}/", docname, count=1
        )
        return lang, path
    return None


def check_counterparts(app, env):
    """Warn about pages without a language or with a missing twin."""
    srcdir = Path(app.srcdir)
    site = app.config.language
    for docname in sorted(env.found_docs):
        meta = env.metadata.get(docname, {})
        if "counterpart" in meta and meta.get("lang") != site:
            logger.warning(
                f"{docname}: front matter says lang {meta.get('lang')!r}, "
                f"but this is the {site!r} site"
            )
            continue
        twin = counterpart_of(docname, meta)
        if twin is None:
            logger.warning(f"{docname}: no `lang`/`counterpart` front matter")
            continue
        _, path = twin
        if not any(srcdir.glob(path + ".*")):
            logger.warning(f"{docname}: counterpart {path!r} does not exist")


def add_link(app, pagename, templatename, context, doctree):
    """Put the link to the twin page at the top of the body."""
    if doctree is None or "body" not in context:
        return
    twin = counterpart_of(pagename, app.env.metadata.get(pagename, {}))
    if twin is None:
        return
    lang, path = twin
    # Out of this page's folders and this site, into the other site.
    up = "../" * (pagename.count("/") + 1)
    href = f"{up}{lang}/{path}.html"
    link = (
        f'<p class="counterpart"><a href="{href}" hreflang="{lang}" '
        f'lang="{lang}">{LINK_TEXT[lang]}</a></p>\n'
    )
    context["body"] = link + context["body"]
    context["metatags"] = context.get("metatags", "") + (
        f'\n<link rel="alternate" hreflang="{lang}" href="{href}" />'
    )


def setup(app):
    app.connect("env-updated", check_counterparts)
    app.connect("html-page-context", add_link)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
