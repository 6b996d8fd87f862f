"""Trusted grading: no code of a submission runs where scores are decided.

nbgrader scores a test cell when the student's kernel reports no error,
and that kernel is the student's to subvert. Here, instead:

1. :mod:`normalise` rebuilds the submission's metadata from the release
   (tags, duplicates and foreign schema versions cannot change anything);
2. :mod:`execute` runs the student's cells in a sandboxed kernel
   (:mod:`sandbox`: bubblewrap, read-only system, no view of the course,
   no network, own PID namespace, memory and time caps; :mod:`session`)
   and every test cell in the grader's own process, with its code from
   the gradebook and a :mod:`proxy` in place of each graded function;
3. only plain data crosses between the two (:mod:`wire`; the kernel's
   side is :mod:`worker`), and what the kernel prints is reduced to safe,
   capped outputs (:mod:`outputs`).

``autograder/nbgrader_config.py`` puts :class:`NormaliseSubmission` and
:class:`TrustedExecute` in ``nbgrader autograde``; ``autograder/grade.py``
grades each (student, assignment) in a process of its own.
"""

from .execute import TrustedExecute
from .normalise import NormaliseSubmission

__all__ = ["NormaliseSubmission", "TrustedExecute"]
