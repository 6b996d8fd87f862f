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

from rnn_course.plots import (  # noqa: E402
    BOOK_STYLE,
    LegendOverDataError,
    figure_png,
    legend_overlaps,
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
    width, height = png_size(data)
    assert (metadata["width"], metadata["height"]) == (width // 2,
                                                       height // 2)
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
