"""Plotting helpers for the book's figures.

Each helper draws on a new figure and returns it; labels are passed in
by the caller so that every page writes them in its own language.

A page applies the book's style first, ``plt.rcParams.update(BOOK_STYLE)``,
and draws each figure at most ``COLUMN_WIDTH`` inches wide. The book's
text column is 676 px wide in a 1280 px window and its body text is
16 px, so a figure drawn at 100 dpi and at most 6.6 in wide is shown at
its own size, and 12 pt text in it is 16.7 px on screen, as large as
the body text.
"""

import matplotlib.pyplot as plt
import numpy as np

#: Resolution of the book's figures: one pixel per CSS pixel.
FIGURE_DPI = 100
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
