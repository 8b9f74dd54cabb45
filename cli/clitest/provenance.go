package clitest

import (
	"context"
	"sort"
	"strconv"

	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
)

type fakeProvenance struct{ v *view }

// gtin14 is the GTIN as the contract stores it.
func gtin14(g string) string {
	n, err := provenance.NormalizeGTIN("gtin", g)
	if err != nil {
		return g
	}
	return n
}

func skey(parts ...string) string {
	out := ""
	for _, p := range parts {
		out += p + "|"
	}
	return out
}

// custodyKey names the custody of a lot or item.
func custodyKey(s ledgerapi.Subject) string {
	if s.Kind == provenance.KindItem {
		return skey("item", gtin14(s.GTIN), s.Serial)
	}
	return skey("lot", gtin14(s.GTIN), s.Lot)
}

func (f *Fake) version(key, txID string, v provenance.ProvenanceVersion) {
	v.TxID, v.Time = txID, Now
	f.history[key] = append([]provenance.ProvenanceVersion{v}, f.history[key]...)
}

func (f *Fake) recordCustody(txID string, c provenance.Custody) {
	kind := provenance.KindLotCustody
	key := skey(kind, c.GTIN, c.Lot)
	if c.Kind == provenance.KindItem {
		kind = provenance.KindItemCustody
		key = skey(kind, c.GTIN, c.Serial)
	}
	cc := c
	f.version(key, txID, provenance.ProvenanceVersion{Custody: &cc})
}

func (p fakeProvenance) RegisterProduct(ctx context.Context, req ledgerapi.RegisterProductRequest) (*ledgerapi.Committed[provenance.Product], error) {
	return mutate(ctx, p.v, "provenance.RegisterProduct", req, func(txID string) (provenance.Product, error) {
		f, g := p.v.f, gtin14(req.GTIN)
		if _, ok := f.products[g]; ok {
			return provenance.Product{}, cxlerr.Errorf(cxlerr.Conflict, "product %s is already registered", g)
		}
		pr := provenance.Product{GTIN: g, Name: req.Name, Owner: p.v.caller, Attributes: req.Attributes, Registered: Now, RegisteredTx: txID}
		f.products[g] = pr
		f.version(skey(provenance.KindProduct, g), txID, provenance.ProvenanceVersion{Product: &pr})
		return pr, nil
	})
}

func (p fakeProvenance) RegisterLot(ctx context.Context, req ledgerapi.RegisterLotRequest) (*ledgerapi.Committed[provenance.ProductLot], error) {
	return mutate(ctx, p.v, "provenance.RegisterLot", req, func(txID string) (provenance.ProductLot, error) {
		f, g := p.v.f, gtin14(req.GTIN)
		pr, ok := f.products[g]
		if !ok {
			return provenance.ProductLot{}, cxlerr.Errorf(cxlerr.NotFound, "product %s is not registered", g)
		}
		if pr.Owner != p.v.caller {
			return provenance.ProductLot{}, cxlerr.Errorf(cxlerr.Forbidden, "product %s belongs to %s", g, pr.Owner)
		}
		k := skey(provenance.KindLot, g, req.Lot)
		if _, ok := f.lots[k]; ok {
			return provenance.ProductLot{}, cxlerr.Errorf(cxlerr.Conflict, "lot %s of %s is already registered", req.Lot, g)
		}
		lot := provenance.ProductLot{GTIN: g, Lot: req.Lot, Owner: pr.Owner, Quantity: req.Quantity, Unit: req.Unit,
			Attributes: req.Attributes, Inputs: req.Inputs, Registered: Now, RegisteredTx: txID}
		f.lots[k] = lot
		f.version(k, txID, provenance.ProvenanceVersion{Lot: &lot})
		c := provenance.Custody{Kind: provenance.KindLot, GTIN: g, Lot: req.Lot, Holder: p.v.caller, Location: req.Location, Since: Now, SinceTx: txID}
		f.custody[custodyKey(ledgerapi.Subject{Kind: provenance.KindLot, GTIN: g, Lot: req.Lot})] = &custodyState{c: c}
		f.recordCustody(txID, c)
		return lot, nil
	})
}

func (p fakeProvenance) RegisterItems(ctx context.Context, req ledgerapi.RegisterItemsRequest) (*ledgerapi.Committed[provenance.ItemsRegistered], error) {
	return mutate(ctx, p.v, "provenance.RegisterItems", req, func(txID string) (provenance.ItemsRegistered, error) {
		f, g := p.v.f, gtin14(req.GTIN)
		lot, ok := f.lots[skey(provenance.KindLot, g, req.Lot)]
		if !ok {
			return provenance.ItemsRegistered{}, cxlerr.Errorf(cxlerr.NotFound, "lot %s of %s is not registered", req.Lot, g)
		}
		holder := f.custody[custodyKey(ledgerapi.Subject{Kind: provenance.KindLot, GTIN: g, Lot: req.Lot})].c.Holder
		seen := map[string]bool{}
		for i, s := range req.Serials {
			if seen[s] {
				return provenance.ItemsRegistered{}, cxlerr.Errorf(cxlerr.Invalid, "serials[%d]: duplicate", i)
			}
			seen[s] = true
		}
		for _, s := range req.Serials {
			if _, ok := f.items[skey(g, s)]; ok {
				return provenance.ItemsRegistered{}, cxlerr.Errorf(cxlerr.Conflict, "item %s/%s is already registered", g, s)
			}
		}
		for _, s := range req.Serials {
			it := provenance.SerialItem{GTIN: g, Serial: s, Lot: req.Lot, Owner: lot.Owner, Registered: Now, RegisteredTx: txID}
			f.items[skey(g, s)] = it
			f.version(skey(provenance.KindItem, g, s), txID, provenance.ProvenanceVersion{Item: &it})
			c := provenance.Custody{Kind: provenance.KindItem, GTIN: g, Lot: req.Lot, Serial: s, Holder: holder, Since: Now, SinceTx: txID}
			f.custody[custodyKey(ledgerapi.Subject{Kind: provenance.KindItem, GTIN: g, Serial: s})] = &custodyState{c: c}
			f.recordCustody(txID, c)
		}
		return provenance.ItemsRegistered{GTIN: g, Lot: req.Lot, Holder: holder, Serials: req.Serials}, nil
	})
}

// custodyOf returns the custody of a subject, NOT_FOUND when there is none.
func (f *Fake) custodyOf(s ledgerapi.Subject) (*custodyState, error) {
	c, ok := f.custody[custodyKey(s)]
	if !ok {
		return nil, cxlerr.Errorf(cxlerr.NotFound, "%s %s is not registered", s.Kind, describe(s))
	}
	return c, nil
}

func describe(s ledgerapi.Subject) string {
	switch s.Kind {
	case provenance.KindLot, provenance.KindLotCustody:
		return gtin14(s.GTIN) + "/" + s.Lot
	case provenance.KindItem, provenance.KindItemCustody:
		return gtin14(s.GTIN) + "/" + s.Serial
	}
	return gtin14(s.GTIN)
}

func (p fakeProvenance) OfferCustody(ctx context.Context, req ledgerapi.OfferCustodyRequest) (*ledgerapi.Committed[provenance.Custody], error) {
	return mutate(ctx, p.v, "provenance.OfferCustody", req, func(txID string) (provenance.Custody, error) {
		cs, err := p.v.f.custodyOf(req.Subject)
		if err != nil {
			return provenance.Custody{}, err
		}
		if cs.c.Holder != p.v.caller {
			return provenance.Custody{}, cxlerr.Errorf(cxlerr.Forbidden, "%s holds %s, not %s", cs.c.Holder, describe(req.Subject), p.v.caller)
		}
		if cs.c.Offer != nil {
			return provenance.Custody{}, cxlerr.Errorf(cxlerr.Conflict, "%s is already offered to %s", describe(req.Subject), cs.c.Offer.To)
		}
		cs.c.Offer = &provenance.CustodyOffer{To: req.To, Location: req.Location, At: Now, TxID: txID}
		p.v.f.recordCustody(txID, cs.c)
		return cs.c, nil
	})
}

func (p fakeProvenance) settle(ctx context.Context, op string, s ledgerapi.Subject, req any, byReceiver bool, accept bool) (*ledgerapi.Committed[provenance.Custody], error) {
	return mutate(ctx, p.v, op, req, func(txID string) (provenance.Custody, error) {
		cs, err := p.v.f.custodyOf(s)
		if err != nil {
			return provenance.Custody{}, err
		}
		if cs.c.Offer == nil {
			return provenance.Custody{}, cxlerr.Errorf(cxlerr.Conflict, "%s has no pending handover", describe(s))
		}
		who := cs.c.Holder
		if byReceiver {
			who = cs.c.Offer.To
		}
		if who != p.v.caller {
			return provenance.Custody{}, cxlerr.Errorf(cxlerr.Forbidden, "only %s may do this", who)
		}
		if accept {
			cs.c.Holder, cs.c.Location, cs.c.Since, cs.c.SinceTx = cs.c.Offer.To, cs.c.Offer.Location, Now, txID
		}
		cs.c.Offer = nil
		p.v.f.recordCustody(txID, cs.c)
		return cs.c, nil
	})
}

func (p fakeProvenance) AcceptCustody(ctx context.Context, req ledgerapi.CustodyRequest) (*ledgerapi.Committed[provenance.Custody], error) {
	return p.settle(ctx, "provenance.AcceptCustody", req.Subject, req, true, true)
}

func (p fakeProvenance) RejectCustody(ctx context.Context, req ledgerapi.RejectCustodyRequest) (*ledgerapi.Committed[provenance.Custody], error) {
	return p.settle(ctx, "provenance.RejectCustody", req.Subject, req, true, false)
}

func (p fakeProvenance) WithdrawCustodyOffer(ctx context.Context, req ledgerapi.CustodyRequest) (*ledgerapi.Committed[provenance.Custody], error) {
	return p.settle(ctx, "provenance.WithdrawCustodyOffer", req.Subject, req, false, false)
}

func certKey(s ledgerapi.Subject, id string) string { return skey(s.Kind, describe(s), id) }

func (p fakeProvenance) IssueCertificate(ctx context.Context, req ledgerapi.IssueCertificateRequest) (*ledgerapi.Committed[provenance.Certificate], error) {
	return mutate(ctx, p.v, "provenance.IssueCertificate", req, func(txID string) (provenance.Certificate, error) {
		f := p.v.f
		if _, ok := f.products[gtin14(req.Subject.GTIN)]; !ok {
			return provenance.Certificate{}, cxlerr.Errorf(cxlerr.NotFound, "product %s is not registered", gtin14(req.Subject.GTIN))
		}
		k := certKey(req.Subject, req.ID)
		if _, ok := f.certs[k]; ok {
			return provenance.Certificate{}, cxlerr.Errorf(cxlerr.Conflict, "certificate %s exists", req.ID)
		}
		s := req.Subject
		s.GTIN = gtin14(s.GTIN)
		c := provenance.Certificate{ID: req.ID, Subject: s, Issuer: p.v.caller, Type: req.Type, Hash: req.Hash,
			ValidFrom: req.ValidFrom, ValidUntil: req.ValidUntil, Issued: Now, IssuedTx: txID}
		f.certs[k] = c
		return c, nil
	})
}

func (p fakeProvenance) RevokeCertificate(ctx context.Context, req ledgerapi.RevokeCertificateRequest) (*ledgerapi.Committed[provenance.Certificate], error) {
	return mutate(ctx, p.v, "provenance.RevokeCertificate", req, func(txID string) (provenance.Certificate, error) {
		f := p.v.f
		k := certKey(req.Subject, req.ID)
		c, ok := f.certs[k]
		if !ok {
			return provenance.Certificate{}, cxlerr.Errorf(cxlerr.NotFound, "no certificate %s about %s", req.ID, describe(req.Subject))
		}
		if c.Revocation != nil {
			return provenance.Certificate{}, cxlerr.Errorf(cxlerr.Conflict, "certificate %s is already revoked", req.ID)
		}
		c.Revocation = &provenance.CertificateRevocation{Reason: req.Reason, At: Now, TxID: txID}
		f.certs[k] = c
		return c, nil
	})
}

func (p fakeProvenance) RecallLot(ctx context.Context, req ledgerapi.RecallLotRequest) (*ledgerapi.Committed[provenance.ProductLot], error) {
	return mutate(ctx, p.v, "provenance.RecallLot", req, func(txID string) (provenance.ProductLot, error) {
		f := p.v.f
		k := skey(provenance.KindLot, gtin14(req.GTIN), req.Lot)
		lot, ok := f.lots[k]
		if !ok {
			return provenance.ProductLot{}, cxlerr.Errorf(cxlerr.NotFound, "lot %s of %s is not registered", req.Lot, gtin14(req.GTIN))
		}
		if lot.Recall != nil {
			return provenance.ProductLot{}, cxlerr.Errorf(cxlerr.Conflict, "lot %s is already recalled", req.Lot)
		}
		lot.Recall = &provenance.LotRecall{Reason: req.Reason, At: Now, TxID: txID}
		f.lots[k] = lot
		f.version(k, txID, provenance.ProvenanceVersion{Lot: &lot})
		return lot, nil
	})
}

// page cuts a page out of n entries: from the bookmark (an offset) up to size (default
// def), and the bookmark of the next page.
func page(n, size, def int, bookmark string) (from, to int, next string) {
	if size <= 0 {
		size = def
	}
	from, _ = strconv.Atoi(bookmark)
	from = min(from, n)
	to = min(from+size, n)
	if to < n {
		next = strconv.Itoa(to)
	}
	return from, to, next
}

func (p fakeProvenance) Trace(_ context.Context, req ledgerapi.TraceRequest) (*provenance.LotTrace, error) {
	if err := validate(&req); err != nil {
		return nil, err
	}
	if err := query(p.v, "provenance.Trace", req); err != nil {
		return nil, err
	}
	f := p.v.f
	f.mu.Lock()
	defer f.mu.Unlock()
	g := gtin14(req.GTIN)
	lot, ok := f.lots[skey(provenance.KindLot, g, req.Lot)]
	if !ok {
		return nil, cxlerr.Errorf(cxlerr.NotFound, "lot %s of %s is not registered", req.Lot, g)
	}
	cs := f.custody[custodyKey(ledgerapi.Subject{Kind: provenance.KindLot, GTIN: g, Lot: req.Lot})]
	tl := provenance.TraceLot{GTIN: g, Lot: lot.Lot, Owner: lot.Owner, Quantity: lot.Quantity, Unit: lot.Unit, Inputs: lot.Inputs, Holder: cs.c.Holder, Recall: lot.Recall}
	if cs.c.Offer != nil {
		tl.OfferedTo = cs.c.Offer.To
	}
	var items []provenance.TraceItem
	for _, it := range f.items {
		if it.GTIN == g && it.Lot == req.Lot {
			c := f.custody[custodyKey(ledgerapi.Subject{Kind: provenance.KindItem, GTIN: g, Serial: it.Serial})].c
			ti := provenance.TraceItem{GTIN: g, Lot: it.Lot, Serial: it.Serial, Holder: c.Holder}
			if c.Offer != nil {
				ti.OfferedTo = c.Offer.To
			}
			items = append(items, ti)
		}
	}
	sort.Slice(items, func(i, j int) bool { return items[i].Serial < items[j].Serial })
	from, to, next := page(len(items), req.PageSize, 1000, req.Bookmark)
	return &provenance.LotTrace{Lot: tl, Upstream: []provenance.TraceLot{}, Downstream: []provenance.TraceLot{}, Items: items[from:to], Bookmark: next}, nil
}

func (p fakeProvenance) Verify(_ context.Context, req ledgerapi.VerifyRequest) (*provenance.Verification, error) {
	if err := validate(&req); err != nil {
		return nil, err
	}
	if err := query(p.v, "provenance.Verify", req); err != nil {
		return nil, err
	}
	f := p.v.f
	f.mu.Lock()
	defer f.mu.Unlock()
	g := gtin14(req.GTIN)
	v := &provenance.Verification{GTIN: g, Serial: req.Serial, CheckedAt: Now}
	it, ok := f.items[skey(g, req.Serial)]
	if !ok {
		return v, nil
	}
	pr, lot := f.products[g], f.lots[skey(provenance.KindLot, g, it.Lot)]
	c := f.custody[custodyKey(ledgerapi.Subject{Kind: provenance.KindItem, GTIN: g, Serial: req.Serial})].c
	v.Genuine, v.Product, v.Lot, v.Custody = true, &pr, &lot, &c
	v.ItemCustody = []provenance.CustodyStep{{Holder: c.Holder, Location: c.Location, Since: c.Since, TxID: c.SinceTx}}
	if lot.Recall != nil {
		v.Recalled = true
		v.Recalls = []provenance.RecallNotice{{GTIN: g, Lot: lot.Lot, Reason: lot.Recall.Reason, At: lot.Recall.At}}
	}
	for _, cert := range f.certs {
		if cert.Subject.GTIN == g && cert.ValidAt(Now) {
			v.Certificates = append(v.Certificates, cert)
		}
	}
	return v, nil
}

func (p fakeProvenance) History(_ context.Context, req ledgerapi.HistoryRequest) (*provenance.ProvenanceHistory, error) {
	if err := validate(&req); err != nil {
		return nil, err
	}
	if err := query(p.v, "provenance.History", req); err != nil {
		return nil, err
	}
	f := p.v.f
	f.mu.Lock()
	defer f.mu.Unlock()
	g := gtin14(req.GTIN)
	var key string
	switch req.Kind {
	case provenance.KindProduct:
		key = skey(req.Kind, g)
	case provenance.KindLot, provenance.KindLotCustody:
		key = skey(req.Kind, g, req.Lot)
	default:
		key = skey(req.Kind, g, req.Serial)
		if req.Kind == provenance.KindItemCustody {
			if _, ok := f.items[skey(g, req.Serial)]; !ok {
				return nil, cxlerr.Errorf(cxlerr.NotFound, "item %s/%s is not registered", g, req.Serial)
			}
		}
	}
	vs := f.history[key]
	from, to, next := page(len(vs), req.PageSize, 100, req.Bookmark)
	return &provenance.ProvenanceHistory{Versions: append([]provenance.ProvenanceVersion{}, vs[from:to]...), Bookmark: next}, nil
}
