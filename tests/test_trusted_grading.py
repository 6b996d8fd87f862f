"""The trusted grading step's parts, one by one.

The whole step is proven on the sample submissions in test_autograde.py;
here each part is held to its contract: what may cross the boundary
(:mod:`wire`), how a call's outcome reaches the checks (:mod:`proxy`),
what a submission's metadata becomes (:mod:`normalise`), what outputs
may stay (:mod:`outputs`), and what the sandbox lets a kernel see.
"""

import json
import os
import sys

import nbformat
import numpy as np
import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "autograder"))
from trusted_grading import (  # noqa: E402
    normalise,
    outputs,
    proxy,
    wire,
    worker,
)

LIMIT = 2**20


def roundtrip(value, **load):
    """``value`` written and read back through the wire."""
    folder = roundtrip.folder
    wire.dump(value, folder, "v")
    return wire.load(folder, "v", max_bytes=LIMIT, **load)


@pytest.fixture(autouse=True)
def _folder(tmp_path):
    roundtrip.folder = tmp_path


# ------------------------------------------------------------------ wire


def test_plain_data_crosses_unchanged():
    value = {
        "x": np.arange(6.0).reshape(2, 3),
        "ids": np.array([3, 1], dtype=np.int32),
        "mask": np.array([True, False]),
        7: (1, 2.5, -3, None, True, "ñandú", float("nan"), float("inf")),
        "list": [np.float32(1.5), np.int64(2), 10**30, complex(1, 2)],
    }
    back = roundtrip(value)
    assert back.keys() == value.keys()
    assert back["x"].dtype == np.float64 and back["ids"].dtype == np.int32
    np.testing.assert_array_equal(back["x"], value["x"])
    assert back[7][:6] == value[7][:6] and isinstance(back[7], tuple)
    assert np.isnan(back[7][6]) and back[7][7] == float("inf")
    assert type(back["list"][0]) is np.float32
    assert type(back["list"][1]) is np.int64
    assert back["list"][2:] == [10**30, complex(1, 2)]


def test_word_vectors_cross_as_their_arrays():
    # Chapter 6's build_embedding_matrix receives an rnn_course GloVe.
    from rnn_course.data import GloVe

    words = np.array(["", "[UNK]", "café", "the"], dtype=object)
    vectors = np.arange(8, dtype=np.float32).reshape(4, 2)
    glove = GloVe(vectors=vectors, words=words,
                  index={w: i for i, w in enumerate(words)})
    back = roundtrip([glove])[0]
    assert type(back) is GloVe
    assert back.vectors.dtype == np.float32
    np.testing.assert_array_equal(back.vectors, vectors)
    assert list(back.words) == list(words) and back.index == glove.index
    assert "café" in back and np.array_equal(back["the"], vectors[3])


def test_malformed_word_vectors_are_refused(tmp_path):
    np.savez(tmp_path / "v.npz", np.zeros((2, 3)), np.array(["a"]))
    (tmp_path / "v.json").write_text(json.dumps({
        "t": "glove", "vectors": {"t": "array", "i": "arr_0"},
        "words": {"t": "array", "i": "arr_1"}}))
    with pytest.raises(wire.WireError, match="word vectors"):
        wire.load(tmp_path, "v", max_bytes=LIMIT)


def test_table_decoders_cross_as_their_arrays():
    # Chapter 7's greedy_decode receives a step function: a TableDecoder.
    from rnn_course.decoding import TableDecoder

    decoder = TableDecoder(scores=np.array([[0.1, 0.9], [0.7, 0.3]]),
                           next_state=np.array([[1, 0], [0, 1]]),
                           start_state=1)
    back = roundtrip([decoder])[0]
    assert type(back) is TableDecoder and back.start_state == 1
    np.testing.assert_array_equal(back.scores, decoder.scores)
    np.testing.assert_array_equal(back.next_state, decoder.next_state)
    scores, state = back(1, None)
    assert state == 1 and np.array_equal(scores, [0.7, 0.3])


def test_malformed_table_decoders_are_refused(tmp_path):
    # next_state names a state that does not exist
    np.savez(tmp_path / "v.npz", np.zeros((2, 3)), np.full((2, 3), 5))
    (tmp_path / "v.json").write_text(json.dumps({
        "t": "table_decoder", "scores": {"t": "array", "i": "arr_0"},
        "next_state": {"t": "array", "i": "arr_1"}, "start": 0}))
    with pytest.raises(wire.WireError, match="table decoder"):
        wire.load(tmp_path, "v", max_bytes=LIMIT)


@pytest.mark.parametrize("bad", [
    lambda: None, object(), {1, 2}, np.array([object()]),
    {(1, 2): 3}, [type],
], ids=["function", "object", "set", "object-array", "tuple-key", "class"])
def test_anything_else_is_refused(bad):
    with pytest.raises(wire.WireError):
        roundtrip(bad)


def test_no_pickle_is_ever_read(tmp_path):
    np.save(tmp_path / "evil.npy", np.array([object()]), allow_pickle=True)
    import zipfile

    with zipfile.ZipFile(tmp_path / "v.npz", "w") as archive:
        archive.write(tmp_path / "evil.npy", "arr_0.npy")
    (tmp_path / "v.json").write_text(json.dumps({"t": "array",
                                                 "i": "arr_0"}))
    with pytest.raises(wire.WireError):
        wire.load(tmp_path, "v", max_bytes=LIMIT)


def test_too_large_too_deep_or_linked_is_refused(tmp_path):
    wire.dump(np.zeros(LIMIT), tmp_path, "big")
    with pytest.raises(wire.WireError, match="larger than"):
        wire.load(tmp_path, "big", max_bytes=LIMIT)
    # A small compressed file that would unpack to 8 MiB: a zip bomb.
    wire.dump(0, tmp_path, "bomb")
    np.savez_compressed(tmp_path / "bomb.npz", np.zeros(LIMIT))
    with pytest.raises(wire.WireError, match="more than"):
        wire.load(tmp_path, "bomb", max_bytes=LIMIT)
    deep = []
    for _ in range(wire.MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(wire.WireError, match="nested"):
        roundtrip(deep)
    secret = tmp_path / "secret.json"
    secret.write_text("1")
    wire.dump(1, tmp_path, "linked")
    os.remove(tmp_path / "linked.json")
    os.symlink(secret, tmp_path / "linked.json")
    with pytest.raises(wire.WireError):
        wire.load(tmp_path, "linked", max_bytes=LIMIT)
    (tmp_path / "junk.json").write_text("{not json")
    wire.dump(1, tmp_path, "junk-ok")
    os.replace(tmp_path / "junk-ok.npz", tmp_path / "junk.npz")
    with pytest.raises(wire.WireError, match="malformed"):
        wire.load(tmp_path, "junk", max_bytes=LIMIT)


@pytest.fixture()
def no_hang():
    """Fail (not hang) a test whose grader blocks: SIGALRM after 300 s."""
    import signal

    def hung(*_):
        raise AssertionError("the grader blocked")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(300)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def test_a_fifo_or_link_where_the_grader_reads_is_refused(tmp_path,
                                                          no_hang):
    # A FIFO with no writer blocks a plain open() for ever.
    wire.dump(1, tmp_path, "fifo")
    os.remove(tmp_path / "fifo.json")
    os.mkfifo(tmp_path / "fifo.json")
    with pytest.raises(wire.NotRegularFile, match="not a regular file"):
        wire.load(tmp_path, "fifo", max_bytes=LIMIT)
    wire.dump(1, tmp_path, "npz")
    os.remove(tmp_path / "npz.npz")
    os.mkfifo(tmp_path / "npz.npz")
    with pytest.raises(wire.NotRegularFile):
        wire.load(tmp_path, "npz", max_bytes=LIMIT)
    # A link to a FIFO is refused too, before anything is opened.
    os.symlink(tmp_path / "fifo.json", tmp_path / "link.json")
    with pytest.raises(wire.NotRegularFile):
        wire._read_regular(str(tmp_path / "link.json"), LIMIT)


def test_an_error_while_saving_a_result_is_named(tmp_path, monkeypatch):
    fn = student("def f():\n    return np.ones(3)\n", tmp_path, "f")
    wire.dump([[], {}], tmp_path, "9-args")

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(wire, "dump", full)
    worker.call("f", "9", namespace=fn._session.namespace)
    info = json.loads((tmp_path / "9-error.json").read_text())
    assert info["kind"] == "not_saved"
    assert "No space left" in info["detail"]
    assert not (tmp_path / "9-done.json").exists()
    for lang in ("en", "es"):
        text = proxy.message("not_saved", lang, detail=info["detail"])
        assert "No space left" in text
        assert "changed or removed" not in text
        assert "modificado" not in text


def test_generator_crosses_as_its_state():
    rng = np.random.default_rng(3)
    back = roundtrip(rng)
    assert back.random() == rng.random()


def test_models_cross_only_as_validated_descriptions(tmp_path):
    import keras
    from trusted_grading.session import build_described_model

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    wire.dump(model, tmp_path, "m")
    # Nothing but JSON and an empty array file: no archive, no weight.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json", "m.npz"]
    with np.load(tmp_path / "m.npz") as npz:
        assert npz.files == []
    back = wire.load(tmp_path, "m", max_bytes=LIMIT,
                     model_loader=build_described_model)
    assert back is not model and isinstance(back, keras.Model)
    assert back.output_shape == (None, 2) and back.compiled
    # The grader's own weights: none of the student's model's.
    for mine, theirs in zip(back.get_weights(), model.get_weights(),
                            strict=True):
        assert mine.shape == theirs.shape
        assert not np.array_equal(mine, theirs) or not mine.any()
    with pytest.raises(wire.WireError):  # no loader: no model
        wire.load(tmp_path, "m", max_bytes=LIMIT)
    lam = keras.Sequential([keras.Input((3,)),
                            keras.layers.Lambda(lambda t: t * 2)])
    wire.dump(lam, tmp_path, "lam")
    from trusted_grading.models import Refused

    with pytest.raises(Refused, match="Lambda is not allowed"):
        wire.load(tmp_path, "lam", max_bytes=LIMIT,
                  model_loader=build_described_model)


def test_an_archive_tag_is_never_loaded(tmp_path):
    # The old way, a .keras archive beside the JSON, is unknown now.
    wire.dump(1, tmp_path, "old")
    (tmp_path / "old.json").write_text('{"t": "keras", "file": "x.keras"}')
    with pytest.raises(wire.WireError, match="unknown tag"):
        wire.load(tmp_path, "old", max_bytes=LIMIT,
                  model_loader=lambda *a: pytest.fail("loaded"))


# ------------------------------------------------------ worker and proxy


class LocalSession:
    """Runs the worker in this process: the proxy's contract, no kernel."""

    def __init__(self, folder, namespace):
        self.folder, self.namespace = folder, namespace
        worker.start(str(folder), str(folder), LIMIT)
        self.calls = 0

    def call(self, name, args, kwargs, lookup):
        self.calls += 1
        stem = str(self.calls)
        wire.dump([list(args), dict(kwargs)], self.folder, f"{stem}-args")
        worker.call(name, stem, namespace=self.namespace)
        error = self.folder / f"{stem}-error.json"
        if error.exists():
            info = json.loads(error.read_text())
            if info["kind"] == "unsupported":
                raise proxy.NotGradable(info["detail"])
            raise proxy.rebuild_exception(info)
        result = wire.load(self.folder, f"{stem}-result", max_bytes=LIMIT,
                           arguments=lookup)
        after = wire.load(self.folder, f"{stem}-after", max_bytes=LIMIT)
        return result, (after[0], after[1])


def student(source, tmp_path, name):
    """The proxy of function ``name`` defined by a student's ``source``."""
    import linecache

    filename = f"<student-cell-{name}>"
    linecache.cache[filename] = (len(source), None,
                                 source.splitlines(True), filename)
    namespace = {"np": np}
    exec(compile(source, filename, "exec"), namespace)
    return proxy.Proxy(name, LocalSession(tmp_path, namespace))


def test_in_place_changes_reach_the_caller(tmp_path):
    fn = student(
        "def f(x, xs, d, rng):\n"
        "    x *= 2\n"
        "    xs.pop(0)\n"
        "    d['new'] = 1\n"
        "    rng.random()\n"
        "    return None\n", tmp_path, "f")
    x, inner = np.ones(3), np.zeros(2)
    xs, d = [inner, np.ones(1)], {"a": 1}
    rng, twin = np.random.default_rng(0), np.random.default_rng(0)
    fn(x, xs, d, rng)
    np.testing.assert_array_equal(x, [2, 2, 2])
    assert len(xs) == 1 and d == {"a": 1, "new": 1}
    twin.random()
    assert rng.random() == twin.random()


def test_returned_inputs_and_views_are_the_callers_arrays(tmp_path):
    fn = student("def f(a, b):\n    return a, b[1:], a.copy()\n",
                 tmp_path, "f")
    a, b = np.arange(3.0), np.arange(4.0)
    same, view, copy = fn(a, b)
    assert same is a
    assert np.shares_memory(view, b) and not np.shares_memory(copy, a)
    np.testing.assert_array_equal(view, [1, 2, 3])


def test_exceptions_come_back_with_type_and_student_line(tmp_path):
    fn = student("def f(x):\n    y = x + 1\n    return y @ np.ones((5, 2))\n",
                 tmp_path, "f")
    with pytest.raises(ValueError) as raised:
        fn(np.ones((2, 3)))
    assert raised.value.student_line[0] == 3
    assert "np.ones((5, 2))" in raised.value.student_line[1]
    stub = student("def g():\n    raise NotImplementedError()\n",
                   tmp_path, "g")
    with pytest.raises(NotImplementedError):
        stub()
    custom = student("class Oops(KeyError):\n    pass\n"
                     "def h():\n    raise Oops('no')\n", tmp_path, "h")
    with pytest.raises(KeyError) as raised:
        custom()
    assert type(raised.value).__name__ == "Oops"
    missing = proxy.Proxy("nothing", LocalSession(tmp_path, {}))
    with pytest.raises(NameError):
        missing()


def test_a_result_that_cannot_cross_is_named(tmp_path):
    fn = student("def f():\n    return lambda: 1\n", tmp_path, "f")
    with pytest.raises(proxy.NotGradable, match="function"):
        fn()


def test_hidden_check_helpers_read_the_proxied_line(tmp_path):
    from hidden_checks import _common

    fn = student("def f(x):\n    return x @ x\n", tmp_path, "f")
    with pytest.raises(AssertionError, match="line 2"):
        _common.call(fn, (np.ones((2, 3)),), name="f", arg_names=("x",),
                     lang="en")


# ------------------------------------------------------------- normalise


def release():
    path = ROOT / "exercises" / "01-embeddings-activations-en" / \
        "01-embeddings-activations.ipynb"
    return nbformat.read(path, as_version=4)


def test_metadata_comes_from_the_release():
    submission = release()
    for cell in submission.cells:
        cell.metadata["tags"] = ["skip-execution"]
        if "nbgrader" in cell.metadata:
            cell.metadata.nbgrader["schema_version"] = 99
            cell.metadata.nbgrader["points"] = 100
    result = normalise.normalise(submission, release())
    expected = [c.metadata.get("nbgrader") for c in release().cells]
    assert [c.metadata.get("nbgrader") for c in result.cells] == expected
    assert all("tags" not in c.metadata for c in result.cells)
    assert len({c.id for c in result.cells}) == len(result.cells)


def test_first_copy_keeps_the_metadata_and_no_answer_is_lost():
    submission = release()
    at = next(i for i, c in enumerate(submission.cells)
              if normalise.grade_id_of(c) == "softmax")
    pasted = nbformat.from_dict(json.loads(json.dumps(submission.cells[at])))
    pasted.source = "def softmax(z):\n    return z\n"
    submission.cells.insert(at + 1, pasted)
    result = normalise.normalise(submission, release())
    ids = [normalise.grade_id_of(c) for c in result.cells]
    assert ids.count("softmax") == 1
    assert result.cells[at + 1].source == pasted.source
    assert "nbgrader" not in result.cells[at + 1].metadata


def test_deleted_cells_come_back_in_place_and_html_is_text():
    submission = release()
    submission.cells = [c for c in submission.cells
                        if normalise.grade_id_of(c) != "test_softmax"]
    submission.cells.append(nbformat.v4.new_markdown_cell("<script>x</script>"))
    result = normalise.normalise(submission, release())
    ids = [normalise.grade_id_of(c) for c in result.cells]
    assert ids.index("test_softmax") == ids.index("softmax") + 1
    assert "<script>" not in result.cells[-1].source


# --------------------------------------------------------------- outputs


def test_outputs_are_reduced_to_safe_types_and_capped():
    cap = outputs.Cap("es")
    cap.start_cell()
    outs = [nbformat.v4.new_output(
        "display_data", data={"text/html": "<script>1</script>",
                              "application/javascript": "alert(1)",
                              "text/plain": "<HTML>"})]
    cap.add(outs)
    assert list(outs[0]["data"]) == ["text/plain"]
    outs.append(outputs.stream("x" * (outputs.MAX_CELL_CHARS + 10)))
    cap.add(outs)
    cap.finish(outs)
    assert sum(len(o.get("text", "")) for o in outs[:-1]) <= \
        outputs.MAX_CELL_CHARS
    assert "salida recortada" in outs[-1]["text"]


def encoded_image(fmt, width, height):
    """A real image of ``width`` x ``height`` pixels, base64 (Pillow)."""
    import base64
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buffer, fmt)
    return base64.b64encode(buffer.getvalue()).decode()


def declared_png(width, height):
    """A tiny PNG whose header declares ``width`` x ``height``."""
    import base64
    import struct
    import zlib

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = (struct.pack(">I", len(header)) + b"IHDR" + header
             + struct.pack(">I", zlib.crc32(b"IHDR" + header)))
    return base64.b64encode(b"\x89PNG\r\n\x1a\n" + chunk).decode()


def test_image_sizes_are_read_from_their_headers():
    assert outputs.image_size("image/png",
                              encoded_image("PNG", 31, 17)) == (31, 17)
    assert outputs.image_size("image/jpeg",
                              encoded_image("JPEG", 640, 9)) == (640, 9)
    assert outputs.image_size("image/png", declared_png(40000, 40000)) \
        == (40000, 40000)
    for mime in ("image/png", "image/jpeg"):
        assert outputs.image_size(mime, "bm90IGFuIGltYWdl") is None
        assert outputs.image_size(mime, "%%%") is None


def test_oversized_or_unreadable_images_are_dropped_with_a_note():
    cap = outputs.Cap("es")
    cap.start_cell()
    outs = []
    for data in ({"image/png": declared_png(40000, 40000)},
                 {"image/jpeg": "bm90IGFuIGltYWdl", "text/plain": "fig"},
                 {"image/png": encoded_image("PNG", 640, 480)}):
        outs.append(nbformat.v4.new_output("display_data", data=data))
        cap.add(outs)
    cap.finish(outs)
    kept = [mime for out in outs for mime in out.get("data", {})]
    assert kept == ["text/plain", "image/png"]
    notes = "".join(o.get("text", "") for o in outs)
    assert "imagen descartada: 40000 x 40000" in notes
    assert "su encabezado no se puede leer" in notes
    assert str(outputs.MAX_IMAGE_PIXELS) in notes


def test_long_markdown_and_raw_text_is_cut_with_a_note():
    submission = release()
    huge = "# title\n" + "a" * (normalise.MAX_TEXT_CHARS * 3)
    submission.cells.append(nbformat.v4.new_markdown_cell(huge))
    submission.cells.append(nbformat.v4.new_raw_cell(huge))
    submission.cells.append(nbformat.v4.new_code_cell("x = 1\n" * 5))
    result = normalise.normalise(submission, release())
    markdown, raw, code = result.cells[-3:]
    for cell in (markdown, raw):
        assert len(cell.source) < normalise.MAX_TEXT_CHARS + 200
        assert "text cut" in cell.source and "texto recortado" in cell.source
    assert code.source == "x = 1\n" * 5
    short = normalise.normalise(release(), release())
    assert all("text cut" not in c.source for c in short.cells)


def test_only_html_of_javascript_display_is_dropped():
    cap = outputs.Cap("en")
    cap.start_cell()
    outs = [nbformat.v4.new_output(
        "display_data", data={"application/javascript": "alert(1)"})]
    cap.add(outs)
    assert outs == []


# --------------------------------------------------------------- sandbox

PROBE = """
import json, os, socket
import numpy as np
seen = {{}}
seen["solutions"] = os.path.exists({root!r} + "/solutions")
seen["autograder"] = os.path.exists({root!r} + "/autograder")
seen["repository"] = sorted(os.listdir({root!r}))
try:
    open({root!r} + "/rnn_course/planted.py", "w")
    seen["write"] = True
except OSError:
    seen["write"] = False
s = socket.socket()
s.settimeout(2)
try:
    s.connect(("127.0.0.1", {port}))
    seen["network"] = True
except OSError:
    seen["network"] = False
try:
    hog = np.ones(3 * 2**30 // 8)
    seen["memory"] = True
except MemoryError:
    seen["memory"] = False
seen["processes"] = len([p for p in os.listdir("/proc") if p.isdigit()])
print(json.dumps(seen))
"""


def test_the_kernel_sees_nothing_of_the_course():
    import socket

    from trusted_grading.session import KernelSession

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    cell = nbformat.v4.new_code_cell(PROBE.format(root=str(ROOT),
                                                  port=port))
    with KernelSession(None, lang="en", timeout=60, total_timeout=120,
                       memory_limit=2 * 2**30, max_transfer=LIMIT) as session:
        session.run_cell(cell)
        scratch = session.scratch.root
    server.close()
    seen = json.loads(cell.outputs[0]["text"])
    assert seen == {
        "solutions": False, "autograder": False,
        "repository": sorted({".venv", "rnn_course"} & set(os.listdir(ROOT))),
        "write": False, "network": False, "memory": False,
        "processes": seen["processes"],
    }
    assert seen["processes"] <= 3  # bwrap's init, the kernel, no other
    assert not scratch.exists()


def test_private_tmp_comes_before_the_binds(tmp_path):
    """A course cloned under /tmp stays visible in the sandbox."""
    from trusted_grading import sandbox

    scratch = sandbox.Scratch()
    try:
        argv = sandbox.kernel_command(scratch, 2**30, bwrap="bwrap")
    finally:
        scratch.remove()
    tmpfs = argv.index("/tmp") - 1
    assert argv[tmpfs] == "--tmpfs"
    binds = [i for i, a in enumerate(argv) if a in ("--bind", "--ro-bind")]
    assert binds and tmpfs < min(binds)


# ------------------------------------------------- slow denial of service

FIFO_CELL = """
import os
def f():
    outbox = __import__("_course_grader")._settings["outbox"]
    os.mkfifo(os.path.join(outbox, "1-error.json"))
    return 1
"""
STUBBORN_CELL = """
import signal, time
def f():
    # ipykernel restores SIGINT's handler before each request: ignore it
    # from inside the call.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        time.sleep(1)
def g():
    return 2
"""


def kernel(timeout=60, total_timeout=300):
    from trusted_grading.session import KernelSession

    return KernelSession(None, lang="en", timeout=timeout,
                         total_timeout=total_timeout,
                         memory_limit=2 * 2**30, max_transfer=LIMIT)


def test_a_fifo_left_in_the_outbox_is_refused_not_waited_for(no_hang):
    with kernel() as session:
        session.run_cell(nbformat.v4.new_code_cell(FIFO_CELL))
        with pytest.raises(proxy.NoAnswer, match="not a regular file"):
            session.call("f", (), {}, lambda path: None)
        assert session.restarts == 0


def test_a_kernel_that_ignores_its_interrupt_is_killed(no_hang):
    from trusted_grading import session as module

    with kernel(timeout=5) as session:
        session.run_cell(nbformat.v4.new_code_cell(STUBBORN_CELL))
        with pytest.raises(proxy.GradingTimeout,
                           match="ignored the interrupt"):
            session.call("f", (), {}, lambda path: None)
        # Killed and started again once (not waited for until the
        # submission's total time): the next call is answered.
        assert session.restarts == 1
        assert session.call("g", (), {}, lambda path: None)[0] == 2
    assert module.GRACE < 60


# ------------------------------------------------------ sandbox limits

HOSTILE_LIMITS = """
import errno, getpass, json, os, resource, time
seen = {}
def fill(path, mib):
    written = 0
    try:
        with open(path, "wb") as file:
            for _ in range(mib):
                file.write(b"x" * 2**20)
                file.flush()
                written += 1
    except OSError as error:
        return written, errno.errorcode[error.errno]
    return written, None
seen["tmp"] = fill("/tmp/fill", 64)
seen["shm"] = fill("/dev/shm/fill", 64)
seen["dev"] = fill("/dev/fill", 1)
seen["work"] = fill("fill", 64)
seen["files"] = sorted(os.listdir("."))
seen["etc"] = sorted(os.listdir("/etc"))
seen["shadow"] = os.path.exists("/etc/shadow")
seen["user"] = getpass.getuser()
seen["cpu"] = resource.getrlimit(resource.RLIMIT_CPU)[0]
children = []
try:
    for _ in range(200):
        pid = os.fork()
        if pid == 0:
            time.sleep(30)
            os._exit(0)
        children.append(pid)
except OSError as error:
    seen["fork"] = errno.errorcode[error.errno]
seen["forked"] = len(children)
for pid in children:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
spinners = []
for _ in range(4):
    pid = os.fork()
    if pid == 0:
        end = time.monotonic() + 3
        while time.monotonic() < end:
            pass
        os._exit(0)
    spinners.append(pid)
start = time.monotonic()
cpu = sum(os.wait4(pid, 0)[2].ru_utime for pid in spinners)
seen["spin"] = [cpu, time.monotonic() - start]
print(json.dumps(seen))
"""


def test_sandbox_limits_hold_against_a_hostile_cell(tmp_path, monkeypatch,
                                                    no_hang):
    from trusted_grading import cgroups, sandbox
    from trusted_grading.session import CPU_PER_SECOND, KernelSession

    mib = 2**20
    monkeypatch.setattr(sandbox, "TMP_SIZE", 8 * mib)
    monkeypatch.setattr(sandbox, "SHM_SIZE", 4 * mib)
    monkeypatch.setattr(sandbox, "WORK_SIZE", 16 * mib)
    monkeypatch.setattr(sandbox, "PIDS_MAX", 64)
    (tmp_path / "data.txt").write_text("the student's own file")
    cell = nbformat.v4.new_code_cell(HOSTILE_LIMITS)
    with KernelSession(tmp_path, lang="en", timeout=120, total_timeout=200,
                       memory_limit=2 * 2**30,
                       max_transfer=LIMIT) as session:
        session.run_cell(cell)
        group = session.group
        active, folders = group.active, list(group.folders)
        if active:
            members = [p.read_text().split() for p in group.procs]
    seen = json.loads(cell.outputs[0]["text"])
    # tmpfs sizes: the writes stop at the cap, with "no space left".
    assert seen["tmp"] == [8, "ENOSPC"]
    assert seen["shm"] == [4, "ENOSPC"]
    assert seen["dev"] == [0, "EROFS"]
    # The working folder is a tmpfs of its own, with the student's files.
    assert seen["work"][1] == "ENOSPC" and seen["work"][0] < 16
    assert "data.txt" in seen["files"]
    assert not (tmp_path / "fill").exists()
    # A minimal /etc: no shadow, no machine users.
    assert seen["shadow"] is False
    assert set(seen["etc"]) == {"fonts", "group", "ld.so.cache",
                                "localtime", "nsswitch.conf", "passwd"}
    assert seen["user"] == "student"
    assert seen["cpu"] == CPU_PER_SECOND * 200
    # The fork storm stops below the sandbox's cap (RLIMIT_NPROC, the
    # fallback, does not bind root's processes).
    if active or os.geteuid() != 0:
        assert seen["fork"] == "EAGAIN" and seen["forked"] < 64
    if active:
        # Four spinners share one core's worth of CPU time.
        cpu, wall = seen["spin"]
        assert cpu <= sandbox.CPUS * wall * 1.2 + 0.5, seen["spin"]
        assert all(members), "the kernel is not in its control group"
        assert folders and not any(f.exists() for f in folders)
    else:
        ok, reason = cgroups.available()
        assert not ok and reason


FILL_OUTBOX = """
import os, time
def f():
    outbox = __import__("_course_grader")._settings["outbox"]
    for number in range(10_000):
        with open(os.path.join(outbox, f"junk-{number}"), "wb") as file:
            file.write(b"x" * 2**20)
        time.sleep(0.01)
def g():
    return 3
"""


def test_a_kernel_that_fills_the_graders_folders_is_stopped(monkeypatch,
                                                            no_hang):
    from trusted_grading import session as module

    monkeypatch.setattr(module, "SCRATCH_SLACK", 8 * 2**20)
    with kernel() as session:
        session.run_cell(nbformat.v4.new_code_cell(FILL_OUTBOX))
        with pytest.raises(proxy.KernelDied, match="more than 10 MiB"):
            session.call("f", (), {}, lambda path: None)
        assert module.scratch_bytes(session.scratch) < session.quota
        assert session.call("g", (), {}, lambda path: None)[0] == 3


def test_without_a_control_group_processes_fall_back_on_rlimits(
        tmp_path, monkeypatch):
    from trusted_grading import cgroups, sandbox

    monkeypatch.setattr(cgroups, "ROOT", tmp_path / "no-cgroups")
    group = cgroups.Group(pids=16, cpus=1.0)
    assert not group.active and "Error" in group.reason
    assert cgroups.available()[0] is False
    scratch = sandbox.Scratch()
    try:
        argv = sandbox.kernel_command(scratch, 2**30, bwrap="bwrap",
                                      cpu_seconds=60, group=group)
    finally:
        scratch.remove()
    assert argv[0] == "bwrap"
    script = argv[argv.index("-c") + 1]
    assert f"('RLIMIT_NPROC', {sandbox.PIDS_MAX})" in script
    assert "('RLIMIT_CPU', 60)" in script
    assert argv[argv.index("/dev/shm") - 3:argv.index("/dev/shm")] == [
        "--size", str(sandbox.SHM_SIZE), "--tmpfs"]
    assert "/etc" not in argv and "/etc/shadow" not in argv
