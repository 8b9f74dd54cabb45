package fabric

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/ledgerapi"
)

// Provenance returns the provenance contract.
func (s *Session) Provenance() ledgerapi.Provenance { return provenanceService{s} }

type provenanceService struct{ s *Session }

// provenanceSubmit validates req, passes it as the function's one JSON argument and waits
// for the commit.
func provenanceSubmit[T any](ctx context.Context, s *Session, fn string, req ledgerapi.Validator) (*ledgerapi.Committed[T], error) {
	arg, err := argument(fn, req)
	if err != nil {
		return nil, err
	}
	return submitJSON[T](ctx, s, provenance.Name, fn, arg)
}

// provenanceQuery validates req and evaluates fn with it as the one JSON argument.
func provenanceQuery[T any](ctx context.Context, s *Session, fn string, req ledgerapi.Validator) (*T, error) {
	arg, err := argument(fn, req)
	if err != nil {
		return nil, err
	}
	return evaluateJSON[T](ctx, s, provenance.Name, fn, arg)
}

// argument validates a request and encodes it as a function's JSON argument.
func argument(fn string, req ledgerapi.Validator) (string, error) {
	if err := req.Validate(); err != nil {
		return "", err
	}
	data, err := json.Marshal(req)
	if err != nil {
		return "", fmt.Errorf("encode %s request: %w", fn, err)
	}
	return string(data), nil
}

func (p provenanceService) RegisterProduct(ctx context.Context, req ledgerapi.RegisterProductRequest) (*ledgerapi.Committed[provenance.Product], error) {
	return provenanceSubmit[provenance.Product](ctx, p.s, "RegisterProduct", req)
}

func (p provenanceService) RegisterLot(ctx context.Context, req ledgerapi.RegisterLotRequest) (*ledgerapi.Committed[provenance.ProductLot], error) {
	return provenanceSubmit[provenance.ProductLot](ctx, p.s, "RegisterLot", req)
}

func (p provenanceService) RegisterItems(ctx context.Context, req ledgerapi.RegisterItemsRequest) (*ledgerapi.Committed[provenance.ItemsRegistered], error) {
	return provenanceSubmit[provenance.ItemsRegistered](ctx, p.s, "RegisterItems", req)
}

func (p provenanceService) OfferCustody(ctx context.Context, req ledgerapi.OfferCustodyRequest) (*ledgerapi.Committed[provenance.Custody], error) {
	return provenanceSubmit[provenance.Custody](ctx, p.s, "OfferCustody", req)
}

func (p provenanceService) AcceptCustody(ctx context.Context, req ledgerapi.CustodyRequest) (*ledgerapi.Committed[provenance.Custody], error) {
	return provenanceSubmit[provenance.Custody](ctx, p.s, "AcceptCustody", req)
}

func (p provenanceService) RejectCustody(ctx context.Context, req ledgerapi.RejectCustodyRequest) (*ledgerapi.Committed[provenance.Custody], error) {
	return provenanceSubmit[provenance.Custody](ctx, p.s, "RejectCustody", req)
}

func (p provenanceService) WithdrawCustodyOffer(ctx context.Context, req ledgerapi.CustodyRequest) (*ledgerapi.Committed[provenance.Custody], error) {
	return provenanceSubmit[provenance.Custody](ctx, p.s, "WithdrawCustodyOffer", req)
}

func (p provenanceService) IssueCertificate(ctx context.Context, req ledgerapi.IssueCertificateRequest) (*ledgerapi.Committed[provenance.Certificate], error) {
	return provenanceSubmit[provenance.Certificate](ctx, p.s, "IssueCertificate", req)
}

func (p provenanceService) RevokeCertificate(ctx context.Context, req ledgerapi.RevokeCertificateRequest) (*ledgerapi.Committed[provenance.Certificate], error) {
	return provenanceSubmit[provenance.Certificate](ctx, p.s, "RevokeCertificate", req)
}

func (p provenanceService) RecallLot(ctx context.Context, req ledgerapi.RecallLotRequest) (*ledgerapi.Committed[provenance.ProductLot], error) {
	return provenanceSubmit[provenance.ProductLot](ctx, p.s, "RecallLot", req)
}

func (p provenanceService) Trace(ctx context.Context, req ledgerapi.TraceRequest) (*provenance.LotTrace, error) {
	return provenanceQuery[provenance.LotTrace](ctx, p.s, "Trace", req)
}

func (p provenanceService) Verify(ctx context.Context, req ledgerapi.VerifyRequest) (*provenance.Verification, error) {
	return provenanceQuery[provenance.Verification](ctx, p.s, "Verify", req)
}

func (p provenanceService) History(ctx context.Context, req ledgerapi.HistoryRequest) (*provenance.ProvenanceHistory, error) {
	return provenanceQuery[provenance.ProvenanceHistory](ctx, p.s, "History", req)
}
