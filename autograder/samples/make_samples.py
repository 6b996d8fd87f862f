"""Write the sample submissions of chapter 1 from its notebooks.

Each sample is what a student could hand in: the released notebook with
answer cells filled in (or broken on purpose). ``make autograde`` must
grade all of them without one stopping the run; tests/test_autograde.py
asserts each one's exact score.

Run after changing chapter 1's notebooks::

    .venv/bin/python autograder/samples/make_samples.py
"""

import json
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SLUG = "01-embeddings-activations"
NOTEBOOK = f"{SLUG}.ipynb"
SOLUTION = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.M)

# Wrong answers a student could write (the hidden checks must catch them).
SOFTMAX_NO_MAX = '''def softmax(z):
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)
'''
EMBEDDING_BACKWARD_OVERWRITES = '''def embedding_backward(dout, cache):
    ids, V = cache
    dE = np.zeros((V, dout.shape[-1]))
    dE[ids] += dout
    return dE
'''


def load(lang, tree):
    path = ROOT / tree / f"{SLUG}-{lang}" / NOTEBOOK
    return json.loads(path.read_text("utf-8"))


def source(cell):
    return "".join(cell["source"])


def grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def filled(lang):
    """The released notebook with every answer cell solved."""
    release, solution = load(lang, "exercises"), load(lang, "solutions")
    answers = {
        grade_id(c): SOLUTION.sub("", source(c)) for c in solution["cells"]
    }
    for cell in release["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution"):
            cell["source"] = answers[meta["grade_id"]]
    return release


def replace(notebook, cell_id, new_source):
    for cell in notebook["cells"]:
        if grade_id(cell) == cell_id:
            cell["source"] = new_source
            return notebook
    raise KeyError(cell_id)


def prepend(notebook, cell_id, line):
    for cell in notebook["cells"]:
        if grade_id(cell) == cell_id:
            cell["source"] = line + source(cell)
            return notebook
    raise KeyError(cell_id)


def samples():
    """{student: (language, notebook dict or raw text)}."""
    partly = filled("en")
    replace(partly, "softmax", SOFTMAX_NO_MAX)
    replace(partly, "embedding_backward", EMBEDDING_BACKWARD_OVERWRITES)

    deleted = filled("en")
    deleted["cells"] = [
        c for c in deleted["cells"] if grade_id(c) != "test_softmax"
    ]

    edited = filled("en")
    replace(edited, "softmax", SOFTMAX_NO_MAX)
    replace(edited, "test_softmax", "# I trust my softmax.\nassert True\n")

    broken = json.dumps(filled("en"), indent=1)
    return {
        "correct": ("en", filled("en")),
        "correcto": ("es", filled("es")),
        "partly-wrong": ("en", partly),
        "raises": ("en", prepend(
            filled("en"), "dense_forward",
            "import a_module_that_does_not_exist\n",
        )),
        "infinite-loop": ("en", prepend(
            filled("en"), "cosine_neighbours", "while True:\n    pass\n",
        )),
        "deleted-test-cell": ("en", deleted),
        "edited-test-cell": ("en", edited),
        "broken-json": ("en", broken[: len(broken) // 2]),
    }


def main():
    for student, (lang, notebook) in samples().items():
        folder = HERE / student / f"{SLUG}-{lang}"
        folder.mkdir(parents=True, exist_ok=True)
        text = notebook if isinstance(notebook, str) else (
            json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
        )
        (folder / NOTEBOOK).write_text(text, "utf-8")
        print(f"wrote {folder / NOTEBOOK}")


if __name__ == "__main__":
    main()
