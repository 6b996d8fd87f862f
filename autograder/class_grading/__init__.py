"""Grading a whole class: one task per (student, assignment), in parallel.

The unit of work is the one of trusted grading (normalise a submission,
run it sandboxed, decide its scores outside its process), done by
``nbgrader autograde`` in a private copy of the course on a worker. The
driver is the only writer of the gradebook:

* :mod:`bundle` packs what a worker needs (configuration, trusted
  grading, hidden checks, released notebooks, a gradebook holding only
  the assignments) into one archive, cached by its hash on each worker;
* :mod:`task` grades one submission from its bytes and returns the
  graded files and that submission's grade rows (it runs on a worker);
* :mod:`gradebook` writes those rows, creates the students before any
  task starts, and remembers which content was graded;
* :mod:`progress` shows counts, rate and ETA, and names failures;
* :mod:`driver` sends the tasks to a Dask cluster (a ``LocalCluster`` on
  this machine by default, or an existing scheduler), retries a task
  whose worker died once, and sums up.

``autograder/grade.py`` is the command line (``make autograde``).
"""
