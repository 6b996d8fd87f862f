"""Grade every submission: in parallel by default, or one at a time.

Run from ``autograder/`` (``make autograde`` does)::

    python grade.py [--workers N | --scheduler tcp://host:8786]
                    [--force] [--sequential] [--unsafe]
                    [ASSIGNMENT ...] [--Class.trait=value ...]

The unit of work is one submission (one student, one assignment): the
trusted grading step (``trusted_grading``) inside ``nbgrader autograde``
run in a process of its own, so that a crash, a hang or a kill ends that
process only.

* **Parallel** (default, :mod:`class_grading`): one Dask task per
  submission, on a ``LocalCluster`` of ``--workers`` processes (default:
  the cores) or on an existing scheduler (``--scheduler``). Each task
  grades a copy of the submission in a private copy of the course and
  returns the graded notebook and its grade rows; this process is the
  only writer of the gradebook. Only submissions whose content changed
  since they were graded are graded again, unless ``--force``.
* **Sequential** (``--sequential``): ``nbgrader autograde <assignment>
  --student=<student>`` in the course itself, one after another: the
  reference the tests compare the parallel grades with.

In both, the folders under ``submitted/`` are first held to the rules of
:mod:`class_grading.submissions` (the student id's pattern, no symbolic
links, the size cap); a folder that breaks one is refused by name, in
both languages, and nothing of it is read.

In both, the gradebook is first brought up to date with each
assignment's source (default: every folder of ``solutions/``), so
grading works on a fresh clone without ``make release``. A submission
that could not be graded is named in the summary, and the exit status
is 1 once every other one has been graded. The gradebook is the one
``nbgrader_config.py`` names: ``DB_URL`` if set (e.g.
``postgresql+psycopg://user@host/db``), else ``gradebook.db`` here.

Grading refuses to start when the sandbox is not available, with the
reason and how to allow it; ``--unsafe`` grades without sandbox, for a
class whose code you trust.
"""

import argparse
import os
import subprocess
import sys
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
    """(todo, refused): the submissions of ``names`` that may be graded,
    and those refused with the reason (:mod:`class_grading.submissions`).
    """
    from class_grading.submissions import find

    return find(HERE / "submitted", names)


def course_config():
    """The configuration of nbgrader_config.py (DB_URL applied)."""
    from traitlets.config import PyFileConfigLoader

    loader = PyFileConfigLoader("nbgrader_config.py", path=str(HERE))
    return loader.load_config()


def grade(student, assignment, flags, limit):
    """Autograde one submission in its own process; None or the reason."""
    # --student=ID: an id is never read as an option of its own.
    command = [*NBGRADER, "autograde", assignment, f"--student={student}",
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


def sequential(names, flags, limit):
    """Grade one submission after another in this course; the failures."""
    from class_grading.driver import register

    failed, graded = [], 0
    started = time.monotonic()
    for assignment in names:
        if not register(HERE, assignment, flags):
            failed.append((assignment, "-", "its source could not be read"))
    todo, refused = submissions(names)
    failed += refused
    for student, assignment, reason in refused:
        print(f"  NOT GRADED: {student}/{assignment}: {reason}", flush=True)
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
    return failed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignments", nargs="*",
                        help="assignments to grade (default: all)")
    parser.add_argument("--workers", type=int, default=0,
                        help="local worker processes (default: the cores)")
    parser.add_argument("--scheduler", default="",
                        help="address of an existing Dask scheduler")
    parser.add_argument("--force", action="store_true",
                        help="regrade submissions that did not change")
    parser.add_argument("--sequential", action="store_true",
                        help="one submission after another, no Dask")
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
    config = course_config()
    limit = int(config.TrustedExecute.get("total_timeout", 900)) + SLACK
    if args.sequential:
        failed = sequential(names, flags, limit)
    else:
        from class_grading.driver import grade_class

        todo, refused = submissions(names)
        failed = grade_class(
            todo, refused=refused, here=HERE, assignments=names,
            db_url=config.CourseDirectory.db_url, flags=flags,
            limit=limit, workers=args.workers or os.cpu_count() or 1,
            scheduler=args.scheduler or None, force=args.force)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
