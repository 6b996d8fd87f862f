"""Write the sample submissions from the course's notebooks.

Each sample is what a student could hand in: the released notebook with
answer cells filled in (or broken on purpose). Students ``correct`` and
``correcto`` hand in every chapter solved, in English and in Spanish;
the others break chapter 1 in one way each (``partly-wrong`` breaks
chapter 7 too). ``make autograde`` must grade
all of them without one stopping the run; tests/test_autograde.py asserts
each one's exact score.

Run after changing a notebook::

    .venv/bin/python autograder/samples/make_samples.py
"""

import json
import re
from pathlib import Path

import hostile
import hostile_models

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SLUG = "01-embeddings-activations"
NOTEBOOK = f"{SLUG}.ipynb"
#: Every released chapter, e.g. "02-rnn-forward".
CHAPTERS = sorted(
    p.name.removesuffix("-en") for p in (ROOT / "exercises").glob("*-en")
)
SOLUTION = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.M)
#: Folders refused before grading, each holding chapter 1 solved: ids
#: that break the rule of class_grading/submissions.py (an option, a
#: space, unicode, two ids that differ only by case), and a submission
#: that `make samples` pads over the size cap (a sparse file: git cannot
#: keep it). `make samples` also links hostile-symlink-thief's chapter 1
#: to correct's (a link does not survive the copies).
REFUSED_IDS = ("-x", "--TrustedExecute.unsafe=True", "two words", "ñandú",
               "Twin", "twin")
OVERSIZED = "hostile-oversized"
LINKED = "hostile-symlink-thief"

# Wrong answers a student could write (the hidden checks must catch them).
SOFTMAX_NO_MAX = '''def softmax(z):
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)
'''
# Chapter 7: attention without the 1 / sqrt(H), and a greedy decoder
# that drops the end token.
ATTENTION_NO_SCALE = '''def dot_product_attention(query, keys, values, mask):
    scores = query @ keys.transpose(0, 2, 1)
    scores = np.where(mask[:, None, :], scores, -np.inf)
    top = scores.max(axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    e = np.exp(scores - top)
    total = e.sum(axis=-1, keepdims=True)
    weights = e / np.where(total > 0, total, 1.0)
    return weights @ values, weights, (query, keys, values, mask, weights)
'''
GREEDY_DROPS_END = '''def greedy_decode(step_fn, start_token, end_token, max_len):
    tokens = []
    token, state = start_token, None
    for _ in range(max_len):
        scores, state = step_fn(token, state)
        token = int(np.argmax(scores))
        if token == end_token:
            break
        tokens.append(token)
    return tokens
'''
ATTENTION = "07-seq2seq-attention"
EMBEDDING_BACKWARD_OVERWRITES = '''def embedding_backward(dout, cache):
    ids, V = cache
    dE = np.zeros((V, dout.shape[-1]))
    dE[ids] += dout
    return dE
'''


def load(lang, tree, slug=SLUG):
    path = ROOT / tree / f"{slug}-{lang}" / f"{slug}.ipynb"
    return json.loads(path.read_text("utf-8"))


def source(cell):
    return "".join(cell["source"])


def grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def filled(lang, slug=SLUG):
    """The released notebook with every answer cell solved."""
    release = load(lang, "exercises", slug)
    solution = load(lang, "solutions", slug)
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
    """{(student, assignment): notebook dict, or raw text if broken}."""
    partly = filled("en")
    replace(partly, "softmax", SOFTMAX_NO_MAX)
    replace(partly, "embedding_backward", EMBEDDING_BACKWARD_OVERWRITES)
    partly_attention = filled("en", ATTENTION)
    replace(partly_attention, "dot_product_attention", ATTENTION_NO_SCALE)
    replace(partly_attention, "greedy_decode", GREEDY_DROPS_END)

    deleted = filled("en")
    deleted["cells"] = [
        c for c in deleted["cells"] if grade_id(c) != "test_softmax"
    ]

    edited = filled("en")
    replace(edited, "softmax", SOFTMAX_NO_MAX)
    replace(edited, "test_softmax", "# I trust my softmax.\nassert True\n")

    broken = json.dumps(filled("en"), indent=1)
    en, es = f"{SLUG}-en", f"{SLUG}-es"
    found = {
        ("partly-wrong", en): partly,
        ("partly-wrong", f"{ATTENTION}-en"): partly_attention,
        ("raises", en): prepend(
            filled("en"), "dense_forward",
            "import a_module_that_does_not_exist\n",
        ),
        ("infinite-loop", en): prepend(
            filled("en"), "cosine_neighbours", "while True:\n    pass\n",
        ),
        ("deleted-test-cell", en): deleted,
        ("edited-test-cell", en): edited,
        ("broken-json", en): broken[: len(broken) // 2],
    }
    found.update(hostile.samples(
        lambda: load("en", "exercises"), lambda: filled("en"), en))
    found.update(hostile_models.samples(filled, replace))
    for student in (*REFUSED_IDS, OVERSIZED):
        found[(student, en)] = filled("en")
    for slug in CHAPTERS:
        found[("correct", f"{slug}-en")] = filled("en", slug)
        found[("correcto", f"{slug}-es")] = filled("es", slug)
    return found


def main():
    for (student, assignment), notebook in samples().items():
        folder = HERE / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        text = notebook if isinstance(notebook, str) else (
            json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
        )
        path = folder / f"{assignment.rsplit('-', 1)[0]}.ipynb"
        path.write_text(text, "utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
