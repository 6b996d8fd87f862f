"""Measure the clipping experiment of chapter 3; print Markdown tables.

    .venv/bin/python bench/ch03_clipping.py [--seeds 10] [--perturbations 5]

Runs the training of ``check_train_step`` (the hidden check of
``train_step``, :func:`hidden_checks.ch03.training_run`: adding
problem, T = 10, H = 32, 1000 SGD steps of 64 sequences, learning rate
0.3) with the reference ``train_step`` of the English solution notebook,
for several seeds of the initial weights and batches, with clipping
(``max_norm = TRAIN_MAX_NORM``) and without. Then, for the seed of the
hidden check, it repeats the clipped run from initial weights perturbed
by 1e-13, as a correct ``train_step`` that rounds differently would: the
final loss must not depend on rounding.

Rule: ``CLIPPED_LOSS_THRESHOLD`` >= 1.5 x the worst held-out loss of the
clipped runs (and < 1/6, the loss of always answering the mean), and
every unclipped run must diverge (a training loss above
``DIVERGED_LOSS`` or not finite). The script says whether the constant
in ``autograder/hidden_checks/ch03.py`` satisfies it and exits 1 if
not. Paste the output into bench/RESULTS.md.
"""

import argparse
import datetime
import sys
import time
from pathlib import Path

import nbformat
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "autograder"))
sys.path.insert(0, str(ROOT / "tests"))

from hidden_checks import ch03  # noqa: E402
from notebook_code import notebook_functions, notebook_path  # noqa: E402

MARGIN = 1.5
PERTURBATION = 1e-13


def reference_train_step():
    """``train_step`` of the English solution notebook.

    ``notebook_functions`` runs the import and answer cells; the cell that
    gives chapter 2's forward functions (grade_id ``forward_given``) is
    run too, into the same namespace.
    """
    path = notebook_path("03-bptt", "en")
    namespace = notebook_functions(path)
    for cell in nbformat.read(path, as_version=4).cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade_id") == "forward_given":
            exec(compile(cell.source, str(path), "exec"), namespace)  # noqa: S102
    return namespace["train_step"]


def perturbed(train_step, seed):
    """``train_step`` whose first call sees slightly perturbed weights."""
    rng = np.random.default_rng(seed)
    first = [True]

    def step(params, x, y, learning_rate, max_norm):
        if first[0]:
            first[0] = False
            params = {
                k: v + PERTURBATION * rng.standard_normal(v.shape)
                for k, v in params.items()
            }
        return train_step(params, x, y, learning_rate, max_norm)

    return step


def timed_run(train_step, seed, max_norm):
    start = time.perf_counter()
    run = ch03.training_run(train_step, seed, max_norm)
    return run, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--perturbations", type=int, default=5)
    args = parser.parse_args()
    train_step = reference_train_step()

    print(
        f"Command: `.venv/bin/python bench/ch03_clipping.py --seeds "
        f"{args.seeds} --perturbations {args.perturbations}`, "
        f"{datetime.date.today()}.\n"
    )
    print(
        f"Adding problem, T = {ch03.TRAIN_LENGTH}, H = {ch03.TRAIN_HIDDEN}, "
        f"{ch03.TRAIN_STEPS} SGD steps of {ch03.TRAIN_BATCH} sequences, "
        f"learning rate {ch03.TRAIN_LEARNING_RATE}; loss = MSE on "
        f"{ch03.EVAL_SIZE} held-out sequences (always answering 1 gives "
        "1/6 = 0.167).\n"
    )
    print(
        f"| seed | held-out loss, max_norm = {ch03.TRAIN_MAX_NORM} | "
        "seconds | max_norm = None | seconds |"
    )
    print("| ---: | ---: | ---: | --- | ---: |")
    clipped_losses, all_diverged = [], True
    for seed in range(args.seeds):
        clipped, t_clipped = timed_run(train_step, seed, ch03.TRAIN_MAX_NORM)
        unclipped, t_unclipped = timed_run(train_step, seed, None)
        clipped_losses.append(clipped.loss)
        if unclipped.diverged_at is None:
            all_diverged = False
            outcome = f"did not diverge (loss {unclipped.loss:.4f})"
        else:
            outcome = f"diverged at step {unclipped.diverged_at}"
        mark = " (hidden check)" if seed == ch03.TRAIN_SEED else ""
        print(
            f"| {seed}{mark} | {clipped.loss:.4f} | {t_clipped:.1f} | "
            f"{outcome} | {t_unclipped:.2f} |"
        )

    print(
        f"\nSeed {ch03.TRAIN_SEED} (the hidden check's), clipped, from "
        f"initial weights perturbed by {PERTURBATION:g}:\n"
    )
    print("| perturbation | held-out loss | seconds |")
    print("| ---: | ---: | ---: |")
    for k in range(args.perturbations):
        fn = perturbed(train_step, 1_000 + k)
        run, seconds = timed_run(fn, ch03.TRAIN_SEED, ch03.TRAIN_MAX_NORM)
        clipped_losses.append(run.loss)
        print(f"| {k} | {run.loss:.6f} | {seconds:.1f} |")

    worst = max(clipped_losses)
    needed = MARGIN * worst
    threshold = ch03.CLIPPED_LOSS_THRESHOLD
    ok = all_diverged and needed <= threshold < 1 / 6
    print(
        f"\nWorst clipped loss {worst:.4f}; {MARGIN} x worst = "
        f"{needed:.4f}; CLIPPED_LOSS_THRESHOLD = {threshold} "
        f"({'>=' if needed <= threshold else '<'} {MARGIN} x worst, "
        f"{'<' if threshold < 1 / 6 else '>='} 0.167). Every unclipped "
        f"run diverged (a training loss above {ch03.DIVERGED_LOSS:g} or "
        f"not finite; the run stops there): "
        f"{'yes' if all_diverged else 'NO'}. "
        f"Rule {'satisfied' if ok else 'VIOLATED'}."
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
