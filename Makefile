.DEFAULT_GOAL := help

# Go from Debian's or the official tarball's usual place when it is not on PATH.
export PATH := $(PATH):/usr/local/go/bin

.PHONY: help
help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

.PHONY: build
build: ## build ./gaffer
	go build -o gaffer ./cmd/gaffer

.PHONY: run
run: ## run a node on 127.0.0.1:7710 with data in ./gaffer-data
	go run ./cmd/gaffer serve

.PHONY: generate
generate: ## regenerate the AWS error packages from the models and internal/awsapi/errors.json
	go generate ./internal/awsapi

.PHONY: test
test: test-deps ## the README's test command (what CI runs): what the tests need, then every test
	go test -count=1 ./...

.PHONY: test-deps
test-deps: ## install what the tests need where it is missing (the AWS CLI, PostgreSQL, Chromium), or say what to install
	@scripts/test-deps

.PHONY: test-race
test-race: test-deps ## the tests under the race detector
	go test -count=1 -race ./...

.PHONY: lint
lint: ## gofmt, go vet, staticcheck and the house rules (scripts/lint); CI runs it
	@scripts/lint

.PHONY: bench
bench: ## Go micro-benchmarks, then the end-to-end gaffer bench
	go test -run '^$$' -bench . -benchmem ./...
	go build -o gaffer ./cmd/gaffer && ./gaffer bench
