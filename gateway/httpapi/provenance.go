package httpapi

import (
	"context"
	"net/http"

	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/ledgerapi"
)

func (s *Server) provenanceRoutes() []Route {
	const tag = "provenance"
	page := []Param{
		{Name: "pageSize", In: "query", Type: "integer", Description: "items per page, at most the service's page-size cap"},
		{Name: "bookmark", In: "query", Type: "string", Description: "the bookmark of the previous page"},
	}
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
			AccessPrincipal, append([]Param{
				{Name: "gtin", In: "path", Type: "string", Required: true},
				{Name: "lot", In: "path", Type: "string", Required: true},
			}, page...),
			func(ctx context.Context, l ledgerapi.Ledger, r *http.Request) (*provenance.LotTrace, error) {
				size, err := s.pageSize(r)
				if err != nil {
					return nil, err
				}
				return l.Provenance().Trace(ctx, ledgerapi.TraceRequest{GTIN: r.PathValue("gtin"), Lot: r.PathValue("lot"),
					PageSize: size, Bookmark: r.URL.Query().Get("bookmark")})
			}),
		query("/v1/provenance/verify/{gtin}/{serial}", "provenance.Verify", tag,
			"Whether an item is genuine, with its origin, custody, valid certificates and recalls. Needs no credentials; rate limited per client address",
			AccessPublic, []Param{
				{Name: "gtin", In: "path", Type: "string", Required: true},
				{Name: "serial", In: "path", Type: "string", Required: true},
			},
			func(ctx context.Context, l ledgerapi.Ledger, r *http.Request) (*provenance.Verification, error) {
				return l.Provenance().Verify(ctx, ledgerapi.VerifyRequest{GTIN: r.PathValue("gtin"), Serial: r.PathValue("serial")})
			}),
		query("/v1/provenance/history", "provenance.History", tag,
			"A page of the versions of a product, lot, item or custody record, newest first",
			AccessPrincipal, append([]Param{
				{Name: "kind", In: "query", Type: "string", Required: true, Description: "product, lot, item, lot-custody or item-custody"},
				{Name: "gtin", In: "query", Type: "string", Required: true},
				{Name: "lot", In: "query", Type: "string", Description: "for lot and lot-custody"},
				{Name: "serial", In: "query", Type: "string", Description: "for item and item-custody"},
			}, page...),
			func(ctx context.Context, l ledgerapi.Ledger, r *http.Request) (*provenance.ProvenanceHistory, error) {
				size, err := s.pageSize(r)
				if err != nil {
					return nil, err
				}
				q := r.URL.Query()
				return l.Provenance().History(ctx, ledgerapi.HistoryRequest{
					Subject:  ledgerapi.Subject{Kind: q.Get("kind"), GTIN: q.Get("gtin"), Lot: q.Get("lot"), Serial: q.Get("serial")},
					PageSize: size, Bookmark: q.Get("bookmark")})
			}),
	}
}

// pageSize is the request's pageSize parameter, 1 to the page-size cap; absent, the smaller
// of 50 and the cap.
func (s *Server) pageSize(r *http.Request) (int, error) {
	limit := s.opts.Limits.MaxPageSize
	return intParam(r, "pageSize", 1, limit, min(50, limit))
}
