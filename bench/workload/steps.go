package workload

import (
	"context"

	"fmt"
	"strings"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/loyalty"
	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
	"github.com/cxledger/cxledger/network"
)

// Fixture sizes and amounts.
const (
	verifyItems   = 200
	orderAmount   = 100           // minor units: 1.00 EUR
	customerFunds = 1_000_000_000 // minor units each customer is deposited
	depositChunk  = 100           // the orders contract's MaxCredits
	merchant      = "Org1MSP"
	brandMSP      = "Org1MSP"
	carrierMSP    = "Org2MSP"
	currency      = "EUR"
)

// once runs make the first time a fixture is asked for and keeps its value.
func (e *Env) once(name string, make func() (any, error)) (any, error) {
	e.mu.Lock()
	if v, ok := e.fixture[name]; ok {
		e.mu.Unlock()
		return v, nil
	}
	e.mu.Unlock()
	v, err := make()
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.fixture == nil {
		e.fixture = map[string]any{}
	}
	e.fixture[name] = v
	return v, nil
}

// setup submits a fixture transaction, retrying while the network settles (the first
// transaction across organisations can fail for a few seconds) and after a read conflict;
// a refusal of the request stops it, except that a CONFLICT (the fixture exists already)
// counts as done, with no result, when tolerated.
func setup[Req, Res any](ctx context.Context, t ledgerapi.Transport, op *ledgerapi.Op[Req, Res], req Req, tolerateConflict bool) (*Res, error) {
	var err error
	for attempt := range 6 {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(time.Duration(attempt) * time.Second):
			}
		}
		var out *ledgerapi.Committed[Res]
		if out, err = op.Run(ctx, t, req); err == nil {
			return &out.Result, nil
		}
		e := cxlerr.From(err)
		if e.Code == cxlerr.Conflict && !e.Retryable && tolerateConflict {
			return nil, nil
		}
		if refusal(e.Code) && !e.Retryable {
			break
		}
	}
	return nil, fmt.Errorf("%s: %w", op.Name(), err)
}

// eventually retries check until it succeeds or 30 s pass.
func eventually(ctx context.Context, what string, check func() error) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := check()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: %w", what, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// first is the transport of an organisation's first user, directly.
func (e *Env) first(mspID string) (ledgerapi.Transport, error) {
	d := e.directClient()
	users, err := d.users(mspID)
	if err != nil {
		return nil, err
	}
	return d.session(mspID, users[0])
}

// admin is the transport of an organisation's admin, directly.
func (e *Env) admin(mspID string) (ledgerapi.Transport, error) {
	return e.directClient().session(mspID, "Admin")
}

// seenByEveryOrg waits until check succeeds through every organisation's peer.
func (e *Env) seenByEveryOrg(ctx context.Context, what string, check func(ctx context.Context, t ledgerapi.Transport) error) error {
	for _, org := range e.Profile.Orgs {
		t, err := e.first(org.MSPID)
		if err != nil {
			return err
		}
		if err := eventually(ctx, what+" at "+org.MSPID, func() error { return check(ctx, t) }); err != nil {
			return err
		}
	}
	return nil
}

// provenanceLot is a product and lot Org1 holds, for the provenance workload.
type provenanceLot struct{ gtin, lot string }

func (e *Env) provenanceLot(ctx context.Context) (provenanceLot, error) {
	v, err := e.once("provenance", func() (any, error) {
		brand, err := e.first(brandMSP)
		if err != nil {
			return nil, err
		}
		l := provenanceLot{gtin: e.Keys.GTIN(1), lot: e.Keys.Lot()}
		e.progress("provenance: registering product %s and lot %s as %s", l.gtin, l.lot, brandMSP)
		if _, err := setup(ctx, brand, ledgerapi.ProvenanceRegisterProduct, ledgerapi.RegisterProductRequest{GTIN: l.gtin, Name: "cxl bench " + e.Keys.Run}, true); err != nil {
			return nil, err
		}
		if _, err := setup(ctx, brand, ledgerapi.ProvenanceRegisterLot, ledgerapi.RegisterLotRequest{GTIN: l.gtin, Lot: l.lot, Quantity: 1_000_000}, true); err != nil {
			return nil, err
		}
		return l, e.seenByEveryOrg(ctx, ledgerapi.ProvenanceVerify.Name(), func(ctx context.Context, t ledgerapi.Transport) error {
			_, err := ledgerapi.ProvenanceVerify.Query(ctx, t, ledgerapi.VerifyRequest{GTIN: l.gtin, Serial: "NONE"})
			return err
		})
	})
	if err != nil {
		return provenanceLot{}, err
	}
	return v.(provenanceLot), nil
}

// verifyFixture registers the items the verify workload verifies.
func (e *Env) verifyFixture(ctx context.Context) (provenanceLot, error) {
	v, err := e.once("verify", func() (any, error) {
		brand, err := e.first(brandMSP)
		if err != nil {
			return nil, err
		}
		l := provenanceLot{gtin: e.Keys.GTIN(2), lot: "VERIFY"}
		serials := make([]string, verifyItems)
		for i := range serials {
			serials[i] = fmt.Sprintf("V%d", i)
		}
		e.progress("verify: registering product %s with %d items as %s", l.gtin, verifyItems, brandMSP)
		if _, err := setup(ctx, brand, ledgerapi.ProvenanceRegisterProduct, ledgerapi.RegisterProductRequest{GTIN: l.gtin, Name: "cxl bench verify " + e.Keys.Run}, true); err != nil {
			return nil, err
		}
		if _, err := setup(ctx, brand, ledgerapi.ProvenanceRegisterLot, ledgerapi.RegisterLotRequest{GTIN: l.gtin, Lot: l.lot, Quantity: verifyItems}, true); err != nil {
			return nil, err
		}
		if _, err := setup(ctx, brand, ledgerapi.ProvenanceRegisterItems, ledgerapi.RegisterItemsRequest{GTIN: l.gtin, Lot: l.lot, Serials: serials}, true); err != nil {
			return nil, err
		}
		last := serials[len(serials)-1]
		return l, e.seenByEveryOrg(ctx, ledgerapi.ProvenanceVerify.Name(), func(ctx context.Context, t ledgerapi.Transport) error {
			v, err := ledgerapi.ProvenanceVerify.Query(ctx, t, ledgerapi.VerifyRequest{GTIN: l.gtin, Serial: last})
			if err == nil && !v.Genuine {
				err = fmt.Errorf("item %s not verified genuine yet", last)
			}
			return err
		})
	})
	if err != nil {
		return provenanceLot{}, err
	}
	return v.(provenanceLot), nil
}

// currencyReady registers EUR as the payment provider (Org1's admin) unless it exists.
func (e *Env) currencyReady(ctx context.Context) error {
	_, err := e.once("currency", func() (any, error) {
		bank, err := e.admin(merchant)
		if err != nil {
			return nil, err
		}
		_, err = setup(ctx, bank, ledgerapi.OrdersRegisterCurrency, ledgerapi.RegisterCurrencyRequest{Currency: currency}, true)
		return nil, err
	})
	return err
}

// deposit funds accounts with customerFunds each, in chunks of the contract's maximum
// credits, as the payment provider, and waits until the last account's balance shows it
// through every organisation's peer.
func (e *Env) deposit(ctx context.Context, ref string, accounts []string) error {
	if err := e.currencyReady(ctx); err != nil {
		return err
	}
	bank, err := e.admin(merchant)
	if err != nil {
		return err
	}
	e.progress("orders: depositing %d.%02d EUR to each of %d customers", customerFunds/100, customerFunds%100, len(accounts))
	for i := 0; i < len(accounts); i += depositChunk {
		var credits []orders.TransferEntry
		for _, a := range accounts[i:min(i+depositChunk, len(accounts))] {
			credits = append(credits, orders.TransferEntry{Account: a, Amount: customerFunds})
		}
		req := ledgerapi.DepositRequest{Ref: fmt.Sprintf("%s-%d", ref, i/depositChunk), Currency: currency, Credits: credits}
		if _, err := setup(ctx, bank, ledgerapi.OrdersDeposit, req, true); err != nil {
			return err
		}
	}
	// A balance is readable only by its holder, payment organisations and
	// auditors, so no organisation's first user can read the customers'. The
	// currency's outstanding amount is public and only deposits change it in a
	// run, so an organisation's peer has every deposit once it shows at least
	// what the issuer's shows after the last one.
	funded, err := outstanding(ctx, bank)
	if err != nil {
		return err
	}
	return e.seenByEveryOrg(ctx, ledgerapi.OrdersCurrencies.Name(), func(ctx context.Context, t ledgerapi.Transport) error {
		got, err := outstanding(ctx, t)
		if err == nil && got < funded {
			err = fmt.Errorf("deposits not seen yet: %d %s outstanding, want at least %d", got, currency, funded)
		}
		return err
	})
}

// outstanding returns how much of the run's currency is outstanding, as t's
// peer sees it.
func outstanding(ctx context.Context, t ledgerapi.Transport) (ledgertypes.Amount, error) {
	list, err := ledgerapi.OrdersCurrencies.Query(ctx, t, ledgerapi.NoArgs{})
	if err != nil {
		return 0, fmt.Errorf("%s: %w", ledgerapi.OrdersCurrencies.Name(), err)
	}
	for _, c := range *list {
		if c.Code == currency {
			return c.Outstanding, nil
		}
	}
	return 0, fmt.Errorf("%s: currency %s not registered yet", ledgerapi.OrdersCurrencies.Name(), currency)
}

// consolidateMerchant merges the lots the orders workload paid into the merchant's
// account, 500 per transaction, so that its balance stays cheap to read.
func (e *Env) consolidateMerchant(ctx context.Context) error {
	bank, err := e.admin(merchant)
	if err != nil {
		return err
	}
	txs := 0
	for {
		res, err := ledgerapi.OrdersConsolidate.Run(ctx, bank, ledgerapi.AccountRequest{Account: merchant, Currency: currency})
		if err != nil {
			if e := cxlerr.From(err); e.Code == cxlerr.Conflict && !e.Retryable {
				break // one lot or none: nothing to merge
			}
			return fmt.Errorf("consolidate the lots of %s: %w", merchant, err)
		}
		txs++
		if !res.Result.More {
			break
		}
	}
	if txs > 0 {
		e.progress("orders: consolidated the merchant's lots in %d transactions", txs)
	}
	return nil
}

// loyaltyProgram creates the run's loyalty programme, issued by Org1.
func (e *Env) loyaltyProgram(ctx context.Context) (string, error) {
	v, err := e.once("loyalty", func() (any, error) {
		if err := e.currencyReady(ctx); err != nil {
			return nil, err
		}
		issuer, err := e.first(merchant)
		if err != nil {
			return nil, err
		}
		id := "bench-" + e.Keys.Run
		e.progress("loyalty: creating programme %s of %s; hot customer %s", id, merchant, e.Keys.Account(carrierMSP, "hot"))
		req := ledgerapi.CreateProgramRequest{ID: id, Name: "cxl bench", Unit: "pts", Currency: currency,
			Earn: loyalty.EarnRule{Points: 1, Per: 100}, ExpiryDays: 365}
		if _, err := setup(ctx, issuer, ledgerapi.LoyaltyCreateProgram, req, true); err != nil {
			return nil, err
		}
		return id, e.seenByEveryOrg(ctx, ledgerapi.LoyaltyGetProgram.Name(), func(ctx context.Context, t ledgerapi.Transport) error {
			_, err := ledgerapi.LoyaltyGetProgram.Query(ctx, t, ledgerapi.ProgramRequest{Program: id})
			return err
		})
	})
	if err != nil {
		return "", err
	}
	return v.(string), nil
}

// actors are who a target's steps act as.
type actors interface {
	// users are the transports of an organisation's users, which workers take round
	// robin.
	users(mspID string) ([]ledgerapi.Transport, error)
	// customers are n customers of carrierMSP and their accounts.
	customers(n int) ([]ledgerapi.Transport, []string, error)
	// verifier returns who verifies an item, per call.
	verifier() (func() ledgerapi.Transport, error)
	// tag tells the target's fixtures apart ("d", "s").
	tag() string
}

// baselineSteps are the baseline's steps: raw Fabric, no cxledger operation.
func (e *Env) baselineSteps() ([]step, error) {
	if e.Profile.Baseline == nil {
		return nil, fmt.Errorf("the network has no baseline chaincode: restart it with `cxl network up` (this version deploys it)")
	}
	d := e.directClient()
	users, err := d.users(brandMSP)
	if err != nil {
		return nil, err
	}
	var contracts []*client.Contract
	for _, u := range users {
		gw, err := d.user(brandMSP, u)
		if err != nil {
			return nil, err
		}
		contracts = append(contracts, gw.GetNetwork(e.Profile.Channel).GetContract(network.BaselineChaincode))
	}
	value := strings.Repeat("v", 100)
	return []step{func(ctx context.Context, c current) error {
		_, err := byWorker(contracts, c.worker).SubmitWithContext(ctx, "Put", client.WithArguments(c.id("bl"), value))
		return err
	}}, nil
}

// keyed is ctx with the idempotency key of a step (the gateway service keeps the outcome
// of a key; fabric-gateway needs none).
func keyed(ctx context.Context, key string) context.Context {
	return ledgerapi.WithIdempotencyKey(ctx, key)
}

// steps sets up spec's fixtures and returns its steps, acting as a's identities. Each
// worker acts as one of an organisation's users, round robin.
func (e *Env) steps(ctx context.Context, spec Spec, p *Prepared, a actors) ([]step, error) {
	switch spec.Name {
	case "ping":
		brand, err := a.users(brandMSP)
		if err != nil {
			return nil, err
		}
		return []step{func(ctx context.Context, c current) error {
			nonce := c.id("ping")
			_, err := ledgerapi.HealthPing.Run(keyed(ctx, nonce), byWorker(brand, c.worker), ledgerapi.PingRequest{Nonce: nonce})
			return err
		}}, nil
	case "provenance":
		l, err := e.provenanceLot(ctx)
		if err != nil {
			return nil, err
		}
		brand, err := a.users(brandMSP)
		if err != nil {
			return nil, err
		}
		carrier, err := a.users(carrierMSP)
		if err != nil {
			return nil, err
		}
		item := func(c current) ledgerapi.Subject {
			return ledgerapi.Subject{Kind: provenance.KindItem, GTIN: l.gtin, Serial: c.serial()}
		}
		return []step{
			func(ctx context.Context, c current) error {
				_, err := ledgerapi.ProvenanceRegisterItems.Run(keyed(ctx, c.id("reg")), byWorker(brand, c.worker),
					ledgerapi.RegisterItemsRequest{GTIN: l.gtin, Lot: l.lot, Serials: []string{c.serial()}})
				return err
			},
			func(ctx context.Context, c current) error {
				return retryLag(ctx, p, func(try int) error {
					_, err := ledgerapi.ProvenanceOfferCustody.Run(keyed(ctx, retryKey(c.id("off"), try)), byWorker(brand, c.worker),
						ledgerapi.OfferCustodyRequest{SubjectArgs: item(c), To: carrierMSP, Location: "dock"})
					return err
				})
			},
			func(ctx context.Context, c current) error {
				// An offer the carrier's peer has not committed yet is not pending there.
				return retryLag(ctx, p, func(try int) error {
					_, err := ledgerapi.ProvenanceAcceptCustody.Run(keyed(ctx, retryKey(c.id("acc"), try)), byWorker(carrier, c.worker),
						ledgerapi.CustodyRequest{SubjectArgs: item(c)})
					return err
				}, cxlerr.Conflict)
			},
		}, nil
	case "orders", "orders-spread":
		// One customer per worker, or each order the next of Spread customers (at least
		// one per worker), so that no two payments in flight spend the same customer's
		// lots: every conflict left is the merchant's.
		n, pick := e.Workers, func(c current) int { return c.worker }
		if spec.Name == "orders-spread" {
			if e.Spread < e.Workers {
				return nil, fmt.Errorf("orders-spread needs at least one customer per worker (%d), got %d", e.Workers, e.Spread)
			}
			n, pick = e.Spread, func(c current) int { return c.op % e.Spread }
		}
		customers, accounts, err := a.customers(n)
		if err != nil {
			return nil, err
		}
		if err := e.deposit(ctx, fmt.Sprintf("bench-%s-%s-%d", e.Keys.Run, a.tag(), n), accounts); err != nil {
			return nil, err
		}
		p.Cleanup = e.consolidateMerchant
		return []step{
			func(ctx context.Context, c current) error {
				_, err := ledgerapi.OrdersPlace.Run(keyed(ctx, c.id("pla")), customers[pick(c)], ledgerapi.PlaceOrderRequest{
					ID: c.id("o"), Merchant: merchant, Amount: orderAmount, Currency: currency,
					Deadline: time.Now().Add(time.Hour).UTC().Truncate(time.Second),
					Items:    []orders.OrderItem{{SKU: "bench", Quantity: 1}},
				})
				return err
			},
			func(ctx context.Context, c current) error {
				// An order the peer has not committed yet is NOT_FOUND to a customer
				// whose organisation reads every order (payment, auditor) and FORBIDDEN
				// to any other, as a missing order is: for its own customer, both
				// mean "not there yet".
				return retryLag(ctx, p, func(try int) error {
					_, err := ledgerapi.OrdersConfirmDelivery.Run(keyed(ctx, retryKey(c.id("con"), try)), customers[pick(c)], ledgerapi.OrderRequest{ID: c.id("o")})
					return err
				}, cxlerr.Forbidden)
			},
		}, nil
	case "loyalty":
		program, err := e.loyaltyProgram(ctx)
		if err != nil {
			return nil, err
		}
		issuers, err := a.users(merchant)
		if err != nil {
			return nil, err
		}
		hot := e.Keys.Account(carrierMSP, "hot")
		return []step{func(ctx context.Context, c current) error {
			id := c.id("earn")
			_, err := ledgerapi.LoyaltyEarn.Run(keyed(ctx, id), byWorker(issuers, c.worker), ledgerapi.EarnRequest{Program: program, ID: id, Account: hot, Points: 1})
			return err
		}}, nil
	case "verify":
		l, err := e.verifyFixture(ctx)
		if err != nil {
			return nil, err
		}
		verifier, err := a.verifier()
		if err != nil {
			return nil, err
		}
		return []step{func(ctx context.Context, c current) error {
			_, err := ledgerapi.ProvenanceVerify.Query(ctx, verifier(), ledgerapi.VerifyRequest{GTIN: l.gtin, Serial: verifySerial(c)})
			return err
		}}, nil
	}
	return nil, fmt.Errorf("no steps for %s", spec.Name)
}

// directActors are the network's users and fresh customers, through fabric-gateway.
type directActors struct{ e *Env }

func (a directActors) users(mspID string) ([]ledgerapi.Transport, error) {
	d := a.e.directClient()
	names, err := d.users(mspID)
	if err != nil {
		return nil, err
	}
	out := make([]ledgerapi.Transport, len(names))
	for i, u := range names {
		if out[i], err = d.session(mspID, u); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// customers are the first n of the Env's customers, each signing for itself.
func (a directActors) customers(n int) ([]ledgerapi.Transport, []string, error) {
	if len(a.e.Customers) < n {
		return nil, nil, fmt.Errorf("%d customers of %s enrolled, %d needed", len(a.e.Customers), carrierMSP, n)
	}
	cs := a.e.Customers[:n]
	accounts := make([]string, n)
	for i, c := range cs {
		accounts[i] = c.Account()
	}
	ts, err := a.e.directClient().customers(carrierMSP, cs)
	return ts, accounts, err
}

// verifier is Org1's User1, the service's public identity.
func (a directActors) verifier() (func() ledgerapi.Transport, error) {
	t, err := a.e.directClient().session(brandMSP, "User1")
	if err != nil {
		return nil, err
	}
	return func() ledgerapi.Transport { return t }, nil
}

func (directActors) tag() string { return "d" }

// serviceActors are the service's principals, and its public routes from many addresses.
type serviceActors struct{ s *service }

func (a serviceActors) users(mspID string) ([]ledgerapi.Transport, error) {
	names := a.s.principals(mspID)
	if len(names) == 0 {
		return nil, fmt.Errorf("the service has no API keys for the users of %s", mspID)
	}
	out := make([]ledgerapi.Transport, len(names))
	for i, n := range names {
		out[i] = a.s.clients[n]
	}
	return out, nil
}

// customers act as the customer identities the service's customers stand for: API keys
// of identities it holds, or customers who sign for themselves.
func (a serviceActors) customers(n int) ([]ledgerapi.Transport, []string, error) {
	if len(a.s.cfg.Customers) < n {
		return nil, nil, ErrNoCustomers
	}
	ts := make([]ledgerapi.Transport, n)
	accounts := make([]string, n)
	for i, k := range a.s.cfg.Customers[:n] {
		ts[i], accounts[i] = a.s.clients[k.Principal], k.MSPID+"/"+k.User
	}
	return ts, accounts, nil
}

// verifier sends each verification from the next source address in turn, with no
// credentials.
func (a serviceActors) verifier() (func() ledgerapi.Transport, error) {
	return a.s.public, nil
}

func (serviceActors) tag() string { return "s" }

// maxLagRetries bounds retryLag: 10 attempts over about 1.4 s.
const maxLagRetries = 10

// retryLag runs a step that reads what the step before it committed, repeating it while an
// endorsing peer has not committed that yet (see lagging; notYet are the step's own codes
// for it). fabric-gateway reports a commit once the gateway peer has it; a step sent
// through another organisation's peer, or endorsed by one, can get there first (the
// carrier accepting a custody offer the brand's peer just committed, an order's delivery
// endorsed by the merchant's peer before it saw the order). A client would wait and try
// again, as this does; p counts every repetition.
func retryLag(ctx context.Context, p *Prepared, attempt func(try int) error, notYet ...cxlerr.Code) error {
	var err error
	for try := 0; ; try++ {
		if err = attempt(try); err == nil || try == maxLagRetries || !lagging(err, notYet...) {
			return err
		}
		p.lagRetries.Add(1)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(try+1) * 25 * time.Millisecond):
		}
	}
}

// retryKey is the idempotency key of a step's try-th repetition: the service keeps the
// outcome of a key, so a repetition needs a key of its own.
func retryKey(key string, try int) string {
	if try == 0 {
		return key
	}
	return fmt.Sprintf("%s-r%d", key, try)
}

// verifySerial spreads the verifications over the registered items.
func verifySerial(c current) string {
	return fmt.Sprintf("V%d", (c.worker*7919+c.seq)%verifyItems)
}
