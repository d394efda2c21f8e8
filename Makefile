# The product's build, test and run targets. `make help` lists them.

# Go 1.27.3 carries the standard-library security fixes govulncheck asks
# for; the go command fetches it through the module proxy on first use.
export GOTOOLCHAIN := go1.27.3

# Settings from a local .env file, if there is one (see .env.example).
ifneq (,$(wildcard .env))
include .env
export $(shell sed -n 's/^\([A-Z_][A-Z0-9_]*\)=.*/\1/p' .env)
endif

BIN      ?= bin/chatbotd
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
PKGS     := ./...
VULNDB_VERSION := v0.0.0-20261105234957-e22db6528018
# Pinned tools and the vulnerability index live in a per-user cache, by
# version, so that a fresh checkout does not build them again.
TOOLS_CACHE    ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/chatbotd-tools
VULNDB_DIR     ?= $(TOOLS_CACHE)/vulndb-$(VULNDB_VERSION)
ELEMENTS_VERSION := 9.0.25
REDOCLY_VERSION  := 2.77.0
REDOCLY_DIR      := $(TOOLS_CACHE)/redocly-$(REDOCLY_VERSION)
REDOCLY_BIN      := $(REDOCLY_DIR)/node_modules/.bin/redocly

.PHONY: help run build test lint vet fmt tidy-check bench faults fuzz capacity cluster-run migrate compose-config compose-secrets secrets monitoring-check openapi-lint docker-binary vulncheck docs-ui clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

run: build ## build and start the whole product (chatbotd serve) with local defaults
	$(BIN) serve

build: ## build bin/chatbotd
	go build -trimpath -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/chatbotd

# Two packages at a time (the go command's -p also bounds its compiles and
# links, which one at a time left a core idle for minutes). Each package
# has its own Postgres database, NATS server and Redis database (leased by
# testkit.RedisURL), so none sees another's keys.
test: ## run the whole test suite with the race detector against the local services
	go test -race -count=1 -p 2 -timeout 30m $(PKGS)

lint: fmt vet tidy-check ## gofmt, go vet, and go.mod/go.sum as go mod tidy leaves them

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	go vet $(PKGS)

tidy-check: ## fail when go mod tidy would change go.mod or go.sum (a direct dependency marked indirect, a missing sum)
	@go mod tidy -diff || { echo "go mod tidy would change go.mod/go.sum: run go mod tidy and commit the result"; exit 1; }

bench: build ## run every benchmark scenario (writes bench/results/latest.json and BENCHMARKS.md); SCENARIO=name runs one and prints its table
ifeq ($(SCENARIO),)
	go run ./bench -out bench/results/latest.json -md BENCHMARKS.md
else
	go run ./bench -only $(SCENARIO) -scale-chatbots $(if $(filter scale,$(SCENARIO)),100000,0) -out bench/results/$(SCENARIO).json -md -
endif

.PHONY: soak
soak: build ## ten minutes of mixed load against serve: RSS and goroutines over time (bench/results/soak.json, BENCHMARKS.md)
	go run ./bench -soak $(or $(SOAK_DURATION),10m)

FAULTS_OUT := $(CURDIR)/.cache/faults.jsonl

faults: ## run the fault suite's long variants (outages, kills, overload); prints its table and writes docs/RELIABILITY.md
	@mkdir -p .cache && rm -f $(FAULTS_OUT)
	FAULTS_LONG=1 FAULTS_REPORT=$(FAULTS_OUT) go test -count=1 -timeout 40m -run '^TestFault' ./cmd/chatbotd; \
	status=$$?; go run ./cmd/faultreport -in $(FAULTS_OUT) -md docs/RELIABILITY.md -version $(VERSION) -note "$(FAULTS_NOTE)" \
		-expect $$(grep -h '^func TestFault' cmd/chatbotd/*_test.go | wc -l) || status=1; exit $$status

capacity: build ## measure the capacity model's inputs on a 3-node NATS cluster rig and write docs/SCALING.md (bench/results/capacity.json)
	go run ./bench -capacity docs/SCALING.md

cluster-run: build ## the mixed load on a 3-node NATS cluster at R3 with two each of command, query and projector, for 30 s
	go run ./bench -cluster 30s

FUZZ_TIME ?= 3s
FUZZ_TARGETS := ./shared/httpx:FuzzRequestDecoding ./shared/httpx:FuzzDuplicateKey ./shared/auth:FuzzTokenVerify \
	./command/domain/chatbot:FuzzParseKey ./command/app:FuzzParseRefreshToken ./events:FuzzUpcastAndDecode

fuzz: ## run each fuzz target for FUZZ_TIME, from the seeds under its package's testdata/fuzz
	@for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; name=$${t##*:}; echo "fuzz $$name ($$pkg) for $(FUZZ_TIME)"; \
		go test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZ_TIME) -fuzzminimizetime 200x -parallel 2 $$pkg || exit 1; \
	done

migrate: build ## apply pending migrations to DATABASE_URL
	$(BIN) migrate up

compose-config: ## validate the docker compose files
	docker-compose -f docker-compose.yml config -q
	POSTGRES_PASSWORD=$${POSTGRES_PASSWORD:-compose-config-check} docker-compose -f docker-compose.yml -f docker/compose.prod.yml config -q
	docker-compose -f docker-compose.yml -f docker/compose.cluster.yml config -q
	POSTGRES_PASSWORD=$${POSTGRES_PASSWORD:-compose-config-check} docker-compose -f docker-compose.yml -f docker/compose.prod.yml -f docker/compose.cluster.yml config -q

compose-secrets: ## generate the passwords of the development compose stack (NATS users, Grafana) under docker/secrets (once)
	@sh docker/secrets.sh dev

secrets: ## generate every secret of the production compose stack under docker/secrets (once): JWT key, personal-data key, pepper, NATS and Grafana passwords
	@sh docker/secrets.sh

openapi-lint: $(REDOCLY_BIN) ## lint the OpenAPI document chatbotd serves with Redocly CLI (pinned, in the tools cache)
	REDOCLY=$(REDOCLY_BIN) REDOCLY_REQUIRED=1 go test -count=1 -run TestTheOpenAPIDocumentIsLintClean ./cmd/chatbotd

$(REDOCLY_BIN):
	mkdir -p $(REDOCLY_DIR) && npm install --prefix $(REDOCLY_DIR) --no-audit --no-fund --silent @redocly/cli@$(REDOCLY_VERSION)

monitoring-check: ## validate the Prometheus alert rules and the Grafana dashboard JSON
	promtool check rules docker/prometheus/rules/*.yml
	@for f in docker/grafana/dashboards/*.json; do python3 -m json.tool "$$f" >/dev/null || { echo "$$f is not JSON"; exit 1; }; done

docker-binary: ## build the binary exactly as docker/Dockerfile does
	VERSION=$(VERSION) OUT=bin/docker/chatbotd sh docker/build.sh

vulncheck: ## govulncheck against a local copy of the Go vulnerability database
	@if [ ! -f $(VULNDB_DIR)/index/db.json ]; then \
		go mod download golang.org/x/vulndb@$(VULNDB_VERSION) && \
		go run golang.org/x/vulndb/cmd/indexdb@$(VULNDB_VERSION) \
			-vulns "$$(go env GOMODCACHE)/golang.org/x/vulndb@$(VULNDB_VERSION)/data/osv" -out $(VULNDB_DIR); \
	fi
	go run golang.org/x/vuln/cmd/govulncheck@v1.9.0 -db file://$(VULNDB_DIR) $(PKGS)

docs-ui: ## fetch the pinned Stoplight Elements bundle served at /docs
	tmp=$$(mktemp -d) && cd $$tmp && npm pack --silent @stoplight/elements@$(ELEMENTS_VERSION) >/dev/null && \
		tar xzf stoplight-elements-$(ELEMENTS_VERSION).tgz && \
		cp package/web-components.min.js package/styles.min.css package/LICENSE $(CURDIR)/shared/httpx/docsui/ && rm -rf $$tmp

clean: ## remove build output (not ./data)
	rm -rf bin .cache

.PHONY: print-tools-cache print-redocly
print-tools-cache: # where the pinned tools are kept (CI reads it)
	@echo $(TOOLS_CACHE)

print-redocly: # the pinned Redocly CLI (CI reads it)
	@echo $(REDOCLY_BIN)
