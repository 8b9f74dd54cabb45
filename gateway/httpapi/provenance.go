package httpapi

import (
	"github.com/cxledger/cxledger/ledgerapi"
)

func provenanceRoutes() []Route {
	const tag = "provenance"
	on := ledgerapi.Ledger.Provenance
	return []Route{
		mutation("/v1/provenance/products", "provenance.RegisterProduct", tag,
			"Register a product; your organisation (brand role) owns it",
			via(on, ledgerapi.Provenance.RegisterProduct)),
		mutation("/v1/provenance/lots", "provenance.RegisterLot", tag,
			"Register a lot of a product you own, optionally made from input lots you hold",
			via(on, ledgerapi.Provenance.RegisterLot)),
		mutation("/v1/provenance/items", "provenance.RegisterItems", tag,
			"Serialise up to 500 items of a lot you own and hold",
			via(on, ledgerapi.Provenance.RegisterItems)),
		mutation("/v1/provenance/custody/offers", "provenance.OfferCustody", tag,
			"Offer custody of a lot or item you hold to an organisation or an account",
			via(on, ledgerapi.Provenance.OfferCustody)),
		mutation("/v1/provenance/custody/acceptances", "provenance.AcceptCustody", tag,
			"Accept custody offered to you",
			via(on, ledgerapi.Provenance.AcceptCustody)),
		mutation("/v1/provenance/custody/rejections", "provenance.RejectCustody", tag,
			"Decline custody offered to you",
			via(on, ledgerapi.Provenance.RejectCustody)),
		mutation("/v1/provenance/custody/withdrawals", "provenance.WithdrawCustodyOffer", tag,
			"Withdraw your pending custody offer",
			via(on, ledgerapi.Provenance.WithdrawCustodyOffer)),
		mutation("/v1/provenance/certificates", "provenance.IssueCertificate", tag,
			"Record a certificate (its document's SHA-256) about a product, lot or item (auditors: anything; brands: their own)",
			via(on, ledgerapi.Provenance.IssueCertificate)),
		mutation("/v1/provenance/certificate-revocations", "provenance.RevokeCertificate", tag,
			"Revoke a certificate your organisation issued",
			via(on, ledgerapi.Provenance.RevokeCertificate)),
		mutation("/v1/provenance/recalls", "provenance.RecallLot", tag,
			"Recall a lot of a product your organisation owns",
			via(on, ledgerapi.Provenance.RecallLot)),
		query("/v1/provenance/lots/{gtin}/{lot}/trace", "provenance.Trace", tag,
			"A lot's upstream and downstream lots and a page of the items of it and its downstream lots, with their holders",
			AccessPrincipal, via(on, ledgerapi.Provenance.Trace)),
		query("/v1/provenance/verify/{gtin}/{serial}", "provenance.Verify", tag,
			"Whether an item is genuine, with its origin, custody, valid certificates and recalls. Needs no credentials; rate limited per client address",
			AccessPublic, via(on, ledgerapi.Provenance.Verify)),
		query("/v1/provenance/history", "provenance.History", tag,
			"A page of the versions of a product, lot, item or custody record (kind product, lot, item, lot-custody or item-custody), newest first",
			AccessPrincipal, via(on, ledgerapi.Provenance.History)),
	}
}
