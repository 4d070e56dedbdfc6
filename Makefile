# ketab — two commands on a fresh machine:
#   make        set up .venv and build the book in manuscript/ into build/
#   make test   set up .venv (with test dependencies) and run the tests
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TSTAMP := $(VENV)/.installed-test
NSTAMP := node_modules/.installed
SYSTEM := $(VENV)/.installed-system
# Debian packages the tests use: headless Chromium (the web edition's screenshots), LibreOffice (the Word
# round trip; python3-uno drives it). Installed with apt only when missing.
APT_PACKAGES := chromium libreoffice-writer-nogui python3-uno
export SOURCE_DATE_EPOCH ?= 0
# The real-reader tests (tests/reader): epub.js + playwright-core from npm, Debian's chromium, and
# calibre's ebook-meta.  apt-get runs only when a binary is missing; npm ci only when the lock changed.
READER  := tests/reader
RSTAMP  := $(READER)/node_modules/.installed
APT     := DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends

# The real tools the press tests check the print PDF with (Debian packages): Ghostscript
# (inkcov, PDF/X-3 conversion), poppler-utils (pdffonts, pdfimages), qpdf (--check), zbar-tools (zbarimg
# decodes the back cover's barcode).
TOOLS_APT := ghostscript poppler-utils qpdf zbar-tools
TOOLS_BIN := gs pdffonts pdfimages qpdf zbarimg

.PHONY: all book test testbooks check tools reader-tools web-tools bench bench-quick fuzz lint clean distclean

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

# npm packages, pinned by package-lock.json: Pagefind (search in the web edition) and the Nu Html Checker.
# --ignore-scripts: vnu-jar's install script would download a Java; the machine's Java 17 runs vnu.jar.
$(NSTAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

web-tools: $(NSTAMP)

$(SYSTEM):
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "apt-get install$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	touch $@

$(RSTAMP): $(READER)/package.json $(READER)/package-lock.json
	@if command -v npm >/dev/null; then \
	  cd $(READER) && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error && touch node_modules/.installed; \
	else echo "warning: npm not found: the real-reader tests will be skipped"; fi

# chromium: ~113 MB download, ~395 MB installed, ~30 s; calibre: ~104 MB, ~350 MB, ~30 s (measured on
# Debian 12).  A machine that cannot install them skips the tests that need them, saying why.
reader-tools: $(RSTAMP)
	@command -v chromium >/dev/null || { apt-get update -q && $(APT) chromium; } || echo "warning: chromium not installed: the real-reader tests will be skipped"
	@command -v ebook-meta >/dev/null || { apt-get update -q && $(APT) calibre; } || echo "warning: calibre not installed: the ebook-meta test will be skipped"

book: $(STAMP)
	$(BIN)/ketab build manuscript --out build

lint: $(TSTAMP)
	$(BIN)/ketab lint manuscript
	$(BIN)/python -m pytest -q -m content tests/content

# apt-get as root, or through sudo; without either the tool tests are skipped (and say so).
tools:
	@missing=""; for t in $(TOOLS_BIN); do command -v $$t >/dev/null || missing=yes; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(TOOLS_APT); \
	  elif command -v sudo >/dev/null; then sudo apt-get update -q && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(TOOLS_APT); \
	  else echo "make tools: cannot install $(TOOLS_APT) (not root, no sudo): their tests will be skipped"; fi; fi

# Markdown nobody here wrote (pandoc's test documents and manual, from Debian's pandoc source package),
# made into manuscripts in tests/projects/_external/ by adding front matter only; checksummed, cached.
testbooks: $(TSTAMP)
	$(BIN)/python scripts/fetch_testbooks.py

test: $(TSTAMP) tools reader-tools $(NSTAMP) $(SYSTEM) testbooks
	$(BIN)/ruff check src tests scripts
	$(BIN)/python -m pytest -q -n auto --maxprocesses 4 --dist worksteal
	$(BIN)/ketab build manuscript --out build --check

check: $(STAMP)
	$(BIN)/ketab build manuscript --out build --check

bench: $(TSTAMP)
	$(BIN)/python scripts/bench.py

bench-quick: $(TSTAMP)
	$(BIN)/python scripts/bench.py --quick

fuzz: $(TSTAMP)
	KETAB_FUZZ_EXAMPLES=2000 $(BIN)/python -m pytest -q tests/test_fuzz.py

clean:
	rm -rf build

distclean: clean
	rm -rf $(VENV) node_modules $(READER)/node_modules
