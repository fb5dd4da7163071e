.DEFAULT_GOAL := help

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
test: ## the README's test command (what CI runs)
	go test -count=1 ./...

.PHONY: test-race
test-race: ## the tests under the race detector
	go test -count=1 -race ./...

.PHONY: lint
lint: ## gofmt and go vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	go vet ./...

.PHONY: bench
bench: ## Go micro-benchmarks, then the end-to-end gaffer bench
	go test -run '^$$' -bench . -benchmem ./...
	go build -o gaffer ./cmd/gaffer && ./gaffer bench
