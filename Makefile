# 乡村电商学堂 — `make run` serves the demo on http://127.0.0.1:5000, `make test` runs every test.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
CATALOGS := $(wildcard lms/translations/*/LC_MESSAGES/messages.po)

.PHONY: run test install translations extract-messages lint bench-install bench bench-load

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed translations

translations: $(CATALOGS:.po=.mo)

lms/translations/%/LC_MESSAGES/messages.mo: lms/translations/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -d lms/translations -l $* 

run: install
	mkdir -p instance
	test -s instance/secret_key || $(BIN)/python -c "import secrets; print(secrets.token_urlsafe(32))" > instance/secret_key
	$(FLASK) db upgrade
	$(FLASK) curricula import
	$(FLASK) demo
	$(FLASK) run --host 127.0.0.1 --port 5000

test: install
	$(FLASK) curricula check
	$(BIN)/pytest $(PYTEST_ARGS)

extract-messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_pgettext:1c,2 -o lms/translations/messages.pot --no-location --omit-header --ignore-dirs ".* instance" .
	$(BIN)/pybabel update -i lms/translations/messages.pot -d lms/translations --no-fuzzy-matching --omit-header --no-wrap
	$(BIN)/python scripts/sync_catalogs.py

lint: $(VENV)/.installed
	$(BIN)/ruff check lms tests bench
	$(BIN)/ruff format --check lms tests bench

# Benchmarks against DESIGN §6 (never part of `make test`): bench/README.md. BENCH_ARGS, e.g.
# --database-url postgresql+psycopg://postgres@127.0.0.1:5432/lms_scale (or set LMS_DATABASE_URL).
bench-install: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[bench]'

bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

bench-load: bench-install
	$(BIN)/python -m bench load $(BENCH_ARGS)
