"""What training a model in its own sandbox costs, beside training it here.

    .venv/bin/python bench/model_path.py [--repeats 2]

The accuracy checks of chapters 5 and 6 train the student's model from
its validated description in a sandboxed process of its own
(``trusted_grading.training``). This script trains each chapter's
reference both ways in one run, on the check's own data, budget and
seed:

* **sandboxed**: ``training.train`` (bubblewrap, a new Python that
  imports TensorFlow, the data read from ``.npy`` files), the trainer's
  whole CPU seconds as it reports them (a process in its own PID
  namespace is not counted in this one's child times);
* **in process**: the same trainer (``trainer.run``) called in this
  process, which has TensorFlow imported already, CPU seconds of this
  process;

and checks that both give the same outputs. It prints a Markdown table
(CPU seconds of each way, their ratio, the difference) and, with
``--write``, puts it in bench/RESULTS.md ("Models cross as descriptions:
the cost of the sandboxed training").
"""

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "autograder"), str(ROOT / "bench")]

import numpy as np  # noqa: E402
import results_md  # noqa: E402
from hidden_checks import accuracy, ch05_model, ch06_model  # noqa: E402
from trusted_grading import trainer, training  # noqa: E402

SECTION = "Models cross as descriptions: the cost of the sandboxed training"


def own_cpu():
    times = os.times()
    return times.user + times.system


def reference_jobs():
    """(chapter, spec, data, budget, weights, max_parameters) of both."""
    bench5 = _load("ch05_accuracy_check")
    bench6 = _load("ch06_accuracy_check")
    model5 = bench5.MODELS["reference"][1](ch05_model.NUM_WORDS)
    spec5 = accuracy.model_spec(model5, name="reference", lang="en")
    data5 = accuracy.bag_of_words_data(ch05_model.NUM_WORDS,
                                       ch05_model.TRAIN,
                                       ch05_model.VALIDATION)
    hidden = ch06_model.data()
    model6 = bench6.MODELS["reference"][1](hidden.matrix,
                                           ch06_model.SEQUENCE_LENGTH)
    path = ch06_model.MATRIX_PATH
    spec6 = accuracy.model_spec(model6, name="reference", lang="en",
                                arguments=[(path, hidden.matrix)])
    return [
        ("5", spec5, data5, ch05_model.BUDGET, {},
         ch05_model.MAX_PARAMETERS),
        ("6", spec6, hidden, ch06_model.BUDGET, {path: hidden.matrix},
         ch06_model.MAX_PARAMETERS),
    ]


def _load(name):
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        name, ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def in_process(spec, data, budget, weights, max_parameters):
    """``trainer.run`` in this process, on the same job files."""
    with tempfile.TemporaryDirectory() as root:
        job, out = Path(root, "job"), Path(root, "out")
        job.mkdir()
        out.mkdir()
        paths = [list(p) for p in spec["weights"].values()
                 if tuple(p) in weights]
        for i, p in enumerate(paths):
            np.save(job / f"weight-{i}.npy", weights[tuple(p)])
        names = ("x_train", "y_train", "x_eval")
        (job / "job.json").write_text(json.dumps({
            "spec": spec, "epochs": budget.epochs,
            "batch_size": budget.batch_size, "seed": 0,
            "max_seconds": 1e9, "max_parameters": max_parameters,
            "weights": paths,
            "data": {n: str(training._DATA.path(a))
                     for n, a in zip(names, (data[0], data[1], data[2]),
                                     strict=True)}}))
        start = own_cpu()
        trainer.run(str(job), str(out))
        seconds = own_cpu() - start
        return seconds, np.load(out / "p_eval.npy")


def sandboxed(spec, data, budget, weights, max_parameters):
    """``training.train``: the trainer's whole CPU time (its start and
    TensorFlow's import included), as it reports it, plus this
    process's own share (writing the job)."""
    start = own_cpu()
    outcome = training.train(
        spec, data[0], data[1], data[2], epochs=budget.epochs,
        batch_size=budget.batch_size, seed=0, max_seconds=1e9,
        max_parameters=max_parameters, weights=weights)
    return (own_cpu() - start + outcome.process_cpu_seconds,
            outcome.p_eval)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    rows = []
    for chapter, spec, data, budget, weights, cap in reference_jobs():
        for repeat in range(args.repeats):
            here, p_here = in_process(spec, data, budget, weights, cap)
            boxed, p_boxed = sandboxed(spec, data, budget, weights, cap)
            same = bool(np.array_equal(p_here, p_boxed))
            rows.append((chapter, repeat, here, boxed, same))
            print(chapter, repeat, f"{here:.1f}", f"{boxed:.1f}", same,
                  flush=True)
    lines = [
        f"## {SECTION}", "",
        "Command: `.venv/bin/python bench/model_path.py "
        f"--repeats {args.repeats} --write` (CPU seconds; the machine "
        "may have been shared).", "",
        "Each chapter's reference trained from its description, on the "
        "check's data, budget and seed 0: in this process (TensorFlow "
        "already imported) and in the trainer's sandbox (a new Python "
        "under bubblewrap). Same outputs = the two gave identical "
        "predictions.", "",
        "| chapter | run | in process (CPU s) | sandboxed (CPU s) | ratio "
        "| difference (CPU s) | same outputs |",
        "|---|---|---|---|---|---|---|",
    ]
    for chapter, repeat, here, boxed, same in rows:
        lines.append(f"| {chapter} | {repeat} | {here:.1f} | {boxed:.1f} "
                     f"| {boxed / here:.2f} | {boxed - here:+.1f} | "
                     f"{'yes' if same else 'NO'} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        results_md.write_section(text)
    return 0 if all(row[4] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
