"""Time the course's pipeline on this machine; print a Markdown table.

    .venv/bin/python bench/timings.py [--skip-test]

Measures, in one run (so the numbers are comparable with each other):
cold `make book` (no _build/), cached `make book` (nothing changed),
`make test`, and `nbgrader autograde` seconds per sample submission in a
scratch copy of the course. Paste the output into bench/RESULTS.md.
"""

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from scratch import scratch_course

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"


def timed(args, cwd=ROOT):
    start = time.perf_counter()
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    return seconds, result.returncode


def autograde_each(rows):
    course = scratch_course()
    make = ["make", "-C", str(course), f"VENV={VENV}"]
    subprocess.run([*make, "release"], check=True, capture_output=True)
    subprocess.run([*make, "samples"], check=True, capture_output=True)
    nbgrader = str(VENV / "bin" / "nbgrader")
    env_path = f"{VENV / 'bin'}{os.pathsep}{os.environ['PATH']}"
    os.environ["PATH"] = env_path
    for student in sorted((course / "autograder" / "submitted").iterdir()):
        for assignment in sorted(student.iterdir()):
            seconds, code = timed(
                [nbgrader, "autograde", assignment.name, "--create",
                 "--force", f"--student={student.name}"],
                cwd=course / "autograder",
            )
            rows.append((
                f"autograde `{student.name}` ({assignment.name})",
                seconds, code,
            ))
    shutil.rmtree(course)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-test", action="store_true",
                        help="do not time `make test`")
    args = parser.parse_args()
    rows = []
    shutil.rmtree(ROOT / "_build", ignore_errors=True)
    rows.append(("`make book`, cold (no _build/)", *timed(["make", "book"])))
    rows.append(("`make book`, cached", *timed(["make", "book"])))
    if not args.skip_test:
        rows.append(("`make test` (book cached)", *timed(["make", "test"])))
    autograde_each(rows)
    print(f"Measured with `{' '.join(sys.argv)}` on "
          f"{os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}.\n")
    print("| what | seconds | exit |\n| --- | ---: | ---: |")
    for what, seconds, code in rows:
        print(f"| {what} | {seconds:.1f} | {code} |")


if __name__ == "__main__":
    main()
