"""``bench/RESULTS.md``: each bench script replaces its own section.

A section runs from its heading (a line starting with ``## ``) to the
next heading or the end of the file.
"""

import re
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def replace_section(text, section):
    """``text`` with the section headed like ``section`` replaced by it.

    Parameters
    ----------
    text : str
        The whole of RESULTS.md.
    section : str
        The new section, its heading (``## ...``) on its first line.

    Returns
    -------
    str
        ``text`` with the old section replaced, or the new one appended
        if there was none; one newline at the end.
    """
    heading = section.splitlines()[0]
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)",
                         re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section.rstrip("\n") + "\n\n", text)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    return text.rstrip("\n") + "\n"


def write_section(section, path=RESULTS):
    """Replace (or append) ``section`` in the file ``path``."""
    path.write_text(replace_section(path.read_text("utf-8"), section),
                    "utf-8")
