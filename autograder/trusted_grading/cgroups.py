"""A control group per sandbox: its processes and its CPU, where allowed.

Resource limits (``setrlimit``) bound each process of a sandbox, not the
sandbox: 32 spinning processes each within their own limits still take
every core from an honest student graded beside them. A control group
bounds them together. :class:`Group` makes one, below the grader's own
group, when the machine lets the grader write there:

* cgroup v2 (one hierarchy): ``pids.max`` and ``cpu.max``;
* cgroup v1 (one hierarchy per controller): ``pids/…/pids.max`` and
  ``cpu/…/cpu.cfs_quota_us``.

The sandbox's first process joins it before it becomes ``bwrap``
(:func:`join_command`), so every process the kernel starts is in it.
Where no hierarchy is writable (an unprivileged grader on most
machines), :attr:`Group.active` is False and the sandbox falls back on
``RLIMIT_NPROC`` (which the kernel does not enforce on root's
processes) and ``RLIMIT_CPU`` per process, set by the sandbox itself;
the CPU then is shared by process, not by submission.
"""

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
#: Run first in the sandbox's process: join the groups, become ``bwrap``.
JOIN = """\
import os, sys
end = sys.argv.index("--")
for procs in sys.argv[1:end]:
    with open(procs, "w") as file:
        file.write(str(os.getpid()))
os.execv(sys.argv[end + 1], sys.argv[end + 1:])
"""


def _own(controller):
    """This process's group in the v1 hierarchy ``controller`` ("" = v2)."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, names, path = line.split(":", 2)
        if controller in names.split(",") or (not controller and not names):
            return path.lstrip("/")
    return None


class Group:
    """One sandbox's control group(s), or none if the machine says no.

    Parameters
    ----------
    pids : int
        Most processes (and threads) at once in the sandbox.
    cpus : float
        Cores' worth of CPU time the sandbox may use.
    """

    def __init__(self, pids, cpus):
        self.folders = []
        self.procs = []
        self.reason = None
        name = f"rnn-grade-{os.getpid()}-{time.monotonic_ns()}"
        try:
            if (ROOT / "cgroup.controllers").exists():
                self._v2(name, pids, cpus)
            else:
                self._v1(name, pids, cpus)
            # Making a group is not joining it (cgroup v2's delegation
            # rules): a process that cannot join must not become a
            # kernel that never starts.
            probe = subprocess.run(
                self.join_command(["/bin/true"], sys.executable),
                capture_output=True, text=True, check=False)
            if probe.returncode != 0:
                raise OSError(probe.stderr.strip()[-200:] or "cannot join")
        except (OSError, TypeError) as error:
            self.reason = f"{type(error).__name__}: {error}"
            self.remove()

    @property
    def active(self):
        """True if the limits apply to the whole sandbox."""
        return bool(self.procs)

    def _make(self, folder):
        folder.mkdir()
        self.folders.append(folder)
        return folder

    def _v2(self, name, pids, cpus):
        folder = self._make(ROOT / _own("") / name)
        (folder / "pids.max").write_text(str(pids))
        period = 100_000
        (folder / "cpu.max").write_text(f"{int(cpus * period)} {period}")
        self.procs = [folder / "cgroup.procs"]

    def _v1(self, name, pids, cpus):
        pid_folder = self._make(ROOT / "pids" / _own("pids") / name)
        (pid_folder / "pids.max").write_text(str(pids))
        cpu_folder = self._make(ROOT / "cpu" / _own("cpu") / name)
        period = int((cpu_folder / "cpu.cfs_period_us").read_text())
        (cpu_folder / "cpu.cfs_quota_us").write_text(str(int(cpus * period)))
        self.procs = [pid_folder / "cgroup.procs",
                      cpu_folder / "cgroup.procs"]

    def join_command(self, argv, python):
        """``argv`` started from inside the group(s)."""
        if not self.active:
            return list(argv)
        return [python, "-c", JOIN, *map(str, self.procs), "--", *argv]

    def remove(self):
        """Kill what is left in the group(s) and delete them."""
        for folder in reversed(self.folders):
            with contextlib.suppress(OSError):
                for pid in (folder / "cgroup.procs").read_text().split():
                    with contextlib.suppress(OSError):
                        os.kill(int(pid), 9)
            for _ in range(50):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)
        self.folders, self.procs = [], []


def available():
    """(True, "") if a sandbox's group can be made here, else (False, why)."""
    group = Group(pids=16, cpus=1.0)
    try:
        return group.active, group.reason or ""
    finally:
        group.remove()

