"""What a submission's cells may leave in the graded notebook.

The graded notebook is opened by the instructor (formgrader) and turned
into the student's feedback page, so its outputs are reduced to types
that cannot carry a script (plain text, PNG and JPEG images; HTML,
JavaScript, SVG, Markdown and LaTeX outputs keep only their plain-text
form) and capped in size, per cell and per notebook, with a note that
says so.
"""

import nbformat

#: Output types kept; every other type of a display is dropped.
SAFE_MIME_TYPES = ("text/plain", "image/png", "image/jpeg")
#: Characters of text (streams, plain text, tracebacks) kept per cell.
MAX_CELL_CHARS = 20_000
#: Characters of text kept in the whole notebook.
MAX_NOTEBOOK_CHARS = 200_000
#: Bytes of images (base64) kept in the whole notebook.
MAX_NOTEBOOK_IMAGES = 4_000_000
#: Lines of a traceback kept.
MAX_TRACEBACK = 40

NOTES = {
    "en": "[output cut: a graded cell keeps {cell} characters, a notebook "
          "{notebook} characters and {images} bytes of images]",
    "es": "[salida recortada: una celda calificada conserva {cell} "
          "caracteres, un cuaderno {notebook} caracteres y {images} bytes "
          "de imágenes]",
}


def stream(text, name="stdout"):
    """A stream output."""
    return nbformat.v4.new_output("stream", name=name, text=text)


def error(ename, evalue):
    """An error output whose traceback is its one-line message."""
    return nbformat.v4.new_output(
        "error", ename=ename, evalue=evalue,
        traceback=[f"{ename}: {evalue}"])


class Cap:
    """Keeps a notebook's outputs within the limits, as they arrive.

    Parameters
    ----------
    lang : {"en", "es"}
        Language of the note added where outputs were cut.
    """

    def __init__(self, lang):
        self.lang = lang
        self.notebook_chars = 0
        self.notebook_images = 0
        self.cell_chars = 0
        self.cut = False
        self.active = False

    def start_cell(self):
        """Outputs from now on belong to a cell that keeps them."""
        self.cell_chars = 0
        self.cut = False
        self.active = True

    def add(self, outs):
        """Reduce and cap the newest output of ``outs`` in place."""
        if not outs:
            return
        if not self.active:  # a call's prints: never kept
            outs.clear()
            return
        out = outs[-1]
        kind = out.get("output_type")
        if kind == "stream":
            out["text"] = self._text(out.get("text", ""))
            if out.get("name") not in ("stdout", "stderr"):
                out["name"] = "stdout"
        elif kind in ("display_data", "execute_result"):
            data = out.get("data", {})
            for mime in list(data):
                if mime not in SAFE_MIME_TYPES:
                    del data[mime]
            if "text/plain" in data:
                data["text/plain"] = self._text(data["text/plain"])
            for mime in ("image/png", "image/jpeg"):
                if mime in data:
                    size = len(data[mime])
                    if self.notebook_images + size > MAX_NOTEBOOK_IMAGES:
                        del data[mime]
                        self.cut = True
                    else:
                        self.notebook_images += size
            out["metadata"] = {}
            if not data:
                outs.pop()
        elif kind == "error":
            out["evalue"] = self._text(str(out.get("evalue", "")))
            out["traceback"] = [self._text(str(line))
                                for line in out.get("traceback", [])
                                [-MAX_TRACEBACK:]]
        else:
            outs.pop()
        # Drop outputs that came to nothing once the limits were reached.
        if outs and outs[-1].get("output_type") == "stream" \
                and not outs[-1]["text"]:
            outs.pop()

    def _text(self, text):
        if isinstance(text, list):
            text = "".join(text)
        room = min(MAX_CELL_CHARS - self.cell_chars,
                   MAX_NOTEBOOK_CHARS - self.notebook_chars)
        if len(text) > room:
            text = text[:max(room, 0)]
            self.cut = True
        self.cell_chars += len(text)
        self.notebook_chars += len(text)
        return text

    def finish(self, outs):
        """Add the note to a cell whose outputs were cut."""
        if self.cut:
            outs.append(stream(NOTES.get(self.lang, NOTES["en"]).format(
                cell=MAX_CELL_CHARS, notebook=MAX_NOTEBOOK_CHARS,
                images=MAX_NOTEBOOK_IMAGES) + "\n"))
        self.cut = False
        self.active = False
