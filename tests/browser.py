"""The built book as a reader's browser shows it: headless Chromium.

``tests/test_browser.py`` serves a folder of HTML on 127.0.0.1
(:func:`serve`), opens each page in the system's Chromium through
Playwright (:func:`chromium`, :func:`inspect`) at a laptop and a phone
width, and reads what the reader would meet:

``overflow``
    an equation (MathJax container), table or code block wider than the
    text column, with no scroll box of its own: neither it nor an
    ancestor inside the column scrolls horizontally (``overflow-x`` auto
    or scroll), so the part past the column is cut or widens the page.
``page-width``
    a page wider than the window (it scrolls sideways: on a phone, an
    unbreakable word or a box that does not shrink), naming the element
    that sticks out furthest.
``clipped``
    a display equation whose content is wider than its box, and no box
    around it scrolls: the end of the formula is cut ("cor…").
``scroll-cue``
    a table that scrolls in its box (wider than the box) with no cue
    that it does: the box has no shadow (``background-image``) at the
    edge that hides more.
``figure``
    a figure shown below ``MIN_FIGURE_SCALE`` of its drawn width (at the
    laptop width only), its text shown smaller than
    ``MIN_FIGURE_TEXT_PX`` (at any width; the figure's text is drawn at
    ``FIGURE_TEXT_PX``), or an image that did not load. A figure's drawn
    width is the CSS width the page gives it (``style="width: ..."``,
    saved at twice as many pixels), else its pixel width; the phone
    version of a figure (``<picture>``) says its own in
    ``data-phone-width``.
``language``
    an interface string of the other language (:data:`INTERFACE`) in the
    visible text of the theme's chrome (outside the article) or in a
    ``title``, ``aria-label``, ``data-bs-title`` or ``placeholder``
    attribute; an element's language is that of its nearest ``lang``
    attribute.
``mathjax``
    a MathJax error (``mjx-merror``, ``merror``), or math that MathJax
    has not typeset.
``request``
    a request to any host but 127.0.0.1 (intercepted, answered empty and
    recorded: nothing leaves the machine).
``console``
    a console error or an uncaught error of a page's script.

Each problem names the page, the width, the element and what was
measured. Nothing here downloads a browser: Playwright drives the
Debian package ``chromium`` (``apt install chromium``), or the browser
that the environment variable ``CHROMIUM`` names.
"""

import contextlib
import functools
import http.server
import os
import shutil
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

from rnn_course.plots import FIGURE_DPI, FONT_SIZE

#: The two widths of the window, in CSS pixels: a laptop and a phone.
WIDTHS = (1280, 390)
LAPTOP, PHONE = WIDTHS
#: Height of the window (what a screenshot that is not full-page shows).
HEIGHT = 900
#: A figure is legible when shown at least at this share of its width.
MIN_FIGURE_SCALE = 0.8
#: Size of the text in the book's figures when shown at their drawn
#: width, in CSS pixels: rnn_course.plots.FONT_SIZE points at FIGURE_DPI.
FIGURE_TEXT_PX = FONT_SIZE / 72 * FIGURE_DPI
#: Smallest legible figure text, in CSS pixels: half the body text's
#: 16 px (a reader of the phone pages met 6 to 7 px in the multi-panel
#: figures).
MIN_FIGURE_TEXT_PX = 8
#: Chromium's switches for a headless run with no network of its own.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync")
#: How to get the browser when it is missing.
INSTALL = ("Chromium is missing: install it with `apt install chromium` "
           "(Debian/Ubuntu), or name a Chromium binary in the CHROMIUM "
           "environment variable")
#: Milliseconds a page may take to load and typeset.
TIMEOUT_MS = 60_000

#: Interface strings of the theme (sphinx-book-theme, pydata-sphinx-
#: theme, Sphinx, myst-nb, sphinx-copybutton, sphinx-togglebutton), in
#: each language: one of them on a page of the other language is an
#: untranslated interface. Compared whole, ignoring case and spaces
#: around.
INTERFACE = {
    "en": (
        "Link to this heading", "Toggle hidden content",
        "Toggle primary sidebar", "Toggle secondary sidebar", "Page",
        "Main", "Site navigation", "Skip to main content", "Back to top",
        "Search", "Search...", "Search…", "Search the docs ...",
        "Contents", "On this page", "Download this page",
        "Download source file", "Download notebook file",
        "Print to PDF", "Fullscreen mode", "Source repository",
        "Light", "Dark", "System", "Theme", "previous page", "next page",
        "previous", "next", "Copy", "Copied!", "Copy to clipboard",
        "Failed to copy", "Click to show", "Click to hide",
        "Show code cell source", "Hide code cell source",
        "Show code cell output", "Hide code cell output",
        "Launch interactive content", "Launch on Binder",
        "Launch on Colab", "Version warning", "Index", "By",
        "Search Results", "Searching", "Hide Search Matches",
    ),
    "es": (
        "Enlace a este encabezado", "Mostrar u ocultar el contenido",
        "Mostrar u ocultar la barra lateral principal",
        "Mostrar u ocultar la barra lateral secundaria", "Página",
        "Principal", "Navegación del sitio",
        "Saltar al contenido principal", "Volver arriba", "Buscar",
        "Búsqueda", "Contenido", "En esta página",
        "Descargar esta página", "Descarga esta página",
        "Descargar archivo fuente",
        "Descargar archivo de cuaderno", "Imprimir en PDF",
        "Modo de pantalla completa", "Repositorio de origen", "Claro",
        "Oscuro", "Sistema", "Tema", "página anterior",
        "siguiente página", "anterior", "siguiente", "Copiar",
        "¡Copiado!", "Copiar al portapapeles", "Falló la copia",
        "Mostrar el código", "Ocultar el código",
        "Abrir el cuaderno en línea", "Abrir en Binder",
        "Abrir en Colab", "Advertencia de versión", "Índice", "Por",
    ),
}
#: Interface strings misspelt in a theme's catalog: wrong on a page of
#: their language too.
MISSPELT = {"es": ("Descarga esta pagina",), "en": ()}


@dataclass(frozen=True)
class Problem:
    """One thing a reader would meet, where and how much."""

    kind: str
    page: str
    width: int
    element: str
    value: str

    def __str__(self):
        return (f"{self.page} @ {self.width} px: {self.kind}: "
                f"{self.element}: {self.value}")


def chromium_path():
    """The Chromium binary to drive, or None when there is none."""
    named = os.environ.get("CHROMIUM")
    if named:
        return named if os.access(named, os.X_OK) else None
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files without logging every request to stderr."""

    def log_message(self, format, *args):
        pass


@contextlib.contextmanager
def serve(folder):
    """Serve ``folder`` on 127.0.0.1 at a free port; yield its base URL."""
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextlib.contextmanager
def chromium():
    """Headless Chromium (the system's), driven by Playwright."""
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    if path is None:
        raise FileNotFoundError(INSTALL)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=path, headless=True, args=list(FLAGS))
        try:
            yield browser
        finally:
            browser.close()


#: What runs in the page once it has loaded and MathJax has typeset:
#: returns [kind, element, value] triples. Its argument is
#: {laptop, minScale, figureTextPx, minTextPx, interface: {lang:
#: [strings]}, misspelt}.
INSPECT_JS = r"""
(options) => {
  const found = [];
  const describe = (el) => {
    let text = el.tagName.toLowerCase();
    if (el.id) text += '#' + el.id;
    const cls = (el.getAttribute('class') || '').trim().split(/\s+/)
      .filter(Boolean).slice(0, 2);
    if (cls.length) text += '.' + cls.join('.');
    const sample = (el.textContent || el.getAttribute('src') || '')
      .replace(/\s+/g, ' ').trim().slice(0, 40);
    return sample ? `${text} "${sample}"` : text;
  };
  const column = document.querySelector('article.bd-article')
    || document.querySelector('main') || document.body;
  const columnWidth = column.clientWidth;

  // Wide equations, tables and code without a scroll box of their own.
  const scrolls = (el) => ['auto', 'scroll'].includes(
    getComputedStyle(el).overflowX);
  const wide = column.querySelectorAll(
    'mjx-container[display="true"], mjx-container[jax], table, pre');
  for (const el of wide) {
    if (el.closest('mjx-container') !== el
        && el.closest('mjx-container')) continue;
    const width = el.scrollWidth;
    if (width <= columnWidth + 1) continue;
    let boxed = false;
    for (let node = el; node && node !== column;
         node = node.parentElement) {
      if (scrolls(node)
          && node.getBoundingClientRect().width <= columnWidth + 1) {
        boxed = true;
        break;
      }
    }
    if (!boxed) {
      found.push(['overflow', describe(el),
                  `${width} px wide in a ${columnWidth} px column, ` +
                  'no scroll box']);
    }
  }

  // Figures shown smaller than drawn (laptop width), figure text too
  // small to read (any width), images not loaded.
  for (const img of column.querySelectorAll('img')) {
    if (!img.complete || img.naturalWidth === 0) {
      found.push(['figure', describe(img), 'did not load']);
      continue;
    }
    const shown = img.getBoundingClientRect().width;
    if (shown === 0) continue;
    const phone = img.dataset.phoneWidth && img.currentSrc
      && img.currentSrc.endsWith('-phone.png');
    const drawn = phone ? parseFloat(img.dataset.phoneWidth)
      : (parseFloat(img.style.width) || img.naturalWidth);
    const scale = shown / drawn;
    if (options.laptop && scale < options.minScale) {
      found.push(['figure', describe(img),
                  `shown at ${scale.toFixed(2)} of its ` +
                  `${Math.round(drawn)} px`]);
    }
    // Content figures only (an icon of the theme has no text).
    if (img.closest('div.cell_output, figure')
        && options.figureTextPx * scale < options.minTextPx) {
      found.push(['figure', describe(img),
                  `text shown at ${(options.figureTextPx * scale)
                    .toFixed(1)} px (drawn ${Math.round(drawn)} px ` +
                  `wide, shown ${Math.round(shown)} px)`]);
    }
  }

  // A page wider than the window: the element that sticks out most.
  const pageWidth = document.documentElement.scrollWidth;
  if (pageWidth > window.innerWidth + 1) {
    let worst = null;
    let right = window.innerWidth + 1;
    for (const el of document.body.querySelectorAll('*')) {
      const box = el.getBoundingClientRect();
      if (box.width === 0 || box.right <= right) continue;
      let contained = false;
      for (let node = el.parentElement; node && node !== document.body;
           node = node.parentElement) {
        const style = getComputedStyle(node);
        if (style.position === 'fixed'
            || ['auto', 'scroll', 'hidden', 'clip']
              .includes(style.overflowX)) {
          contained = true;
          break;
        }
      }
      if (!contained) {
        worst = el;
        right = box.right;
      }
    }
    found.push(['page-width', worst ? describe(worst) : 'html',
                `page is ${pageWidth} px wide in a ` +
                `${window.innerWidth} px window`]);
  }

  // Display equations cut at the edge of a box that does not scroll.
  // The first box around the formula that is narrower than it decides:
  // it scrolls, or it cuts.
  for (const el of column.querySelectorAll(
      'mjx-container[display="true"]')) {
    const content = el.scrollWidth;
    for (let node = el; node && node !== column.parentElement;
         node = node.parentElement) {
      if (node.clientWidth + 1 >= content) continue;
      if (scrolls(node)) break;
      if (['hidden', 'clip'].includes(getComputedStyle(node).overflowX)) {
        found.push(['clipped', describe(el),
                    `${content} px of formula in a ${node.clientWidth} ` +
                    'px box that does not scroll']);
        break;
      }
    }
  }

  // Tables that scroll in their box without a cue that they do.
  for (const table of column.querySelectorAll('table')) {
    for (let node = table.parentElement; node && node !== column;
         node = node.parentElement) {
      if (!scrolls(node)) continue;
      if (node.scrollWidth > node.clientWidth + 1
          && !getComputedStyle(node).backgroundImage.includes('gradient')) {
        found.push(['scroll-cue', describe(table),
                    `${node.scrollWidth} px in a ${node.clientWidth} px ` +
                    'box with no scroll cue']);
      }
      break;
    }
  }

  // Interface strings of the other language.
  const known = {};
  for (const [lang, strings] of Object.entries(options.interface)) {
    known[lang] = new Set(strings.map((s) => s.trim().toLowerCase()));
  }
  const wrong = {};
  for (const [lang, strings] of Object.entries(options.misspelt)) {
    wrong[lang] = new Set(strings.map((s) => s.trim().toLowerCase()));
  }
  const langOf = (el) => {
    const owner = el.closest('[lang]');
    return owner ? owner.getAttribute('lang').slice(0, 2) : '';
  };
  const foreign = (el, text) => {
    const lang = langOf(el);
    const other = {es: 'en', en: 'es'}[lang];
    if (!other) return false;
    const key = text.trim().toLowerCase();
    return (known[other].has(key) && !known[lang].has(key))
      || wrong[lang].has(key);
  };
  const attributes = ['title', 'aria-label', 'data-bs-title',
                      'data-tooltip', 'data-toggle-hint', 'placeholder'];
  for (const el of document.querySelectorAll('*')) {
    for (const name of attributes) {
      const value = el.getAttribute(name);
      if (value && foreign(el, value)) {
        found.push(['language', describe(el), `${name}="${value}"`]);
      }
    }
  }
  const walker = document.createTreeWalker(document.body,
                                           NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || (column !== document.body && column.contains(el))) continue;
    if (el.closest('script, style, template, noscript')) continue;
    if (!el.getClientRects().length) continue;
    if (foreign(el, node.textContent)) {
      found.push(['language', describe(el),
                  `text "${node.textContent.trim()}"`]);
    }
  }

  // MathJax: errors, and math left untypeset.
  // One report per formula (its visible and its assistive MathML copy).
  const failed = new Set();
  for (const el of document.querySelectorAll(
      'mjx-merror, merror, [data-mjx-error]')) {
    const formula = el.closest('mjx-container') || el;
    if (failed.has(formula)) continue;
    failed.add(formula);
    found.push(['mathjax', describe(el),
                el.getAttribute('data-mjx-error')
                || el.getAttribute('title') || 'error']);
  }
  const math = document.querySelectorAll('span.math, div.math');
  const typeset = window.MathJax && MathJax.startup
    && MathJax.startup.document;
  for (const el of math) {
    if (!typeset || !el.querySelector('mjx-container')) {
      found.push(['mathjax', describe(el), 'not typeset']);
    }
  }
  return found;
}
"""

#: Waits for MathJax, when the page loads it, to finish typesetting.
MATHJAX_READY_JS = """
async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  return true;
}
"""


def inspect(browser, base, paths, widths=WIDTHS, screenshots=None):
    """Open every page of ``paths`` (relative to the URL ``base``) at each
    width; return the list of :class:`Problem` found.

    ``screenshots``: {path: file name stem}; those pages are also saved
    as full-page PNG files ``<stem>-<width>.png``, in the folder of the
    stem.
    """
    host = urlsplit(base).hostname
    problems = []
    screenshots = screenshots or {}
    current = {"page": None}
    for width in widths:
        context = browser.new_context(
            viewport={"width": width, "height": HEIGHT})

        def record(kind, element, value, width=width):
            problems.append(Problem(kind, current["page"], width, element,
                                    value))

        def route(route_, request):
            scheme = urlsplit(request.url).scheme
            if scheme in ("http", "https", "ws", "wss") and (
                    urlsplit(request.url).hostname != host):
                record("request", request.resource_type, request.url)
                # Answered empty here: nothing goes out, and the page
                # gets no load error that would hide the request.
                route_.fulfill(status=204, body="")
                return
            route_.continue_()

        context.route("**/*", route)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.on("console", lambda message: record(
            "console", f"console.{message.type}", message.text)
            if message.type == "error" else None)
        page.on("pageerror", lambda error: record(
            "console", "uncaught error", str(error)))
        options = {"laptop": width == LAPTOP, "minScale": MIN_FIGURE_SCALE,
                   "figureTextPx": FIGURE_TEXT_PX,
                   "minTextPx": MIN_FIGURE_TEXT_PX,
                   "interface": {k: list(v) for k, v in INTERFACE.items()},
                   "misspelt": {k: list(v) for k, v in MISSPELT.items()}}
        for path in paths:
            current["page"] = path
            page.goto(base + path, wait_until="load")
            page.evaluate(MATHJAX_READY_JS)
            for kind, element, value in page.evaluate(INSPECT_JS, options):
                record(kind, element, value)
            if path in screenshots:
                stem = screenshots[path]
                stem.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=f"{stem}-{width}.png", full_page=True)
        context.close()
    return problems


#: Folders of a built site that hold no page (templates, copies).
NOT_PAGES = {"mathjax", "_static", "_sources", "_images"}


def pages_of(folder):
    """Every HTML page under ``folder``, as URL paths: not the files of
    :data:`NOT_PAGES`, nor a redirect (Sphinx's ``index.html`` that sends
    the reader on at once to the page it names)."""
    pages = []
    for path in sorted(folder.glob("**/*.html")):
        relative = path.relative_to(folder)
        if NOT_PAGES & set(relative.parts):
            continue
        head = path.read_text("utf-8", errors="replace")[:2000].lower()
        if 'http-equiv="refresh"' in head:
            continue
        pages.append(relative.as_posix())
    return pages
