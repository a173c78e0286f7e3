# critbook: two commands for a fresh machine.
#   make book   build the HTML site into _build/html
#   make test   unit tests + the full book build with warnings as errors
# Both create and reuse a local virtualenv in .venv; nothing needs installing by hand.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q
JB     := $(BIN)/jupyter-book

.PHONY: book test unit build-strict clean help

help:
	@echo "make book  - build the book into _build/html"
	@echo "make test  - run all tests (unit tests and the strict book build)"
	@echo "make clean - remove build output (keeps .venv)"

# The virtualenv with the pinned book environment (what Binder gets too).
$(BIN)/.book-installed: requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "critbook needs Python >= 3.10"' \
	  || { echo "Python >= 3.10 is required (set PYTHON=...)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing the pinned environment into $(VENV) (first run only)..."
	$(PIP) install -r requirements.txt
	@touch $@

# Test-only dependencies on top.
$(BIN)/.test-installed: $(BIN)/.book-installed requirements-dev.txt
	$(PIP) install -r requirements-dev.txt
	@touch $@

book: $(BIN)/.book-installed
	$(JB) build . --all
	@echo
	@echo "The book is built. Open $(CURDIR)/_build/html/index.html in a browser."

unit: $(BIN)/.test-installed
	$(BIN)/python -m pytest

build-strict: $(BIN)/.book-installed
	$(JB) build . --all -W -n --keep-going

test: unit build-strict
	@echo "All tests passed."

clean:
	rm -rf _build .jupyter_cache .pytest_cache .hypothesis
