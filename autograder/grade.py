"""Grade every submission, each in a process of its own.

Run from ``autograder/`` (``make autograde`` does)::

    python grade.py [--unsafe] [ASSIGNMENT ...] [--Class.trait=value ...]

For each assignment (default: every folder of ``solutions/``) the
gradebook is first brought up to date with the assignment's source, so
grading works on a fresh clone without ``make release``. Then every
``submitted/<student>/<assignment>/`` is graded by its own ``nbgrader
autograde <assignment> --student <student>``: the trusted grading step
(``trusted_grading``) runs inside it, and a crash, a hang or a kill ends
that process only. A submission that could not be graded is named in the
summary, and the exit status is 1 once every other one has been graded.

Grading refuses to start when the sandbox is not available, with the
reason and how to allow it; ``--unsafe`` grades without sandbox, for a
class whose code you trust.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
NBGRADER = [sys.executable, "-m", "nbgrader"]
#: Seconds a submission may take beyond its own total limit before its
#: process is killed (starting Python, TensorFlow, the gradebook).
SLACK = 180


def assignments():
    """Every assignment: the folders of solutions/."""
    return sorted(p.name for p in (ROOT / "solutions").iterdir()
                  if p.is_dir() and p.name[:1].isdigit())


def submissions(names):
    """(student, assignment) of every submission of ``names``."""
    found = []
    submitted = HERE / "submitted"
    if not submitted.is_dir():
        return found
    for student in sorted(p for p in submitted.iterdir() if p.is_dir()):
        for assignment in names:
            if (student / assignment).is_dir():
                found.append((student.name, assignment))
    return found


def register(assignment, flags):
    """Store the assignment's source in the gradebook (not in exercises/).

    ``generate_assignment`` records the cells (and so the test cells'
    code) in the gradebook; its release goes to a throwaway folder, so
    ``exercises/`` is not touched.
    """
    with tempfile.TemporaryDirectory() as release:
        result = subprocess.run(
            [*NBGRADER, "generate_assignment", assignment, "--force",
             f"--CourseDirectory.release_directory={release}", *flags],
            cwd=HERE, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
    return result.returncode == 0


def total_timeout():
    """The per-submission limit set in nbgrader_config.py."""
    from traitlets.config import PyFileConfigLoader

    loader = PyFileConfigLoader("nbgrader_config.py", path=str(HERE))
    config = loader.load_config()
    return int(config.TrustedExecute.get("total_timeout", 900))


def grade(student, assignment, flags, limit):
    """Autograde one submission in its own process; None or the reason."""
    command = [*NBGRADER, "autograde", assignment, "--student", student,
               "--create", "--force", *flags]
    try:
        result = subprocess.run(command, cwd=HERE, capture_output=True,
                                text=True, check=False, timeout=limit)
    except subprocess.TimeoutExpired:
        return f"took longer than {limit} s and was stopped"
    output = result.stdout + result.stderr
    sys.stderr.write(output)
    if result.returncode != 0:
        return f"nbgrader exited {result.returncode}"
    if "There was an error processing" in output:
        return "nbgrader could not grade it (see above)"
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignments", nargs="*",
                        help="assignments to grade (default: all)")
    parser.add_argument("--unsafe", action="store_true",
                        help="grade without sandbox (a trusted class only)")
    # Any other --option (e.g. --TrustedExecute.timeout=40) is nbgrader's.
    args, flags = parser.parse_known_args(argv)
    os.chdir(HERE)
    sys.path.insert(0, str(HERE))
    if args.unsafe:
        flags.append("--TrustedExecute.unsafe=True")
    else:
        from trusted_grading.sandbox import SandboxUnavailable, check_available

        try:
            check_available()
        except SandboxUnavailable as error:
            sys.exit(f"Grading refused: {error}")
    names = args.assignments or assignments()
    limit = total_timeout() + SLACK
    failed, graded = [], 0
    started = time.monotonic()
    for assignment in names:
        if not register(assignment, flags):
            failed.append((assignment, "-", "its source could not be read"))
    todo = submissions(names)
    for number, (student, assignment) in enumerate(todo, 1):
        print(f"[{number}/{len(todo)}] {student}/{assignment}", flush=True)
        reason = grade(student, assignment, flags, limit)
        if reason is None:
            graded += 1
        else:
            failed.append((student, assignment, reason))
            print(f"  NOT GRADED: {student}/{assignment}: {reason}",
                  flush=True)
    seconds = time.monotonic() - started
    print(f"graded {graded} of {len(todo)} submissions in {seconds:.0f} s")
    for student, assignment, reason in failed:
        print(f"  not graded: {student}/{assignment}: {reason}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
