# cxledger: the two commands a new machine needs are `make up` and `make test`.
GO ?= go

.PHONY: up down status test unit integration lint images compose up-docker integration-docker integration-bft integration-bft-docker integration-netns netns-tools chromium postgres

## up: build what is missing, start the Fabric network, deploy the chaincode, then start each
## member's gateway service in front of it and print each URL and (the first time) demo API keys
up:
	$(GO) run ./cmd/cxl network up
	$(GO) run ./cmd/cxl gateway up

## down: stop every process of the network (make down PURGE=1 also removes its state)
down:
	$(GO) run ./cmd/cxl network down $(if $(PURGE),--purge)

status:
	$(GO) run ./cmd/cxl network status

## test: the whole suite: vet, unit tests with the race detector, then the tests against a
## real network (started in .cxl/test on ports +1000, stopped afterwards), then the same
## tests against the Docker Compose network (.cxl/test-docker, ports +3000), then the core
## tests and the BFT fault tests on a SmartBFT network (.cxl/test-bft, ports +5000), and
## the BFT fault tests again under Docker, where the cut is a real one (ports +7000), and
## the partition tests natively with each member and orderer on a network namespace of its
## own (ports +9000 and +11000)
test: lint unit integration integration-docker integration-bft integration-bft-docker integration-netns

lint:
	@unformatted=$$(gofmt -l $$(git ls-files -co --exclude-standard '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags integration ./test/...

## unit: unit tests with the race detector; the store's PostgreSQL backend runs its
## conformance tests against a private cluster the tests start and stop (CXL_TEST_POSTGRES)
unit: postgres
	CXL_TEST_POSTGRES=1 $(GO) test -race -count=1 ./...

integration: chromium postgres
	$(GO) test -tags integration -count=1 -timeout 60m -v ./test/...

## netns-tools: Debian's iproute2, nftables and iptables, when missing, for the network
## namespaces, the bridge and the cuts of --hosts netns
netns-tools:
	command -v ip >/dev/null && command -v nft >/dev/null && command -v iptables >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y iproute2 nftables iptables)

## chromium: headless Chromium for the resolver's page test (Debian's package), when missing
chromium:
	command -v chromium >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)

## postgres: Debian's PostgreSQL server, when missing, for `cxl gateway up --replicas` (a
## member's private server, the store its replicas share) and the tests' private clusters;
## cxl and the tests run initdb and the server themselves (as the postgres user when run as
## root) and stop it by its PID
postgres:
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql)

## images: build the Docker images FROM scratch from the static binaries (no registry needed)
images:
	$(GO) run ./cmd/cxl network images

## up-docker: the same network as Docker Compose services (docker-compose.yaml), then each
## member's gateway service in front of it; CXL_HOME must not hold a native network
up-docker:
	$(GO) run ./cmd/cxl network up --docker
	$(GO) run ./cmd/cxl gateway up

## compose: regenerate docker-compose.yaml and .env from the default topology
compose:
	$(GO) run ./cmd/cxl network compose

## integration-docker: the integration tests against the Docker Compose network
integration-docker: chromium
	CXL_TEST_NETWORK=docker $(GO) test -tags integration -count=1 -timeout 30m -v ./test/...

## integration-bft: the core tests (ping with its event on every peer, provenance, orders,
## the gateway service) and the BFT fault tests (the leading orderer killed, then cut off,
## under load) on a network ordered by four SmartBFT orderers, natively. The Raft fault
## tests are left out: they need a Raft leader.
BFT_TESTS = ^(TestTransactionCommitsOnEveryPeerWithEvent|TestProvenanceLifecycle|TestOrders|TestGatewayHealthAndTransactions|TestGatewayOrders|TestGatewayProvenance|TestBFTLeaderKilledUnderLoad|TestBFTLeaderPartitionedUnderLoad)$$
integration-bft:
	CXL_TEST_CONSENSUS=bft $(GO) test -tags integration -count=1 -timeout 30m -v -run '$(BFT_TESTS)' ./test/...

## integration-bft-docker: the BFT fault tests on the Docker Compose network, where the
## leader is cut off by `docker network disconnect` (natively it is frozen with SIGSTOP)
BFT_DOCKER_TESTS = ^(TestTransactionCommitsOnEveryPeerWithEvent|TestBFTLeaderKilledUnderLoad|TestBFTLeaderPartitionedUnderLoad)$$
integration-bft-docker:
	CXL_TEST_NETWORK=docker CXL_TEST_CONSENSUS=bft $(GO) test -tags integration -count=1 -timeout 30m -v -run '$(BFT_DOCKER_TESTS)' ./test/...

## integration-netns: natively, each member and each orderer on a host of its own (cxl
## network up --hosts netns: network namespaces on a bridge; needs root, iproute2 and
## nftables): the partition tests (an organisation, a Raft follower, the Raft leader cut off
## by the bridge, and a follower's links to the other orderers only, under load) on a Raft
## network (.cxl/test-netns, ports +NETNS_PORT_OFFSET),
## then the BFT leader cut off on a SmartBFT one (.cxl/test-netns-bft, ports
## +NETNS_BFT_PORT_OFFSET)
NETNS_PORT_OFFSET ?= 9000
NETNS_BFT_PORT_OFFSET ?= 11000
NETNS_TESTS = ^(TestTransactionCommitsOnEveryPeerWithEvent|TestPartitionOrganisationCutOff|TestPartitionOrdererFollowerCutOff|TestPartitionRaftLeaderCutOff|TestPartitionOrdererLinksCut)$$
NETNS_BFT_TESTS = ^(TestTransactionCommitsOnEveryPeerWithEvent|TestBFTLeaderPartitionedUnderLoad)$$
integration-netns: netns-tools
	CXL_TEST_HOSTS=netns CXL_TEST_HOME=$(CURDIR)/.cxl/test-netns CXL_TEST_PORT_OFFSET=$(NETNS_PORT_OFFSET) $(GO) test -tags integration -count=1 -timeout 30m -v -run '$(NETNS_TESTS)' ./test/...
	CXL_TEST_HOSTS=netns CXL_TEST_CONSENSUS=bft CXL_TEST_HOME=$(CURDIR)/.cxl/test-netns-bft CXL_TEST_PORT_OFFSET=$(NETNS_BFT_PORT_OFFSET) $(GO) test -tags integration -count=1 -timeout 30m -v -run '$(NETNS_BFT_TESTS)' ./test/...
