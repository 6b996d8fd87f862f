"""What chapter 5's pages read from bench/ch05_overfitting.json.

The pages draw their figures and tables from the recorded runs and never
train; these tests check that the record holds every run and column the
pages use, that its derived numbers agree with its curves, and that the
table of bench/RESULTS.md is the one the script makes from it.
"""

import json
import math
import re

import pytest
from claims import matches
from conftest import ROOT, load_script

BENCH = ROOT / "bench"
SIZES = ("4-4-1", "16-16-1", "512-512-1")
REMEDIES = ("512-512-1 + L2", "512-512-1 + dropout",
            "512-512-1 + early stopping",
            "512-512-1 + L2 + dropout + early stopping")
GRUS = ("GRU", "GRU + dropout", "GRU + dropout + recurrent dropout")
COLUMNS = ("epochs_run", "train_accuracy", "val_accuracy", "gap",
           "val_cross_entropy", "perplexity", "seconds_per_epoch",
           "parameters")
CURVES = ("loss", "accuracy", "cross_entropy", "val_loss", "val_accuracy",
          "val_cross_entropy")


@pytest.fixture(scope="module")
def record():
    return json.loads((BENCH / "ch05_overfitting.json").read_text("utf-8"))


def bench_script():
    return load_script("bench/ch05_overfitting.py")


def test_every_run_the_pages_read_is_recorded(record):
    assert set(record["dense"]) == set(SIZES) | set(REMEDIES)
    assert set(record["gru"]) == set(GRUS)
    for group in ("dense", "gru"):
        for name, run in record[group].items():
            missing = [c for c in COLUMNS if c not in run]
            assert not missing, (name, missing)
            lengths = {len(run["curves"][c]) for c in CURVES}
            assert lengths == {run["epochs_run"]}, name
            assert len(run["seconds"]) == run["epochs_run"], name
    for key in ("command", "date", "machine", "versions", "wall_seconds"):
        assert key in record
    assert record["command"].startswith(
        "nice -n 10 taskset -c 1 .venv/bin/python bench/ch05_overfitting.py")


def test_derived_numbers_agree_with_the_record(record):
    for group in ("dense", "gru"):
        for name, run in record[group].items():
            assert math.isclose(run["perplexity"],
                                math.exp(run["val_cross_entropy"]),
                                rel_tol=1e-9), name
            assert math.isclose(
                run["gap"], run["train_accuracy"] - run["val_accuracy"],
                abs_tol=1e-12), name
            assert 0.0 <= run["val_accuracy"] <= 1.0
            assert 1.0 <= run["perplexity"], name
    for name in SIZES + REMEDIES[:2]:
        assert record["dense"][name]["epochs_run"] == (
            record["settings"]["epochs"]), name


def test_early_stopping_runs_stop_patience_epochs_after_the_best(record):
    patience = record["settings"]["patience"]
    for name in REMEDIES[2:]:
        run = record["dense"][name]
        val_loss = run["curves"]["val_loss"]
        best = val_loss.index(min(val_loss)) + 1
        assert run["best_epoch"] == best, name
        # Stopped early, or ran out of epochs.
        assert run["stopped_epoch"] in (
            best + patience, record["settings"]["epochs"]), name


def test_the_chosen_lambda_is_the_sweeps_best(record):
    sweep = record["lambda_sweep"]
    # Kept by the validation cross-entropy at the last epoch.
    best = min(sweep.values(), key=lambda run: run["val_cross_entropy"][-1])
    assert record["settings"]["l2"] == best["l2"]
    chosen = record["dense"]["512-512-1 + L2"]
    assert chosen["l2"] == best["l2"]
    assert chosen["curves"]["val_cross_entropy"] == best["val_cross_entropy"]


def test_slides_numbers_are_consistent_with_their_perplexity(record):
    slides = record["slides"]["dropout_l2"]
    assert math.isclose(math.exp(slides["val_loss"]), slides["perplexity"],
                        abs_tol=5e-4)


def test_results_md_holds_the_table_made_from_the_record(record):
    script = bench_script()
    section = script.markdown(record)
    text = (BENCH / "RESULTS.md").read_text("utf-8")
    assert section in text
    # The check fails on a table whose number was edited by hand.
    planted = record["dense"]["16-16-1"]["val_accuracy"] + 0.01
    edited = json.loads(json.dumps(record))
    edited["dense"]["16-16-1"]["val_accuracy"] = planted
    assert script.markdown(edited) not in text


# --- Sentences of the pages that the record decides ---------------------

def kept_loss(run):
    """Keras's validation cross-entropy of the weights a run kept."""
    curve = run["curves"]["val_cross_entropy"]
    return curve[run.get("best_epoch", len(curve)) - 1]


def stale_claims(text, record):
    """Sentences of a chapter 5 page (its source) that are false."""
    # Plain subgradient steps make L1's small weights oscillate around 0
    # (the page measures it): no sentence may say they reach it.
    found = matches((r"L1[^.]{0,300}(exactly to 0|to exactly 0)",
                     r"L1[^.]{0,300}exactamente a 0"), text)
    # The tables read one measurement of the loss, the curves' (Keras's):
    # a column made from the record's recomputed scalar shows another
    # number for the same run.
    if re.search(r'"val_cross_entropy": "(val loss|pérdida de val\.)"',
                 text) and "kept_loss(run) for run in" not in text:
        found.append("a table reads the recomputed val_cross_entropy")
    return found


def second_measurements(text, record):
    """Numbers of ``text`` (a built page) that are a run's recomputed
    validation loss or perplexity where Keras's differs, outside the
    sentence that explains the difference."""
    found = []
    for run in list(record["dense"].values()) + list(record["gru"].values()):
        keras = kept_loss(run)
        for other, ours in ((run["val_cross_entropy"], keras),
                            (run["perplexity"], math.exp(keras))):
            shown = f"{other:.4f}"
            if shown == f"{ours:.4f}":
                continue
            for m in re.finditer(re.escape(shown), text):
                start = text.rfind(". ", 0, m.start())
                end = text.find(". ", m.end())
                if "RESULTS.md" not in text[start:end]:
                    found.append(shown)
    return found


STALE = {
    "en": "L1 pulls each weight towards 0 by the same amount whatever its "
          "size, so it drives the weights that matter little to exactly 0.",
    "es": "L1 tira de cada peso hacia 0 con la misma fuerza, así que lleva "
          "exactamente a 0 los pesos que importan poco.",
}


def page(lang):
    return (ROOT / "book" / lang / "05-overfitting.md").read_text("utf-8")


@pytest.mark.parametrize("lang", ("es", "en"))
def test_no_sentence_of_the_page_is_stale(record, lang):
    text = page(lang)
    assert stale_claims(text, record) == []
    # The detector sees the sentence, and the table of another measure.
    assert stale_claims(text + "\n" + STALE[lang] + "\n", record)
    planted = text.replace("kept_loss(run) for run in", "kept(run) for run")
    assert stale_claims(planted, record)


@pytest.mark.parametrize("lang", ("es", "en"))
def test_page_shows_one_measurement_of_each_loss(built_html, record, lang):
    from test_book import article

    path = built_html / lang / "book" / lang / "05-overfitting.html"
    text = article(path).text
    assert second_measurements(text, record) == []
    # The record has runs measured two ways, and the detector sees the
    # other number outside its explanation.
    dropout = record["dense"]["512-512-1 + dropout"]
    assert f"{dropout['val_cross_entropy']:.4f}" != (
        f"{kept_loss(dropout):.4f}")
    planted = f"{text} Dropout ends at {dropout['val_cross_entropy']:.4f}. "
    assert second_measurements(planted, record) == [
        f"{dropout['val_cross_entropy']:.4f}"]
