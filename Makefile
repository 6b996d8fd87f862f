# Every target creates .venv from the pinned requirements if it is missing.
# Student:    make lab
# Instructor: make release | autograde | feedback | grades
# Everyone:   make book | test

PYTHON ?= python3.11
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
INSTALLED := $(VENV)/.installed
# nbgrader reads its configuration from the current folder only.
NBGRADER := $(BIN)/nbgrader
# Assignments (one per chapter and language): the folders of solutions/.
ASSIGNMENTS ?= $(notdir $(wildcard solutions/[0-9]*))

# Kernels, jupyter-book and nbgrader must find the venv's python first.
export PATH := $(BIN):$(PATH)

# Extra options for nbgrader, e.g. NBGRADER_FLAGS=--TrustedExecute.timeout=30
NBGRADER_FLAGS ?=

.PHONY: venv book test lint lab release samples autograde feedback grades clean

venv: $(INSTALLED)

$(INSTALLED): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --editable .
	touch $@

## The rendered course: _build/html/{index.html,es/,en/}
book: $(INSTALLED)
	$(BIN)/python book/build.py

## Every check of the course (builds the book first: tests read its HTML).
test: book lint
	$(BIN)/python -m pytest

lint: $(INSTALLED)
	$(BIN)/ruff check rnn_course autograder book tests solutions

## Student: JupyterLab on the released notebooks, Validate button included.
## In a container running as root: make lab LAB_FLAGS=--allow-root
LAB_FLAGS ?=
lab: $(INSTALLED)
	$(BIN)/jupyter lab --notebook-dir=exercises $(LAB_FLAGS)

## Instructor: regenerate exercises/ from solutions/.
release: $(INSTALLED)
	cd autograder && for a in $(ASSIGNMENTS); do \
	  $(NBGRADER) generate_assignment $$a --force || exit 1; \
	done

## Instructor: put the sample submissions where autograde looks.
samples:
	mkdir -p autograder/submitted
	cp -r autograder/samples/*/ autograder/submitted/

## Instructor: grade everything under autograder/submitted/, each
## submission in its own process, its code sandboxed (autograder/grade.py).
## UNSAFE=1 grades without sandbox: only for a class whose code you trust.
UNSAFE ?=
autograde: $(INSTALLED)
	cd autograder && $(BIN)/python grade.py $(ASSIGNMENTS) \
	  $(if $(UNSAFE),--unsafe) $(NBGRADER_FLAGS)

## Instructor: HTML feedback under autograder/feedback/.
feedback: $(INSTALLED)
	cd autograder && for a in $(ASSIGNMENTS); do \
	  $(NBGRADER) generate_feedback $$a --force $(NBGRADER_FLAGS) || status=1; \
	done; exit $${status:-0}

## Instructor: the grade table, autograder/grades.csv.
grades: $(INSTALLED)
	cd autograder && $(NBGRADER) export --to grades.csv

clean:
	rm -rf _build
