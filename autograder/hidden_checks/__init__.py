"""Hidden checks of the graded notebooks, one module per chapter.

A hidden test cell of a notebook holds one call, e.g.::

    from hidden_checks.ch01 import check_softmax
    check_softmax(softmax, lang="es")

Every ``check_<function>(student_fn, lang="en")`` returns ``None`` when
the student's function is right and raises :class:`AssertionError` with a
message in the notebook's language (``"en"`` or ``"es"``) otherwise. The
checks compare against independent oracles (Keras layers with the
student's weights, ``tf.GradientTape``, centred differences in float64),
never against a copy of the solution.

This folder is on the kernels' ``PYTHONPATH`` (see
``autograder/nbgrader_config.py``) and never reaches the students.

nbgrader gives 0 points to a test cell that writes anything to stderr.
TensorFlow's C++ runtime logs to file descriptor 2 while it loads (the
oneDNN notice, before ``TF_CPP_MIN_LOG_LEVEL`` is honoured), so this
package imports TensorFlow and Keras once, with that descriptor pointed
at ``/dev/null``; the checks also silence Python warnings while they run.
"""

import os

# An explicit setting in the environment wins over these defaults.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# The oracles need the TensorFlow backend of Keras (GradientTape).
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# One TensorFlow thread, read when TensorFlow starts: the accuracy checks
# (hidden_checks.accuracy) train models and must give the same numbers
# on every run, and graders run side by side on shared cores.
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")


def _import_tensorflow_quietly():
    """Import tensorflow and keras with file descriptor 2 silenced."""
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all: nothing to silence
        saved = None
    if saved is not None:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    try:
        import keras  # noqa: F401
        import tensorflow  # noqa: F401
    finally:
        if saved is not None:
            os.dup2(saved, 2)
            os.close(saved)


_import_tensorflow_quietly()
