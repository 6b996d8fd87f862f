"""Notebooks graded per hour: sequential vs parallel, side by side.

    .venv/bin/python bench/class_grading.py [--students 4] [--timeout 20]

In a scratch copy of the course, ``--students`` students each hand in
the correct sample of every released assignment (their copies differ by
one byte, so none is graded from a cache). The same submissions are then
graded, in one run, by:

* ``sequential``: ``make autograde SEQUENTIAL=1`` (nbgrader's autograde,
  one submission after another: grading each notebook alone);
* ``parallel, 1 worker``: ``make autograde WORKERS=1 FORCE=1`` (the
  driver, its Dask cluster and ship mode, with no parallelism: what the
  driver costs per task over grading the notebook alone);
* ``parallel, 2 workers``: ``make autograde WORKERS=2 FORCE=1``.

Every run must give every notebook full marks. Prints a Markdown table
(seconds, notebooks per hour, speed-up) and a projection for 300
students x 6 chapters on 1, 4 and 16 machines of this size, from the
measured rate (chapters 1-3).
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"


def scratch_course(students):
    copy = Path(tempfile.mkdtemp(prefix="bench-class-"))
    for name in ("Makefile", "requirements.txt", "requirements.lock",
                 "pyproject.toml"):
        shutil.copy2(ROOT / name, copy / name)
    for name in ("solutions", "exercises"):
        shutil.copytree(ROOT / name, copy / name)
    shutil.copytree(
        ROOT / "autograder", copy / "autograder",
        ignore=shutil.ignore_patterns(
            "submitted", "autograded", "feedback", "gradebook.db",
            "grades.csv", "__pycache__",
        ),
    )
    samples = ROOT / "autograder" / "samples"
    count = 0
    for number in range(students):
        for source in [*sorted((samples / "correct").iterdir()),
                       *sorted((samples / "correcto").iterdir())]:
            target = (copy / "autograder" / "submitted"
                      / f"student{number:03d}" / source.name)
            target.mkdir(parents=True)
            for path in source.iterdir():
                data = path.read_bytes()
                if path.suffix == ".ipynb":
                    data += b"\n" * (number + 1)
                (target / path.name).write_bytes(data)
            count += 1
    return copy, count


def run(course, timeout, *variables):
    """Seconds of one ``make autograde`` (it must grade everything)."""
    command = ["make", "-C", str(course), "autograde", f"VENV={VENV}",
               f"NBGRADER_FLAGS=--TrustedExecute.timeout={timeout}",
               *variables]
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True,
                            check=False)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{variables} failed:\n{result.stdout[-3000:]}"
                 f"{result.stderr[-3000:]}")
    return seconds


def full_marks(course):
    """True if every submission of the gradebook has full marks."""
    sys.path.insert(0, str(course / "autograder"))
    from nbgrader.api import Gradebook

    url = f"sqlite:///{course / 'autograder' / 'gradebook.db'}"
    with Gradebook(url) as gb:
        for assignment in gb.assignments:
            for submission in assignment.submissions:
                if submission.score != submission.max_score:
                    return False
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=4)
    parser.add_argument("--timeout", type=int, default=20)
    args = parser.parse_args()
    course, count = scratch_course(args.students)
    rows = []
    for label, variables in (
            ("sequential", ("SEQUENTIAL=1",)),
            ("parallel, 1 worker", ("WORKERS=1", "FORCE=1")),
            ("parallel, 2 workers", ("WORKERS=2", "FORCE=1"))):
        seconds = run(course, args.timeout, *variables)
        if not full_marks(course):
            sys.exit(f"{label}: not every notebook got full marks")
        rows.append((label, seconds))
    shutil.rmtree(course)
    base = rows[0][1]
    print(f"Command: `{' '.join(sys.argv)}`, {time.strftime('%Y-%m-%d')}"
          f": {count} notebooks ({args.students} students x "
          f"{count // args.students} assignments), every one full marks "
          "in every run.\n")
    print("| grading | seconds | notebooks per hour | speed-up |")
    print("| --- | ---: | ---: | ---: |")
    for label, seconds in rows:
        print(f"| {label} | {seconds:.0f} | {3600 * count / seconds:.0f} "
              f"| {base / seconds:.2f} |")
    alone = base / count
    overhead = rows[1][1] / count - alone
    print(f"\nPer notebook: {alone:.1f} s alone (sequential), "
          f"{rows[1][1] / count:.1f} s through the driver with one "
          f"worker: {overhead:+.1f} s per task "
          f"({100 * overhead / alone:+.0f} %), bundle, cluster start and "
          "registration included.\n")
    rate = 3600 * count / rows[2][1]
    print("Projection, 300 students x 6 chapters = 1,800 notebooks at the "
          f"measured {rate:.0f} notebooks per hour per machine:\n")
    print("| machines (2 cores) | hours |")
    print("| ---: | ---: |")
    for machines in (1, 4, 16):
        print(f"| {machines} | {1800 / (rate * machines):.1f} |")


if __name__ == "__main__":
    main()
