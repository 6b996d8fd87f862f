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
