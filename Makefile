# Two commands: `make run` (a working demo on this machine) and `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# Installs exactly what requirements.lock pins (regenerate it with `make lock`).
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements.lock | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000
# Links in pages, e-mails and the API follow HOST and PORT unless SITE_URL is set.
SITE_URL ?= http://$(HOST):$(PORT)

.PHONY: run test install system-deps lock lint format messages soak

$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

# Chromium, HarfBuzz-Subset, Pango, pg_dump: installed with apt when run as root.
system-deps:
	@bin/system-deps

# requirements-deploy.lock: what the image installs; requirements.lock: the same pins plus
# the test tools, what make installs.
lock: install
	$(VENV)/bin/pip install --quiet uv
	$(VENV)/bin/uv pip compile pyproject.toml --python-version 3.11 -q -o requirements-deploy.lock
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --python-version 3.11 -q \
		-c requirements-deploy.lock -o requirements.lock

run: install
	DEBUG=$${DEBUG:-1} SITE_URL=$(SITE_URL) $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} SITE_URL=$(SITE_URL) $(PY) manage.py seed_demo
	@echo ""
	@echo "  Conveyor is starting at $(SITE_URL)/  (admin: $(SITE_URL)/admin/)"
	@echo "  Sign in with one of the demo users printed above."
	@echo ""
	DEBUG=$${DEBUG:-1} SITE_URL=$(SITE_URL) ALLOWED_HOSTS=$${ALLOWED_HOSTS:-localhost,127.0.0.1,[::1],$(HOST)} \
		$(PY) manage.py runserver $(HOST):$(PORT)

test: install system-deps
	@VENV=$(VENV) bin/test

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

messages: install
	DEBUG=1 $(PY) manage.py makemessages -l ru --ignore=.venv --ignore=staticfiles
	DEBUG=1 $(PY) manage.py compilemessages --ignore=.venv

# The soak: a stack of its own (gunicorn, a worker, beat, a private Redis, a database made and
# dropped for it); ORDERS orders through the whole funnel while Redis is stopped and the
# worker killed; prints orders stuck, e-mails and payments lost or doubled, answers >= 500.
soak: install
	$(PY) bench/soak.py --orders $${ORDERS:-600}
