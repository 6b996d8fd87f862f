"""Plotting helpers for the book's figures.

Each helper draws on a new figure and returns it; labels are passed in
by the caller so that every page writes them in its own language.

A page applies the book's style first, ``plt.rcParams.update(BOOK_STYLE)``,
and draws each figure at most ``COLUMN_WIDTH`` inches wide. The book's
text column is 676 px wide in a 1280 px window and its body text is
16 px, so a figure drawn at 100 dpi and at most 6.6 in wide is shown at
its own size, and 12 pt text in it is 16.7 px on screen, as large as
the body text.

The book shows its figures through :func:`figure_png` (a page's first
cell calls :func:`use_book_figures`): each figure is saved at twice its
resolution, for high-density screens, and refused when a legend box
covers a plotted line or point (:func:`legend_overlaps`) or a text
spills out of its box (:func:`texts_out_of_boxes`). A figure of
panels side by side also gets a phone version (:func:`phone_figure`):
the same panels one per row, drawn for a phone's column, so that its
text stays as large as on a laptop instead of shrinking to a third.
The PNG carries it in a private chunk (:data:`PHONE_CHUNK`), which the
book's build turns into a ``<picture>`` source for narrow screens
(``book/_ext/layout.py``).
"""

import pickle
import struct
import warnings
import zlib

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.gridspec import GridSpec
from matplotlib.path import Path
from matplotlib.transforms import Bbox

#: Resolution of the book's figures: one pixel per CSS pixel.
FIGURE_DPI = 100
#: The book saves its figures at this many pixels per CSS pixel, for
#: high-density screens (:func:`figure_png`).
PIXEL_DENSITY = 2
#: Width of a figure's phone version, in inches at FIGURE_DPI: the text
#: column of a 390 px wide phone is 358 px.
PHONE_WIDTH = 3.4
#: Height of each panel of a phone version, in inches.
PHONE_PANEL_HEIGHT = 2.6
#: Type of the PNG chunk that carries a figure's phone version (PNG
#: rules: ancillary, private, safe to copy).
PHONE_CHUNK = b"rnPh"
#: Width of the book's text column, in inches at FIGURE_DPI.
COLUMN_WIDTH = 6.6
#: Size of every text in a figure, in points: the body text's 16 px.
FONT_SIZE = 12

#: Matplotlib settings of the book's figures.
BOOK_STYLE = {
    "figure.dpi": FIGURE_DPI,
    "savefig.dpi": FIGURE_DPI,
    "figure.figsize": (COLUMN_WIDTH, 0.6 * COLUMN_WIDTH),
    "font.size": FONT_SIZE,
    "axes.titlesize": FONT_SIZE,
    "axes.labelsize": FONT_SIZE,
    "xtick.labelsize": FONT_SIZE,
    "ytick.labelsize": FONT_SIZE,
    "legend.fontsize": FONT_SIZE,
    "legend.title_fontsize": FONT_SIZE,
    "figure.titlesize": FONT_SIZE,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def plot_curves(x, curves, title="", xlabel="", ylabel="", ax=None):
    """Draw several curves ``y = f(x)`` on one set of axes.

    Parameters
    ----------
    x : np.ndarray, shape (P,)
    curves : dict of str to np.ndarray, each of shape (P,)
        Legend label -> values.
    title, xlabel, ylabel : str
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when omitted.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(COLUMN_WIDTH, 0.6 * COLUMN_WIDTH))
    for label, y in curves.items():
        ax.plot(x, y, label=label)
    ax.axhline(0.0, color="0.7", linewidth=0.8)
    ax.axvline(0.0, color="0.7", linewidth=0.8)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.legend(frameon=False)
    return ax


def plot_words_2d(points, words, groups, group_labels, title="", ax=None):
    """Scatter words projected to two dimensions, one colour per group.

    Parameters
    ----------
    points : np.ndarray, shape (W, 2)
        2-D coordinates, e.g. the first two principal components.
    words : sequence of str, length W
        Text written next to each point.
    groups : np.ndarray of int, shape (W,)
        Group of each word, an index into ``group_labels``.
    group_labels : sequence of str
        Legend label of each group.
    title : str
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(COLUMN_WIDTH, 0.7 * COLUMN_WIDTH))
    groups = np.asarray(groups)
    for g, label in enumerate(group_labels):
        mask = groups == g
        ax.scatter(points[mask, 0], points[mask, 1], label=label)
    for (px, py), word in zip(points, words, strict=True):
        ax.annotate(word, (px, py), textcoords="offset points",
                    xytext=(4, 3))
    ax.set(title=title, xticks=[], yticks=[])
    ax.legend(frameon=False)
    return ax


def pca_2d(vectors):
    """Project row vectors on their first two principal components.

    Parameters
    ----------
    vectors : np.ndarray, shape (W, D)

    Returns
    -------
    np.ndarray, shape (W, 2)
    """
    centred = vectors - vectors.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return centred @ vt[:2].T


def plot_histograms(samples, title="", xlabel="", ax=None, bins=40):
    """Overlaid histograms, e.g. a feature before and after normalising.

    Parameters
    ----------
    samples : dict of str to np.ndarray
        Legend label -> 1-D sample.
    title, xlabel : str
    ax : matplotlib.axes.Axes, optional
    bins : int

    Returns
    -------
    matplotlib.axes.Axes
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(COLUMN_WIDTH, 0.6 * COLUMN_WIDTH))
    for label, values in samples.items():
        ax.hist(values, bins=bins, alpha=0.6, label=label)
    ax.set(title=title, xlabel=xlabel)
    ax.legend(frameon=False)
    return ax


class LegendOverDataError(ValueError):
    """A figure's legend box covers a plotted line or point."""


class TextOutOfBoxError(ValueError):
    """A figure's text spills out of the box drawn around it."""


def _runs(points):
    """The runs of finite rows of ``points``, shape (P, 2)."""
    finite = np.isfinite(points).all(axis=1)
    runs, start = [], None
    for i, ok in enumerate(np.append(finite, False)):
        if ok and start is None:
            start = i
        elif not ok and start is not None:
            runs.append(points[start:i])
            start = None
    return runs


def _covers(box, points, joined):
    """Whether ``box`` holds any of ``points`` (display coordinates,
    shape (P, 2)), or, when ``joined``, any segment between them."""
    for run in _runs(points):
        if joined and len(run) > 1:
            if Path(run).intersects_bbox(box, filled=False):
                return True
        elif box.count_contains(run) > 0:
            return True
    return False


def legend_overlaps(fig):
    """Plotted lines and points that a legend box of ``fig`` covers.

    The figure is drawn, then each legend's box (its frame, shown or
    not) is compared in display coordinates with the lines (segments
    and markers) and the scatter points of every axes, within the part
    of the axes the box covers.

    Parameters
    ----------
    fig : matplotlib.figure.Figure

    Returns
    -------
    list of str
        One ``"legend [...] covers <label>"`` per covered artist.
    """
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    legends += list(fig.legends)
    found = []
    for legend in legends:
        box = legend.get_window_extent(renderer)
        names = [t.get_text() for t in legend.get_texts()]
        for ax in fig.axes:
            area = Bbox.intersection(box, ax.bbox)
            if area is None or area.width <= 0 or area.height <= 0:
                continue
            for line in ax.get_lines():
                if not line.get_visible():
                    continue
                points = line.get_transform().transform(
                    np.asarray(line.get_xydata(), dtype=float))
                joined = line.get_linestyle() not in ("None", "", " ")
                if _covers(area, points, joined):
                    found.append(f"legend {names} covers line "
                                 f"{line.get_label()!r}")
            for collection in ax.collections:
                offsets = np.asarray(collection.get_offsets(), dtype=float)
                if not collection.get_visible() or offsets.size == 0:
                    continue
                points = collection.get_offset_transform().transform(
                    offsets)
                if _covers(area, points, joined=False):
                    found.append(f"legend {names} covers points "
                                 f"{collection.get_label()!r}")
    return found


def texts_out_of_boxes(fig):
    """Texts of ``fig`` that spill out of the box they sit in.

    A text sits in a box (a patch of its axes, e.g. a ``FancyBboxPatch``
    of a diagram) when its anchor point is inside the box; it spills
    when its drawn extent, in display coordinates, passes the box's edge
    by more than a pixel.

    Parameters
    ----------
    fig : matplotlib.figure.Figure

    Returns
    -------
    list of str
        One ``"text '...' spills out of its box"`` per text.
    """
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    found = []
    for ax in fig.axes:
        boxes = [patch.get_window_extent(renderer) for patch in ax.patches
                 if patch.get_visible()]
        for text in ax.texts:
            if not text.get_visible() or not text.get_text().strip():
                continue
            anchor = text.get_transform().transform(text.get_position())
            extent = text.get_window_extent(renderer)
            for box in boxes:
                if not box.contains(*anchor):
                    continue
                if (extent.x0 < box.x0 - 1 or extent.x1 > box.x1 + 1
                        or extent.y0 < box.y0 - 1
                        or extent.y1 > box.y1 + 1):
                    found.append(f"text {text.get_text()!r} spills out "
                                 "of its box")
                break
    return found


def figure_png(fig):
    """A figure as the book shows it: a PNG at twice ``fig``'s dpi.

    Parameters
    ----------
    fig : matplotlib.figure.Figure

    Returns
    -------
    tuple of (bytes, dict)
        The PNG and its display width in CSS pixels, ``{"width": ...}``
        (the PNG's pixels over :data:`PIXEL_DENSITY`). No height: the
        page scales the figure down to a narrow column, and a fixed
        height would distort it.

    Raises
    ------
    LegendOverDataError
        When a legend box covers a plotted line or point.
    TextOutOfBoxError
        When a text spills out of the box drawn around it.
    """
    overlaps = legend_overlaps(fig)
    if overlaps:
        raise LegendOverDataError("; ".join(overlaps))
    spills = texts_out_of_boxes(fig)
    if spills:
        raise TextOutOfBoxError("; ".join(spills))
    png = _png(fig)
    width = struct.unpack(">I", png[16:20])[0]
    phone = phone_figure(fig)
    if phone is not None:
        overlaps = legend_overlaps(phone)
        if overlaps:
            raise LegendOverDataError("phone version: "
                                      + "; ".join(overlaps))
        png = add_chunk(png, PHONE_CHUNK, _png(phone))
        plt.close(phone)
    return png, {"width": width // PIXEL_DENSITY}


def _png(fig):
    """``fig`` as PNG bytes at PIXEL_DENSITY times its dpi, cropped.

    A warning while drawing (a layout that collapsed, a missing glyph)
    is an error: the reader would see its result.
    """
    from IPython.core.pylabtools import print_figure

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return print_figure(fig, fmt="png", bbox_inches="tight",
                            dpi=PIXEL_DENSITY * fig.dpi)


def phone_figure(fig):
    """The phone version of a figure of panels side by side, or None.

    A copy of ``fig`` whose grid panels are stacked one per row (in
    reading order), each with its own tick labels (shared axes hide
    them between panels side by side), :data:`PHONE_WIDTH` wide.

    Parameters
    ----------
    fig : matplotlib.figure.Figure

    Returns
    -------
    matplotlib.figure.Figure or None
        None when ``fig`` has no row of two panels or more.
    """
    specs = [ax.get_subplotspec() for ax in fig.axes]
    if any(spec is None for spec in specs) or not specs:
        return None
    grids = {spec.get_gridspec() for spec in specs}
    # One grid of panels: a colorbar (or an inset) has a grid of its own.
    if len(grids) != 1 or type(next(iter(grids))) is not GridSpec:
        return None
    if next(iter(grids)).ncols < 2:
        return None
    copy = pickle.loads(pickle.dumps(fig))
    axes = sorted(copy.axes, key=lambda ax: (
        ax.get_subplotspec().rowspan.start,
        ax.get_subplotspec().colspan.start))
    grid = GridSpec(len(axes), 1, figure=copy)
    for row, ax in enumerate(axes):
        ax.set_subplotspec(grid[row, 0])
        ax.tick_params(labelleft=True, labelbottom=True)
    copy.set_layout_engine("constrained")
    extra = 0.9 if copy.legends else 0.3
    copy.set_size_inches(PHONE_WIDTH,
                         PHONE_PANEL_HEIGHT * len(axes) + extra)
    return copy


def _chunk(kind, data):
    """One PNG chunk: length, type, data and CRC."""
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data)))


def add_chunk(png, kind, data):
    """``png`` with a chunk of type ``kind`` before its end.

    Parameters
    ----------
    png : bytes
    kind : bytes, length 4
    data : bytes

    Returns
    -------
    bytes
    """
    end = png.rindex(b"IEND") - 4
    return png[:end] + _chunk(kind, data) + png[end:]


def split_chunk(png, kind):
    """``png`` without its chunks of type ``kind``, and their data.

    Parameters
    ----------
    png : bytes
    kind : bytes, length 4

    Returns
    -------
    tuple of (bytes, bytes or None)
        The PNG left, and the data of the last such chunk (None when
        there is none).
    """
    kept, found, at = [png[:8]], None, 8
    while at < len(png):
        length = struct.unpack(">I", png[at:at + 4])[0]
        end = at + 12 + length
        if png[at + 4:at + 8] == kind:
            found = png[at + 8:at + 8 + length]
        else:
            kept.append(png[at:end])
        at = end
    return b"".join(kept), found


def use_book_figures(shell=None):
    """Show this IPython session's figures through :func:`figure_png`.

    Also applies :data:`BOOK_STYLE`. A figure that :func:`figure_png`
    refuses becomes an error output of its cell, which fails the book's
    build (``book/_ext/layout.py``).

    Parameters
    ----------
    shell : IPython.core.interactiveshell.InteractiveShell, optional
        The running shell when omitted.
    """
    if shell is None:
        from IPython import get_ipython

        shell = get_ipython()
    plt.rcParams.update(BOOK_STYLE)
    if shell is None:
        return
    # pyplot loads its backend with the first figure; the inline
    # backend's set-up would then register its own PNG formatter over
    # this one. Load it now.
    plt.close(plt.figure())
    formatter = shell.display_formatter.formatters["image/png"]
    formatter.for_type(Figure, figure_png)
