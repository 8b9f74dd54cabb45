package httpapi

import (
	"github.com/cxledger/cxledger/ledgerapi"
)

// loyaltyRoutes are the loyalty contract's operations. Each mutation's body is the contract
// function's JSON argument; each query's parameters are its fields.
func loyaltyRoutes() []Route {
	const tag = "loyalty"
	on := ledgerapi.Ledger.Loyalty
	return []Route{
		mutation("/v1/loyalty/programs", "loyalty.CreateProgram", tag,
			"Create a points programme your organisation (merchant role) issues, with its earn rule, expiry and partner terms",
			via(on, ledgerapi.Loyalty.CreateProgram)),
		mutation("/v1/loyalty/partnerships", "loyalty.AcceptPartnership", tag,
			"Accept, for your organisation, the partner terms a programme offered it",
			via(on, ledgerapi.Loyalty.AcceptPartnership)),
		mutation("/v1/loyalty/earns", "loyalty.Earn", tag,
			"Mint points to a customer for a purchase (amount) or as a grant (points), once per ID (the issuer)",
			via(on, ledgerapi.Loyalty.Earn)),
		mutation("/v1/loyalty/redemptions", "loyalty.Redeem", tag,
			"Spend your points at the issuer or an accepted partner, optionally against an order (the holder of the points)",
			via(on, ledgerapi.Loyalty.Redeem)),
		mutation("/v1/loyalty/transfers", "loyalty.Transfer", tag,
			"Give your points to another customer, when the programme allows it (the holder of the points)",
			via(on, ledgerapi.Loyalty.Transfer)),
		mutation("/v1/loyalty/expiries", "loyalty.ExpirePoints", tag,
			"Remove the expired points of up to 50 accounts (the issuer; a customer their own)",
			via(on, ledgerapi.Loyalty.ExpirePoints)),
		query("/v1/loyalty/programs/{program}", "loyalty.GetProgram", tag, "A programme", AccessPrincipal,
			via(on, ledgerapi.Loyalty.GetProgram)),
		query("/v1/loyalty/programs", "loyalty.ListPrograms", tag, "A page of programmes, by ID", AccessPrincipal,
			via(on, ledgerapi.Loyalty.ListPrograms)),
		query("/v1/loyalty/programs/{program}/balance", "loyalty.Balance", tag,
			"A customer's points in a programme (yours without account): available, expired, expiring within soonDays, debt",
			AccessPrincipal, via(on, ledgerapi.Loyalty.Balance)),
		query("/v1/loyalty/programs/{program}/history", "loyalty.History", tag,
			"A page of a customer's changes in a programme (yours without account)", AccessPrincipal,
			via(on, ledgerapi.Loyalty.History)),
		query("/v1/loyalty/statement", "loyalty.Statement", tag,
			"The settlement between two merchants over [from, to), at most 366 days: net totals per currency and a page of obligations",
			AccessPrincipal, via(on, ledgerapi.Loyalty.Statement)),
		query("/v1/loyalty/orders/{order}/points", "loyalty.OrderPoints", tag,
			"The points linked to an order: the earn of its delivery, redemptions against it, and what refunds reversed",
			AccessPrincipal, via(on, ledgerapi.Loyalty.OrderPoints)),
	}
}
