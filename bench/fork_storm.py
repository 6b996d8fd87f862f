"""An honest student graded beside a fork storm: wall and CPU time.

    .venv/bin/python bench/fork_storm.py [--repeats 2] [--write]

In a scratch copy of the course, the ``correct`` sample of chapter 1 is
graded by ``nbgrader autograde`` with the course's configuration
(trusted grading, its kernel sandboxed) in three settings, which
alternate so that a busy machine slows all three alike:

* **quiet**: nothing else runs;
* **storm**: beside a second sandbox, made with the course's limits,
  whose cell starts 32 processes that spin for ever (the
  ``hostile-fork-storm`` sample's cell); its control group caps it at
  ``sandbox.CPUS`` cores;
* **storm, no group**: the same storm in a sandbox without a control
  group (the fallback where none can be made: limits per process only).

Prints a Markdown table of the medians (wall seconds, and CPU seconds of
the grading process and everything it waited for) and each one's ratio
to quiet; the goal is a ratio of at most 1.5 for **storm**. ``--write``
replaces the section in bench/RESULTS.md.
"""

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import results_md
from scratch import scratch_course

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "autograder"))
sys.path.insert(0, str(ROOT / "autograder" / "samples"))
import hostile  # noqa: E402
from class_grading.driver import register  # noqa: E402
from trusted_grading import cgroups, sandbox, session  # noqa: E402

HEADING = "## Trusted grading: an honest student beside a fork storm"
ASSIGNMENT = "01-embeddings-activations-en"
SETTINGS = ("quiet", "storm", "storm, no group")


class NoGroup:
    """A sandbox without control group, as where none can be made."""

    active = False
    reason = "disabled for the benchmark"
    folders = procs = ()

    def __init__(self, pids, cpus):
        pass

    def join_command(self, argv, python):
        return list(argv)

    def remove(self):
        pass


def storm(grouped):
    """An open sandbox whose 32 processes spin; close it to stop them."""
    session.cgroups.Group = cgroups.Group if grouped else NoGroup
    kernel = session.KernelSession(
        None, lang="en", timeout=60, total_timeout=3600,
        memory_limit=2 * 2**30, max_transfer=2**20)
    kernel.__enter__()
    kernel.run_cell(nbformat.v4.new_code_cell(hostile.FORK_STORM))
    time.sleep(2)  # the storm is up
    return kernel


def grade(autograder):
    """(wall seconds, CPU seconds) of one autograde of the sample."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT,
         "--student=correct", "--create", "--force"],
        cwd=autograder, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        sys.exit(f"grading failed:\n{result.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime
           + after.ru_stime - before.ru_stime)
    return wall, cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--write", action="store_true",
                        help="replace the section of bench/RESULTS.md")
    args = parser.parse_args()
    course = scratch_course("bench-storm-", exercises=True)
    autograder = course / "autograder"
    sample = autograder / "samples" / "correct" / ASSIGNMENT
    shutil.copytree(sample, autograder / "submitted" / "correct" /
                    ASSIGNMENT)
    grouped, reason = cgroups.available()
    load = [os.getloadavg()[1]]
    times = {setting: [] for setting in SETTINGS}
    try:
        if not register(autograder, ASSIGNMENT, []):
            sys.exit("the assignment could not be registered")
        grade(autograder)  # warm-up: caches
        for _ in range(args.repeats):
            for setting in SETTINGS:
                noise = None
                if setting != "quiet":
                    noise = storm(setting == "storm")
                try:
                    times[setting].append(grade(autograder))
                finally:
                    if noise is not None:
                        noise.close()
    finally:
        shutil.rmtree(course, ignore_errors=True)
    load.append(os.getloadavg()[1])
    quiet = [statistics.median(t[i] for t in times["quiet"])
             for i in (0, 1)]
    lines = [
        HEADING, "",
        f"Command: `.venv/bin/python bench/fork_storm.py --repeats "
        f"{args.repeats}`, {time.strftime('%Y-%m-%d')}; median of "
        f"{args.repeats} runs. The honest student is chapter 1's correct "
        "sample; the storm is a second sandbox whose cell starts 32 "
        "spinning processes. Control groups on this machine: "
        + ("yes" if grouped else f"no ({reason})")
        + f"; a sandbox's cap: {sandbox.CPUS:g} core(s), "
        f"{sandbox.PIDS_MAX} processes; the machine's load average (5 "
        f"min) was {load[0]:.0f} at the start and {load[1]:.0f} at the "
        f"end, on {os.cpu_count()} cores: with a load far above the "
        "cores, every setting waits for the same other jobs and the "
        "ratios say little. Goal: storm / quiet ≤ 1.5.", "",
        "| setting | wall (s) | CPU (s) | wall / quiet | CPU / quiet |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for setting in SETTINGS:
        wall, cpu = (statistics.median(t[i] for t in times[setting])
                     for i in (0, 1))
        lines.append(f"| {setting} | {wall:.1f} | {cpu:.1f} | "
                     f"{wall / quiet[0]:.2f} | {cpu / quiet[1]:.2f} |")
    section = "\n".join(lines) + "\n"
    print(section)
    if args.write:
        results_md.write_section(section)


if __name__ == "__main__":
    main()
