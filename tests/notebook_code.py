"""Load the reference functions of a solution notebook.

The hidden checks are proven against the solutions the students never
see: :func:`notebook_functions` runs the import cell and the answer cells
of a source notebook (not its tests, demos or data cells) and returns the
namespace they define.
"""

from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"


def notebook_path(slug, lang):
    """Path of the source notebook ``solutions/<slug>-<lang>/<slug>.ipynb``."""
    return SOLUTIONS / f"{slug}-{lang}" / f"{slug}.ipynb"


def _nbgrader(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def notebook_functions(path, given=()):
    """Execute the import and answer cells of a notebook.

    Parameters
    ----------
    path : str or Path
        An nbgrader source notebook.
    given : iterable of str, optional
        ``grade_id`` of read-only cells that give code the answers build
        on (e.g. ``"forward_given"``); they are run after the answer
        cells, in notebook order, into the same namespace.

    Returns
    -------
    dict
        The namespace after running, in order, every code cell whose
        nbgrader ``grade_id`` is ``"imports"`` or that is a solution cell,
        then the cells named in ``given``.
    """
    nb = nbformat.read(path, as_version=4)
    namespace = {"__name__": f"notebook:{Path(path).name}"}
    for index, cell in enumerate(nb.cells):
        meta = _nbgrader(cell)
        if cell.cell_type != "code":
            continue
        if meta.get("grade_id") == "imports" or meta.get("solution"):
            code = compile(cell.source, f"{path}#cell{index}", "exec")
            exec(code, namespace)  # noqa: S102 -- our own notebooks
    given = set(given)
    for cell in nb.cells:
        grade_id = _nbgrader(cell).get("grade_id")
        if grade_id in given:
            code = compile(cell.source, f"{path}#{grade_id}", "exec")
            exec(code, namespace)  # noqa: S102 -- our own notebooks
    return namespace
