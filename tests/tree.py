"""Digests of file trees: what a run changed."""

import hashlib


def tree_digest(*folders, skip=()):
    """{path: sha256} of every file under the folders.

    Paths under a folder that start with one of ``skip`` (relative to
    that folder), and ``__pycache__`` folders, are left out.
    """
    digest = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder).as_posix()
            if (not path.is_file() or "__pycache__" in path.parts
                    or relative.startswith(skip)):
                continue
            data = path.read_bytes()
            digest[f"{folder}/{relative}"] = hashlib.sha256(data).hexdigest()
    return digest


def venv_state(prefix):
    """{path: (size, mtime)} of every file of the Python environment.

    Cheaper than hashing its gigabytes and enough to see a planted file
    (a ``.pth`` in site-packages runs at every Python start) or a
    rewritten one.
    """
    import os

    state = {}
    for root, folders, files in os.walk(prefix):
        folders[:] = [f for f in folders if f != "__pycache__"]
        for name in files:
            path = os.path.join(root, name)
            try:
                info = os.lstat(path)
            except OSError:
                continue
            state[path] = (info.st_size, info.st_mtime_ns)
    return state
