# mlsc: `make demo` and `make test` are all a fresh machine needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEMO   := demo-out

NEO4J  := tools/neo4j-dev/neo4j-dev.sh

.PHONY: install browser demo test lint unit bench bench-scanners clean neo4j-up neo4j-down

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

browser:
	bash tools/install-browser.sh

## demo: ingest the bundled sample into a fresh embedded store and show what mlsc answers
demo: install
	rm -rf $(DEMO) && mkdir -p $(DEMO)
	$(BIN)/mlsc ingest snapshot examples/sample-hub.jsonl --db $(DEMO)/kb
	@echo
	$(BIN)/mlsc blast-radius meta-llama/Llama-3.1-8B --db $(DEMO)/kb --limit 15 --html $(DEMO)/blast-radius.html
	@echo
	$(BIN)/mlsc top actors -n 10 --db $(DEMO)/kb
	@echo
	$(BIN)/mlsc lineage quantlab/Evo-8B-g12-GGUF --db $(DEMO)/kb --html $(DEMO)/lineage.html
	@echo
	$(BIN)/mlsc report discrepancies --db $(DEMO)/kb --limit 8
	@echo
	$(BIN)/mlsc report scorecard quantlab/Evo-8B-g12-GGUF --db $(DEMO)/kb --html $(DEMO)/scorecard.html
	@echo
	@echo "Open $(DEMO)/lineage.html, $(DEMO)/blast-radius.html and $(DEMO)/scorecard.html in a browser (they work offline)."
	@echo "Query it yourself: $(BIN)/mlsc cypher 'MATCH (m:Model) RETURN count(*)' --db $(DEMO)/kb"

lint: install
	$(BIN)/ruff check mlsc tests benchmarks tools
	$(BIN)/mypy

unit: install
	$(BIN)/pytest

## neo4j-up: a real Neo4j 5 on 127.0.0.1 (from Maven Central); settings in .neo4j-dev.env
neo4j-up:
	bash $(NEO4J) up

neo4j-down:
	bash $(NEO4J) down

## test: lint, then every test (real LadybugDB, real Neo4j, real headless Chromium).
## The Neo4j tests skip only when java or mvn is missing (the launcher exits 2).
test: install browser lint
	@bash $(NEO4J) up; rc=$$?; \
	if [ $$rc -eq 2 ]; then echo "Neo4j tests will be skipped: java or mvn is missing" >&2; \
	elif [ $$rc -ne 0 ]; then echo "the Neo4j dev server did not start (see .neo4j-dev/neo4j.log)" >&2; exit $$rc; fi; \
	MLSC_REQUIRE_NEO4J=$$([ $$rc -eq 0 ] && echo 1) $(BIN)/pytest; status=$$?; \
	bash $(NEO4J) down; exit $$status

bench: install
	$(BIN)/python benchmarks/run.py

## bench-scanners: mlsc against picklescan, fickling and ModelScan on the scanner corpus
## (installs them in .bench-venv/; exits 1 if a peer catches a sample mlsc misses, or mlsc
## flags a benign one). Not part of `make test`. ARGS=--verbose for one row per sample.
bench-scanners: install
	$(BIN)/python benchmarks/scanners.py --setup --venv .bench-venv $(ARGS)

clean:
	rm -rf $(VENV) .bench-venv $(DEMO) .pytest_cache .mypy_cache .ruff_cache
