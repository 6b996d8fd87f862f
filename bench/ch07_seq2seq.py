"""Chapter 7's measured encoder-decoders on number words; write results.

    nice -n 10 taskset -c 1 .venv/bin/python bench/ch07_seq2seq.py \\
        [--parts data seeds transformer tagging] [--markdown-only]

The task is :mod:`rnn_course.number_words`: numbers from 0 to 999,999
written in Spanish or English words, to be written in digits, split by
value (the course's seed), read and written one character at a time.
TensorFlow runs on one thread; CPU seconds are ``time.process_time``.
The parts:

``data``
    Sizes of the parts, the vocabularies, the distribution of the input
    lengths and a few pairs.
``seeds``
    The encoder-decoder without attention ("plain") and with Luong's
    dot-product attention ("attention"), the same GRU size, trained
    with the same budget (``--epochs`` epochs of the training part in
    batches of ``--batch``) from each of ``--seeds`` seeds: exact match
    and per-character accuracy of the greedy decoding of the test part,
    overall, by language and by input length; CPU seconds of training
    and decoding. Seed 0's attention model also gives the attention
    weights of a few test inputs in both languages. These are the runs
    from which the accuracy check's threshold is derived.
``transformer``
    A small Transformer encoder-decoder (``MultiHeadAttention``) with
    the same budget, seed 0, measured the same way.
``tagging``
    The synchronised many-to-many case: one tag per input character
    (1 if it belongs to the words of the thousands, up to "mil" or
    "thousand", else 0), learnt by a GRU reading left to right and by a
    bidirectional GRU of the same size.

Writes ``bench/ch07_seq2seq.json`` (each part with its command, date,
wall seconds and CPU seconds) and replaces the section "Chapter 7 —
sequence to sequence" of ``bench/RESULTS.md``; ``--markdown-only``
remakes that section from the JSON. Chapter 7's pages read the JSON and
never train.
"""

import argparse
import datetime
import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import results_md  # noqa: E402

SECTION = "## Chapter 7 — sequence to sequence"
PARTS = ("data", "seeds", "transformer", "tagging")
#: Edges of the input-length bins, in characters.
EDGES = (0, 20, 30, 40, 50, 60, 80)
#: Digits of the outputs: the target vocabulary.
DIGITS = "0123456789"
#: Words that close the thousands part of a number.
THOUSANDS = {"es": "mil", "en": "thousand"}
#: How many test inputs of each language get their attention recorded.
HEATMAPS = 2


def prepare():
    """The course's pairs as id arrays.

    Returns
    -------
    dict
        ``pairs`` (part -> Pairs), ``source_vocab``, ``target_vocab``,
        ``x`` / ``decoder_in`` / ``decoder_out`` (part -> ids), ``T``
        and ``U`` (source and decoder lengths).
    """
    from rnn_course import number_words as nw

    pairs = nw.generate()
    source_vocab = nw.Vocabulary.from_texts(pairs["train"].sources)
    target_vocab = nw.Vocabulary(tuple(DIGITS))
    T = max(int(p.source_lengths().max()) for p in pairs.values())
    U = max(len(t) for p in pairs.values() for t in p.targets) + 1
    data = {"pairs": pairs, "source_vocab": source_vocab,
            "target_vocab": target_vocab, "T": T, "U": U,
            "x": {}, "decoder_in": {}, "decoder_out": {}}
    for name, p in pairs.items():
        data["x"][name] = nw.encode_sources(p.sources, source_vocab, T)
        inputs, targets = nw.encode_targets(p.targets, target_vocab, U)
        data["decoder_in"][name] = inputs
        data["decoder_out"][name] = targets
    return data


def data_part(data, args):
    """What the pages say about the task."""
    import numpy as np

    pairs = data["pairs"]
    lengths = pairs["train"].source_lengths()
    langs = np.array(pairs["train"].langs)
    doc = {
        "sizes": {name: len(p) for name, p in pairs.items()},
        "values": {name: len(set(p.values.tolist()))
                   for name, p in pairs.items()},
        "source_chars": list(data["source_vocab"].chars),
        "source_vocab_size": len(data["source_vocab"]),
        "target_vocab_size": len(data["target_vocab"]),
        "T": data["T"], "U": data["U"],
        "edges": list(EDGES),
        "length_histogram": {
            lang: np.histogram(lengths[langs == lang],
                               bins=np.arange(0, 81, 5))[0].tolist()
            for lang in ("es", "en")},
        "shortest": {name: int(p.source_lengths().min())
                     for name, p in pairs.items()},
        "longest": {name: int(p.source_lengths().max())
                    for name, p in pairs.items()},
        "examples": [],
    }
    test = pairs["test"]
    order = np.argsort(test.source_lengths(), kind="stable")
    for i in (order[0], order[len(order) // 2], order[-1]):
        value = int(test.values[i])
        for j in np.flatnonzero(test.values == value):
            doc["examples"].append({"source": test.sources[j],
                                    "target": test.targets[j],
                                    "lang": test.langs[j]})
    return doc


def cpu():
    """CPU seconds of this process so far (all its threads)."""
    return time.process_time()


def run_model(kind, seed, data, args, keep=False):
    """Train one encoder-decoder with the budget; measure it.

    Returns
    -------
    dict
        Parameters, per-epoch losses and CPU seconds, the test scores
        (overall, by language, by input length) and a few decoded
        examples; with ``keep``, also the model under ``"model"``.
    """
    import ch07_models
    import keras

    from rnn_course import number_words as nw

    keras.utils.set_random_seed(seed)
    model = ch07_models.build_seq2seq(
        kind, len(data["source_vocab"]), len(data["target_vocab"]),
        units=args.units, embed=args.embed, heads=args.heads,
        learning_rate=args.learning_rate)
    x, din, dout = data["x"], data["decoder_in"], data["decoder_out"]
    record = {"kind": kind, "seed": seed,
              "parameters": int(model.count_params()),
              "train_loss": [], "val_loss": [], "epoch_cpu_seconds": []}
    for _ in range(args.epochs):
        start = cpu()
        history = model.fit([x["train"], din["train"]], dout["train"],
                            batch_size=args.batch, epochs=1, shuffle=True,
                            verbose=0).history
        record["epoch_cpu_seconds"].append(cpu() - start)
        record["train_loss"].append(float(history["loss"][0]))
        record["val_loss"].append(float(model.evaluate(
            [x["validation"], din["validation"]], dout["validation"],
            batch_size=500, verbose=0)))
    record["training_cpu_seconds"] = float(sum(record["epoch_cpu_seconds"]))
    start = cpu()
    ids = ch07_models.greedy_decode(model, x["test"], data["U"])
    record["decoding_cpu_seconds"] = cpu() - start
    test = data["pairs"]["test"]
    predicted = nw.decode_ids(ids, data["target_vocab"])
    record.update(scores(predicted, test))
    record["wrong_examples"] = [
        {"source": s, "target": t, "predicted": p}
        for s, t, p in zip(test.sources, test.targets, predicted,
                           strict=True) if p != t][:6]
    print(f"  {kind} seed {seed}: exact {record['exact_match']:.4f}, "
          f"char {record['character_accuracy']:.4f}, "
          f"{record['training_cpu_seconds']:.0f} CPU-s", flush=True)
    if keep:
        record["model"] = model
        record["predicted"] = predicted
    return record


def scores(predicted, pairs):
    """Exact match and per-character accuracy, overall and by group."""
    import numpy as np

    from rnn_course import number_words as nw

    expected = pairs.targets
    out = {"exact_match": nw.exact_match(predicted, expected),
           "character_accuracy": nw.character_accuracy(predicted,
                                                       expected),
           "by_length": nw.accuracy_by_length(pairs.source_lengths(),
                                              predicted, expected, EDGES),
           "by_language": {}}
    langs = np.array(pairs.langs)
    for lang in ("es", "en"):
        where = np.flatnonzero(langs == lang)
        p = [predicted[i] for i in where]
        e = [expected[i] for i in where]
        out["by_language"][lang] = {
            "exact_match": nw.exact_match(p, e),
            "character_accuracy": nw.character_accuracy(p, e)}
    return out


def heatmaps(run, data):
    """Attention weights of a few test inputs of each language."""
    import ch07_models
    import numpy as np

    from rnn_course import number_words as nw

    test = data["pairs"]["test"]
    lengths = test.source_lengths()
    # Six-digit numbers of median length in each language, in test order.
    chosen = []
    for lang in ("es", "en"):
        where = [i for i in range(len(test))
                 if test.langs[i] == lang and len(test.targets[i]) == 6]
        middle = np.median(lengths[where])
        where.sort(key=lambda i: (abs(lengths[i] - middle), i))
        chosen += where[:HEATMAPS]
    out = []
    for i in chosen:
        predicted = run["predicted"][i]
        source = data["x"]["test"][i:i + 1]
        decoder, _ = nw.encode_targets([predicted], data["target_vocab"],
                                       len(predicted) + 1)
        weights = ch07_models.attention_weights(run["model"], source,
                                                decoder)[0]
        n = len(test.sources[i])
        out.append({"source": test.sources[i], "target": test.targets[i],
                    "predicted": predicted, "lang": test.langs[i],
                    # Rows: the output characters and END; columns: the
                    # input characters (the padding's weights are 0).
                    "weights": np.round(weights[:, :n], 4).tolist(),
                    "padding_weight": float(np.abs(weights[:, n:]).max())
                    if weights.shape[1] > n else 0.0})
    return out


def seeds_part(data, args):
    """Both recurrent models over the seeds; heat maps from seed 0."""
    runs = {"plain": [], "attention": []}
    heat = None
    for seed in range(args.seeds):
        for kind in runs:
            keep = seed == 0 and kind == "attention"
            run = run_model(kind, seed, data, args, keep=keep)
            if keep:
                heat = heatmaps(run, data)
                del run["model"], run["predicted"]
            runs[kind].append(run)
    return {"runs": runs, "heatmaps": heat}


def transformer_part(data, args):
    """The small Transformer, seed 0, the same budget."""
    return run_model("transformer", 0, data, args)


def thousands_tags(text, lang):
    """Tag 1 for the characters of the thousands, up to "mil"/"thousand".

    Parameters
    ----------
    text : str
        A number in words.
    lang : {"es", "en"}

    Returns
    -------
    np.ndarray of int32, shape (len(text),)
        1 from the first character to the end of the word "mil" or
        "thousand" (when the number has one), 0 after it and elsewhere.
    """
    import re

    import numpy as np

    tags = np.zeros(len(text), dtype=np.int32)
    found = re.search(rf"\b{THOUSANDS[lang]}\b", text)
    if found:
        tags[:found.end()] = 1
    return tags


def tagging_part(data, args):
    """A tag per input character: unidirectional and bidirectional GRU."""
    import keras
    import numpy as np

    from rnn_course import number_words as nw

    tags = {}
    for name, p in data["pairs"].items():
        tags[name] = nw.pad([thousands_tags(s, lang) for s, lang in
                             zip(p.sources, p.langs, strict=True)],
                            data["T"])
    x = data["x"]
    out = {"units": args.tag_units, "epochs": args.tag_epochs,
           "example": {}}
    test = data["pairs"]["test"]
    for kind in ("forward", "bidirectional"):
        keras.utils.set_random_seed(0)
        model = tagger(kind, len(data["source_vocab"]), args)
        start = cpu()
        model.fit(x["train"], tags["train"][..., None],
                  batch_size=args.batch, epochs=args.tag_epochs,
                  verbose=0)
        seconds = cpu() - start
        probs = np.asarray(model(x["test"], training=False))[..., 0]
        real = x["test"] != nw.PAD
        guess = (probs > 0.5).astype(np.int32)
        right = (guess == tags["test"]) | ~real
        # The characters before the word "mil"/"thousand" of the numbers
        # that have one: a left-to-right reader cannot know their tag.
        before = (tags["test"] == 1) & real
        out[kind] = {
            "parameters": int(model.count_params()),
            "training_cpu_seconds": seconds,
            "character_accuracy": float(right[real].mean()),
            "sequence_accuracy": float(right.all(axis=1).mean()),
            "thousands_accuracy": float(right[before].mean()),
            "rest_accuracy": float(right[real & ~before].mean()),
        }
        i = next(k for k in range(len(test))
                 if test.langs[k] == "es" and THOUSANDS["es"] in
                 test.sources[k].split() and len(test.targets[k]) == 6)
        out["example"][kind] = {
            "source": test.sources[i],
            "tags": tags["test"][i, :len(test.sources[i])].tolist(),
            "predicted": guess[i, :len(test.sources[i])].tolist()}
        print(f"  tagger {kind}: {out[kind]}", flush=True)
    return out


def tagger(kind, source_size, args):
    """A GRU tagger: one sigmoid per input character."""
    import keras

    layers = keras.layers
    ids = keras.Input((None,), dtype="int32")
    x = layers.Embedding(source_size, args.embed, mask_zero=True)(ids)
    if kind == "forward":
        x = layers.GRU(args.tag_units, return_sequences=True)(x)
    else:
        x = layers.Bidirectional(
            layers.GRU(args.tag_units // 2, return_sequences=True))(x)
    probs = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(ids, probs)
    model.compile(optimizer=keras.optimizers.Adam(args.learning_rate),
                  loss="binary_crossentropy")
    return model


def summary(doc):
    """Per-kind means and ranges of the seed runs; threshold evidence."""
    import numpy as np

    out = {}
    for kind, runs in doc["seeds"]["runs"].items():
        exact = [r["exact_match"] for r in runs]
        out[kind] = {"exact_min": min(exact), "exact_max": max(exact),
                     "exact_mean": float(np.mean(exact)),
                     "char_mean": float(np.mean(
                         [r["character_accuracy"] for r in runs])),
                     "training_cpu_max": max(r["training_cpu_seconds"]
                                             for r in runs)}
    return out


def markdown(doc):
    """The RESULTS.md section made from the JSON document."""
    d = doc["data"]
    s = doc["settings"]
    v = doc["versions"]
    lines = [
        SECTION, "",
        "Script: `bench/ch07_seq2seq.py` (models in `bench/ch07_models.py`"
        "), output `bench/ch07_seq2seq.json` (chapter 7's pages read it)."
        " Its parts ran as follows:", ""]
    for part in PARTS:
        run = doc.get("runs", {}).get(part)
        if run:
            lines.append(
                f"- {part}: `{run['command']}`, {run['date']}, "
                f"{run['seconds'] / 60:.1f} min wall, "
                f"{run['cpu_seconds'] / 60:.1f} CPU-min")
    lines += [
        "", f"Machine: {doc['machine']}; Python {v['python']}, "
        f"TensorFlow {v['tensorflow']}, Keras {v['keras']}, num2words "
        f"{v['num2words']}.", "",
        f"Task: `rnn_course.number_words`, values 0-999,999 in Spanish "
        f"and English words -> digits, split by value: "
        f"{d['values']['train']} / {d['values']['validation']} / "
        f"{d['values']['test']} values ({d['sizes']['train']} / "
        f"{d['sizes']['validation']} / {d['sizes']['test']} pairs); "
        f"inputs of {d['shortest']['train']}-{d['longest']['train']} "
        f"characters ({d['source_vocab_size']} source ids, "
        f"{d['target_vocab_size']} target ids with PAD, START, END).", "",
        f"Budget of every encoder-decoder: {s['epochs']} epochs of the "
        f"training pairs in batches of {s['batch']}, Adam "
        f"{s['learning_rate']}, GRU units {s['units']}, embeddings "
        f"{s['embed']}; greedy decoding of the {d['sizes']['test']} test "
        "pairs. CPU seconds = `time.process_time` on one thread.", "",
        "| model | seed | parameters | training CPU-s | exact match | "
        "character accuracy | exact (es) | exact (en) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    runs = [r for kind in ("attention", "plain")
            for r in doc["seeds"]["runs"][kind]]
    if "transformer" in doc:
        runs.append(doc["transformer"])
    for r in runs:
        lang = r["by_language"]
        lines.append(
            f"| {r['kind']} | {r['seed']} | {r['parameters']} | "
            f"{r['training_cpu_seconds']:.0f} | {r['exact_match']:.4f} | "
            f"{r['character_accuracy']:.4f} | "
            f"{lang['es']['exact_match']:.4f} | "
            f"{lang['en']['exact_match']:.4f} |")
    lines += ["", "Exact match by input length (characters), seed 0:", "",
              "| model | " + " | ".join(
                  f"{a}-{b - 1}" for a, b in zip(EDGES[:-1], EDGES[1:],
                                                strict=True)) + " |",
              "| --- |" + " ---: |" * (len(EDGES) - 1)]
    for r in runs:
        if r["seed"] != 0:
            continue
        cells = {row["low"]: f"{row['exact_match']:.3f} ({row['pairs']})"
                 for row in r["by_length"]}
        lines.append(f"| {r['kind']} | " + " | ".join(
            cells.get(a, "—") for a in EDGES[:-1]) + " |")
    summ = doc["summary"]
    lines += ["", "Threshold evidence (exact match over the seeds): "
              + "; ".join(
                  f"{kind}: min {x['exact_min']:.4f}, max "
                  f"{x['exact_max']:.4f}, mean {x['exact_mean']:.4f}, "
                  f"training at most {x['training_cpu_max']:.0f} CPU-s"
                  for kind, x in summ.items()) + "."]
    tag = doc.get("tagging")
    if tag:
        lines += ["", f"Synchronised tagging (thousands part), "
                  f"{tag['epochs']} epochs:", ""]
        for kind in ("forward", "bidirectional"):
            t = tag[kind]
            lines.append(
                f"- {kind} GRU ({t['parameters']} parameters, "
                f"{t['training_cpu_seconds']:.0f} CPU-s): characters "
                f"{t['character_accuracy']:.4f}, whole inputs "
                f"{t['sequence_accuracy']:.4f}, characters of the "
                f"thousands {t['thousands_accuracy']:.4f}")
    lines.append("")
    return "\n".join(lines)


def save(doc, args):
    """Write the JSON document to ``args.out``."""
    args.out.write_text(json.dumps(doc, indent=1) + "\n", "utf-8")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--parts", nargs="+", choices=PARTS,
                        default=list(PARTS))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--units", type=int, default=64)
    parser.add_argument("--embed", type=int, default=32)
    parser.add_argument("--heads", type=int, default=4,
                        help="attention heads of the Transformer")
    parser.add_argument("--learning-rate", type=float, default=0.005)
    parser.add_argument("--tag-units", type=int, default=32)
    parser.add_argument("--tag-epochs", type=int, default=1)
    parser.add_argument("--out", type=Path,
                        default=HERE / "ch07_seq2seq.json")
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--markdown-only", action="store_true",
                        help="remake the RESULTS.md section from --out")
    args = parser.parse_args()

    doc = {}
    if args.out.exists():
        doc = json.loads(args.out.read_text("utf-8"))
    if not args.markdown_only:
        from importlib.metadata import version

        import keras
        import tensorflow as tf

        tf.config.threading.set_inter_op_parallelism_threads(1)
        tf.config.threading.set_intra_op_parallelism_threads(1)
        cores = sorted(os.sched_getaffinity(0))
        pinned = f"taskset -c {cores[0]} " if len(cores) == 1 else ""
        command = (f"nice -n 10 {pinned}.venv/bin/python "
                   "bench/ch07_seq2seq.py " + " ".join(sys.argv[1:]))
        doc.update({
            "machine": f"{os.cpu_count()} cores (run on one), "
                       f"{platform.machine()}",
            "versions": {"python": platform.python_version(),
                         "tensorflow": tf.__version__,
                         "keras": keras.__version__,
                         "num2words": version("num2words")},
            "settings": {key: getattr(args, key) for key in (
                "seeds", "epochs", "batch", "units", "embed",
                "heads", "learning_rate", "tag_units", "tag_epochs")},
        })
        data = prepare()
        functions = {"data": data_part, "seeds": seeds_part,
                     "transformer": transformer_part,
                     "tagging": tagging_part}
        for part in PARTS:
            if part not in args.parts:
                continue
            print(f"== {part}", flush=True)
            start, start_cpu = time.perf_counter(), cpu()
            doc[part] = functions[part](data, args)
            doc.setdefault("runs", {})[part] = {
                "command": command.strip(),
                "date": datetime.date.today().isoformat(),
                "seconds": time.perf_counter() - start,
                "cpu_seconds": cpu() - start_cpu}
            if "seeds" in doc:
                doc["summary"] = summary(doc)
            save(doc, args)
    if "seeds" in doc and "data" in doc:
        results_md.write_section(markdown(doc), args.results)
        print(f"updated {args.results}")


if __name__ == "__main__":
    main()
