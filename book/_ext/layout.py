"""Sphinx extension: the book's layout on a laptop and on a phone.

- ``layout.css`` (next to this file, in ``static/``): display equations,
  tables, code blocks and cell outputs scroll inside their own box when
  they are wider than the text column; they never widen the page.
- Inline math keeps the punctuation that follows it (``$x$.``) on its
  line: the two are wrapped in ``<span class="math-punct">``, which the
  stylesheet does not let the browser break.
- Every figure links to its full-size image, as Sphinx already does for
  the images it scales.
- An image without alt text is a warning (the build treats warnings as
  errors): without it, the HTML writer uses the file's path.
- The theme's launch buttons (Binder, Colab; ``launch_buttons`` in
  ``_config.yml``) open a notebook of the repository. A chapter page is
  a MyST Markdown file that Colab cannot open, so its buttons open the
  chapter's exercise notebook (its first ``.ipynb`` section) instead.
  Their tooltips and icon labels, which the theme's own catalog leaves
  in English, are given in the site's language.
- A figure whose PNG carries a phone version (panels side by side,
  stacked one per row by ``rnn_course.plots.figure_png``) is shown
  through ``<picture>``: below :data:`PHONE_MEDIA`'s width, the phone
  version (``<name>-phone.png`` next to it in ``_images/``), taken out
  of the PNG once the site is written.
- A code cell whose output is an error (a traceback, e.g. a figure that
  ``rnn_course.plots.figure_png`` refused because its legend covers the
  data) is a warning, so the build fails: ``allow_errors: false`` only
  catches a cell that raises, not an error its display printed.
"""

import html
import posixpath
import re
import struct
from pathlib import Path
from urllib.parse import quote

from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.osutil import relative_uri

from rnn_course.plots import PHONE_CHUNK, PIXEL_DENSITY, split_chunk

logger = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
#: Punctuation that must not start a line after inline math.
PUNCTUATION = re.compile(r"^[.,;:!?)\]…»”’]+")


class KeepPunctuationWithMath(SphinxPostTransform):
    """Wrap inline math and the punctuation right after it in one span."""

    default_priority = 400
    formats = ("html",)

    def run(self, **kwargs):
        for math in list(self.document.findall(nodes.math)):
            parent = math.parent
            index = parent.index(math)
            if index + 1 >= len(parent):
                continue
            text = parent[index + 1]
            if not isinstance(text, nodes.Text):
                continue
            match = PUNCTUATION.match(str(text))
            if match is None:
                continue
            wrapper = nodes.inline(classes=["math-punct"])
            parent.remove(text)
            parent.replace(math, wrapper)
            wrapper += math
            wrapper += nodes.Text(match.group())
            rest = str(text)[match.end():]
            if rest:
                parent.insert(index + 1, nodes.Text(rest))


def link_images(app, doctree, docname):
    """Wrap each image in a link to its full-size file in ``_images/``."""
    if app.builder.format != "html":
        return
    images = relative_uri(
        app.builder.get_target_uri(docname), app.builder.imagedir
    )
    for image in list(doctree.findall(nodes.image)):
        if not image.get("alt", "").strip():
            logger.warning(
                f"{docname}: an image has no alt text ({image['uri']}); "
                "give its code cell `mystnb: image: alt:` metadata",
                location=image,
            )
        if isinstance(image.parent, nodes.reference):
            continue
        candidates = image.get("candidates", {})
        if "?" in candidates:
            continue
        uri = candidates.get("*") or next(iter(candidates.values()), None)
        if uri not in app.env.images:
            continue
        target = posixpath.join(images, quote(app.env.images[uri][1]))
        link = nodes.reference("", "", internal=True, refuri=target,
                               classes=["image-full-size"])
        image.replace_self(link)
        link.append(image)


#: When a figure's phone version replaces it: a window as narrow as a
#: phone's (Bootstrap's "small" breakpoint, which the theme uses).
PHONE_MEDIA = "(max-width: 540px)"
#: An image of the site's ``_images/`` folder in a written page.
IMAGE_TAG = re.compile(
    r'<img\b(?P<before>[^>]*?)\bsrc="(?P<folder>[^"]*_images/)'
    r'(?P<name>[^"/]+)\.png"(?P<after>[^>]*?)\s*/?>')


def extract_phone_versions(folder):
    """Write each PNG's phone version of ``folder`` next to it; return
    {file stem: phone version's width in CSS pixels}."""
    widths = {}
    for path in sorted(Path(folder).glob("*.png")):
        if path.stem.endswith("-phone"):
            continue
        png, phone = split_chunk(path.read_bytes(), PHONE_CHUNK)
        if phone is None:
            continue
        path.write_bytes(png)
        path.with_name(f"{path.stem}-phone.png").write_bytes(phone)
        pixels = struct.unpack(">I", phone[16:20])[0]
        widths[path.stem] = pixels // PIXEL_DENSITY
    return widths


def picture_tags(text, widths):
    """``text`` (a page's HTML) with each image of ``widths`` in a
    ``<picture>`` whose phone source is its phone version."""

    def replace(match):
        name = match["name"]
        if name not in widths:
            return match.group()
        phone = html.escape(f"{match['folder']}{name}-phone.png")
        return (f'<picture><source media="{PHONE_MEDIA}" '
                f'srcset="{phone}">'
                f'<img{match["before"]}src="{match["folder"]}{name}.png"'
                f'{match["after"]} data-phone-width="{widths[name]}" />'
                "</picture>")

    return IMAGE_TAG.sub(replace, text)


def show_phone_versions(app, exception):
    """Give the figures that have one their phone version."""
    if exception is not None or app.builder.format != "html":
        return
    widths = extract_phone_versions(Path(app.outdir) / "_images")
    if not widths:
        return
    for page in Path(app.outdir).glob("**/*.html"):
        text = page.read_text("utf-8")
        changed = picture_tags(text, widths)
        if changed != text:
            page.write_text(changed, "utf-8")


def error_outputs(doctree):
    """The tracebacks that code cells printed (myst-nb's error outputs)."""
    return [block for block in doctree.findall(nodes.literal_block)
            if "traceback" in block.get("classes", [])]


def refuse_error_outputs(app, doctree):
    """Warn (fail the build) on every traceback a code cell printed."""
    for block in error_outputs(doctree):
        last = block.astext().strip().splitlines()[-1:] or [""]
        logger.warning(f"a code cell printed an error: {last[0][:200]}",
                       location=block)


#: The launch buttons' strings that sphinx-book-theme does not translate.
LAUNCH_STRINGS = {
    "es": {
        "Launch interactive content": "Abrir el cuaderno en línea",
        "Launch on Binder": "Abrir en Binder",
        "Launch on Colab": "Abrir en Colab",
        "logo": "(logotipo)",
    },
}


def exercise_of(app, docname):
    """The first notebook among the sections of a page, or None."""
    if app.env.doc2path(docname).endswith(".ipynb"):
        return docname
    for child in app.env.toctree_includes.get(docname, []):
        if app.env.doc2path(child).endswith(".ipynb"):
            return child
    return None


def retarget_launch_buttons(app, pagename, templatename, context, doctree):
    """Point the launch buttons of a page at its exercise notebook."""
    buttons = context.get("header_buttons", [])
    launch = [b for b in buttons if b.get("label") == "launch-buttons"]
    if not launch:
        return
    notebook = exercise_of(app, pagename)
    if notebook is None:
        buttons.remove(launch[0])
        return
    strings = LAUNCH_STRINGS.get(app.config.language, {})
    if strings:
        # The theme writes the menu's label untranslated, the rest through
        # its translate().
        group = launch[0]
        group["tooltip"] = strings.get(group["tooltip"], group["tooltip"])
        translate = context["translate"]
        context["translate"] = lambda text: strings.get(text) or translate(
            text)
    source = Path(app.env.doc2path(pagename)).suffix
    for button in launch[0]["buttons"]:
        url = button["url"].replace("/./", "/").replace("=./", "=")
        button["url"] = url.replace(f"{pagename}{source}",
                                    f"{notebook}.ipynb")


def add_static_path(app):
    app.config.html_static_path.append(str(STATIC))


def setup(app):
    app.connect("builder-inited", add_static_path)
    app.add_css_file("layout.css")
    app.add_post_transform(KeepPunctuationWithMath)
    app.connect("doctree-resolved", link_images)
    app.connect("doctree-read", refuse_error_outputs)
    app.connect("build-finished", show_phone_versions)
    # After sphinx_book_theme has made the buttons (priority 501).
    app.connect("html-page-context", retarget_launch_buttons, priority=502)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
