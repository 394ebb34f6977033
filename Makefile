# PHT Guide. `make run` starts the app, `make test` runs every test; both build .venv on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PHT_PORT ?= 8501
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export TOKENIZERS_PARALLELISM := false

.PHONY: run review purge test venv ingest eval bench lint browser axe clean help

help:
	@echo "make run     start the chat on http://127.0.0.1:$(PHT_PORT) (builds .venv and the index first)"
	@echo "make review  the review app on http://127.0.0.1:$(PHT_REVIEW_PORT) (needs PHT_REVIEW_PASSWORD_HASH)"
	@echo "make purge   delete conversations and answers older than PHT_RETENTION_DAYS (30)"
	@echo "make test    lint, type-check and run every test (unit, integration, server, browser, eval)"
	@echo "make venv    only build .venv"
	@echo "make ingest  (re)index corpus/ into Chroma"
	@echo "make eval    run the offline evaluation and write reports/"
	@echo "make bench   print performance numbers"
	@echo "make lint    ruff + mypy"

# torch first, from the local CPU wheel: anything else would resolve a CUDA build of several GB.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "torch==2.13.0"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

venv: $(STAMP)

ingest: $(STAMP)
	$(BIN)/pht-ingest

# ui.serve loads the model and the index before Streamlit prints the URL: the first visitor
# is answered at once instead of waiting half a minute.
run: $(STAMP)
	@$(BIN)/pht-ingest --if-missing
	$(BIN)/python -m ui.serve --server.address 127.0.0.1 --server.port $(PHT_PORT)

# The review app (answer log, feedback, eval reports): its own server, loopback only, password.
PHT_REVIEW_PORT ?= 8502
review: $(STAMP)
	$(BIN)/streamlit run review_app.py --server.address 127.0.0.1 --server.port $(PHT_REVIEW_PORT)

# Delete conversations and logged answers older than PHT_RETENTION_DAYS (default 30).
purge: $(STAMP)
	$(BIN)/python -m ui.conversations purge

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

browser:
	@bash scripts/ensure-chromium.sh

# axe-core (npm, pinned in tests/e2e/package.json) checks accessibility inside the browser tests.
AXE_STAMP := tests/e2e/node_modules/.installed-stamp
$(AXE_STAMP): tests/e2e/package.json tests/e2e/package-lock.json
	cd tests/e2e && npm ci --no-audit --no-fund --silent
	touch $(AXE_STAMP)

axe: $(AXE_STAMP)

test: $(STAMP) browser axe
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest
	$(MAKE) --no-print-directory eval

eval: $(STAMP)
	@mkdir -p reports
	@$(BIN)/pht-ingest --if-missing --quiet
	$(BIN)/pht-eval --out reports/eval.json --html reports/eval.html

bench: $(STAMP)
	$(BIN)/pht-bench

clean:
	rm -rf $(VENV) .pht reports artifacts
