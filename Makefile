# mlsc: `make demo` and `make test` are all a fresh machine needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEV    := $(VENV)/.dev-stamp
DEMO   := demo-out

NEO4J  := tools/neo4j-dev/neo4j-dev.sh

.PHONY: install install-dev browser demo test lint unit bench bench-scanners clean neo4j-up neo4j-down

## install: what a user needs (mlsc and its dependencies); install-dev adds the test tools
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(STAMP)

$(DEV): $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(DEV)

install: $(STAMP)

install-dev: $(DEV)

## browser: Debian's chromium for the browser tests (may run `sudo -n apt-get install`; never
## asks for a password: without one the browser tests skip, or fail under MLSC_REQUIRE_BROWSER)
browser:
	@bash tools/install-browser.sh || echo "make test: the browser tests will skip (chromium is not installed)" >&2

## demo: build demo-out/kb offline from data in the repository (a snapshot, a replayed crawl,
## signed git histories, a flagged pickle, an application) and show what mlsc answers
demo: install
	$(BIN)/python tools/demo.py --out $(DEMO)

lint: install-dev
	$(BIN)/ruff check mlsc tests benchmarks tools
	$(BIN)/mypy

unit: install-dev
	$(BIN)/pytest

## neo4j-up: a real Neo4j 5 on 127.0.0.1 (from Maven Central); settings in .neo4j-dev.env
neo4j-up:
	bash $(NEO4J) up

neo4j-down:
	bash $(NEO4J) down

## test: lint, then every test (real LadybugDB, real Neo4j, real headless Chromium).
## The Neo4j tests skip only when java or mvn is missing (the launcher exits 2).
test: install-dev browser lint
	@bash $(NEO4J) up; rc=$$?; \
	if [ $$rc -eq 2 ]; then echo "Neo4j tests will be skipped: java or mvn is missing" >&2; \
	elif [ $$rc -ne 0 ]; then echo "the Neo4j dev server did not start (see .neo4j-dev/neo4j.log)" >&2; exit $$rc; fi; \
	MLSC_REQUIRE_NEO4J=$$([ $$rc -eq 0 ] && echo 1) $(BIN)/pytest; status=$$?; \
	bash $(NEO4J) down; exit $$status

bench: install-dev
	$(BIN)/python benchmarks/run.py

## bench-scanners: mlsc against picklescan, fickling and ModelScan on the scanner corpus
## (installs them in .bench-venv/; exits 1 if a peer catches a sample mlsc misses, or mlsc
## flags a benign one). Not part of `make test`. ARGS=--verbose for one row per sample.
bench-scanners: install-dev
	$(BIN)/python benchmarks/scanners.py --setup --venv .bench-venv $(ARGS)

clean:
	rm -rf $(VENV) .bench-venv $(DEMO) .pytest_cache .mypy_cache .ruff_cache
