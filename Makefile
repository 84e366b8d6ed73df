# The two set-up commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test lint typecheck unit integration e2e browser bench openapi clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The service on the embedded default: SQLite under ./.seatledger, projector
# in-process, no Kafka, with the demo data of the five stories (loaded once).
run: install
	$(BIN)/seatledger demo
	$(BIN)/seatledger serve --host 127.0.0.1 --port 8000

# Everything CI runs. The suite installs (apt, when missing) and starts its own
# throwaway PostgreSQL, Kafka and Chromium; nothing needs to be running
# beforehand. Test files run on three workers (each with servers of its own):
# most of a test's time is spent waiting on servers, not on the two cores.
WORKERS ?= 3
test: install lint typecheck
	$(BIN)/pytest -q -n $(WORKERS) --dist loadfile --durations=15

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

unit: install
	$(BIN)/pytest -q tests/unit

integration: install
	$(BIN)/pytest -q tests/integration

e2e: install
	$(BIN)/pytest -q tests/e2e

# The console in headless Chromium (Debian's package; the tests install it
# with apt when missing). Never `playwright install`: it downloads a browser.
browser: install
	$(BIN)/pytest -q tests/browser

bench: install
	$(BIN)/python -m bench.assign_seat

# The HTTP reference in docs/: regenerate after changing a route or a schema
# (a test fails while the committed document differs from the app's).
openapi: install
	$(BIN)/python -m api.openapi_dump docs/openapi.json

clean:
	rm -rf $(VENV) .seatledger .pytest_cache .mypy_cache .ruff_cache
