package ledgerapi

import (
	"context"
	"unicode/utf8"

	"github.com/cxledger/cxledger/chaincode/health"
	"github.com/cxledger/cxledger/cxlerr"
)

// PingRequest asks the health contract to record a ping.
type PingRequest struct {
	// Nonce names the ping: 1 to 128 bytes of UTF-8, unique per ping.
	Nonce string `json:"nonce"`
}

// Validate checks the request before any ledger call.
func (r PingRequest) Validate() error {
	if r.Nonce == "" || len(r.Nonce) > 128 || !utf8.ValidString(r.Nonce) {
		return cxlerr.Errorf(cxlerr.Invalid, "nonce must be 1 to 128 bytes of UTF-8")
	}
	return nil
}

// VersionInfo is the version of the chaincode that answers (the JSON of health.BuildInfo).
type VersionInfo struct {
	// Version is the chaincode build's version.
	Version string `json:"version"`
}

// Health is the liveness contract: a cheap write that proves the network commits.
type Health interface {
	// Ping records a ping under the request's nonce and emits "health.Pinged".
	Ping(ctx context.Context, req PingRequest) (*Committed[health.Ping], error)
	// Version reports the version of the chaincode that answers.
	Version(ctx context.Context) (*VersionInfo, error)
}

// The operations of the health contract.
var (
	// HealthPing is health:Ping.
	HealthPing = submit[PingRequest, health.Ping]("health", "Ping", "/v1/health/pings",
		"Record a ping: a cheap write that proves the network commits", withChaincode(pingCall))
	// HealthVersion is health:Version.
	HealthVersion = evaluate[NoArgs, VersionInfo]("health", "Version", "/v1/health/version",
		"The version of the chaincode that answers")
)

type healthOver struct{ t Transport }

func (o healthOver) Ping(ctx context.Context, req PingRequest) (*Committed[health.Ping], error) {
	return HealthPing.Run(ctx, o.t, req)
}

func (o healthOver) Version(ctx context.Context) (*VersionInfo, error) {
	return HealthVersion.Query(ctx, o.t, NoArgs{})
}

// pingCall passes the nonce as the function's one string argument.
func pingCall(_ context.Context, _ Ledger, req *PingRequest) (*ChaincodeCall, error) {
	return &ChaincodeCall{Args: []string{req.Nonce}}, nil
}
