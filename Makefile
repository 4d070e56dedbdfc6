# ketab — two commands on a fresh machine:
#   make        set up .venv and build the book in manuscript/ into build/
#   make test   set up .venv (with test dependencies) and run the tests
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TSTAMP := $(VENV)/.installed-test
export SOURCE_DATE_EPOCH ?= 0

.PHONY: all book test testbooks bench fuzz lint clean distclean

all: book

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TSTAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

book: $(STAMP)
	$(BIN)/ketab build manuscript --out build

lint: $(STAMP)
	$(BIN)/ketab lint manuscript

# Markdown nobody here wrote (pandoc's test documents and manual, from Debian's pandoc source package),
# made into manuscripts in tests/projects/_external/ by adding front matter only; checksummed, cached.
testbooks: $(TSTAMP)
	$(BIN)/python scripts/fetch_testbooks.py

test: $(TSTAMP) testbooks
	$(BIN)/python -m pytest -q

bench: $(TSTAMP)
	$(BIN)/python scripts/bench.py

fuzz: $(TSTAMP)
	KETAB_FUZZ_EXAMPLES=2000 $(BIN)/python -m pytest -q tests/test_fuzz.py

clean:
	rm -rf build

distclean: clean
	rm -rf $(VENV)
