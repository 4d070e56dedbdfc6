# ketab — two commands on a fresh machine:
#   make        set up .venv and build the book in manuscript/ into build/
#   make test   set up .venv (with test dependencies) and run the tests
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TSTAMP := $(VENV)/.installed-test
export SOURCE_DATE_EPOCH ?= 0
# The real-reader tests (tests/reader): epub.js + playwright-core from npm, Debian's chromium, and
# calibre's ebook-meta.  apt-get runs only when a binary is missing; npm ci only when the lock changed.
READER  := tests/reader
RSTAMP  := $(READER)/node_modules/.installed
APT     := DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends

# The real tools the press tests check the print PDF with (Debian packages): Ghostscript
# (inkcov, PDF/X-3 conversion), poppler-utils (pdffonts, pdfimages), qpdf (--check).
TOOLS_APT := ghostscript poppler-utils qpdf
TOOLS_BIN := gs pdffonts pdfimages qpdf

.PHONY: all book test check tools reader-tools bench fuzz lint clean distclean

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

$(RSTAMP): $(READER)/package.json $(READER)/package-lock.json
	cd $(READER) && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

# chromium: ~113 MB download, ~395 MB installed, ~30 s; calibre: ~104 MB, ~350 MB, ~30 s (measured on
# Debian 12).  A machine that cannot install them skips the tests that need them, saying why.
reader-tools: $(RSTAMP)
	@command -v chromium >/dev/null || { apt-get update -q && $(APT) chromium; } || echo "warning: chromium not installed: the real-reader tests will be skipped"
	@command -v ebook-meta >/dev/null || { apt-get update -q && $(APT) calibre; } || echo "warning: calibre not installed: the ebook-meta test will be skipped"

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

test: $(TSTAMP) tools reader-tools
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
	rm -rf $(VENV) $(READER)/node_modules
