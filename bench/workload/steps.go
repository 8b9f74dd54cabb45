package workload

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gateway/fabric"
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
// transaction across organisations can fail for a few seconds); a chaincode CONFLICT (the
// fixture exists already) counts as done when tolerated.
func setup(ctx context.Context, c *client.Contract, fn string, args, out any, tolerateConflict bool) error {
	var err error
	for attempt := range 6 {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(attempt) * time.Second):
			}
		}
		err = submitJSON(ctx, c, fn, args, out)
		if err == nil {
			return nil
		}
		code := fabric.Classify(err).Code
		if code == cxlerr.Conflict && tolerateConflict {
			return nil
		}
		if code == cxlerr.Invalid || code == cxlerr.Forbidden || code == cxlerr.NotFound || code == cxlerr.Conflict {
			break
		}
	}
	return fmt.Errorf("%s: %w", fn, err)
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

// provenanceLot is a product and lot Org1 holds, for the provenance workload.
type provenanceLot struct{ gtin, lot string }

func (e *Env) provenanceLot(ctx context.Context) (provenanceLot, error) {
	v, err := e.once("provenance", func() (any, error) {
		brand, err := e.contracts(brandMSP, "provenance")
		if err != nil {
			return nil, err
		}
		l := provenanceLot{gtin: e.Keys.GTIN(1), lot: e.Keys.Lot()}
		e.progress("provenance: registering product %s and lot %s as %s", l.gtin, l.lot, brandMSP)
		if err := setup(ctx, brand[0], "RegisterProduct", map[string]any{"gtin": l.gtin, "name": "cxl bench " + e.Keys.Run}, nil, true); err != nil {
			return nil, err
		}
		if err := setup(ctx, brand[0], "RegisterLot", map[string]any{"gtin": l.gtin, "lot": l.lot, "quantity": 1_000_000}, nil, true); err != nil {
			return nil, err
		}
		return l, e.seenByEveryOrg(ctx, "provenance", "Verify", map[string]any{"gtin": l.gtin, "serial": "NONE"}, nil)
	})
	if err != nil {
		return provenanceLot{}, err
	}
	return v.(provenanceLot), nil
}

// seenByEveryOrg waits until an evaluation succeeds through every organisation's peer.
func (e *Env) seenByEveryOrg(ctx context.Context, contract, fn string, args map[string]any, ok func([]byte) error) error {
	for _, org := range e.Profile.Orgs {
		cs, err := e.contracts(org.MSPID, contract)
		if err != nil {
			return err
		}
		if err := eventually(ctx, fn+" at "+org.MSPID, func() error {
			raw, err := evaluateRaw(ctx, cs[0], fn, args)
			if err != nil {
				return err
			}
			if ok != nil {
				return ok(raw)
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

func evaluateRaw(ctx context.Context, c *client.Contract, fn string, args any) ([]byte, error) {
	var raw []byte
	err := evaluateJSON(ctx, c, fn, args, &rawJSON{&raw})
	return raw, err
}

// rawJSON keeps a JSON value as it came.
type rawJSON struct{ b *[]byte }

func (r *rawJSON) UnmarshalJSON(data []byte) error {
	*r.b = append([]byte(nil), data...)
	return nil
}

// verifyItems registers the items the verify workload verifies.
func (e *Env) verifyFixture(ctx context.Context) (provenanceLot, error) {
	v, err := e.once("verify", func() (any, error) {
		brand, err := e.contracts(brandMSP, "provenance")
		if err != nil {
			return nil, err
		}
		l := provenanceLot{gtin: e.Keys.GTIN(2), lot: "VERIFY"}
		serials := make([]string, verifyItems)
		for i := range serials {
			serials[i] = fmt.Sprintf("V%d", i)
		}
		e.progress("verify: registering product %s with %d items as %s", l.gtin, verifyItems, brandMSP)
		if err := setup(ctx, brand[0], "RegisterProduct", map[string]any{"gtin": l.gtin, "name": "cxl bench verify " + e.Keys.Run}, nil, true); err != nil {
			return nil, err
		}
		if err := setup(ctx, brand[0], "RegisterLot", map[string]any{"gtin": l.gtin, "lot": l.lot, "quantity": verifyItems}, nil, true); err != nil {
			return nil, err
		}
		if err := setup(ctx, brand[0], "RegisterItems", map[string]any{"gtin": l.gtin, "lot": l.lot, "serials": serials}, nil, true); err != nil {
			return nil, err
		}
		last := serials[len(serials)-1]
		return l, e.seenByEveryOrg(ctx, "provenance", "Verify", map[string]any{"gtin": l.gtin, "serial": last}, func(raw []byte) error {
			if !strings.Contains(string(raw), `"genuine":true`) {
				return fmt.Errorf("item %s not verified genuine yet", last)
			}
			return nil
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
		bank, err := e.admin(merchant, "orders")
		if err != nil {
			return nil, err
		}
		return nil, setup(ctx, bank, "RegisterCurrency", map[string]any{"currency": currency}, nil, true)
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
	bank, err := e.admin(merchant, "orders")
	if err != nil {
		return err
	}
	e.progress("orders: depositing %d.%02d EUR to each of %d customers", customerFunds/100, customerFunds%100, len(accounts))
	for i := 0; i < len(accounts); i += depositChunk {
		var credits []map[string]any
		for _, a := range accounts[i:min(i+depositChunk, len(accounts))] {
			credits = append(credits, map[string]any{"account": a, "amount": customerFunds})
		}
		args := map[string]any{"ref": fmt.Sprintf("%s-%d", ref, i/depositChunk), "currency": currency, "credits": credits}
		if err := setup(ctx, bank, "Deposit", args, nil, true); err != nil {
			return err
		}
	}
	last := accounts[len(accounts)-1]
	return e.seenByEveryOrg(ctx, "orders", "Balance", map[string]any{"account": last, "currency": currency}, func(raw []byte) error {
		if strings.Contains(string(raw), `"balance":0,`) || !strings.Contains(string(raw), `"balance":`) {
			return fmt.Errorf("%s not funded yet: %s", last, raw)
		}
		return nil
	})
}

// consolidateMerchant merges the lots the orders workload paid into the merchant's
// account, 500 per transaction, so that its balance stays cheap to read.
func (e *Env) consolidateMerchant(ctx context.Context) error {
	bank, err := e.admin(merchant, "orders")
	if err != nil {
		return err
	}
	merged, txs := 0, 0
	for {
		var res struct {
			Lots int  `json:"lots"`
			More bool `json:"more"`
		}
		err := submitJSON(ctx, bank, "Consolidate", map[string]any{"account": merchant, "currency": currency}, &res)
		if err != nil {
			if fabric.Classify(err).Code == cxlerr.Conflict {
				break // one lot or none: nothing to merge
			}
			return fmt.Errorf("consolidate the lots of %s: %w", merchant, err)
		}
		merged, txs = merged+res.Lots, txs+1
		if !res.More {
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
		issuer, err := e.contracts(merchant, "loyalty")
		if err != nil {
			return nil, err
		}
		id := "bench-" + e.Keys.Run
		e.progress("loyalty: creating programme %s of %s; hot customer %s", id, merchant, e.Keys.Account(carrierMSP, "hot"))
		args := map[string]any{"id": id, "name": "cxl bench", "unit": "pts", "currency": currency,
			"earn": map[string]any{"points": 1, "per": 100}, "expiryDays": 365, "partners": []any{}}
		if err := setup(ctx, issuer[0], "CreateProgram", args, nil, true); err != nil {
			return nil, err
		}
		return id, e.seenByEveryOrg(ctx, "loyalty", "GetProgram", map[string]any{"program": id}, nil)
	})
	if err != nil {
		return "", err
	}
	return v.(string), nil
}

// directSteps sets up spec's fixtures and returns its steps through fabric-gateway.
func (e *Env) directSteps(ctx context.Context, spec Spec, p *Prepared) ([]step, error) {
	switch spec.Name {
	case "baseline":
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
		if e.Profile.Baseline == nil {
			return nil, fmt.Errorf("the network has no baseline chaincode: restart it with `cxl network up` (this version deploys it)")
		}
		value := strings.Repeat("v", 100)
		return []step{func(ctx context.Context, c current) error {
			_, err := byWorker(contracts, c.worker).SubmitWithContext(ctx, "Put", client.WithArguments(c.id("bl"), value))
			return err
		}}, nil
	case "ping":
		cs, err := e.contracts(brandMSP, "health")
		if err != nil {
			return nil, err
		}
		return []step{func(ctx context.Context, c current) error {
			_, err := byWorker(cs, c.worker).SubmitWithContext(ctx, "Ping", client.WithArguments(c.id("ping")))
			return err
		}}, nil
	case "provenance":
		l, err := e.provenanceLot(ctx)
		if err != nil {
			return nil, err
		}
		brand, err := e.contracts(brandMSP, "provenance")
		if err != nil {
			return nil, err
		}
		carrier, err := e.contracts(carrierMSP, "provenance")
		if err != nil {
			return nil, err
		}
		return []step{
			func(ctx context.Context, c current) error {
				return submitJSON(ctx, byWorker(brand, c.worker), "RegisterItems", map[string]any{"gtin": l.gtin, "lot": l.lot, "serials": []string{c.serial()}}, nil)
			},
			func(ctx context.Context, c current) error {
				return retryLag(ctx, p, func(int) error {
					return submitJSON(ctx, byWorker(brand, c.worker), "OfferCustody", map[string]any{"kind": "item", "gtin": l.gtin, "serial": c.serial(), "to": carrierMSP, "location": "dock"}, nil)
				})
			},
			func(ctx context.Context, c current) error {
				return retryLag(ctx, p, func(int) error {
					return submitJSON(ctx, byWorker(carrier, c.worker), "AcceptCustody", map[string]any{"kind": "item", "gtin": l.gtin, "serial": c.serial()}, nil)
				})
			},
		}, nil
	case "orders":
		// One customer per worker, so that no two payments spend the same customer's
		// lots: every conflict left is the merchant's.
		d := e.directClient()
		customers := make([]*client.Contract, e.Workers)
		accounts := make([]string, e.Workers)
		e.progress("orders: issuing %d customer identities of %s", e.Workers, carrierMSP)
		domain := strings.ToLower(strings.TrimSuffix(carrierMSP, "MSP")) + ".example.com"
		for i := range customers {
			cn := fmt.Sprintf("bench-%s-%d@%s", e.Keys.Run, i, domain)
			gw, err := d.mint(carrierMSP, cn)
			if err != nil {
				return nil, err
			}
			customers[i], accounts[i] = d.contract(gw, "orders"), carrierMSP+"/"+cn
		}
		if err := e.deposit(ctx, "bench-"+e.Keys.Run+"-d", accounts); err != nil {
			return nil, err
		}
		p.Cleanup = e.consolidateMerchant
		return e.orderSteps(p, func(ctx context.Context, c current, try int, fn string, args map[string]any) error {
			return submitJSON(ctx, customers[c.worker], fn, args, nil)
		}), nil
	case "loyalty":
		program, err := e.loyaltyProgram(ctx)
		if err != nil {
			return nil, err
		}
		issuers, err := e.contracts(merchant, "loyalty")
		if err != nil {
			return nil, err
		}
		hot := e.Keys.Account(carrierMSP, "hot")
		return []step{func(ctx context.Context, c current) error {
			return submitJSON(ctx, byWorker(issuers, c.worker), "Earn", map[string]any{"program": program, "id": c.id("earn"), "account": hot, "points": 1}, nil)
		}}, nil
	case "verify":
		l, err := e.verifyFixture(ctx)
		if err != nil {
			return nil, err
		}
		d := e.directClient()
		gw, err := d.user(brandMSP, "User1")
		if err != nil {
			return nil, err
		}
		verifier := d.contract(gw, "provenance")
		return []step{func(ctx context.Context, c current) error {
			_, err := evaluateRaw(ctx, verifier, "Verify", map[string]any{"gtin": l.gtin, "serial": verifySerial(c)})
			return err
		}}, nil
	}
	return nil, fmt.Errorf("no direct variant of %s", spec.Name)
}

// maxLagRetries bounds retryLag: 10 attempts over about 1.4 s.
const maxLagRetries = 10

// retryLag runs a step that reads what the step before it committed, repeating it while an
// endorsing peer has not committed that yet. fabric-gateway reports a commit once the
// gateway peer has it; a step sent through another organisation's peer, or endorsed by
// one, can get there first (the carrier accepting a custody offer the brand's peer just
// committed, an order's delivery endorsed by the merchant's peer before it saw the order).
// A client would wait and try again, as this does; p counts every repetition.
func retryLag(ctx context.Context, p *Prepared, attempt func(try int) error) error {
	var err error
	for try := 0; ; try++ {
		if err = attempt(try); err == nil || try == maxLagRetries || !lagging(err) {
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

// lagging reports whether err says a peer has not yet seen what an earlier step committed:
// the record is not found, the custody offer is not pending yet, or two endorsing peers
// read different versions.
func lagging(err error) bool {
	var se *ServiceError
	if errors.As(err, &se) {
		return se.Status == http.StatusNotFound || strings.Contains(se.Envelope.Message, "no custody offer is pending")
	}
	var ee *client.EndorseError
	if !errors.As(err, &ee) {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "cxl:NOT_FOUND") || strings.Contains(msg, "no custody offer is pending") ||
		strings.Contains(msg, "ProposalResponsePayloads do not match")
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

// orderSteps are an order's place and confirm-delivery transactions, submitted by submit as
// the worker's customer (try counts repetitions of a step, see retryLag).
func (e *Env) orderSteps(p *Prepared, submit func(ctx context.Context, c current, try int, fn string, args map[string]any) error) []step {
	return []step{
		func(ctx context.Context, c current) error {
			return submit(ctx, c, 0, "Place", map[string]any{
				"id": c.id("o"), "merchant": merchant, "amount": orderAmount, "currency": currency,
				"deadline": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
				"items":    []map[string]any{{"sku": "bench", "quantity": 1}},
			})
		},
		func(ctx context.Context, c current) error {
			return retryLag(ctx, p, func(try int) error {
				return submit(ctx, c, try, "ConfirmDelivery", map[string]any{"id": c.id("o")})
			})
		},
	}
}

// serviceSteps sets up spec's fixtures and returns its steps through the gateway service.
// Each worker acts as one of the service's principals, round robin.
func (e *Env) serviceSteps(ctx context.Context, spec Spec, s *service, p *Prepared) ([]step, error) {
	brand, carrier := s.principals(brandMSP), s.principals(carrierMSP)
	if len(brand) == 0 || len(carrier) == 0 {
		return nil, errors.New("the service has no API keys for the users of Org1MSP and Org2MSP")
	}
	mutate := func(ctx context.Context, op, principal, idem string, args map[string]any) error {
		return s.call(ctx, op, principal, idem, args, nil)
	}
	switch spec.Name {
	case "ping":
		return []step{func(ctx context.Context, c current) error {
			nonce := c.id("ping")
			return mutate(ctx, "health.Ping", byWorker(brand, c.worker), nonce, map[string]any{"nonce": nonce})
		}}, nil
	case "provenance":
		l, err := e.provenanceLot(ctx)
		if err != nil {
			return nil, err
		}
		return []step{
			func(ctx context.Context, c current) error {
				return mutate(ctx, "provenance.RegisterItems", byWorker(brand, c.worker), c.id("reg"), map[string]any{"gtin": l.gtin, "lot": l.lot, "serials": []string{c.serial()}})
			},
			func(ctx context.Context, c current) error {
				return retryLag(ctx, p, func(try int) error {
					return mutate(ctx, "provenance.OfferCustody", byWorker(brand, c.worker), retryKey(c.id("off"), try), map[string]any{"kind": "item", "gtin": l.gtin, "serial": c.serial(), "to": carrierMSP, "location": "dock"})
				})
			},
			func(ctx context.Context, c current) error {
				return retryLag(ctx, p, func(try int) error {
					return mutate(ctx, "provenance.AcceptCustody", byWorker(carrier, c.worker), retryKey(c.id("acc"), try), map[string]any{"kind": "item", "gtin": l.gtin, "serial": c.serial()})
				})
			},
		}, nil
	case "orders":
		// One customer per worker, as directly: the service signs as the customer its
		// API key stands for.
		if len(s.cfg.Customers) < e.Workers {
			return nil, ErrNoCustomers
		}
		customers := make([]string, e.Workers)
		accounts := make([]string, e.Workers)
		for i, k := range s.cfg.Customers[:e.Workers] {
			customers[i], accounts[i] = k.Principal, k.MSPID+"/"+k.User
		}
		if err := e.deposit(ctx, "bench-"+e.Keys.Run+"-s", accounts); err != nil {
			return nil, err
		}
		p.Cleanup = e.consolidateMerchant
		return e.orderSteps(p, func(ctx context.Context, c current, try int, fn string, args map[string]any) error {
			return mutate(ctx, "orders."+fn, customers[c.worker], retryKey(c.id(strings.ToLower(fn[:3])), try), args)
		}), nil
	case "loyalty":
		program, err := e.loyaltyProgram(ctx)
		if err != nil {
			return nil, err
		}
		hot := e.Keys.Account(carrierMSP, "hot")
		return []step{func(ctx context.Context, c current) error {
			id := c.id("earn")
			return mutate(ctx, "loyalty.Earn", byWorker(brand, c.worker), id, map[string]any{"program": program, "id": id, "account": hot, "points": 1})
		}}, nil
	case "verify":
		l, err := e.verifyFixture(ctx)
		if err != nil {
			return nil, err
		}
		return []step{func(ctx context.Context, c current) error {
			return s.call(ctx, "provenance.Verify", "", "", map[string]any{"gtin": l.gtin, "serial": verifySerial(c)}, nil)
		}}, nil
	}
	return nil, fmt.Errorf("no service variant of %s", spec.Name)
}
