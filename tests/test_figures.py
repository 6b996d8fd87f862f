"""The book's figures are saved by ``rnn_course.plots.figure_png``: at
twice their resolution, and refused when a legend covers the data.

The legend detector is shown to find a legend over a line, over a
vertical marker line and over scatter points, and to pass a legend
placed beside the data; the formatter that the pages install is shown
to turn a refused figure into an error (which fails the book's build:
``book/_ext/layout.py``, tested in ``tests/test_layout.py``).
"""

import struct
from types import SimpleNamespace

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from IPython.core.formatters import PNGFormatter  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import FancyBboxPatch  # noqa: E402

from rnn_course.plots import (  # noqa: E402
    BOOK_STYLE,
    PHONE_CHUNK,
    PHONE_WIDTH,
    LegendOverDataError,
    TextOutOfBoxError,
    figure_png,
    legend_overlaps,
    phone_figure,
    split_chunk,
    texts_out_of_boxes,
    use_book_figures,
)


@pytest.fixture(autouse=True)
def book_style():
    with plt.rc_context(BOOK_STYLE):
        yield
    plt.close("all")


def crossing_lines():
    """Two lines that cross the middle of the axes, legend in the centre."""
    x = np.linspace(0.0, 1.0, 50)
    fig, ax = plt.subplots()
    ax.plot(x, x, label="rising")
    ax.plot(x, 1.0 - x, label="falling")
    ax.legend(loc="center", frameon=False)
    return fig


def test_a_legend_over_two_lines_is_found():
    found = legend_overlaps(crossing_lines())
    assert len(found) == 2, found
    assert "'rising'" in found[0] and "'falling'" in found[1]


def test_a_marker_line_through_the_legend_is_found():
    # Chapter 5's first figure: the best-epoch line crossed the legend.
    x = np.arange(1, 21)
    fig, ax = plt.subplots()
    ax.plot(x, 1.0 / x, label="training")
    ax.axvline(15, color="0.6", linestyle="--", label="best epoch")
    ax.legend(loc="upper right", frameon=False)
    found = legend_overlaps(fig)
    assert found == ["legend ['training', 'best epoch'] covers line "
                     "'best epoch'"], found


def test_scatter_points_under_the_legend_are_found():
    fig, ax = plt.subplots()
    ax.scatter([0.1, 0.5, 0.9], [0.9, 0.5, 0.1], label="words")
    ax.plot([0.0, 1.0], [0.0, 0.0], label="axis")
    ax.set(xlim=(0, 1), ylim=(-0.1, 1))
    ax.legend(loc="center", frameon=False)
    assert legend_overlaps(fig) == ["legend ['words', 'axis'] covers "
                                    "points 'words'"]


def test_a_legend_beside_the_data_passes():
    x = np.linspace(0.0, 1.0, 50)
    fig, ax = plt.subplots(layout="constrained")
    ax.plot(x, x, label="rising")
    ax.plot(x, 1.0 - x, label="falling")
    fig.legend(loc="outside lower center", ncols=2, frameon=False)
    assert legend_overlaps(fig) == []
    # In a free corner of the axes, too.
    fig, ax = plt.subplots()
    ax.plot(x, x ** 6, label="flat, then up")
    ax.legend(loc="upper left", frameon=False)
    assert legend_overlaps(fig) == []


def test_zeros_on_a_log_axis_are_skipped_not_an_error():
    fig, ax = plt.subplots()
    ax.semilogy([1, 2, 3, 4], [1.0, 0.0, 0.0, 1e-3], label="vanishing")
    ax.legend(loc="upper right", frameon=False)
    assert legend_overlaps(fig) == []


def png_size(data):
    return struct.unpack(">II", data[16:24])


def test_figure_png_is_twice_the_resolution_and_refuses_overlaps():
    fig, ax = plt.subplots(figsize=(4.0, 2.0))
    ax.plot([0, 1], [0, 1])
    data, metadata = figure_png(fig)
    width, _ = png_size(data)
    assert metadata == {"width": width // 2}
    # Cropped to its content, never wider than drawn at 2x.
    assert 0.8 * 800 <= width <= 800
    with pytest.raises(LegendOverDataError, match="covers line 'rising'"):
        figure_png(crossing_lines())


def test_the_pages_formatter_shows_figures_through_figure_png():
    formatter = PNGFormatter()
    shell = SimpleNamespace(display_formatter=SimpleNamespace(
        formatters={"image/png": formatter}))
    use_book_figures(shell)
    assert formatter.lookup_by_type(Figure) is figure_png
    assert plt.rcParams["font.size"] == BOOK_STYLE["font.size"]


def test_panels_side_by_side_get_a_phone_version_one_per_row():
    x = np.linspace(0.0, 1.0, 20)
    fig, axes = plt.subplots(1, 3, figsize=(6.6, 2.5), sharey=True,
                             layout="constrained")
    for ax in axes:
        ax.plot(x, x, label="rising")
    fig.legend(*axes[0].get_legend_handles_labels(),
               loc="outside lower center", frameon=False)
    phone = phone_figure(fig)
    assert phone is not None and phone is not fig
    boxes = sorted((ax.get_position().y0, ax.get_position().x0)
                   for ax in phone.axes)
    # One column: the same left edge, three heights.
    assert len({round(x0, 3) for _, x0 in boxes}) == 1
    assert len({round(y0, 3) for y0, _ in boxes}) == 3
    assert phone.get_size_inches()[0] == PHONE_WIDTH
    # Each panel shows its own tick labels.
    phone.canvas.draw()
    for ax in phone.axes:
        assert any(t.get_visible() and t.get_text()
                   for t in ax.get_yticklabels())
    # The original figure is left as it was.
    assert len({round(ax.get_position().y0, 3) for ax in fig.axes}) == 1
    # The book's PNG carries it; the build takes it out again.
    png, _ = figure_png(fig)
    left, carried = split_chunk(png, PHONE_CHUNK)
    assert carried is not None and carried.startswith(b"\x89PNG")
    # Cropped to its content with matplotlib's 0.1 in of padding a side.
    assert png_size(carried)[0] <= 2 * (PHONE_WIDTH + 0.2) * 100
    assert split_chunk(left, PHONE_CHUNK) == (left, None)
    assert png_size(left) == png_size(png)


def test_a_single_panel_has_no_phone_version():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    assert phone_figure(fig) is None
    # Nor one with a colorbar (chapter 1's stripes): not two panels.
    fig, ax = plt.subplots()
    image = ax.imshow(np.eye(3))
    fig.colorbar(image, ax=ax)
    assert phone_figure(fig) is None
    png, _ = figure_png(fig)
    assert split_chunk(png, PHONE_CHUNK)[1] is None


def boxed_words(width):
    """Two words in boxes ``width`` data units wide, as chapter 2 draws
    its sentence."""
    fig, ax = plt.subplots(figsize=(6.6, 1.2))
    for x, word in ((0.0, "película"), (2.0, "la")):
        ax.add_patch(FancyBboxPatch((x - width / 2, -0.25), width, 0.5,
                                    boxstyle="round,pad=0.03"))
        ax.text(x, 0.0, word, ha="center", va="center")
    ax.set(xlim=(-1, 3), ylim=(-0.5, 0.5))
    ax.axis("off")
    return fig


def test_a_word_that_spills_out_of_its_box_is_found():
    assert texts_out_of_boxes(boxed_words(0.3)) == [
        "text 'película' spills out of its box"]
    assert texts_out_of_boxes(boxed_words(1.2)) == []
    with pytest.raises(TextOutOfBoxError, match="película"):
        figure_png(boxed_words(0.3))


def test_a_figure_that_warns_while_drawn_is_refused():
    fig, ax = plt.subplots(figsize=(1.0, 0.5), layout="constrained")
    ax.set(title="a title far too long for so small a figure",
           xlabel="x", ylabel="y")
    with pytest.raises(UserWarning, match="constrained_layout"):
        figure_png(fig)
