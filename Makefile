# One entry point for the whole CRM. `make run` and `make test` install what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SERVICES := $(sort $(patsubst services/%/app.py,%,$(wildcard services/*/app.py)))
SERVICE ?=
STAGE ?= dev
REGION ?= us-east-1
BUILD := build/$(SERVICE)/$(STAGE)
PYTEST_ARGS ?=

.PHONY: help install run demo outbox test lint events bench fuzz package deploy redrive clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): requirements-dev.txt shared/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check 'pip<26.3'
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e ./shared
	touch $@

install: $(STAMP)  ## create .venv with the pinned dependencies and crm_shared (editable)

run: $(STAMP)  ## run the whole CRM locally on an embedded AWS (moto server), Ctrl-C stops it
	$(BIN)/python -m infra.local.run

demo: $(STAMP)  ## against a running `make run`: provision "Demo Co" with a user of each role
	$(BIN)/python -m infra.local.demo

outbox: $(STAMP)  ## against a running `make run`: the emails it sent (subject, to, tracking links)
	$(BIN)/python -m infra.local.outbox

test: $(STAMP)  ## run every test suite on moto in-process [JOBS=2 workers, one module each]
	$(BIN)/python -m pytest -n $(or $(JOBS),2) --dist loadfile --durations=15 $(PYTEST_ARGS)

lint: $(STAMP)  ## ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/mypy shared/crm_shared infra
	@for svc in $(SERVICES); do \
	  echo "mypy services/$$svc"; \
	  (cd services/$$svc && ../../$(BIN)/mypy --config-file ../../pyproject.toml app.py chalicelib) || exit 1; \
	done

events: $(STAMP)  ## write the event catalog's JSON Schemas into shared/crm_shared/events/schemas
	$(BIN)/python -m crm_shared.events.schemas

bench: $(STAMP)  ## measure the budgets; prints a table and writes docs/benchmarks.md
	$(BIN)/python -m tests.bench.run

fuzz: $(STAMP)  ## schemathesis on every service of a fresh local runtime [EXAMPLES=50]
	$(BIN)/python -m tests.fuzz.run --examples $(or $(EXAMPLES),50)

package: $(STAMP)  ## SERVICE=<svc> STAGE=<stage>: Lambda zip with crm_shared + lint-clean template
	@test -n "$(SERVICE)" || { echo "usage: make package SERVICE=<$(SERVICES)> STAGE=<dev|prod>"; exit 2; }
	@test -f services/$(SERVICE)/app.py || { echo "no service $(SERVICE): one of $(SERVICES)"; exit 2; }
	$(BIN)/python -m infra.package $(SERVICE) $(STAGE) --out $(BUILD)

# SERVICE=shared (bus, user pool: first) and SERVICE=edge (the public API: last) are
# stacks with no Lambda code, so they skip `package`. Needs CRM_ARTIFACT_BUCKET for services.
deploy: $(if $(filter shared edge,$(SERVICE)),$(STAMP),package)  ## SERVICE=<svc|shared|edge> STAGE=<stage> [DRY_RUN=1]: deploy a stack
	$(BIN)/python -m infra.deploy $(SERVICE) $(STAGE) --build $(BUILD) --region $(REGION) \
	  $(if $(DRY_RUN),--dry-run,)

redrive: $(STAMP)  ## QUEUE=<dlq name or url>: move DLQ messages back to their source queue
	@test -n "$(QUEUE)" || { echo "usage: make redrive QUEUE=crm-local-<svc>-events-dlq"; exit 2; }
	$(BIN)/python -m infra.redrive $(QUEUE)

clean:  ## remove build output and the virtualenv
	rm -rf build $(VENV) .crm services/*/vendor
