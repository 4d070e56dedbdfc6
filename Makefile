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

.PHONY: all book test bench fuzz lint clean distclean web-tools

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

book: $(STAMP)
	$(BIN)/ketab build manuscript --out build

lint: $(STAMP)
	$(BIN)/ketab lint manuscript

test: $(TSTAMP) $(NSTAMP) $(SYSTEM)
	$(BIN)/ruff check src tests scripts
	$(BIN)/python -m pytest -q

bench: $(TSTAMP)
	$(BIN)/python scripts/bench.py

fuzz: $(TSTAMP)
	KETAB_FUZZ_EXAMPLES=2000 $(BIN)/python -m pytest -q tests/test_fuzz.py

clean:
	rm -rf build

distclean: clean
	rm -rf $(VENV) node_modules
