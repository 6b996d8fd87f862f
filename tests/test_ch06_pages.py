"""What chapter 6's pages read from bench/ch06_sentiment.json.

The pages draw their figures and tables from the recorded runs and never
train; these tests check that the record holds every run and column the
pages use, that its derived numbers agree with its curves and with each
other (the parts that reuse a trained model measured the same model),
that the script's helpers do what they say, and that the table of
bench/RESULTS.md is the one the script makes from it.
"""

import json
import math
import re

import numpy as np
import pytest
from claims import NUMBERS, matches, miscounts
from conftest import ROOT, load_script

BENCH = ROOT / "bench"
FROZEN = ("dense", "dense_12_8", "simple_rnn", "lstm", "gru", "gru_no_mask")
BETTER = ("tuned_pool_short", "tuned_pool", "tuned_bigru")
COLUMNS = ("label", "length", "epochs_run", "best_epoch", "trainable",
           "non_trainable", "val_loss_best", "val_accuracy_best",
           "perplexity", "test_loss", "test_accuracy", "test_perplexity",
           "seconds_per_epoch", "training_seconds", "summary")
CURVES = ("train_loss", "train_accuracy", "val_loss", "val_accuracy",
          "seconds", "eval_seconds")
PARTS = ("pipeline", "frozen", "better", "analysis", "quantise", "rotten")


@pytest.fixture(scope="module")
def record():
    return json.loads((BENCH / "ch06_sentiment.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def script():
    return load_script("bench/ch06_sentiment.py")


def runs(record):
    for group in ("frozen", "better"):
        yield from ((group, key, run) for key, run in record[group].items())


def test_every_part_and_run_the_pages_read_is_recorded(record):
    assert set(record["frozen"]) == set(FROZEN)
    assert set(record["better"]) == set(BETTER)
    for part in PARTS:
        assert part in record, part
        run = record["runs"][part]
        assert re.fullmatch(
            r"nice -n 10 (taskset -c \d )?\.venv/bin/python "
            r"bench/ch06_sentiment\.py", run["command"]), part
        assert run["seconds"] > 0
    # One command made the whole record.
    assert len({record["runs"][part]["command"] for part in PARTS}) == 1
    for key in ("machine", "versions", "settings", "slides"):
        assert key in record
    # A smoke-test subset must never be what the pages show.
    assert record["settings"]["subset"] is None
    for _, key, run in runs(record):
        missing = [c for c in COLUMNS if c not in run]
        assert not missing, (key, missing)
        lengths = {len(run[c]) for c in CURVES}
        assert lengths == {run["epochs_run"]}, key


def test_derived_numbers_agree_with_the_curves(record):
    for _, key, run in runs(record):
        val_loss = run["val_loss"]
        # The kept epoch is the one with the lowest validation loss, and
        # its measurement after restoring the weights is that epoch's.
        assert run["best_epoch"] == int(np.argmin(val_loss)) + 1, key
        assert math.isclose(run["val_loss_best"],
                            val_loss[run["best_epoch"] - 1],
                            abs_tol=1e-4), key
        assert math.isclose(run["perplexity"],
                            math.exp(run["val_loss_best"]),
                            rel_tol=1e-12), key
        assert math.isclose(run["test_perplexity"],
                            math.exp(run["test_loss"]), rel_tol=1e-12)
        assert 1.0 <= run["perplexity"] and 0 <= run["test_accuracy"] <= 1
        assert math.isclose(run["training_seconds"], sum(run["seconds"]))


def test_epochs_and_time_budget_are_the_settings(record):
    settings = record["settings"]
    for _, key, run in runs(record):
        # Every epoch ran, or the run was stopped by its deadline.
        assert run["epochs_run"] == run["max_epochs"] or key in BETTER, key
    for key, run in record["better"].items():
        # Stopped at the budget (the deadline lets the batch in progress
        # finish).
        assert run["training_seconds"] <= settings["max_seconds"] + 2, key
        assert run["epochs_run"] <= run["max_epochs"]
        # Early stopping: it ran until `patience` epochs brought no lower
        # validation loss, or until the deadline.
        waited = run["epochs_run"] - run["best_epoch"]
        assert (waited == settings["patience"]) == bool(
            run.get("stopped_early")), key
        assert run.get("stopped_early") or run.get("cut_by_deadline") \
            or sum(run["seconds"]) + run["seconds"][-1] \
            > settings["max_seconds"], key


def test_parameter_counts_follow_the_formulas(record, script):
    d = record["pipeline"]["glove_dimension"]
    frozen = record["frozen"]
    assert frozen["lstm"]["trainable"] == script.recurrent_count(
        "LSTM", 128, d)
    assert frozen["gru"]["trainable"] == script.recurrent_count(
        "GRU", 32, d)
    assert frozen["simple_rnn"]["trainable"] == script.recurrent_count(
        "SimpleRNN", 32, d)
    length = record["pipeline"]["length"]
    assert frozen["dense"]["trainable"] == length * d + 1
    v = record["pipeline"]["vocabulary_size"]
    for key in frozen:
        assert frozen[key]["non_trainable"] == v * d, key
    for key in BETTER:
        assert record["better"][key]["non_trainable"] == 0, key
    counts = record["slides_counts"]
    for key in ("lstm", "gru"):
        assert counts[key]["implied_dimension"] == 100
        assert counts[key]["count_100d"] == record["slides"][key][
            "trainable"]


def test_the_pipeline_numbers_follow_their_rules(record):
    pipe = record["pipeline"]
    p = pipe["length_percentiles"]
    assert pipe["length"] == math.ceil(p["50"] / 50) * 50
    assert pipe["long_length"] == math.ceil(p["90"] / 50) * 50
    assert sum(pipe["length_histogram"]) <= pipe["train_reviews"]
    assert pipe["vocabulary_head"][:2] == ["", "[UNK]"]
    assert 0.9 < pipe["coverage"] <= 1.0
    assert pipe["truncated_fraction"] + pipe["padded_fraction"] <= 1.0


def best(record, groups):
    candidates = [(run["val_accuracy_best"], key)
                  for group in groups
                  for key, run in record[group].items()
                  if key != "gru_no_mask"]
    return max(candidates)[1]


def test_analysis_measures_the_best_model(record):
    analysis = record["analysis"]
    key = best(record, ("frozen", "better"))
    assert analysis["model"] == key
    run = record[analysis["group"]][key]
    (tn, fp), (fn, tp) = analysis["confusion"]
    assert tn + fp + fn + tp == 10_000
    assert math.isclose((tn + tp) / 10_000, analysis["test_accuracy"])
    assert math.isclose(analysis["test_accuracy"], run["test_accuracy"])
    assert sum(b["reviews"] for b in analysis["by_length"]) == 10_000
    wrong = analysis["confidently_wrong"]
    assert wrong
    for review in wrong:
        assert (review["probability"] > 0.5) == (review["label"] == 0)
        assert len(review["text"]) <= record["settings"].get(
            "text_width", 420)


def test_quantisation_measures_the_best_frozen_model(record):
    quant = record["quantise"]
    key = best(record, ("frozen",))
    assert quant["model"] == key
    methods = quant["methods"]
    rows, dim = quant["rows"], quant["dimension"]
    assert math.isclose(methods["float32"]["test_accuracy"],
                        record["frozen"][key]["test_accuracy"])
    assert methods["float32"]["bytes"] == rows * dim * 4
    assert methods["int8"]["bytes"] == rows * dim + rows * 4
    assert methods["kmeans"]["bytes"] == rows + 256 * dim * 4
    assert quant["int8_bound_ok"]
    assert methods["int8"]["max_error"] < methods["kmeans"]["max_error"]


def test_rotten_tomatoes_uses_the_best_models(record):
    rotten = record["rotten"]
    assert rotten["sentences"] == 8530
    models = rotten["models"]
    assert models["best"]["model"] == best(record, ("frozen", "better"))
    assert models["best_frozen"]["model"] == best(record, ("frozen",))
    for model in models.values():
        assert 0.0 <= model["accuracy"] <= 1.0
        assert model["imdb_cut_words"] == int(
            rotten["length_percentiles"]["50"])


def test_implied_dimension_inverts_the_counts(script):
    for kind in ("LSTM", "GRU"):
        for units, d in ((128, 100), (32, 50), (7, 3)):
            count = script.recurrent_count(kind, units, d)
            assert script.implied_dimension(kind, units, count) == d


def test_counts_agree_with_keras(script):
    keras = pytest.importorskip("keras")
    for kind, units, d in (("LSTM", 128, 50), ("GRU", 32, 100),
                           ("SimpleRNN", 32, 50)):
        model = keras.Sequential([
            keras.Input((None, d)), getattr(keras.layers, kind)(units),
            keras.layers.Dense(1)])
        assert model.count_params() == script.recurrent_count(kind, units,
                                                              d)


def test_kmeans_finds_separated_clusters(script):
    rng = np.random.default_rng(1)
    centres = rng.normal(0, 10, (4, 3))
    labels = rng.integers(4, size=400)
    x = (centres[labels] + rng.normal(0, 0.1, (400, 3))).astype(np.float32)
    centroids, assignment = script.kmeans(x, 4, seed=0, iterations=10)
    assert centroids.shape == (4, 3) and assignment.dtype == np.uint8
    # Each found cluster is one true cluster.
    for j in range(4):
        assert len(set(labels[assignment == j])) == 1
    assert np.abs(centroids[assignment] - x).max() < 1.0
    # Same seed, same codebook.
    again, _ = script.kmeans(x, 4, seed=0, iterations=10)
    assert np.array_equal(centroids, again)


def test_cross_entropy_is_the_mean_binary_cross_entropy(script):
    y = np.array([0, 1, 1, 0])
    p = np.array([0.1, 0.8, 0.6, 0.3])
    expected = -np.mean(np.log([0.9, 0.8, 0.6, 0.7]))
    assert math.isclose(script.cross_entropy(y, p), expected)


def test_results_md_holds_the_table_made_from_the_record(record, script):
    section = script.markdown(record)
    text = (BENCH / "RESULTS.md").read_text("utf-8")
    assert section in text
    # The check fails on a table whose number was edited by hand.
    edited = json.loads(json.dumps(record))
    edited["frozen"]["lstm"]["test_accuracy"] += 0.01
    assert script.markdown(edited) not in text


# --- Sentences of the pages that the record decides ---------------------

#: The frozen-embedding models that the pages show (not the mask's run).
SHOWN = ("dense", "dense_12_8", "simple_rnn", "lstm", "gru")


def stale_claims(text, record):
    """Sentences of a chapter 6 page (its source) that the record makes
    false."""
    found = []
    shown = [key for key in SHOWN if key in record["frozen"]]
    if "gru" in record["frozen"]:
        # The GRU(32) was trained: nothing may call it missing.
        found += matches((
            r"GRU\(32\)[^.]{0,80}(is missing|was not trained)",
            r"The GRU\(32\) is missing",
            r"Falta la GRU", r"GRU\(32\)[^.]{0,80}no se entrenó"), text)
    # Counts of the models, of the panels drawn one per model.
    for pattern in (r"\ball (?P<n>\w+) were trained",
                    r"\bthe (?P<n>\w+) models it had",
                    r"\b(?P<n>\w+) (small )?panels, one per model",
                    r"\blos (?P<n>\w+) se entrenaron",
                    r"\blos (?P<n>\w+) modelos que",
                    r"\b(?P<n>\w+) paneles (chicos, )?uno por modelo"):
        found += miscounts(pattern, text, len(shown))
    # The perplexity has no upper bound (chapter 5 records one above 2).
    found += matches((r"perplex[^.]{0,200}between 1 [^.]{0,60}and 2",
                      r"perplejidad[^.]{0,200}entre 1 [^.]{0,60}y 2"), text)
    # "N changes" followed by a list of another length.
    for m in re.finditer(r"\b(?P<n>\w+)\s+(changes|cambios),\s+"
                         r"(each|cada)", text):
        word = m["n"]
        items = re.match(r"(?:[^\n]*\n){1,3}?\n((?:- .*\n(?:  .*\n)*)+)",
                         text[m.end():])
        if word.lower() in NUMBERS and items and NUMBERS[word.lower()] != (
                items[1].count("\n- ") + 1):
            found.append(m[0])
    # Seconds in parentheses after the model they do not belong to.
    found += matches((
        r"pooling model's seconds per epoch \(\{glue:text\}`bigru",
        r"modelo con promedio \(\{glue:text\}`bigru"), text)
    # A change of accuracy called a cost when the record has it a gain.
    quant = record["quantise"]["methods"]
    for method in ("int8", "kmeans"):
        gain = (quant[method]["test_accuracy"]
                >= quant["float32"]["test_accuracy"])
        if gain:
            found += matches((rf"(costs|cuesta) \{{glue:text\}}`{method}_",),
                             text)
    return found


#: Sentences the pages once had, each stale against today's record.
STALE = {
    "en": [
        "the output layer reads their last state $h_T$. The slides' GRU(32) "
        "is counted below but was not trained in this run (see the table).",
        "All four were trained on the training reviews.",
        "The GRU(32) is missing: the command above was stopped.",
        "the table holds the four models it had finished",
        '    alt: "Four small panels, one per model, each with the',
        "The **perplexity** is $\\exp$ of the mean validation cross-entropy, "
        "as in chapter 5: for a classifier of two classes it lies between "
        "1 (always certain and right) and 2 (a coin).",
        "The bidirectional GRU pays {glue:text}`bigru_ratio:.0f` times the "
        "pooling model's seconds per epoch "
        "({glue:text}`bigru_epoch_seconds:.0f` s)",
        "less memory and costs {glue:text}`int8_lost:.4f` of test accuracy",
    ],
    "es": [
        "La GRU(32) de las diapositivas se cuenta más abajo, pero no se "
        "entrenó en esta corrida.",
        "Los cuatro se entrenaron con las reseñas.",
        "Falta la GRU(32): el comando de arriba se detuvo.",
        "la tabla tiene los cuatro modelos que ya había terminado",
        '    alt: "Cuatro paneles chicos, uno por modelo, cada uno',
        "La **perplejidad** es $\\exp$ de la entropía cruzada media, como "
        "en el capítulo 5: para un clasificador de dos clases está entre 1 "
        "(siempre seguro) y 2 (una moneda).",
        "época del modelo con promedio "
        "({glue:text}`bigru_epoch_seconds:.0f` s)",
        "veces menos memoria y cuesta {glue:text}`int8_lost:.4f` de "
        "exactitud",
    ],
}
THREE_CHANGES = {
    "en": "Three changes, each from an earlier chapter, can do better:\n\n"
          "- a\n- b\n- c\n- d\n",
    "es": "Tres cambios, cada uno de un capítulo anterior:\n\n"
          "- a\n- b\n- c\n- d\n",
}


def page(lang):
    return (ROOT / "book" / lang / "06-sentiment.md").read_text("utf-8")


@pytest.mark.parametrize("lang", ("es", "en"))
def test_no_sentence_of_the_page_is_stale(record, lang):
    assert stale_claims(page(lang), record) == []


@pytest.mark.parametrize(("lang", "sentence"), [
    (lang, sentence) for lang, sentences in STALE.items()
    for sentence in sentences + [THREE_CHANGES[lang]]])
def test_stale_sentence_detector_sees_each_planted_sentence(record, lang,
                                                            sentence):
    text = page(lang)
    planted = text.replace("\n## ", "\n" + sentence + "\n\n## ", 1)
    assert stale_claims(planted, record), sentence


def test_stale_sentence_detector_follows_the_record(record):
    """The same sentence is stale or not as the record says."""
    untrained = json.loads(json.dumps(record))
    del untrained["frozen"]["gru"]
    assert stale_claims("The GRU(32) is missing: stopped.", untrained) == []
    assert stale_claims("All four were trained on them.", untrained) == []
    assert stale_claims("All four were trained on them.", record)
    cost = json.loads(json.dumps(record))
    quant = cost["quantise"]["methods"]
    quant["int8"]["test_accuracy"] = quant["float32"]["test_accuracy"] - .01
    sentence = "memory and costs {glue:text}`int8_lost:.4f` of accuracy"
    assert stale_claims(sentence, cost) == []
    assert stale_claims(sentence, record)
