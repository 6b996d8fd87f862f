"""Rebuild a submission's grading metadata from the release.

A submitted notebook is the student's file: its metadata can say
anything. Before nbgrader looks at it, :class:`NormaliseSubmission`
keeps only what the student is meant to write (the source of the cells)
and takes every cell's nbgrader metadata from the released notebook, by
``grade_id``:

* the first cell that carries a release ``grade_id`` (with the release
  cell's type) gets that cell's metadata; a later copy of it (Jupyter's
  copy-paste duplicates the metadata) becomes a plain cell and keeps its
  code, which still runs in order;
* every other cell becomes a plain cell: no tags (``skip-execution``,
  ``raises-exception``...), no foreign ``schema_version``, no outputs;
  raw HTML in a Markdown cell the student added is shown as text;
* the text of a Markdown or raw cell is cut at :data:`MAX_TEXT_CHARS`
  characters, with a note in both languages (it becomes the feedback
  page: 200 MB of Markdown would become 200 MB of HTML);
* a release cell the student deleted comes back where it was;
* the notebook's metadata is the release's, cell ids are made unique.

nbgrader's own sanitising (``OverwriteCells``: locked and test cells get
their source from the gradebook) then runs on the normalised notebook.
"""

import copy
import html
import os

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

#: Characters of a Markdown or raw cell's text kept.
MAX_TEXT_CHARS = 100_000
#: Added where a cell's text was cut (the language is not known here).
TEXT_NOTE = ("\n\n[text cut: a Markdown or raw cell keeps {chars} "
             "characters / texto recortado: una celda de Markdown o sin "
             "formato conserva {chars} caracteres]")


def grade_id_of(cell):
    """The cell's nbgrader ``grade_id``, or None."""
    meta = cell.get("metadata", {})
    meta = meta.get("nbgrader") if isinstance(meta, dict) else None
    grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
    return grade_id if isinstance(grade_id, str) else None


def normalise(submission, release):
    """The submission rebuilt on the release's metadata.

    Parameters
    ----------
    submission, release : NotebookNode

    Returns
    -------
    NotebookNode
        A new notebook; ``submission`` is left as it was.
    """
    released = {}
    order = []
    for cell in release.cells:
        grade_id = grade_id_of(cell)
        if grade_id is not None and grade_id not in released:
            released[grade_id] = cell
            order.append(grade_id)

    cells, seen = [], set()
    for cell in submission.cells:
        kind = cell.get("cell_type")
        if kind not in ("code", "markdown", "raw"):
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(str(line) for line in source)
        if kind != "code":
            source = cap_text(str(source))
        grade_id = grade_id_of(cell)
        origin = released.get(grade_id)
        if origin is not None and grade_id not in seen \
                and origin.cell_type == kind:
            seen.add(grade_id)
            cells.append(_from_release(origin, source))
        else:
            cells.append(_plain(kind, str(source)))

    # Release cells the student deleted come back after their predecessor.
    for position, grade_id in enumerate(order):
        if grade_id in seen:
            continue
        before = set(order[:position])
        at = 0
        for index, cell in enumerate(cells):
            if grade_id_of(cell) in before:
                at = index + 1
        cells.insert(at, _from_release(released[grade_id], None))
        seen.add(grade_id)

    nb = nbformat.v4.new_notebook(metadata=copy.deepcopy(release.metadata))
    nb.cells = cells
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{index}"
    return nb


def cap_text(text):
    """``text`` cut at MAX_TEXT_CHARS characters, with a note if cut."""
    if len(text) <= MAX_TEXT_CHARS:
        return text
    return text[:MAX_TEXT_CHARS] + TEXT_NOTE.format(chars=MAX_TEXT_CHARS)


def _from_release(origin, source):
    """A copy of the release cell; an answer cell keeps ``source``."""
    meta = origin.metadata.nbgrader
    if meta.get("solution") and source is not None:
        text = source
    else:
        text = origin.source
    if origin.cell_type == "code":
        cell = nbformat.v4.new_code_cell(text)
    else:
        cell = nbformat.v4.new_markdown_cell(text)
    cell.metadata = {"nbgrader": copy.deepcopy(dict(meta))}
    return cell


def _plain(kind, source):
    """A cell without metadata."""
    if kind == "code":
        return nbformat.v4.new_code_cell(source)
    if kind == "markdown":
        return nbformat.v4.new_markdown_cell(html.escape(source, quote=False))
    return nbformat.v4.new_raw_cell(source)


class NormaliseSubmission(NbGraderPreprocessor):
    """Preprocessor: the submission on the release's metadata."""

    release_directory = Unicode(
        help="Folder of the released assignments (one folder each)."
    ).tag(config=True)

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        path = os.path.join(self.release_directory, info["assignment"],
                            f"{info['notebook']}.ipynb")
        release = nbformat.read(path, as_version=4)
        return normalise(nb, release), resources
