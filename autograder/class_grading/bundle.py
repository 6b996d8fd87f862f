"""The course bundle: what a worker needs to grade, in one archive.

A worker has the pinned environment and bubblewrap, and nothing of the
instructor's course folder. Each task carries the bundle (sent once per
worker by Dask) and its hash; the worker unpacks it once into a folder
named by the hash (:func:`task.unpack`).

The archive holds ``autograder/`` (configuration, trusted grading,
hidden checks, feedback preprocessor; no submission, no gradebook of the
class), the released notebooks of the graded assignments
(``exercises/<assignment>/``, which the normaliser reads), and
``autograder/gradebook.db``: a SQLite gradebook with those assignments
only (their cells, test cells included), no student.
"""

import hashlib
import io
import tarfile

#: Folders and files of ``autograder/`` that a worker never needs.
SKIPPED = {"submitted", "autograded", "feedback", "samples", "gradebook.db",
           "grades.csv", "__pycache__", ".grading-state.json"}


def build(root, assignments, template):
    """The bundle's bytes and hashes.

    Parameters
    ----------
    root : pathlib.Path
        The course (the repository).
    assignments : list of str
        The assignments that will be graded.
    template : pathlib.Path
        A SQLite gradebook holding these assignments and no student.

    Returns
    -------
    data : bytes
        A gzipped tar archive.
    digest : str
        Hex SHA-256 of ``data``.
    course : str
        Hex SHA-256 of the course's files in it (not of the gradebook,
        whose cell ids are new each time): what a grade depends on.
    """
    members = []
    autograder = root / "autograder"
    for path in sorted(autograder.rglob("*")):
        relative = path.relative_to(autograder)
        if (path.is_file() and not path.is_symlink()
                and not SKIPPED & set(relative.parts)):
            members.append((path, f"autograder/{relative.as_posix()}"))
    for assignment in assignments:
        for path in sorted((root / "exercises" / assignment).rglob("*")):
            if path.is_file() and not path.is_symlink():
                members.append((path, path.relative_to(root).as_posix()))
    course = hashlib.sha256()
    for path, name in members:
        course.update(name.encode() + b"\0")
        course.update(hashlib.sha256(path.read_bytes()).digest())
    members.append((template, "autograder/gradebook.db"))

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=6,
                      format=tarfile.PAX_FORMAT) as tar:
        for path, name in members:
            info = tar.gettarinfo(str(path), arcname=name)
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            with open(path, "rb") as f:
                tar.addfile(info, f)
    data = buffer.getvalue()
    return data, hashlib.sha256(data).hexdigest(), course.hexdigest()
