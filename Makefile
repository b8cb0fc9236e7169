# Two commands matter: `make dev` (the whole system on this machine) and `make test`.
# Both install what they need: uv (from PyPI) -> .venv from uv.lock, and the Go-built
# dev store in .tools/ (rebuilt only when its sources change).

PYTHON ?= python3
UV_VERSION := 0.13.8
UV := .tools/uv/bin/uv
VENV := .venv
DEVSTORE := .tools/devstore
DEVSTORE_SRC := $(wildcard deploy/devstore/*.go) $(shell find deploy/devstore/_ferretdb -name '*.go') deploy/devstore/go.mod deploy/devstore/go.sum deploy/devstore/patch_ferretdb.py
FERRETDB := github.com/FerretDB/FerretDB
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

HTTP_PORT ?= 8000
NATS_PORT ?= 4222
STORE_PORT ?= 27017

.PHONY: dev test bench venv devstore stack clean chromium

dev: venv devstore
	$(VENV)/bin/crm dev --port $(HTTP_PORT) --nats-port $(NATS_PORT) --store-port $(STORE_PORT)

# One process by default. `make test TEST_WORKERS=3` runs three pytest-xdist workers, each with its own
# servers (files whole, tests/e2e together: tests/conftest.py): about twice as fast on two cores, but on a
# loaded two-core machine some timing-bound tests (browser waits, event propagation) then fail.
TEST_WORKERS ?= 0
test: venv devstore chromium
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

bench: venv devstore
	$(VENV)/bin/python -m bench.run

stack: venv devstore
	$(VENV)/bin/crm stack --nats-port $(NATS_PORT) --store-port $(STORE_PORT)

venv: $(VENV)/.synced

$(UV):
	$(PYTHON) -m venv .tools/uv
	.tools/uv/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) uv.lock pyproject.toml shared/pyproject.toml services/*/pyproject.toml
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

devstore: $(DEVSTORE)

# Built from a copy with one patch to FerretDB (see deploy/devstore/patch_ferretdb.py).
$(DEVSTORE): $(DEVSTORE_SRC)
	@rm -rf .tools/build && mkdir -p .tools/build/devstore
	cp deploy/devstore/*.go deploy/devstore/go.mod deploy/devstore/go.sum .tools/build/devstore/
	cd deploy/devstore && go mod download $(FERRETDB)
	$(PYTHON) deploy/devstore/patch_ferretdb.py "$$(cd deploy/devstore && go list -m -f '{{.Dir}}' $(FERRETDB))" .tools/build/ferretdb
	cd .tools/build/devstore && go mod edit -replace=$(FERRETDB)=../ferretdb && go build -trimpath -buildvcs=false -o ../../devstore .
	rm -rf .tools/build

# The console's browser tests drive Debian's Chromium (the test tool never downloads one).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
chromium:
	@command -v chromium >/dev/null || [ -n "$$CRM_CHROMIUM" ] || { \
	  echo "installing Debian's chromium for the console's browser tests"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

clean:
	rm -rf .data .pytest_cache
