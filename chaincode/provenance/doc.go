// Package provenance is the "provenance" contract: where a product came
// from, who holds it, what certifies it and whether it is recalled.
//
// Products, lots and items are identified the GS1 way: a GTIN (8, 12, 13 or
// 14 digits with a valid check digit, stored as GTIN-14), a batch/lot number
// (GS1 AI 10) and a serial number (AI 21), both 1 to 20 characters of GS1
// character set 82. Lots record the lots they were made from, so a lot graph
// follows goods through transformation and aggregation (green beans -> a
// roasted batch -> retail packs).
//
// # Functions
//
// Every function takes one JSON object, its typed argument (see ledger's
// convention), and returns JSON. Errors are ledger errors ("cxl:<CODE>:
// <message>"). GTINs may be given in any of the four lengths and come back
// as GTIN-14.
//
// Submit functions:
//
//	RegisterProduct      {"gtin","name","attributes"?:{k:v}}                          -> Product
//	RegisterLot          {"gtin","lot","quantity","unit"?,"attributes"?,
//	                      "inputs"?:[{"gtin","lot"}],"location"?}                        -> ProductLot
//	RegisterItems        {"gtin","lot","serials":[...1..500]}                           -> ItemsRegistered
//	OfferCustody         {"kind":"lot"|"item","gtin","lot"|"serial","to","location"}  -> Custody
//	AcceptCustody        {"kind","gtin","lot"|"serial"}                                -> Custody
//	RejectCustody        {"kind","gtin","lot"|"serial","reason"?}                      -> Custody
//	WithdrawCustodyOffer {"kind","gtin","lot"|"serial"}                                -> Custody
//	IssueCertificate     {"subject":{"kind":"product"|"lot"|"item","gtin","lot"?,"serial"?},
//	                      "id","type","hash","validFrom","validUntil"}                 -> Certificate
//	RevokeCertificate    {"subject":{...},"id","reason"}                               -> Certificate
//	RecallLot            {"gtin","lot","reason"}                                       -> ProductLot
//
// Evaluate functions:
//
//	Trace       {"gtin","lot","pageSize"?,"bookmark"?}                  -> LotTrace
//	Verify      {"gtin","serial"}                                      -> Verification
//	History     {"kind":"product"|"lot"|"item"|"lot-custody"|"item-custody",
//	             "gtin","lot"?,"serial"?,"pageSize"?,"bookmark"?}       -> ProvenanceHistory
//	GetProduct  {"gtin"}                                               -> Product
//	GetLot      {"gtin","lot"}                                         -> ProductLot
//	GetItem     {"gtin","serial"}                                      -> SerialItem
//
// The lookups answer NOT_FOUND naming the record when it does not exist.
//
// # Who may do what
//
// An organisation acts through its staff: client or admin identities whose
// certificate names roles in the cxl.roles attribute (admins need it too).
// "Staff with R" carries R and its organisation holds R on the ledger
// (ledger.ActsFor); an identity without cxl.roles is a customer, who acts
// for its own account only, never for its organisation.
//
//	RegisterProduct          staff with brand; its organisation owns the product
//	RegisterLot, RegisterItems  staff with brand of the product's owner; a lot's inputs must be
//	                         held by that organisation itself (or the caller's own account),
//	                         never by a customer of it, and items are serialised while it holds
//	                         the lot: you only transform or label what you hold
//	OfferCustody, WithdrawCustodyOffer  the holder: for an account that identity itself, for an
//	                         organisation any of its staff
//	AcceptCustody, RejectCustody  the receiver the offer names, likewise (a customer accepts
//	                         what is offered to its own account)
//	IssueCertificate         staff with auditor (about anything) or with brand (about their own
//	                         organisation's products)
//	RevokeCertificate        the issuer's staff carrying auditor or brand, even if the issuer
//	                         has since lost the role
//	RecallLot                the product owner's staff carrying brand, even if the owner has
//	                         since lost the brand role: a recall must always be possible
//
// Queries (Trace, Verify, History, GetProduct, GetLot, GetItem) are open to
// every channel member: any client or admin identity of any organisation of
// the channel, staff or customer, with or without a role, reads every
// product, lot, item, custody and certificate record, which hold business
// identifiers only. A caller without an X.509 identity is UNAUTHENTICATED.
// The public reads through a member's gateway, which answers a GS1 Digital
// Link scan with Verify.
//
// # Custody
//
// A holder is an MSP ID (any staff of that organisation acts for it, none of
// its customers) or an account "<MSP ID>/<name>" (only that identity). A lot
// starts with the organisation that registered it, an item with its lot's
// holder at serialisation; after that lots and items move independently.
// Handover takes two steps: the holder offers (to, location), the receiver
// accepts or rejects, the holder may withdraw; one offer at a time. Each
// step is an event carrying the location, and the kit puts the transaction
// time in every event.
//
// Custody keys carry a key-level (state-based) endorsement policy built with
// pkg/statebased: a peer of the holder's organisation. While an offer to
// another organisation is pending, the policy needs a peer of both
// organisations, so neither side moves custody alone and no third
// organisation can; on acceptance the policy becomes the new holder's
// organisation alone, on rejection or withdrawal the holder's again. Because
// that policy needs the receiver's peers, the receiver must be a member of the
// consortium (ledger.RequireMemberParty): an offer to an organisation without
// peers would leave a key that no transaction can ever write again. Offers within one organisation keep the
// single-organisation policy. A recalled lot, and its items, are offered to
// nobody and accepted by nobody. Fabric validates a write to such a key against
// the key's committed policy instead of the chaincode policy, and the
// endorsing peer reports that policy in the chaincode interest from which
// the Fabric Gateway plans which organisations' peers to ask. The policy
// uses the PEER role, so the network must enable NodeOUs.
//
// NewContract takes Hooks, called inside AcceptCustody's transaction: the
// orders contract delivers the order whose shipment the customer accepted
// from its carrier, releasing its escrow (see package orders, "Delivery by
// handover"). The result's and the CustodyAccepted event's "delivery" say
// what the acceptance did to the order naming the lot or item. Such an
// acceptance also writes orders and loyalty keys, which carry no key-level
// policy: the chaincode's policy governs them, and the endorsing peer's
// chaincode interest then asks for it as well as the custody key's.
//
// Other contracts reuse these rules through PlanOffer and PlanAccept (package
// provenancecc), which check exactly as OfferCustody and AcceptCustody do and
// write without emitting: the epcis contract maps EPCIS shipping and receiving
// events to offers and acceptances in its capture's transaction.
//
// # Packing
//
// A lot or item may be packed into a container, a logistic unit named by a
// URI (an SSCC as its GS1 Digital Link): the epcis contract records an EPCIS
// AggregationEvent ADD of registered lots and items as packing them into its
// parentID and DELETE as unpacking them (all of the container's contents when
// it names no child), through PlanPack and PlanUnpack. The holder's staff
// pack and unpack (FORBIDDEN otherwise), never while an offer is pending
// (CONFLICT), and a packed lot or item goes into no other container before it
// is unpacked (CONFLICT). The packing is the custody record's packedInto, so
// custody history (History "lot-custody", "item-custody"), Trace (lots and
// items) and Verify's custody chain show it, and a custody move keeps it: the
// contents travel with their container. provenance.content indexes each
// container's contents; an order whose shipment names an SSCC is delivered by
// a receiving event naming that SSCC when the ledger records the shipment
// packed into it (see package orders).
//
// # Keys and indexes
//
// The state is LevelDB, so every query is a composite-key range:
//
//	provenance.product     (gtin)                        Product
//	provenance.lot         (gtin, lot)                   ProductLot, with its inputs
//	provenance.lotcustody  (gtin, lot)                   holder, location, pending offer, packedInto
//	provenance.child       (in gtin, in lot, gtin, lot)  lot -> children index
//	provenance.item        (gtin, serial)                SerialItem (finds the lot of a serial)
//	provenance.itemcustody (gtin, lot, serial)           holder and offer: also the lot -> items index
//	provenance.content     (container, kind, gtin, lot or serial)  container -> contents index
//	provenance.productcert (gtin, id), provenance.lotcert (gtin, lot, id),
//	provenance.itemcert    (gtin, serial, id)            Certificate
//
// Trace walks inputs upstream from the lot records and children downstream
// from provenance.child, reading each level of lots with one
// GetMultipleStates, and lists items from provenance.itemcustody: the item
// custody row is keyed by lot and holds the holder, so the items of a lot
// and their holders are one range scan, not a read per item. A trace of a
// lot with 10,000 items is therefore one lot read and about fifty 200-row
// range pages, all in one evaluate call when pageSize allows (default 1000,
// at most 10000 items per call; the bookmark continues). Graphs of more than
// 1000 lots in either direction are refused as INVALID.
//
// Verify reads the item, product and lot, the custody chains from key
// history (the latest 100 custody versions each), the upstream lots, and
// the certificates of the product, the lot, the item and every upstream
// lot, keeping those valid at the transaction time.
//
// # Events
//
// One per submit, named "provenance.<Type>", keyed by gtin, lot, serial and
// certificate as they apply: ProductRegistered, LotRegistered,
// ItemsRegistered, CustodyOffered, CustodyAccepted, CustodyRejected,
// CustodyOfferWithdrawn, CertificateIssued, CertificateRevoked, LotRecalled.
// Events and records hold business identifiers only. Custody parties may be
// accounts, which are on the ledger by design; names, addresses and other
// personal data must not be put in locations, reasons or attributes.
//
// # Packages
//
// This package holds the contract's argument and result types, their validation
// and its constants; it imports nothing of Fabric, so clients (ledgerapi, the
// gateway, the CLI) use them without linking the chaincode shim. The contract
// itself, on the ledger kit, is package provenancecc.
package provenance
