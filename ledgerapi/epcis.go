package ledgerapi

import (
	"context"

	"github.com/cxledger/cxledger/chaincode/epcis"
)

// The requests of the epcis contract are its own argument types.
type (
	// CaptureRequest captures the events of an EPCIS 2.0 document in one transaction (staff
	// of an organisation with the brand, carrier or merchant role).
	CaptureRequest = epcis.CaptureArgs
	// EventQueryRequest asks for a page of EPCIS events by the standard's query parameters.
	EventQueryRequest = epcis.QueryArgs
)

// EPCIS is the epcis contract: GS1 EPCIS 2.0 events on the ledger under their CBV event
// hash. Events are read by the organisation that captured them and by auditors.
type EPCIS interface {
	// Capture records a batch of events in one transaction.
	Capture(ctx context.Context, req CaptureRequest) (*Committed[epcis.CaptureResult], error)
	// Query returns a page of the events the caller may read that match.
	Query(ctx context.Context, req EventQueryRequest) (*epcis.QueryResult, error)
}

// The operations of the epcis contract.
var (
	// EpcisCapture is epcis:Capture.
	EpcisCapture = submit[CaptureRequest, epcis.CaptureResult]("epcis", "Capture", "/v1/epcis/captures",
		"Capture EPCIS 2.0 events in one transaction, each once under its CBV event hash")
	// EpcisQuery is epcis:Query.
	EpcisQuery = evaluate[EventQueryRequest, epcis.QueryResult]("epcis", "Query", "/v1/epcis/ledger-events",
		"A page of EPCIS events by the standard's query parameters")
)

type epcisOver struct{ t Transport }

func (o epcisOver) Capture(ctx context.Context, req CaptureRequest) (*Committed[epcis.CaptureResult], error) {
	return EpcisCapture.Run(ctx, o.t, req)
}

func (o epcisOver) Query(ctx context.Context, req EventQueryRequest) (*epcis.QueryResult, error) {
	return EpcisQuery.Query(ctx, o.t, req)
}
