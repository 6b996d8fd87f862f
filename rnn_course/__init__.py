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
number_words
    Numbers written in Spanish and English words, and in digits
    (chapter 7's translation task): split by value, character
    vocabularies with start and end tokens, exact-match scores.
plots
    Small matplotlib helpers used by the book's figures.
sequences
    Synthetic sequence tasks generated in code (the adding problem).

No graded function of any notebook is importable from this package.
"""
