package httpapi

import (
	"context"

	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/ledgerapi"
)

func provenanceRoutes() []Route {
	const tag = "provenance"
	return []Route{
		mutation("/v1/provenance/products", "provenance.RegisterProduct", tag,
			"Register a product; your organisation (brand role) owns it",
			func(ctx context.Context, l ledgerapi.Ledger, req ledgerapi.RegisterProductRequest) (*ledgerapi.Committed[provenance.Product], error) {
				return l.Provenance().RegisterProduct(ctx, req)
			}),
		mutation("/v1/provenance/lots", "provenance.RegisterLot", tag,
			"Register a lot of a product you own, optionally made from input lots you hold",
			func(ctx context.Context, l ledgerapi.Ledger, req ledgerapi.RegisterLotRequest) (*ledgerapi.Committed[provenance.ProductLot], error) {
				return l.Provenance().RegisterLot(ctx, req)
			}),
		mutation("/v1/provenance/items", "provenance.RegisterItems", tag,
			"Serialise up to 500 items of a lot you own and hold",
			func(ctx context.Context, l ledgerapi.Ledger, req ledgerapi.RegisterItemsRequest) (*ledgerapi.Committed[provenance.ItemsRegistered], error) {
				return l.Provenance().RegisterItems(ctx, req)
			}),
		mutation("/v1/provenance/custody/offers", "provenance.OfferCustody", tag,
			"Offer custody of a lot or item you hold to an organisation or an account",
			func(ctx context.Context, l ledgerapi.Ledger, req ledgerapi.OfferCustodyRequest) (*ledgerapi.Committed[provenance.Custody], error) {
				return l.Provenance().OfferCustody(ctx, req)
			}),
		mutation("/v1/provenance/custody/acceptances", "provenance.AcceptCustody", tag,
			"Accept custody offered to you",
			func(ctx context.Context, l ledgerapi.Ledger, req ledgerapi.CustodyRequest) (*ledgerapi.Committed[provenance.Custody], error) {
				return l.Provenance().AcceptCustody(ctx, req)
			}),
		mutation("/v1/provenance/custody/rejections", "provenance.RejectCustody", tag,
			"Decline custody offered to you",
			func(ctx context.Context, l ledgerapi.Ledger, req ledgerapi.RejectCustodyRequest) (*ledgerapi.Committed[provenance.Custody], error) {
				return l.Provenance().RejectCustody(ctx, req)
			}),
		mutation("/v1/provenance/custody/withdrawals", "provenance.WithdrawCustodyOffer", tag,
			"Withdraw your pending custody offer",
			func(ctx context.Context, l ledgerapi.Ledger, req ledgerapi.CustodyRequest) (*ledgerapi.Committed[provenance.Custody], error) {
				return l.Provenance().WithdrawCustodyOffer(ctx, req)
			}),
		mutation("/v1/provenance/certificates", "provenance.IssueCertificate", tag,
			"Record a certificate (its document's SHA-256) about a product, lot or item (auditors: anything; brands: their own)",
			func(ctx context.Context, l ledgerapi.Ledger, req ledgerapi.IssueCertificateRequest) (*ledgerapi.Committed[provenance.Certificate], error) {
				return l.Provenance().IssueCertificate(ctx, req)
			}),
		mutation("/v1/provenance/certificate-revocations", "provenance.RevokeCertificate", tag,
			"Revoke a certificate your organisation issued",
			func(ctx context.Context, l ledgerapi.Ledger, req ledgerapi.RevokeCertificateRequest) (*ledgerapi.Committed[provenance.Certificate], error) {
				return l.Provenance().RevokeCertificate(ctx, req)
			}),
		mutation("/v1/provenance/recalls", "provenance.RecallLot", tag,
			"Recall a lot of a product your organisation owns",
			func(ctx context.Context, l ledgerapi.Ledger, req ledgerapi.RecallLotRequest) (*ledgerapi.Committed[provenance.ProductLot], error) {
				return l.Provenance().RecallLot(ctx, req)
			}),
		query("/v1/provenance/lots/{gtin}/{lot}/trace", "provenance.Trace", tag,
			"A lot's upstream and downstream lots and a page of the items of it and its downstream lots, with their holders",
			AccessPrincipal, func(ctx context.Context, l ledgerapi.Ledger, req ledgerapi.TraceRequest) (*provenance.LotTrace, error) {
				return l.Provenance().Trace(ctx, req)
			}),
		query("/v1/provenance/verify/{gtin}/{serial}", "provenance.Verify", tag,
			"Whether an item is genuine, with its origin, custody, valid certificates and recalls. Needs no credentials; rate limited per client address",
			AccessPublic, func(ctx context.Context, l ledgerapi.Ledger, req ledgerapi.VerifyRequest) (*provenance.Verification, error) {
				return l.Provenance().Verify(ctx, req)
			}),
		query("/v1/provenance/history", "provenance.History", tag,
			"A page of the versions of a product, lot, item or custody record (kind product, lot, item, lot-custody or item-custody), newest first",
			AccessPrincipal, func(ctx context.Context, l ledgerapi.Ledger, req ledgerapi.HistoryRequest) (*provenance.ProvenanceHistory, error) {
				return l.Provenance().History(ctx, req)
			}),
	}
}
