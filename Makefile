# ketab — two commands on a fresh machine:
#   make        set up .venv and build the book in manuscript/ into build/
#   make test   set up .venv (with test dependencies) and run the tests
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TSTAMP := $(VENV)/.installed-test
export SOURCE_DATE_EPOCH ?= 0

# The real tools the press tests check the print PDF with (Debian packages): Ghostscript
# (inkcov, PDF/X-3 conversion), poppler-utils (pdffonts, pdfimages), qpdf (--check).
TOOLS_APT := ghostscript poppler-utils qpdf
TOOLS_BIN := gs pdffonts pdfimages qpdf

.PHONY: all book test check tools bench fuzz lint clean distclean

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

# apt-get as root, or through sudo; without either the tool tests are skipped (and say so).
tools:
	@missing=""; for t in $(TOOLS_BIN); do command -v $$t >/dev/null || missing=yes; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(TOOLS_APT); \
	  elif command -v sudo >/dev/null; then sudo apt-get update -q && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(TOOLS_APT); \
	  else echo "make tools: cannot install $(TOOLS_APT) (not root, no sudo): their tests will be skipped"; fi; fi

test: $(TSTAMP) tools
	$(BIN)/ruff check src tests scripts
	$(BIN)/python -m pytest -q
	$(BIN)/ketab build manuscript --out build --check

check: $(STAMP)
	$(BIN)/ketab build manuscript --out build --check

bench: $(TSTAMP)
	$(BIN)/python scripts/bench.py

fuzz: $(TSTAMP)
	KETAB_FUZZ_EXAMPLES=2000 $(BIN)/python -m pytest -q tests/test_fuzz.py

clean:
	rm -rf build

distclean: clean
	rm -rf $(VENV)
