// Package loyalty is the "loyalty" contract: coalition points that a
// merchant issues, customers earn without conflicts, spend at the issuer or
// at partner merchants and move between each other, that expire, settle
// between merchants and are reversed when the order that earned them is
// refunded.
//
// # Functions
//
// Every function takes one JSON object (see the ledger kit's convention)
// and returns JSON; errors are ledger errors ("cxl:<CODE>: <message>").
// Amounts and points are integers; a price is in minor units.
//
// The objects are the exported *Args types (EarnArgs, RedeemArgs, ...):
// their Validate methods are the checks the contract makes before it reads
// the ledger, and clients (ledgerapi) use them as their request types.
//
// Submit functions:
//
//	CreateProgram      {"id","name","unit","currency",
//	                    "earn":{"points","per","tiers"?:[{"minAmount","points","per"}],
//	                            "multipliers"?:[{"from","until","percent"}]},
//	                    "expiryDays"? (default 0: never),"transferable"?,"earnOnOrders"?,
//	                    "partners"?:[{"msp","value","per"}]}                      -> Program
//	AcceptPartnership  {"program"}                                              -> PartnerTerms
//	Earn               {"program","id","account","amount"|"points"}             -> Earn
//	Redeem             {"program","id","account","points","merchant","order"?} -> Redemption
//	Transfer           {"program","id","account","to","points"}                 -> PointsTransfer
//	ExpirePoints       {"program","accounts":[1..50]}                           -> ExpirySweep
//
// Evaluate functions:
//
//	GetProgram    {"program"}                                                  -> Program
//	ListPrograms  {"pageSize"?,"bookmark"?}                                    -> ProgramPage
//	Balance       {"program","account"?,"soonDays"?}                           -> PointsBalance
//	History       {"program","account"?,"pageSize"?,"bookmark"?}               -> PointsHistory
//	Statement     {"merchant","counterparty","from","to","pageSize"?,"bookmark"?} -> SettlementStatement
//	OrderPoints   {"order"}                                                    -> OrderPoints
//
// The orders contract calls OrderHooks inside its own transactions: a
// delivery earns, a refund reverses (see below).
//
// # Programmes
//
// An organisation holding the merchant role creates a programme and issues
// its points. The programme ID (1 to 32 letters, digits, '.', '_', '-') is
// also the unit of its lots. The earn rule gives Points points per Per minor
// units of a purchase, rounded down; tiers give purchases of at least
// MinAmount another rate (the highest tier reached applies to the whole
// amount), and multipliers ("percent", 200 doubles) apply from "from" until
// before "until"; when several are in force the largest applies, they do not
// stack. Points expire ExpiryDays calendar days (UTC) after they are earned;
// 0 means never. Partners are other merchant organisations offered terms:
// Per points are worth Value minor units of the programme's currency. A
// partner takes points only after it accepted the terms with
// AcceptPartnership, and while it holds the merchant role. With
// earnOnOrders, orders delivered by the issuer (orders contract) earn in the
// programme; a merchant has at most one such programme. A programme's terms
// never change after creation, so no rule changes after the fact.
//
// # Who may do what
//
// An organisation acts through its staff with the merchant role: client or
// admin identities whose certificate carries merchant in cxl.roles, of an
// organisation holding merchant on the ledger (ledger.ActsFor); a customer
// (an identity without cxl.roles) never acts for its organisation.
//
//	CreateProgram      staff with merchant; the caller's organisation issues it
//	AcceptPartnership  staff with merchant of a partner the programme names
//	Earn               staff with merchant of the issuer
//	Redeem, Transfer   the holder of the points only: the identity whose account
//	                   ("<MSP ID>/<common name>") owns them, customer or staff; not a merchant,
//	                   not another customer. A redemption names the merchant it is made at,
//	                   which must be the issuer or an accepted partner holding merchant.
//	ExpirePoints       the holder for its own account alone; staff with merchant of the issuer
//	                   for any accounts
//
// # Who may read what
//
// Reads are authorised by ledger.RequireReader (an organisation's "staff"
// are its identities with a cxl.roles attribute, whatever it names;
// auditors carry auditor in it, of an organisation holding auditor):
//
//	Balance, History         the account holder; the programme's issuer's staff; auditors
//	                         (not partners: a partner sees what concerns it in the Statement)
//	Statement                the staff of either merchant; auditors
//	OrderPoints              the order's customer; the order's merchant's staff; auditors
//	GetProgram, ListPrograms anyone (programme terms are public within the consortium)
//
// Any other caller, customers of the issuer, of a partner or of the auditor
// included, is FORBIDDEN with a message that names only the caller.
// OrderPoints of a missing order is FORBIDDEN to everyone but auditors,
// who alone get NOT_FOUND, so a stranger cannot tell an existing order
// from a missing one; a Balance or History of an account with nothing is
// empty, and FORBIDDEN like any other to a caller who may not read it.
//
// A Redeem against an order reads the order as the orders contract does
// (its readers: the customer, the parties it names, payment organisations,
// auditors): anyone else is FORBIDDEN with a message that names only the
// caller, the same for someone else's order as for a missing one. Only
// payment organisations and auditors, who read every order, get NOT_FOUND,
// and only its readers the precise refusals ("order o1 is not an order of
// ...", "... is with <merchant>").
//
// # Points are lots
//
// A customer's points are ledger lots in the book "loyalty.lot", owned by
// the account, with the programme ID as unit and the expiry on the lot. An
// earn mints a new lot with a blind write: it reads the programme, the
// role grant and the key of the earn itself (so an earn ID is used once)
// and nothing any other earn writes, and it scans no range; concurrent earns
// to one customer or one programme never conflict. There is no balance key:
// totals are derived from the lots. A redemption or transfer spends whole
// lots, soonest expiry first, and mints the change; transferred points keep
// their expiry. Expired points cannot be spent and show as expired in
// Balance until ExpirePoints removes them (and records the expiry in the
// account's history); expiry is by transaction time.
//
// # Settlement
//
// A redemption at a partner records an obligation: the issuer owes the
// partner points * Value / Per, rounded down, in the programme's currency.
// When a refund gives redeemed points back (below), the partner owes the
// issuer back the difference between that value and the value of the points
// not given back, so a redemption's net obligation is always the value of
// its points kept. Statement nets the obligations between two merchants over
// a period [from, to) of at most 366 days, per currency, and lists them,
// oldest first, in pages.
//
// # Refunds
//
// Refunds reverse points in proportion to what they returned of the money
// the points were earned or spent on, cumulatively, so that partial refunds
// add up exactly to a full reversal and rounding (down) never loses or
// creates points in the end:
//
//   - Points a delivery earned were computed on what the merchant received
//     (the price less refunds before delivery). After refunds returned R of
//     that base B, the points taken back so far are points * R / B.
//   - Points redeemed against an order (at its merchant, by its customer,
//     while it is placed, delivered or returning) are given back in the same
//     way on the part of the price not yet refunded when they were redeemed.
//     They come back latest-expiring first with their original expiry;
//     points whose expiry has passed in the meantime are forfeited, as they
//     would have expired unspent.
//
// Points taken back come out of the customer's unexpired points of the
// programme: first those with the earn's own expiry (what is left of the
// earned lot), then the latest-expiring. If the customer has already spent
// them, the rest is first paid from the points the same refund gives back,
// and what remains becomes a debt on the account in that programme: a
// negative adjustment row, never a negative lot. The debt lowers the
// available balance (Balance shows it), and the customer's next redemption
// or transfer pays it first, from the soonest-expiring points, so it is
// netted against the points earned after it; earns themselves never read it
// and stay conflict-free. Expired points do not pay a debt.
//
// Each refund that changed points writes a Reversal under the order, marks
// the earn (TakenBack, Reversals) and the redemptions (Restored,
// ValueReversed), so OrderPoints follows order -> earn -> reversal.
//
// # Keys
//
// The state is LevelDB, so every listing is a composite-key range:
//
//	loyalty.program         (program)                         Program, partners unaccepted
//	loyalty.acceptance      (program, msp)                    a partner's acceptance
//	loyalty.ordersprogram   (merchant)                        the merchant's earnOnOrders programme
//	loyalty.lot             (account, lot)                    ledger.Lot, unit = programme ID
//	loyalty.debt            (program, account)                the account's debt
//	loyalty.earn            (program, earn)                   Earn
//	loyalty.redemption      (program, redemption)             Redemption
//	loyalty.transfer        (program, transfer)               PointsTransfer
//	loyalty.orderearn       (order)                           order -> earn
//	loyalty.orderredemption (order, program, redemption)      order -> redemptions
//	loyalty.reversal        (order, time, tx)                 Reversal
//	loyalty.entry           (account, program, time, tx, cause) PointsEntry
//	loyalty.settlement      (msp, msp, day, clock, tx, program, redemption) SettlementEntry
//
// The two MSP IDs of a settlement key are in byte order, so a statement is
// one range scan per day of its period.
//
// # Events
//
// One per submit, named "loyalty.<Type>": ProgramCreated {program,
// merchant}, PartnershipAccepted {program, msp}, PointsEarned {program,
// earn}, PointsRedeemed {program, redemption, merchant}, PointsTransferred
// {program, transfer}, PointsExpired {program} (only when something
// expired). The data is the function's result. Hooks emit nothing: the
// orders contract embeds their Earn or Reversal in its event under
// "related". Keys never name a customer; data holds account identifiers,
// which are pseudonymous by the consortium's enrolment rules (see the ledger
// package), and never personal data.
//
// # Packages
//
// This package holds the contract's argument and result types, their validation
// and its constants; it imports nothing of Fabric, so clients (ledgerapi, the
// gateway, the CLI) use them without linking the chaincode shim. The contract
// itself, on the ledger kit, is package loyaltycc.
package loyalty
