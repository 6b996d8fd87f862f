"""What a submission's cells may leave in the graded notebook.

The graded notebook is opened by the instructor (formgrader) and turned
into the student's feedback page, so its outputs are reduced to types
that cannot carry a script (plain text, PNG and JPEG images; HTML,
JavaScript, SVG, Markdown and LaTeX outputs keep only their plain-text
form) and capped in size, per cell and per notebook, with a note that
says so. An image is kept only if its header (PNG's IHDR, JPEG's SOF)
can be read and gives at most :data:`MAX_IMAGE_PIXELS` pixels: a small
file can declare a 40000 x 40000 picture that a browser would decode.
"""

import base64
import binascii
import struct

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
#: Pixels (width x height) of an image kept.
MAX_IMAGE_PIXELS = 16_000_000

NOTES = {
    "en": "[output cut: a graded cell keeps {cell} characters, a notebook "
          "{notebook} characters and {images} bytes of images]",
    "es": "[salida recortada: una celda calificada conserva {cell} "
          "caracteres, un cuaderno {notebook} caracteres y {images} bytes "
          "de imágenes]",
}


IMAGE_NOTES = {
    "en": "[image dropped: {size}; an output image keeps at most "
          "{pixels} pixels]",
    "es": "[imagen descartada: {size}; una imagen de salida conserva como "
          "máximo {pixels} píxeles]",
}
UNREADABLE = {"en": "its header cannot be read",
              "es": "su encabezado no se puede leer"}


def image_size(mime, data):
    """(width, height) from an image's header, or None if unreadable.

    Parameters
    ----------
    mime : {"image/png", "image/jpeg"}
    data : str
        The image, base64-encoded (as in a notebook).
    """
    try:
        raw = base64.b64decode(data if isinstance(data, str) else "")
    except (binascii.Error, ValueError):
        return None
    if mime == "image/png":
        if raw[:8] != b"\x89PNG\r\n\x1a\n" or raw[12:16] != b"IHDR":
            return None
        return struct.unpack(">II", raw[16:24])
    return _jpeg_size(raw)


def _jpeg_size(raw):
    """(width, height) of a JPEG from its first SOF segment, or None."""
    if raw[:2] != b"\xff\xd8":
        return None
    at = 2
    while at + 4 <= len(raw):
        if raw[at] != 0xFF:
            return None
        marker = raw[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # no length
            at += 2
            continue
        length = int.from_bytes(raw[at + 2:at + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if at + 9 > len(raw):
                return None
            height, width = struct.unpack(">HH", raw[at + 5:at + 9])
            return width, height
        if length < 2:
            return None
        at += 2 + length
    return None


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
        self.dropped = []

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
                if mime in data and not self._image_fits(mime, data[mime]):
                    del data[mime]
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

    def _image_fits(self, mime, data):
        """True if the image's header is readable and within the cap."""
        size = image_size(mime, data)
        if size is not None and size[0] * size[1] <= MAX_IMAGE_PIXELS:
            return True
        lang = self.lang if self.lang in IMAGE_NOTES else "en"
        shown = (UNREADABLE[lang] if size is None
                 else f"{size[0]} x {size[1]}")
        self.dropped.append(IMAGE_NOTES[lang].format(
            size=shown, pixels=MAX_IMAGE_PIXELS))
        return False

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
        """Add the notes to a cell whose outputs were cut or dropped."""
        for note in self.dropped:
            outs.append(stream(note + "\n"))
        self.dropped = []
        if self.cut:
            outs.append(stream(NOTES.get(self.lang, NOTES["en"]).format(
                cell=MAX_CELL_CHARS, notebook=MAX_NOTEBOOK_CHARS,
                images=MAX_NOTEBOOK_IMAGES) + "\n"))
        self.cut = False
        self.active = False
