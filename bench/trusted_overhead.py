"""What trusted grading costs: autograde seconds per correct notebook,
nbgrader's own Execute vs the trusted step, side by side in one run.

    .venv/bin/python bench/trusted_overhead.py [--repeats 3]

In a scratch copy of the course, each chapter's correct sample (both
languages) is graded ``--repeats`` times by each of:

* **plain**: nbgrader's default sanitising and ``Execute`` (the test
  cells run in the student's unsandboxed kernel; what the course did
  before trusted grading), from a config that loads the course's one and
  puts nbgrader's defaults back;
* **trusted**: the course's configuration (``NormaliseSubmission``,
  ``TrustedExecute``: a sandboxed kernel, test cells in the grader).

The two alternate, so that a busy machine slows both alike. Prints a
Markdown table: median seconds of each, and their ratio.
"""

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from scratch import scratch_course

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
NBGRADER = str(VENV / "bin" / "nbgrader")

#: Loads the course's configuration, then restores nbgrader's defaults.
PLAIN_CONFIG = '''\
c = get_config()  # noqa: F821
load_subconfig({config!r})  # noqa: F821
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.Autograde.autograde_preprocessors = [
    "nbgrader.preprocessors.Execute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
'''


def grade(cwd, assignment, student):
    """Seconds of one ``nbgrader autograde`` run (it must succeed)."""
    start = time.perf_counter()
    result = subprocess.run(
        [NBGRADER, "autograde", assignment, f"--student={student}",
         "--create", "--force"],
        cwd=cwd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{student}/{assignment} failed:\n{result.stderr[-3000:]}")
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    course = scratch_course("bench-trusted-", exercises=True)
    autograder = course / "autograder"
    plain = course / "plain"
    plain.mkdir()
    (plain / "nbgrader_config.py").write_text(PLAIN_CONFIG.format(
        config=str(autograder / "nbgrader_config.py")))
    make = ["make", "-C", str(course), f"VENV={VENV}"]
    subprocess.run([*make, "release", "samples"], check=True,
                   capture_output=True)
    rows = []
    for student in ("correct", "correcto"):
        for folder in sorted((autograder / "submitted" / student).iterdir()):
            times = {"plain": [], "trusted": []}
            for _ in range(args.repeats):
                times["plain"].append(grade(plain, folder.name, student))
                times["trusted"].append(grade(autograder, folder.name,
                                              student))
            rows.append((folder.name, statistics.median(times["plain"]),
                         statistics.median(times["trusted"])))
    shutil.rmtree(course)
    print(f"Command: `{' '.join(sys.argv)}`, "
          f"{time.strftime('%Y-%m-%d')}, median of {args.repeats} runs.\n")
    print("| correct notebook | plain nbgrader (s) | trusted (s) | ratio |")
    print("| --- | ---: | ---: | ---: |")
    for name, before, after in rows:
        print(f"| {name} | {before:.1f} | {after:.1f} "
              f"| {after / before:.2f} |")
    total_before = sum(r[1] for r in rows)
    total_after = sum(r[2] for r in rows)
    print(f"| all | {total_before:.1f} | {total_after:.1f} | "
          f"{total_after / total_before:.2f} |")


if __name__ == "__main__":
    main()
