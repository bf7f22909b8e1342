# One entry point for humans and CI. Every target installs what it needs first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install system-deps demo test run lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# nginx fronts the webhook workers in the scale-out tests and the deployment (Debian package).
NGINX ?= /usr/sbin/nginx
SUDO  := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
system-deps:
	@test -x $(NGINX) || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends nginx >/dev/null; }
	@test -x $(NGINX) && echo "nginx: $(NGINX)"

demo: $(STAMP)
	$(BIN)/opsbot demo

test: $(STAMP) system-deps
	$(BIN)/python -m pytest

run: $(STAMP)
	$(BIN)/opsbot run

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/startup_rss.py

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache
