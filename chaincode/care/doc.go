// Package care is the "care" contract: support tickets nobody can rewrite,
// reviews only from verified buyers, and personal data that can be erased.
//
// # Functions
//
// Every function takes one JSON object (see ledger's convention) and returns
// JSON. Errors are ledger errors ("cxl:<CODE>: <message>"). Personal data
// never appears in arguments or results, and never reaches the contract in
// clear: it travels as transient data sealed to a ticket key of the merchant
// (see "Personal data" below), and submit results, which land in blocks, carry
// only its salted hashes.
//
// The objects are the exported *Args types (OpenTicketArgs, ...): their
// Validate methods are the checks the contract makes before it reads the
// ledger, and clients (ledgerapi) use them as their request types;
// ValidatePersonal and ValidateSeed check transient data the same way, and
// ValidateText checks personal data in clear, which only the client sees.
//
// Submit functions, with the transient keys each takes (any other
// transient key is INVALID):
//
//	OpenTicket      {"id","merchant"?,"orderId"?,"category","priority"}  -> Ticket
//	                transient: key, message, messageHash, contact and
//	                contactHash (optional)
//	AssignTicket    {"id","agent"}                                       -> Ticket
//	RespondTicket   {"id"}  transient: key, message, messageHash          -> Ticket
//	ResolveTicket   {"id"}  transient: key, message, messageHash (optional) -> Ticket
//	ReopenTicket    {"id"}  transient: key, message, messageHash (optional) -> Ticket
//	ConfirmTicket   {"id"}                                               -> Ticket
//	EraseTicketData {"id"}                                               -> Ticket
//	SetSLAPolicy    {"urgent":{"firstResponse","resolution"},"high":{...},
//	                 "normal":{...},"low":{...}}                         -> SLAPolicy
//	SweepSLA        {"merchant","limit"?}                                -> SLASweep
//	PostReview      {"orderId","rating","text"}  transient: salt         -> Review
//	                (the salt is required for a merchant's first review)
//	EditReview      {"id","rating","text"}                               -> Review
//	ReplyToReview   {"id","text"}                                        -> Review
//	PublishTicketKeys {"keys":[{"id","publicKey"}]}                      -> TicketKeysPublished
//
// Evaluate functions:
//
//	GetTicket             {"id"}                                  -> TicketDetail
//	ListTickets           {"merchant"?,"pageSize"?,"bookmark"?}   -> TicketPage
//	BreachReport          {"merchant","pageSize"?,"bookmark"?}    -> BreachReport
//	GetSLAPolicy          {"merchant"}                            -> SLAPolicy
//	GetTicketPersonalData {"id"}                                  -> SealedPersonalData
//	TicketKeys            {"merchant","status"?,"pageSize"?,"bookmark"?} -> TicketKeyPage
//	GetReview             {"id"}                                  -> ReviewDetail
//	ListReviews           {"merchant","pageSize"?,"bookmark"?}    -> ReviewPage
//
// One of merchant and orderId is needed to open a ticket; about an order,
// the merchant is the order's. category is delivery, product, refund,
// billing, account or other; priority is low, normal, high or urgent;
// agent is an account of the merchant's organisation ("Org2MSP/User2");
// SLA terms are Go durations ("90m", "4h") of whole seconds from 1s to 366
// days, the resolution no sooner than the first response; limit is 0 to
// 1000 (0 means 100); rating is 1 to 5; review and reply texts are 1 to
// 4000 bytes. Transient values: key a ticket key ID; message and contact
// carecrypt envelopes of a salt of 16 to 64 random bytes and 1 to 8192 (message)
// or 1 to 1024 (contact) bytes of text, bounded by their size; messageHash and
// contactHash SaltedHash(salt, text) in lower-case hex; salt (PostReview only)
// 16 to 64 random bytes. PublishTicketKeys takes 1 to 100 keys, each an ID new
// for the merchant and an X25519 public key (standard base64 of 32 bytes);
// status is unused (the default), claimed or erased.
//
// # Who may do what
//
// A customer is an account ("<MSP>/<CN>", any organisation): an identity
// acting for itself, whether or not its certificate carries roles. A
// merchant acts through its staff with the merchant role: client or admin
// identities whose certificate carries merchant in cxl.roles, of an
// organisation holding merchant on the ledger (ledger.ActsFor); an identity
// of the merchant's organisation without cxl.roles is a customer and acts
// for nobody but itself.
//
//	OpenTicket                       the customer, about one of its own orders or not, with any
//	                                 organisation holding the merchant role
//	ReopenTicket, ConfirmTicket      the ticket's customer, once it is resolved
//	AssignTicket, RespondTicket,
//	ResolveTicket                    the ticket's merchant's staff with merchant
//	EraseTicketData                  the ticket's customer, or its merchant's staff with merchant
//	PublishTicketKeys, SetSLAPolicy  staff with merchant, for their own organisation
//	SweepSLA                         the merchant's staff with merchant; staff with auditor or
//	                                 arbiter of an organisation holding it
//	PostReview                       the buyer of an order delivered (or being returned, or
//	                                 returned), once
//	EditReview                       the review's author
//	ReplyToReview                    the reviewed merchant's staff with merchant
//
// Anyone lists ticket keys and reads SLA policies.
//
// # Who may read what
//
// Reads are authorised by ledger.RequireReader (an organisation's "staff"
// are its identities with a cxl.roles attribute, whatever it names;
// auditors and arbiters carry auditor or arbiter in it, of an organisation
// holding that role):
//
//	GetTicket               the ticket's customer; its merchant's staff; arbiters; auditors
//	ListTickets             the caller's own tickets: the caller; a merchant's: its staff,
//	                        arbiters, auditors
//	BreachReport            the merchant's staff; arbiters; auditors
//	GetTicketPersonalData   the ticket's merchant's staff with merchant
//	                        (evaluated on its own peer: no other peer holds the collection)
//	GetSLAPolicy, TicketKeys anyone (terms and public keys are public)
//	GetReview, ListReviews  anyone (reviews are public within the consortium; reviewers are
//	                        pseudonyms)
//
// Any other caller is FORBIDDEN with a message that names only the caller.
// A missing ticket is FORBIDDEN to everyone but arbiters and auditors, who
// alone get NOT_FOUND (its personal data is FORBIDDEN to everyone), so a
// stranger cannot tell an existing ticket from a missing one. This is the
// contract's rule; public state itself is in every channel member's blocks.
//
// Writes refuse as the reads do. Every step on a ticket (AssignTicket,
// RespondTicket, ResolveTicket, ReopenTicket, ConfirmTicket,
// EraseTicketData) first reads the ticket with its readers' rule, and
// OpenTicket and PostReview read the order they name with the orders
// contract's (orderscc.RequireOrderReader: its customer, the parties it
// names, payment organisations, auditors): anyone else is FORBIDDEN with a
// message that names only the caller, the same for someone else's ticket
// or order as for a missing one. NOT_FOUND goes only to those who read
// every ticket (arbiters, auditors) or every order (payment organisations,
// auditors), and the precise refusals ("ticket T1 is with merchant ...",
// "order O1 is not an order of ...") only to the record's readers.
//
// # Tickets
//
// A ticket moves open -> assigned -> responded -> resolved -> closed; the
// merchant may respond or resolve from open, assigned, responded or
// reopened, and assign (or reassign) in any of those states; the customer
// reopens (resolved -> reopened) or confirms (resolved -> closed, final).
// Each step is a TicketStep stored under its own key (care.step, ticket,
// seq), written once and never rewritten, with its time, actor, the state
// after it and the salted hash of its message, if any. The ticket itself
// keeps the current state.
//
// # SLA
//
// Each merchant publishes SLA terms per priority with SetSLAPolicy
// (DefaultSLA until it does). A ticket takes the terms in force when it is
// opened, and keeps them: two deadlines from its opening, the first
// response (met by the merchant's first response or resolution) and the
// resolution; reopening starts a new round with a new resolution deadline
// under the same terms. Deadlines are checked against transaction time only: every
// transaction that touches a ticket first records the breaches that are
// overdue at its time, so a late response records the breach itself, and
// SweepSLA records them for tickets nobody touches, using an index of
// pending deadlines ordered by time (care.due) so it reads only overdue
// ones. Breaches are kept on the ticket and in the merchant's breach report
// (care.breach); GetTicket also shows breaches overdue at the query's time
// that are not recorded yet. Transaction time is the submitting client's
// proposal time; peers refuse proposals further than their
// peer.authentication.timewindow (15 minutes by default) from their own
// clock, which bounds how far a client can shift a deadline check.
//
// # Personal data, collections and endorsement
//
// A customer's contact details and all ticket messages are personal data.
// No organisation but the ticket's merchant ever receives them in clear: the
// client that builds the call (ledgerapi, in the gateway service or the CLI)
// checks the text (ValidateText), then seals each piece with its salt to one of
// the merchant's one-time ticket keys (package carecrypt: ECIES with an
// ephemeral X25519 key, HKDF-SHA256 over a context naming cxledger, the
// merchant, the key, the ticket, the field and the step, AES-256-GCM) and
// sends only the envelopes, their salted hashes and the key's ID, as transient
// data, which peers do not write to blocks. The contract checks the envelopes'
// form and size (it bounds the ciphertext; it cannot see the text) and that
// each was sealed for the step it records (CONFLICT otherwise: the ticket moved
// on, read it again), stores them in the private data collection of the
// merchant's organisation, named by CollectionName ("pdc" + MSP ID, as the
// network deploys it), and keeps SaltedHash(salt, value) in public state,
// events and results: HMAC-SHA256 keyed with a salt the client chose, which
// travels only inside the envelopes, so the hash cannot be reversed by
// guessing, not even by an endorsing peer.
//
// Ticket keys. A merchant organisation publishes a pool of public keys
// (PublishTicketKeys; its gateway service does, keeping each private half in
// its vault, package gateway/vault, and nowhere else). A ticket claims an
// unused key with its first personal data (a key already claimed is a
// CONFLICT: the client picks another; two tickets claiming one at once
// conflict at validation) and records its ID and public key; every later
// message is sealed to it. Erasure marks the key erased and the ticket keyless;
// the ticket's next personal data claims a new key. Keys are public state
// (care.ticketkey), listed by state through an index (care.keystatus).
//
// Reading. GetTicketPersonalData, an evaluate the merchant's members run on
// the merchant's own peers, returns the envelopes with the hashes recorded in
// public state (SealedPersonalData); the merchant's gateway service opens them
// with its vault and answers with the texts, each checked against its hash
// (TicketPersonalData). Nothing else can open them.
//
// Endorsement. The collection is readable only by the merchant's members and
// held only by its peers; any channel member may write it, but the
// collection's endorsement policy makes the merchant's peer endorse every
// write, while public writes need the chaincode's policy (a majority of
// organisations). A transaction that writes both is endorsed by peers of
// organisations that cannot read the collection, so every write to it is
// blind: PutPrivateData and PurgePrivateData, never GetPrivateData. Clients
// submitting transient data must name the endorsing organisations
// (fabric-gateway client.WithEndorsingOrganizations: the customer's and the
// merchant's, enough for the chaincode policy), because the gateway otherwise
// refuses to pick endorsers outside the collection for transient data. The
// peers of those organisations, the merchant's included, see only envelopes
// while endorsing and keep them in their transient stores until commit.
//
// Erasure. EraseTicketData purges the contact details and every message of a
// ticket (PurgePrivateData, Fabric 2.5+), marks its key erased, and records the
// erasure as a step; its event names the key. The merchant's gateway service,
// following the events (and reconciling with the key states at start and on
// an interval), destroys the key's private half: its file is overwritten with
// zeros, synced and removed. Every copy of the envelopes left anywhere (peers'
// transient stores, state database files that keep old values, the
// collection's history) is then ciphertext under a key that no longer exists;
// the salted hashes stay on the ledger, meaningless without the salts.
//
// Limits. The process that seals a request sees the text in memory: the
// customer's client, or in the custodial path the gateway service that signs
// for the customer; the merchant's gateway service sees it when it opens it
// for the merchant's members. What a file system or a device keeps below the
// file API (journals, copy-on-write blocks, wear levelling) after a key file
// is overwritten is out of reach. Ticket IDs, steps, times, key IDs and the
// salted hashes are public. A merchant's members who read the texts before
// the erasure may have kept them.
//
// # Reviews and pseudonyms
//
// A review names neither the reviewer's account nor the order. It shows the
// reviewer as Pseudonym(salt, account): the first 8 bytes of HMAC-SHA256
// keyed with the merchant's pseudonym salt over the account. Each merchant
// has its own 256-bit salt, created at its first review from random bytes
// the reviewer's client passes as transient data (so no value in any result
// or event seeds it) and kept in public state (care.reviewsalt), never
// returned. A customer therefore has one stable pseudonym per merchant,
// which lets the contract recognise the author of an edit, and their
// pseudonyms at two merchants are unrelated for anyone reading reviews:
// linking them, or finding the account behind one, needs the salts. A
// channel member can read the salts from blocks, but can also read who
// submitted each review (Fabric puts the submitter's certificate in every
// transaction), so no construction hides reviewers from channel members
// short of anonymous (Idemix) identities. One review per order is kept by a
// marker under care.orderreview (order) that does not name the review.
//
// # Events
//
// One per transaction, named "care.<Type>": TicketOpened, TicketAssigned,
// TicketResponded, TicketResolved, TicketReopened, TicketConfirmed,
// TicketDataErased (keys ticket, merchant; data: the step and any breaches
// recorded; for an erasure also who erased, how many pieces and the key),
// TicketKeysPublished (key merchant; data: the key IDs), SLAPolicySet (key merchant; data: the policy),
// SLABreachesRecorded (key merchant; data: tickets and breaches; only when
// a sweep recorded any), ReviewPosted, ReviewEdited, ReviewReplied (keys
// review, merchant; data: the review and the new entry). None carries
// personal data.
//
// # Keys
//
// Public state (LevelDB, composite keys):
//
//	care.ticket      (ticket)                        Ticket
//	care.step        (ticket, seq)                   TicketStep, written once
//	care.mticket     (merchant, ticket)              index of a merchant's tickets
//	care.cticket     (customer, ticket)              index of a customer's tickets
//	care.due         (merchant, due, ticket, kind)   pending SLA deadlines, by time
//	care.breach      (merchant, ticket, kind, round) SLABreach
//	care.review      (review)                        Review
//	care.reventry    (review, seq)                   ReviewEntry, written once
//	care.mreview     (merchant, created, review)     index of a merchant's reviews
//	care.orderreview (order)                         one review per order
//	care.reviewsalt  (merchant)                      pseudonym salt
//	care.slapolicy   (merchant)                      SLAPolicy
//	care.ticketkey   (merchant, key)                 TicketKey
//	care.keystatus   (merchant, status, key)         index of a merchant's keys by state
//
// The merchant's collection:
//
//	care.contact     (ticket)                        sealed contact details, key, hash
//	care.message     (ticket, seq)                   a step's sealed message, key, hash
//
// # Packages
//
// This package holds the contract's argument and result types, their validation
// and its constants; it imports nothing of Fabric, so clients (ledgerapi, the
// gateway, the CLI) use them without linking the chaincode shim. The contract
// itself, on the ledger kit, is package carecc.
package care
