# Digital Front Door: `make demo` sets up and serves the demo; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test install pdf-libs chromium wrk bench lint check clean

install: $(STAMP)

$(STAMP): pyproject.toml | pdf-libs
	@echo "==> Creating $(VENV) and installing the project with its test tools"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

# WeasyPrint (the PDF evidence pack) needs Pango, and HarfBuzz's subsetter to embed fonts
# quickly (without it each PDF takes about 2 s longer); skipped when ldconfig lists both.
pdf-libs:
	@libs="$$( { ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null; } )"; \
	if ! echo "$$libs" | grep -q 'libpango-1\.0\.so' || ! echo "$$libs" | grep -q 'libharfbuzz-subset\.so'; then \
		echo "==> Installing Pango and HarfBuzz-subset for WeasyPrint (PDF evidence pack)"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 >/dev/null; \
	fi

chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "==> Installing Debian's chromium for the browser tests"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

wrk:
	@command -v wrk >/dev/null || { echo "==> Installing wrk (load generator for benchmarks)"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

demo: $(STAMP)
	@echo "==> Migrating the database ($${DATABASE_URL:-SQLite file db.sqlite3})"
	@$(BIN)/python manage.py migrate --noinput -v 0
	@echo "==> Loading the demo ICS (safe to re-run)"
	@$(BIN)/python manage.py load_demo
	@echo "==> Serving the site on http://$(HOST):$(PORT)/ (Ctrl+C to stop)"
	@$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(STAMP) chromium
	@echo "==> Running the test suite against $${DATABASE_URL:-SQLite}"
	@$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	@$(BIN)/ruff check .

check: $(STAMP)
	@$(BIN)/python manage.py check
	@$(BIN)/python manage.py makemigrations --check --dry-run

bench: $(STAMP) wrk
	@for script in bench/*.py; do echo "==> $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) db.sqlite3 static_collected
