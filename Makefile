# unioncat — the two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CONFIG ?= config/unioncat.toml
HOST   ?= 127.0.0.1
PORT   ?= 8000
BACKEND ?= embedded
OPENSEARCH := $(PYTHON) tests/opensearch_node/ctl.py

# `make demo BACKEND=opensearch`: the same catalog served from a local OpenSearch node (see README).
ifeq ($(BACKEND),opensearch)
CONFIG := var/unioncat.opensearch-local.toml
DEMO_NEEDS := opensearch-demo-config
endif

.PHONY: demo test check bench bench-http fuzz install clean opensearch-start opensearch-cluster opensearch-stop opensearch-demo-config

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "unioncat needs Python >= 3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	@touch $(STAMP)

install: $(STAMP)

## demo: harvest the bundled sample catalogs, index them and serve the UI on http://$(HOST):$(PORT)
demo: $(STAMP) $(DEMO_NEEDS)
	$(BIN)/unioncat --config $(CONFIG) harvest
	$(BIN)/unioncat --config $(CONFIG) index
	$(BIN)/unioncat --config $(CONFIG) status
	@echo
	@echo "unioncat is serving the demo catalog on http://$(HOST):$(PORT)  (Ctrl-C to stop)"
	$(BIN)/unioncat --config $(CONFIG) serve --host $(HOST) --port $(PORT)

## test: the whole suite (browser tests need Debian's chromium; .ci/run installs it)
test: $(STAMP)
	$(BIN)/python -m pytest -q

## check: lint and type-check
check: $(STAMP)
	$(BIN)/ruff check harvester indexer search_ui tests bench
	$(BIN)/mypy harvester indexer search_ui

## bench: the benchmarks, small sizes (see bench/README.md for the full runs)
bench: $(STAMP)
	$(BIN)/python bench/ingest.py --synthetic 20000 samples
	$(BIN)/python bench/search.py --docs 100000
	$(BIN)/python bench/harvest.py --records 5000
	$(BIN)/python bench/exports.py --records 500 --citations 5

## bench-http: the web tier under wrk, 1 worker without cache vs one per core with it (bench/README.md)
bench-http: $(STAMP)
	$(BIN)/python bench/http_tier.py --docs 100000

## fuzz: the long fuzz run (random MARC through the normalizer, mutated real records through a worker)
fuzz: $(STAMP)
	$(BIN)/python bench/fuzz.py

## opensearch-start: build the test node if needed (Java 17 + Maven), start one node, print its URL
opensearch-start:
	@$(OPENSEARCH) start

## opensearch-cluster: three nodes on loopback forming one cluster (prints each node's URL)
opensearch-cluster:
	@$(OPENSEARCH) cluster

## opensearch-stop: stop the nodes started by opensearch-start/-cluster (by PID file only)
opensearch-stop:
	@$(OPENSEARCH) stop

opensearch-demo-config:
	@$(OPENSEARCH) start
	@$(OPENSEARCH) demo-config config/unioncat.opensearch.toml $(CONFIG)

clean:
	rm -rf var .pytest_cache
