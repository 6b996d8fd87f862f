"""A throwaway PostgreSQL server for a test, on 127.0.0.1.

Debian's server (``postgresql``, which ``.ci/run`` installs) is started
under a data folder of its own, on a free port of 127.0.0.1 and a Unix
socket in that folder, with trust authentication limited to that
address; :func:`stop` stops it and deletes the folder. PostgreSQL does
not run as root: as root, the server runs as the ``postgres`` user.
"""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def binaries():
    """Folder of Debian's PostgreSQL programs, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A running server; ``url(database)`` names a database in it."""

    def __init__(self):
        bin_dir = binaries()
        if bin_dir is None:
            raise RuntimeError("PostgreSQL is not installed (.ci/run "
                               "installs Debian's postgresql)")
        self.bin = bin_dir
        self.folder = Path(tempfile.mkdtemp(prefix="course-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.user = None
        if os.geteuid() == 0:
            self.user = "postgres"
            shutil.chown(self.folder, user="postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres",
                  "--auth=trust", "--encoding=UTF8", "--no-sync")
        self._run("pg_ctl", "-D", str(self.data), "-w", "-l",
                  str(self.folder / "log"), "-o",
                  f"-h 127.0.0.1 -p {self.port} -k {self.folder} "
                  "-c fsync=off", "start")

    def _run(self, program, *args):
        command = [str(self.bin / program), *args]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        return subprocess.run(command, check=True, capture_output=True,
                              text=True, cwd=self.folder)

    def create(self, database):
        """Create a database; its SQLAlchemy URL (psycopg 3)."""
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port),
                  "-U", "postgres", database)
        return self.url(database)

    def url(self, database):
        return (f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/"
                f"{database}")

    def stop(self):
        """Stop the server and delete its folder."""
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate",
                      "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
