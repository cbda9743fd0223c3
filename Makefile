# mlsc: `make demo` and `make test` are all a fresh machine needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEMO   := demo-out

.PHONY: install browser demo test lint unit bench clean

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
	@echo "Open $(DEMO)/lineage.html and $(DEMO)/blast-radius.html in a browser (they work offline)."
	@echo "Query it yourself: $(BIN)/mlsc cypher 'MATCH (m:Model) RETURN count(*)' --db $(DEMO)/kb"

lint: install
	$(BIN)/ruff check mlsc tests benchmarks tools
	$(BIN)/mypy

unit: install
	$(BIN)/pytest

## test: lint, then every test (real LadybugDB, real headless Chromium)
test: install browser lint
	$(BIN)/pytest

bench: install
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .mypy_cache .ruff_cache
