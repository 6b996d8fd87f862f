"""Hostile Keras models: what a student could try against the accuracy
checks of chapters 5, 6 and 7.

Each sample is the chapter solved (English), but for its model-building
answer, which carries one attack on the grader: weights trained in the
student's kernel and smuggled in ``Constant`` initialisers with a
learning rate of zero; a ``Lambda`` layer whose code would run wherever
the model is loaded (here it would cut the grader's training to one
epoch); the kernel's description rewritten to declare layers of 12,500
units (4 GiB of weights if built as declared), or to name a
``TFSMLayer`` (which loads a TensorFlow SavedModel from a path); the
IMDB test part memorised in the embedding; a chapter-7 description
rewritten to carry code where a number belongs. Every one must lose
exactly the model's points, and nothing else: tests/test_autograde.py
asserts each score, that no file of the course or of the venv changed
and that no process survives.
"""

#: Slugs of the chapters whose model is trained by its check.
OVERFITTING, SENTIMENT = "05-overfitting", "06-sentiment"
SEQ2SEQ = "07-seq2seq-attention"

SMUGGLED = '''def build_regularised_model(num_words):
    # Weights "trained" here, kept by Constant initialisers and a zero
    # learning rate.
    rng = np.random.default_rng(0)
    layers = [keras.Input((num_words,))]
    for fan_in, units, activation in ((num_words, 512, "relu"),
                                      (512, 512, "relu"), (512, 1, "sigmoid")):
        trained = rng.standard_normal((fan_in, units)).astype("float32")
        layers.append(keras.layers.Dense(
            units, activation=activation,
            kernel_initializer=keras.initializers.Constant(trained)))
    model = keras.Sequential(layers)
    model.compile(optimizer=keras.optimizers.SGD(0.0),
                  loss="binary_crossentropy", metrics=["accuracy"])
    return model
'''

GADGET = '''def build_regularised_model(num_words):
    def gadget(t):
        keras.config.set_max_epochs(1)  # the grader's training: 1 epoch
        return t

    model = keras.Sequential([
        keras.Input((num_words,)),
        keras.layers.Lambda(gadget),
        keras.layers.Dense(512, activation="relu"),
        keras.layers.Dense(512, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="rmsprop", loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model
'''

#: A chapter-5 model the checks accept, written as a student would.
HONEST_CH05 = '''def build_regularised_model(num_words):
    model = keras.Sequential([
        keras.Input((num_words,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="rmsprop", loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model
'''


def rewritten(model_source, rewrite):
    """An answer cell whose kernel rewrites the model's description.

    ``rewrite`` is the body of ``_rewrite(described)`` (4-space indent),
    which changes the description that the kernel's describer made
    before it crosses to the grader.
    """
    return (f"import sys\n\n\n{model_source}\n\n"
            "def _rewritten_describe(model, arguments=()):\n"
            "    described = _original_describe(model, arguments)\n"
            f"{rewrite}"
            "    return described\n\n\n"
            "_describer = sys.modules.get(\"_course_describe\")\n"
            "if _describer is not None:\n"
            "    _original_describe = _describer.describe\n"
            "    _describer.describe = _rewritten_describe\n")


#: Declares 12,500 units per hidden layer in a few kilobytes: built as
#: declared, 3.9 GiB of weights in the grader.
BOMB = rewritten(HONEST_CH05, """\
    for layer in described["config"]["layers"][1:4:2]:
        layer["config"]["units"] = 12500
""")

#: Tells the grader the model holds a TFSMLayer that loads a SavedModel
#: from a path.
TFSM = rewritten(HONEST_CH05, """\
    described["config"]["layers"][1] = {
        "class_name": "TFSMLayer", "module": "keras.layers",
        "config": {"name": "tfsm", "filepath": "/tmp/payload",
                   "call_endpoint": "serve"}}
""")

MEMORISED = '''def build_sentiment_model(embedding_matrix, sequence_length):
    # Vectors "trained" in the kernel (on the course's test reviews),
    # frozen in a Constant initialiser and kept by a zero learning rate.
    V, d = embedding_matrix.shape
    trained = embedding_matrix + 0.25
    model = keras.Sequential([
        keras.Input((sequence_length,), dtype="int32"),
        keras.layers.Embedding(
            V, d, mask_zero=True, trainable=False,
            embeddings_initializer=keras.initializers.Constant(trained)),
        keras.layers.GRU(32),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.SGD(0.0),
                  loss="binary_crossentropy", metrics=["accuracy"])
    return model
'''

#: A chapter-7 description that carries code where a number belongs.
REWRITTEN_DESCRIPTION = rewritten('''\
def build_seq2seq_model(source_vocab_size, target_vocab_size):
    source = keras.Input((None,), dtype="int32")
    decoder = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(source_vocab_size, 32, mask_zero=True)(source)
    states, last = keras.layers.GRU(64, return_sequences=True,
                                    return_state=True)(x)
    y = keras.layers.Embedding(target_vocab_size, 32, mask_zero=True)(decoder)
    s = keras.layers.GRU(64, return_sequences=True)(y, initial_state=last)
    s = keras.layers.Concatenate()([s, keras.layers.Attention()([s, states])])
    out = keras.layers.Dense(target_vocab_size, activation="softmax")(s)
    model = keras.Model([source, decoder], out)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model
''', """\
    described["compile"]["optimizer"]["config"]["learning_rate"] = (
        "__import__('os').system('touch /tmp/pwned')")
""")

#: student: (chapter slug, graded function, its answer cell)
ATTACKS = {
    "hostile-model-smuggle": (OVERFITTING, "build_regularised_model",
                              SMUGGLED),
    "hostile-model-gadget": (OVERFITTING, "build_regularised_model",
                             GADGET),
    "hostile-model-bomb": (OVERFITTING, "build_regularised_model", BOMB),
    "hostile-model-tfsm": (OVERFITTING, "build_regularised_model", TFSM),
    "hostile-model-memorise": (SENTIMENT, "build_sentiment_model",
                               MEMORISED),
    "hostile-model-rewritten": (SEQ2SEQ, "build_seq2seq_model",
                                REWRITTEN_DESCRIPTION),
}


def samples(filled, replace):
    """{(student, assignment): notebook} of the attacks above.

    ``filled(lang, slug)`` is the solved release of a chapter and
    ``replace(notebook, grade_id, source)`` swaps one answer cell.
    """
    return {
        (student, f"{slug}-en"): replace(filled("en", slug), name, source)
        for student, (slug, name, source) in ATTACKS.items()
    }
