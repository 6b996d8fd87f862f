"""One number convention per language (``rnn_course.formatting``)."""

import numpy as np
import pytest

from rnn_course.formatting import (
    NARROW_NBSP,
    number,
    record_text,
    table_html,
)


@pytest.mark.parametrize(("value", "lang", "digits", "expected"), [
    (25000, "es", None, f"25{NARROW_NBSP}000"),
    (25000, "en", None, "25,000"),
    (5383681, "es", None, f"5{NARROW_NBSP}383{NARROW_NBSP}681"),
    (5383681, "en", None, "5,383,681"),
    # Four digits stay whole in both languages (a year, a small count).
    (2000, "es", None, "2000"),
    (2000, "en", None, "2000"),
    (-12345, "en", None, "-12,345"),
    # Decimals with a point in both languages.
    (0.81234, "es", 4, "0.8123"),
    (12345.678, "es", 1, f"12{NARROW_NBSP}345.7"),
    (np.int64(100117248), "en", None, "100,117,248"),
    (np.float32(8097.0), "es", None, "8097"),
])
def test_number(value, lang, digits, expected):
    assert number(value, lang, digits) == expected


def test_record_text_in_spanish():
    assert record_text("2 cores (run on one), x86_64", "es") == (
        "2 núcleos (se usó uno), x86_64")
    assert record_text("RMSprop, learning rate 0.001", "es") == (
        "RMSprop, tasa de aprendizaje 0.001")
    assert record_text("1 core, x86_64", "es") == "1 núcleo, x86_64"
    assert record_text("2 cores (run on one)", "en") == (
        "2 cores (run on one)")


def test_tables_write_their_counts_in_the_language():
    import pandas as pd

    table = pd.DataFrame({"parameters": [5383681, 4129],
                          "loss": [0.6466, 0.12345],
                          "epochs": [20, 3],
                          "weights": [1000051.0, np.nan],
                          "slides": [None, 117248],
                          "names": ["a", "b"],
                          # Chapter 4: the slides' count, or nothing.
                          "reported": [12864, ""]},
                         index=["512-512-1", "4-4-1"])
    html = table_html(table, "es")
    assert f"<td>5{NARROW_NBSP}383{NARROW_NBSP}681</td>" in html
    assert "<td>4129</td>" in html
    assert f"<td>1{NARROW_NBSP}000{NARROW_NBSP}051</td>" in html
    # Other columns as pandas writes them.
    assert "<td>0.12345</td>" in html and "<td>20</td>" in html
    assert f"<td>117{NARROW_NBSP}248</td>" in html
    assert html.count("<td>NaN</td>") == 2
    assert f"<td>12{NARROW_NBSP}864</td>" in html
    assert "<td>5,383,681</td>" in table_html(table, "en")
    assert 'class="dataframe"' in html
