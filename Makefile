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

.PHONY: venv lock book test lint lab release samples autograde feedback \
	grades clean

venv: $(INSTALLED)

## The venv holds exactly requirements.lock: every dependency, its hash
## checked (cluster workers install the same file).
$(INSTALLED): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes \
	  -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --editable .
	touch $@

## requirements.lock from the pins of requirements.txt (after changing a
## pin; tests/test_environment.py checks that the two agree). pip-compile
## starts from the current lock, so only what the change needs moves.
lock:
	test -x $(BIN)/pip-compile || $(MAKE) venv
	cp requirements.lock $(LOCK_TMP)
	$(BIN)/pip-compile --generate-hashes --allow-unsafe --strip-extras \
	  --no-header --no-emit-index-url --no-emit-find-links --quiet \
	  --output-file $(LOCK_TMP) requirements.txt
	{ echo "$$LOCK_HEADER"; echo; cat $(LOCK_TMP); } > requirements.lock
	rm -f $(LOCK_TMP)

LOCK_TMP := .requirements.lock.tmp
define LOCK_HEADER
# Every dependency of requirements.txt, pinned with its hashes, for
# Python 3.11 on Linux x86-64. Made by `make lock` (pip-compile); do not
# edit by hand. `make venv` and cluster workers install this file.
endef
export LOCK_HEADER

## The rendered course: _build/html/{index.html,es/,en/}
book: $(INSTALLED)
	$(BIN)/python book/build.py

## Every check of the course (builds the book first: tests read its HTML).
test: book lint
	$(BIN)/python -m pytest

lint: $(INSTALLED)
	$(BIN)/ruff check rnn_course autograder book tests solutions

## Student: JupyterLab on the released notebooks, Validate button included,
## nbgrader's instructor tools left out, in Spanish (LANG_LAB=es, the
## default) or English (make lab LANG_LAB=en). rnn_course/lab.py writes
## the lab's settings under .lab/<lang>/ (not in ~/.jupyter).
## In a container running as root: make lab LAB_FLAGS=--allow-root
LAB_FLAGS ?=
LANG_LAB ?= es
LAB_DIR := $(abspath .lab/$(LANG_LAB))
lab: $(INSTALLED)
	$(BIN)/python -m rnn_course.lab $(LAB_DIR) --lang $(LANG_LAB)
	JUPYTER_CONFIG_DIR=$(LAB_DIR)/config \
	JUPYTERLAB_SETTINGS_DIR=$(LAB_DIR)/settings \
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
	@# What git cannot keep (autograder/samples/make_samples.py): a folder
	@# linked to another student's work, a submission over the size cap.
	mkdir -p autograder/submitted/hostile-symlink-thief
	ln -sfn ../correct/01-embeddings-activations-en \
	  autograder/submitted/hostile-symlink-thief/01-embeddings-activations-en
	truncate -s 65M autograder/submitted/hostile-oversized/01-embeddings-activations-en/padding.bin

## Instructor: grade everything under autograder/submitted/, in parallel
## (autograder/grade.py, autograder/class_grading/): one task per
## submission, its code sandboxed, on a local Dask cluster of WORKERS
## processes (default: the cores), or on an existing one:
## SCHEDULER=tcp://host:8786. Only changed submissions are graded again,
## unless FORCE=1. SEQUENTIAL=1: one after another, without Dask.
## DB_URL=postgresql+psycopg://user@host/db: the gradebook in PostgreSQL
## (default: autograder/gradebook.db); feedback and grades read it too.
## UNSAFE=1 grades without sandbox: only for a class whose code you trust.
WORKERS ?= $(shell nproc 2>/dev/null || echo 2)
SCHEDULER ?=
FORCE ?=
SEQUENTIAL ?=
UNSAFE ?=
DB_URL ?=
export DB_URL
autograde: $(INSTALLED)
	cd autograder && $(BIN)/python grade.py $(ASSIGNMENTS) \
	  --workers=$(WORKERS) $(if $(SCHEDULER),--scheduler=$(SCHEDULER)) \
	  $(if $(FORCE),--force) $(if $(SEQUENTIAL),--sequential) \
	  $(if $(UNSAFE),--unsafe) $(NBGRADER_FLAGS)

## Instructor: HTML feedback under autograder/feedback/, WORKERS
## assignments at a time.
feedback: $(INSTALLED)
	cd autograder && printf '%s\n' $(ASSIGNMENTS) | xargs -P $(WORKERS) \
	  -I{} $(NBGRADER) generate_feedback {} --force $(NBGRADER_FLAGS)

## Instructor: the grade table, autograder/grades.csv (from DB_URL's
## gradebook when set).
grades: $(INSTALLED)
	cd autograder && $(NBGRADER) export --to grades.csv

clean:
	rm -rf _build
