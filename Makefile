# safeguarding-pipeline: `make all` sets up .venv and runs the pipeline on data/raw;
# `make test` runs the tests. `make help` lists every target.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SGPIPE := $(VENV)/bin/sgpipe
RAW ?= data/raw
OUT ?= data/processed
JOBS ?=
JOBS_OPT := $(if $(JOBS),--jobs $(JOBS),)
# WAIT=1: queue behind another run on the same output folder instead of stopping
WAIT ?=
# SINCE=yyyy-mm-dd or a snapshot file: what `make all` and `make changes` compare with
SINCE ?=
SILENT_MONTHS ?= 6
RUN_OPTS := $(JOBS_OPT) $(if $(WAIT),--wait,) $(if $(SINCE),--since "$(SINCE)",) --silent-months $(SILENT_MONTHS)
# the shared development corpus and gold labels (optional), and where their run goes
LABELS ?= ../shared/labels
CORPUS ?= ../shared/corpus
CORPUS_OUT ?= data/processed/shared
REVIEW ?= Child L
MODEL ?= models/themes.skops
TRAIN_LABELS := $(if $(wildcard $(LABELS)/themes_*.csv),--labels $(LABELS),) --labels data/labels
# `make all` trains the theme model first when the shared labels exist and no model does
ALL_DEPS := $(if $(wildcard $(LABELS)/themes_dev.csv),$(MODEL),)

.PHONY: help setup all changes extract themes train stance-model rec-model recommendations links trace eval tables report notebooks test lint bench clean demo-corpus

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

setup: $(VENV)/.installed ## create .venv and install the package with its dev tools

all: setup $(ALL_DEPS) ## run the whole pipeline on the demo corpus (data/raw -> data/processed); trains the theme model first if ../shared/labels exists and no model does
	$(SGPIPE) run --input $(RAW) --output $(OUT) $(RUN_OPTS)

changes: setup ## print what changed since the last briefing (SINCE=yyyy-mm-dd or a snapshot file to compare with an older run)
	$(SGPIPE) changes --output $(OUT) $(if $(SINCE),--since "$(SINCE)",) --silent-months $(SILENT_MONTHS)

extract: setup ## read documents into documents.parquet and passages.parquet
	$(SGPIPE) extract --input $(RAW) --output $(OUT) $(JOBS_OPT)

themes: setup ## tag themes: passages.parquet -> themes.parquet (rules, + models/themes.skops if present)
	$(SGPIPE) tag --output $(OUT)

$(MODEL): | $(VENV)/.installed
	$(MAKE) train

train: setup ## fit the theme model on ../shared (corpus + labels) and data/labels -> models/themes.skops
	@if [ -d "$(CORPUS)" ]; then \
	  $(SGPIPE) extract --input $(CORPUS) --output $(CORPUS_OUT) $(JOBS_OPT) $(if $(WAIT),--wait,) && \
	  $(SGPIPE) train --output $(CORPUS_OUT) $(TRAIN_LABELS) --model $(MODEL); \
	else \
	  $(SGPIPE) extract --input $(RAW) --output $(OUT) $(JOBS_OPT) $(if $(WAIT),--wait,) && \
	  $(SGPIPE) train --output $(OUT) --labels data/labels --model $(MODEL); \
	fi

rec-model: setup ## refit pipeline/data/rec_model.json (the recommendation model shipped in git) from ../shared (corpus + recs_*.csv)
	$(SGPIPE) extract --input $(CORPUS) --output $(CORPUS_OUT) $(JOBS_OPT)
	$(PY) scripts/train_rec_model.py --output $(CORPUS_OUT) --labels $(LABELS)

recommendations: setup ## find the numbered recommendations of reviews (+ data/raw/recommendations.csv)
	$(SGPIPE) recommendations --input $(RAW) --output $(OUT)

links: setup ## link later passages to recommendations; write tables/recommendation_coverage.csv
	$(SGPIPE) link --input $(RAW) --output $(OUT)

trace: setup ## print one review's recommendations and every passage linked to them (REVIEW="Child L")
	$(SGPIPE) trace "$(REVIEW)" --output $(OUT)

eval: setup ## score themes (rules, model by grouped CV, combined), links, recommendations and reply stances (LODO) on ../shared
	$(SGPIPE) run --input $(CORPUS) --output $(CORPUS_OUT) $(JOBS_OPT)
	$(SGPIPE) eval themes --output $(CORPUS_OUT) $(TRAIN_LABELS)
	$(SGPIPE) eval links --gold $(LABELS)/links_dev.csv --output $(CORPUS_OUT)
	$(SGPIPE) eval recommendations $(foreach g,$(wildcard $(LABELS)/recs_*.csv),--gold $(g)) --lodo --output $(CORPUS_OUT)
	$(SGPIPE) eval replies --labels $(LABELS) --output $(CORPUS_OUT)

stance-model: setup ## refit the reply stance model on ../shared (status keys + links_dev) -> pipeline/data/stance_model.json (committed)
	$(SGPIPE) run --input $(CORPUS) --output $(CORPUS_OUT) $(JOBS_OPT)
	$(PY) scripts/train_stance.py --output $(CORPUS_OUT) --labels $(LABELS)

tables: setup ## rebuild the CSV tables in data/processed/tables/ from the stage outputs
	$(SGPIPE) tables --output $(OUT)

report: setup ## rebuild the briefings, report.html and themes.qdpx in data/processed/report/
	$(SGPIPE) report --output $(OUT)

notebooks: setup ## run notebooks/*.ipynb on data/processed; executed copies in data/processed/notebooks/
	@test -f $(OUT)/documents.parquet || $(MAKE) all
	$(PY) scripts/run_notebooks.py --output $(OUT)

test: setup ## run the tests (end-to-end tests read ../shared/corpus when present)
	$(PY) -m pytest -q

lint: setup ## check the code with ruff
	$(VENV)/bin/ruff check pipeline tests scripts notebooks

bench: setup ## measure pages/s, words/s and memory per stage (generated 1,000 pages + ../shared/corpus), then stage timings and the incremental re-run
	$(PY) scripts/bench.py
	$(PY) scripts/bench_stages.py

demo-corpus: setup ## regenerate the demo PDF and DOCX in data/raw from scripts/demo_corpus
	$(PY) scripts/make_demo_corpus.py --out $(RAW)

clean: ## remove outputs and caches (keeps .venv)
	rm -rf $(OUT) .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
