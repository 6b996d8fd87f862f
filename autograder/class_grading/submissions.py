"""Which folders under ``submitted/`` are graded, and which are refused.

A submission is the folder ``submitted/<student>/<assignment>/``. Before
anything of it is read, each is held to three rules, and refused by
name, in both languages, when it breaks one (the others are graded):

* the student id (the folder's name) matches ``ID_RULE``: one to 64
  ASCII letters, digits, ``.``, ``_`` or ``-``, the first a letter or a
  digit. So an id is never ``.``, ``..`` or ``...``, never reads as a
  command-line option (``-x``, ``--TrustedExecute.unsafe=True``), holds
  no space, no glob character (nbgrader reads ``--student`` as a glob)
  and no character a terminal or a file system could take otherwise.
  Ids that differ only by case (``Ana``, ``ana``) are all refused: on a
  case-insensitive disk they are one folder, and which is whose cannot
  be told;
* neither the student's folder nor the assignment's folder is a
  symbolic link (``thief/<assignment> -> ../victim/<assignment>`` would
  grade the victim's work as the thief's);
* the submission's files, counted with ``lstat`` (nothing is opened),
  hold at most :data:`MAX_BYTES` bytes in at most :data:`MAX_FILES`
  entries.
"""

import os
import re
import stat

from .task import ID_RULE, MAX_SUBMISSION_BYTES

#: Largest total size of one submission's files, in bytes.
MAX_BYTES = MAX_SUBMISSION_BYTES
#: Most files and folders in one submission.
MAX_FILES = 1000


class TooLarge(ValueError):
    """A submission over :data:`MAX_BYTES` or :data:`MAX_FILES`."""


def shown(name):
    """``name`` as it may be printed: escapes, not control characters."""
    return repr(name)[:80]


def refusal(en, es):
    """One line of a refusal, in English and in Spanish."""
    return f"refused: {en} / rechazada: {es}"


def check_id(name):
    """None if ``name`` is a valid student id, else why it is not."""
    if re.fullmatch(ID_RULE, name, flags=re.ASCII):
        return None
    return refusal(
        f"the student id {shown(name)} does not follow the rule "
        f"^{ID_RULE}$ (1 to 64 ASCII letters, digits, '.', '_' or '-', "
        "the first a letter or a digit); rename the folder",
        f"el identificador de estudiante {shown(name)} no sigue la regla "
        f"^{ID_RULE}$ (de 1 a 64 letras ASCII, dígitos, '.', '_' o '-', "
        "la primera una letra o un dígito); cambia el nombre de la "
        "carpeta",
    )


def measure(folder):
    """(bytes, entries) under ``folder``, by ``lstat``; links not followed.

    Raises
    ------
    TooLarge
        As soon as either count passes its cap (the walk stops there).
    """
    size = count = 0
    pending = [folder]
    while pending:
        with os.scandir(pending.pop()) as entries:
            for entry in entries:
                count += 1
                info = entry.stat(follow_symlinks=False)
                if stat.S_ISDIR(info.st_mode):
                    pending.append(entry.path)
                elif stat.S_ISREG(info.st_mode):
                    size += info.st_size
                if size > MAX_BYTES or count > MAX_FILES:
                    raise TooLarge(too_large())
    return size, count


def too_large():
    """The refusal of a submission over the caps."""
    mib = MAX_BYTES // 2**20
    return refusal(
        f"the submission holds more than {mib} MiB or more than "
        f"{MAX_FILES} files; nothing of it was read",
        f"la entrega contiene más de {mib} MiB o más de {MAX_FILES} "
        "archivos; no se leyó nada de ella",
    )


def find(submitted, names):
    """The submissions to grade and those refused.

    Parameters
    ----------
    submitted : pathlib.Path
        The ``submitted/`` folder.
    names : iterable of str
        The assignments to look for.

    Returns
    -------
    todo : list of (str, str)
        (student, assignment) of each submission that may be graded.
    refused : list of (str, str, str)
        (student as printable text, assignment or "-", reason).
    """
    todo, refused = [], []
    if not submitted.is_dir():
        return todo, refused
    with os.scandir(submitted) as listed:
        entries = sorted(listed, key=lambda entry: entry.name)
    folded = {}
    for entry in entries:
        folded.setdefault(entry.name.lower(), []).append(entry.name)
    for entry in entries:
        name = entry.name
        if entry.is_symlink():
            refused.append((shown(name), "-", refusal(
                "the student's folder is a symbolic link",
                "la carpeta del estudiante es un enlace simbólico")))
            continue
        if not entry.is_dir(follow_symlinks=False):
            continue
        reason = check_id(name)
        twins = [other for other in folded[name.lower()] if other != name]
        if reason is None and twins:
            reason = refusal(
                f"the student id {shown(name)} differs from "
                f"{shown(twins[0])} only by case",
                f"el identificador de estudiante {shown(name)} solo se "
                f"distingue de {shown(twins[0])} por mayúsculas y "
                "minúsculas")
        if reason is not None:
            refused.append((shown(name), "-", reason))
            continue
        for assignment in names:
            path = os.path.join(entry.path, assignment)
            try:
                mode = os.lstat(path).st_mode
            except FileNotFoundError:
                continue
            if stat.S_ISLNK(mode):
                refused.append((name, assignment, refusal(
                    "the assignment's folder is a symbolic link",
                    "la carpeta de la tarea es un enlace simbólico")))
                continue
            if not stat.S_ISDIR(mode):
                continue
            try:
                measure(path)
            except TooLarge as error:
                refused.append((name, assignment, str(error)))
                continue
            todo.append((name, assignment))
    return todo, refused
