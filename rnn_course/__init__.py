"""Helpers shared by the book, the notebooks and the hidden checks.

Modules
-------
characters
    Character vocabulary, training windows and sampling with a temperature
    for character-level language models.
data
    Offline loaders: IMDB reviews and Rotten Tomatoes sentences
    (deterministic splits) and GloVe vectors.
gradcheck
    Centred finite differences in float64 and relative errors.
plots
    Small matplotlib helpers used by the book's figures.
sequences
    Synthetic sequence tasks generated in code (the adding problem).

No graded function of any notebook is importable from this package.
"""
