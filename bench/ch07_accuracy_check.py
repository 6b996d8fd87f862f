"""The training of chapter 7's accuracy check, on several models and seeds.

    TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 \\
        .venv/bin/python bench/ch07_accuracy_check.py [--seeds 5] \\
        [--models reference plain slow]

(on two cores, models side by side: ``--models plain slow --part
/tmp/b.json`` in one process, then ``--parts /tmp/b.json`` in another,
which measures the reference and joins the runs).

Runs exactly what ``check_build_seq2seq_model`` runs (the refusals, then
the model built again from its validated description and trained in the
trainer's sandbox on the check's hidden number words, budget and a seed,
then decoded greedily and scored on exact matches) on:

* ``reference``: GRU(64) encoder and decoder, embeddings of 32,
  dot-product attention over the encoder's states, Adam(0.005), the
  notebook's solution;
* ``plain``: the same without attention (the decoder sees the number
  only through the encoder's last state), which must fail A on at
  least 4 of 5 seeds;
* ``slow``: the reference with Adam(0.0005), an optimiser too slow for
  the budget, which must fail A on every seed;

each over seeds 0, 1, ... (the check uses seed 0). The reference runs
first and fixes A: its lowest exact-match share over the seeds less
``MARGIN``, rounded down to 0.01. Writes ``bench/ch07_accuracy_check.json``
and the section "Chapter 7 — accuracy check" of ``bench/RESULTS.md``;
exits 1 if the rule is broken (the check's constant differs from A, or
a failing design passes too often).
"""

import argparse
import datetime
import json
import math
import os
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "autograder"), str(ROOT / "bench")]

import keras  # noqa: E402
import results_md  # noqa: E402
from hidden_checks import ch07_model  # noqa: E402

SECTION = "## Chapter 7 — accuracy check"
OUT = ROOT / "bench" / "ch07_accuracy_check.json"
#: A is the reference's lowest exact-match share less this margin.
MARGIN = 0.05


def seq2seq(attention=True, learning_rate=0.005, units=64, embed=32):
    """A builder of the notebook's encoder-decoder (or a variant)."""

    def build(source_vocab_size, target_vocab_size):
        layers = keras.layers
        source = keras.Input((None,), dtype="int32")
        decoder = keras.Input((None,), dtype="int32")
        x = layers.Embedding(source_vocab_size, embed,
                             mask_zero=True)(source)
        states, last = layers.GRU(units, return_sequences=True,
                                  return_state=True)(x)
        y = layers.Embedding(target_vocab_size, embed,
                             mask_zero=True)(decoder)
        s = layers.GRU(units, return_sequences=True)(y, initial_state=last)
        if attention:
            context = layers.Attention()([s, states])
            s = layers.Dense(units, activation="tanh")(
                layers.Concatenate()([s, context]))
        else:  # the same size: a Dense layer on the states alone
            s = layers.Dense(units, activation="tanh")(s)
        out = layers.Dense(target_vocab_size, activation="softmax")(s)
        model = keras.Model([source, decoder], out)
        model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                      loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        return model

    return build


#: name: (description, builder, what the check must say, failures
#: allowed over 5 seeds for a failing design)
MODELS = {
    "reference": ("GRU(64) encoder-decoder, dot-product attention, "
                  "Adam(0.005)", seq2seq(), "pass"),
    "plain": ("the same without attention (a Dense(64, tanh) on the "
              "decoder's states)", seq2seq(attention=False), "fail A"),
    "slow": ("the reference with Adam(0.0005)",
             seq2seq(learning_rate=0.0005), "fail A"),
}


def markdown(record):
    s = record["settings"]
    a = record["thresholds"]["A"]
    lines = [
        SECTION, "",
        f"Command, {record['date']}, {record['machine']}:", "",
        f"    {record['command']}", "",
        "It writes `bench/ch07_accuracy_check.json` and this section, and "
        "runs exactly what `check_build_seq2seq_model` "
        "(`autograder/hidden_checks/ch07_model.py`) runs: the model built "
        "again from its validated description and trained in the "
        "trainer's sandbox (teacher forcing), then decoded greedily, one "
        "character at a time; seeds "
        f"0–{s['seeds'] - 1} (the check uses seed {s['check_seed']}).", "",
        f"Data: {2 * s['train_values']} training pairs ({s['train_values']}"
        f" hidden values in Spanish and English words, seed "
        f"{s['data_seed']}), {2 * s['test_values']} test pairs of "
        f"{s['test_values']} other values; {s['epochs']} epochs of "
        f"batches of {s['batch_size']}. Score: the share of the test "
        "numbers decoded exactly (per-character accuracy beside it); CPU "
        "seconds are the trainer's own for building, training and "
        "decoding (its start, Python's and TensorFlow's import, comes "
        "on top: `bench/model_path.py` measures it).", "",
        "| model | seed | exact match | per character | CPU s | check |",
        "|---|---|---|---|---|---|",
    ]
    for name, model in record["models"].items():
        for run in model["runs"]:
            verdict = "pass" if run["exact_match"] >= a else "fail A"
            lines.append(
                f"| {name} | {run['seed']} | {run['exact_match']:.4f} | "
                f"{run['character_accuracy']:.4f} | {run['seconds']:.0f} | "
                f"{verdict} |")
    lines += ["", "Models:", ""]
    for name, model in record["models"].items():
        lines.append(f"- `{name}`: {model['description']} (must "
                     f"{model['expected']})")
    reference = [r["exact_match"] for r in
                 record["models"]["reference"]["runs"]]
    lines += ["", f"- **A = {a}** (`MIN_EXACT_MATCH`): the reference's "
              f"lowest exact-match share over {len(reference)} seeds "
              f"({min(reference):.4f}) less {MARGIN}, rounded down to "
              "0.01.", ""]
    if record["rule_broken"]:
        lines += ["Rule broken: " + "; ".join(record["rule_broken"]), ""]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--models", nargs="*", default=list(MODELS))
    parser.add_argument("--markdown-only", action="store_true")
    parser.add_argument("--part", type=Path,
                        help="only measure --models, write their runs "
                             "to this file (to run models side by side)")
    parser.add_argument("--parts", type=Path, nargs="*", default=[],
                        help="runs measured with --part, read instead "
                             "of measuring these models")
    args = parser.parse_args()
    if args.markdown_only:
        results_md.write_section(markdown(json.loads(OUT.read_text())))
        return 0
    runs = {}
    for part in args.parts:
        runs.update(json.loads(part.read_text()))
    for name in sorted(args.models, key=lambda n: n != "reference"):
        if name in runs:
            continue
        description, build, expected = MODELS[name]
        runs[name] = []
        for seed in range(args.seeds):
            m = ch07_model.measure(build, seed=seed)
            runs[name].append({"seed": seed, **m._asdict()})
            print(f"{name:10s} seed {seed}: exact {m.exact_match:.4f} "
                  f"char {m.character_accuracy:.4f} {m.seconds:.0f} s",
                  flush=True)
    if args.part is not None:
        args.part.write_text(json.dumps(runs, indent=1) + "\n")
        return 0
    reference = [r["exact_match"] for r in runs["reference"]]
    a = math.floor((min(reference) - MARGIN) * 100) / 100
    broken = []
    if a != ch07_model.MIN_EXACT_MATCH:
        broken.append(f"MIN_EXACT_MATCH is {ch07_model.MIN_EXACT_MATCH}, "
                      f"the rule gives {a}")
    for name, model_runs in runs.items():
        passed = sum(r["exact_match"] >= a for r in model_runs)
        if MODELS[name][2] == "pass" and passed < len(model_runs):
            broken.append(f"{name} passes {passed} of {len(model_runs)}")
        if MODELS[name][2] == "fail A" and passed > (
                1 if name == "plain" else 0):
            broken.append(f"{name} passes {passed} of {len(model_runs)}")
    record = {
        "date": datetime.date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "command": "TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 "
                   ".venv/bin/python bench/ch07_accuracy_check.py "
                   f"--seeds {args.seeds}" + (
                       " (models run side by side with --part, joined "
                       "with --parts)" if args.parts else ""),
        "settings": {"seeds": args.seeds, "check_seed": ch07_model.SEED,
                     "train_values": ch07_model.TRAIN_VALUES,
                     "test_values": ch07_model.TEST_VALUES,
                     "data_seed": ch07_model.DATA_SEED,
                     "epochs": ch07_model.BUDGET.epochs,
                     "batch_size": ch07_model.BUDGET.batch_size,
                     "margin": MARGIN},
        "thresholds": {"A": a},
        "models": {name: {"description": MODELS[name][0],
                          "expected": MODELS[name][2], "runs": rs}
                   for name, rs in runs.items()},
        "rule_broken": broken,
    }
    OUT.write_text(json.dumps(record, indent=1) + "\n")
    results_md.write_section(markdown(record))
    print(markdown(record))
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
