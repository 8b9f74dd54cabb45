# cxledger: the two commands a new machine needs are `make up` and `make test`.
GO ?= go

.PHONY: up down status test unit integration lint

## up: build what is missing, start the Fabric network, deploy the chaincode, then start the
## gateway service in front of it and print its URL and (the first time) a demo API key
up:
	$(GO) run ./cmd/cxl network up
	$(GO) run ./cmd/cxl gateway up

## down: stop every process of the network (make down PURGE=1 also removes its state)
down:
	$(GO) run ./cmd/cxl network down $(if $(PURGE),--purge)

status:
	$(GO) run ./cmd/cxl network status

## test: the whole suite: vet, unit tests with the race detector, then the tests against a
## real network (started in .cxl/test on ports +1000, stopped afterwards)
test: lint unit integration

lint:
	@unformatted=$$(gofmt -l $$(git ls-files -co --exclude-standard '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags integration ./test/...

unit:
	$(GO) test -race -count=1 ./...

integration:
	$(GO) test -tags integration -count=1 -timeout 60m -v ./test/...
