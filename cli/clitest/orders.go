package clitest

import (
	"context"
	"sort"
	"time"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
)

// account is the customer account of the caller: "<MSP>/User1".
func (v *view) account() string { return v.caller + "/User1" }

type fakeOrders struct{ v *view }

func bal(account, currency string) string { return account + "|" + currency }

func (o fakeOrders) RegisterCurrency(ctx context.Context, req ledgerapi.RegisterCurrencyRequest) (*ledgerapi.Committed[orders.SettlementCurrency], error) {
	return mutate(ctx, o.v, "orders.RegisterCurrency", req, func(txID string) (orders.SettlementCurrency, error) {
		f := o.v.f
		if _, ok := f.currencies[req.Currency]; ok {
			return orders.SettlementCurrency{}, cxlerr.Errorf(cxlerr.Conflict, "currency %s is already registered", req.Currency)
		}
		c := &orders.SettlementCurrency{Code: req.Currency, Issuer: o.v.caller, Registered: Now, RegisteredTx: txID}
		f.currencies[req.Currency] = c
		return *c, nil
	})
}

func (o fakeOrders) transfer(txID, kind, ref, currency string, entries []orders.TransferEntry, sign ledger.Amount) (orders.SettlementTransfer, error) {
	f := o.v.f
	c, ok := f.currencies[currency]
	if !ok {
		return orders.SettlementTransfer{}, cxlerr.Errorf(cxlerr.NotFound, "currency %s is not registered", currency)
	}
	if c.Issuer != o.v.caller {
		return orders.SettlementTransfer{}, cxlerr.Errorf(cxlerr.Forbidden, "only the issuer %s moves %s", c.Issuer, currency)
	}
	if f.transfers[c.Issuer+"|"+ref] {
		return orders.SettlementTransfer{}, cxlerr.Errorf(cxlerr.Conflict, "transfer %s was made already", ref)
	}
	var total ledger.Amount
	for _, e := range entries {
		if sign < 0 && f.balances[bal(e.Account, currency)] < e.Amount {
			return orders.SettlementTransfer{}, cxlerr.Errorf(cxlerr.InsufficientFunds, "%s holds %d %s", e.Account, f.balances[bal(e.Account, currency)], currency)
		}
		total += e.Amount
	}
	for _, e := range entries {
		f.balances[bal(e.Account, currency)] += sign * e.Amount
	}
	f.transfers[c.Issuer+"|"+ref] = true
	c.Outstanding += sign * total
	return orders.SettlementTransfer{Ref: ref, Kind: kind, Issuer: c.Issuer, Currency: currency, Entries: entries, Total: total,
		Outstanding: c.Outstanding, Time: Now, TxID: txID}, nil
}

func (o fakeOrders) Deposit(ctx context.Context, req ledgerapi.DepositRequest) (*ledgerapi.Committed[orders.SettlementTransfer], error) {
	return mutate(ctx, o.v, "orders.Deposit", req, func(txID string) (orders.SettlementTransfer, error) {
		return o.transfer(txID, "deposit", req.Ref, req.Currency, req.Credits, 1)
	})
}

func (o fakeOrders) Withdraw(ctx context.Context, req ledgerapi.WithdrawRequest) (*ledgerapi.Committed[orders.SettlementTransfer], error) {
	return mutate(ctx, o.v, "orders.Withdraw", req, func(txID string) (orders.SettlementTransfer, error) {
		return o.transfer(txID, "withdrawal", req.Ref, req.Currency, []orders.TransferEntry{{Account: req.Account, Amount: req.Amount}}, -1)
	})
}

func (o fakeOrders) Consolidate(ctx context.Context, req ledgerapi.AccountRequest) (*ledgerapi.Committed[orders.Consolidation], error) {
	return mutate(ctx, o.v, "orders.Consolidate", req, func(string) (orders.Consolidation, error) {
		return orders.Consolidation{Account: req.Account, Currency: req.Currency, Merged: 1, Amount: o.v.f.balances[bal(req.Account, req.Currency)]}, nil
	})
}

func (o fakeOrders) Place(ctx context.Context, req ledgerapi.PlaceOrderRequest) (*ledgerapi.Committed[orders.Order], error) {
	return mutate(ctx, o.v, "orders.Place", req, func(txID string) (orders.Order, error) {
		f := o.v.f
		if _, ok := f.orders[req.ID]; ok {
			return orders.Order{}, cxlerr.Errorf(cxlerr.Conflict, "order %s exists", req.ID)
		}
		if _, ok := f.currencies[req.Currency]; !ok {
			return orders.Order{}, cxlerr.Errorf(cxlerr.NotFound, "currency %s is not registered", req.Currency)
		}
		acct := o.v.account()
		if f.balances[bal(acct, req.Currency)] < req.Amount {
			return orders.Order{}, cxlerr.Errorf(cxlerr.InsufficientFunds, "%s holds %d %s, the order needs %d", acct, f.balances[bal(acct, req.Currency)], req.Currency, req.Amount)
		}
		f.balances[bal(acct, req.Currency)] -= req.Amount
		ord := &orders.Order{ID: req.ID, Customer: acct, Merchant: req.Merchant, Carrier: req.Carrier, Arbiter: req.Arbiter, Items: req.Items,
			Amount: req.Amount, Currency: req.Currency, State: orders.StatePlaced, Deadline: req.Deadline, ReturnDays: req.ReturnDays,
			Placed: Now, PlacedTx: txID, Updated: Now, UpdatedTx: txID}
		f.orders[req.ID] = ord
		return *ord, nil
	})
}

// transition moves an order from one of the states from, applying change.
func (o fakeOrders) transition(ctx context.Context, op, id string, req any, from []orders.State, change func(txID string, ord *orders.Order) error) (*ledgerapi.Committed[orders.Order], error) {
	return mutate(ctx, o.v, op, req, func(txID string) (orders.Order, error) {
		ord, ok := o.v.f.orders[id]
		if !ok {
			return orders.Order{}, cxlerr.Errorf(cxlerr.NotFound, "order %s does not exist", id)
		}
		allowed := false
		for _, s := range from {
			allowed = allowed || ord.State == s
		}
		if !allowed {
			return orders.Order{}, cxlerr.Errorf(cxlerr.Conflict, "order %s is %s", id, ord.State)
		}
		if err := change(txID, ord); err != nil {
			return orders.Order{}, err
		}
		ord.Updated, ord.UpdatedTx = Now, txID
		return *ord, nil
	})
}

func (o fakeOrders) ConfirmDelivery(ctx context.Context, req ledgerapi.OrderRequest) (*ledgerapi.Committed[orders.Order], error) {
	return o.transition(ctx, "orders.ConfirmDelivery", req.ID, req, []orders.State{orders.StatePlaced}, func(txID string, ord *orders.Order) error {
		t := Now
		ord.State, ord.Delivered, ord.DeliveredBy, ord.Released = orders.StateDelivered, &t, o.v.account(), ord.Amount-ord.Refunded
		if ord.ReturnDays > 0 {
			rb := Now.Add(time.Duration(ord.ReturnDays) * 24 * time.Hour)
			ord.ReturnBy = &rb
		}
		o.v.f.balances[bal(ord.Merchant, ord.Currency)] += ord.Released
		return nil
	})
}

func (o fakeOrders) Refund(ctx context.Context, req ledgerapi.RefundRequest) (*ledgerapi.Committed[orders.Order], error) {
	return o.transition(ctx, "orders.Refund", req.ID, req, []orders.State{orders.StatePlaced, orders.StateDelivered, orders.StateReturning}, func(txID string, ord *orders.Order) error {
		for _, r := range ord.Refunds {
			if r.ID == req.RefundID {
				return cxlerr.Errorf(cxlerr.Conflict, "refund %s of order %s was made already", req.RefundID, ord.ID)
			}
		}
		amt := ord.Remaining()
		if req.Amount != nil {
			amt = *req.Amount
		}
		if amt > ord.Remaining() {
			return cxlerr.Errorf(cxlerr.Invalid, "amount %d exceeds the %d not yet refunded", amt, ord.Remaining())
		}
		ord.Refunded += amt
		ord.Refunds = append(ord.Refunds, orders.Refund{ID: req.RefundID, Amount: amt, Reason: req.Reason, By: o.v.caller, Time: Now, TxID: txID})
		o.v.f.balances[bal(ord.Customer, ord.Currency)] += amt
		if ord.Remaining() == 0 {
			ord.State = orders.StateRefunded
		}
		return nil
	})
}

func (o fakeOrders) RequestReturn(ctx context.Context, req ledgerapi.OrderReasonRequest) (*ledgerapi.Committed[orders.Order], error) {
	return o.transition(ctx, "orders.RequestReturn", req.ID, req, []orders.State{orders.StateDelivered}, func(_ string, ord *orders.Order) error {
		ord.State = orders.StateReturning
		return nil
	})
}

func (o fakeOrders) ReceiveReturn(ctx context.Context, req ledgerapi.OrderRequest) (*ledgerapi.Committed[orders.Order], error) {
	return o.transition(ctx, "orders.ReceiveReturn", req.ID, req, []orders.State{orders.StateReturning}, func(txID string, ord *orders.Order) error {
		rest := ord.Remaining()
		ord.Refunded += rest
		ord.Refunds = append(ord.Refunds, orders.Refund{Amount: rest, Reason: "returned", By: o.v.caller, Time: Now, TxID: txID})
		ord.State = orders.StateReturned
		return nil
	})
}

func (o fakeOrders) OpenDispute(ctx context.Context, req ledgerapi.OrderReasonRequest) (*ledgerapi.Committed[orders.Order], error) {
	return o.transition(ctx, "orders.OpenDispute", req.ID, req, []orders.State{orders.StateDelivered, orders.StateReturning}, func(_ string, ord *orders.Order) error {
		if ord.Arbiter == "" {
			return cxlerr.Errorf(cxlerr.Conflict, "order %s names no arbiter", ord.ID)
		}
		ord.Dispute = &orders.Dispute{OpenedBy: o.v.caller, From: ord.State, Reason: req.Reason, Opened: Now}
		ord.State = orders.StateDisputed
		return nil
	})
}

func (o fakeOrders) ResolveDispute(ctx context.Context, req ledgerapi.ResolveDisputeRequest) (*ledgerapi.Committed[orders.Order], error) {
	return o.transition(ctx, "orders.ResolveDispute", req.ID, req, []orders.State{orders.StateDisputed}, func(_ string, ord *orders.Order) error {
		t := Now
		ord.Dispute.Refund, ord.Dispute.Resolved = *req.Refund, &t
		ord.Refunded += *req.Refund
		ord.State = orders.StateResolved
		return nil
	})
}

func (o fakeOrders) Sweep(ctx context.Context, req ledgerapi.SweepOrdersRequest) (*ledgerapi.Committed[orders.OrderSweep], error) {
	return mutate(ctx, o.v, "orders.Sweep", req, func(txID string) (orders.OrderSweep, error) {
		f := o.v.f
		sw := orders.OrderSweep{Refunded: []orders.SweptOrder{}}
		ids := make([]string, 0, len(f.orders))
		for id := range f.orders {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		limit := req.Limit
		if limit == 0 {
			limit = 20
		}
		for _, id := range ids {
			ord := f.orders[id]
			if ord.State == orders.StatePlaced && ord.Deadline.Before(Now) {
				if len(sw.Refunded) == limit {
					sw.Remaining++
					continue
				}
				amt := ord.Remaining()
				ord.Refunded, ord.State = ord.Amount, orders.StateRefunded
				f.balances[bal(ord.Customer, ord.Currency)] += amt
				sw.Refunded = append(sw.Refunded, orders.SweptOrder{ID: id, Merchant: ord.Merchant, Currency: ord.Currency, Amount: amt, Deadline: ord.Deadline})
			}
		}
		return sw, nil
	})
}

func (o fakeOrders) GetOrder(_ context.Context, req ledgerapi.OrderRequest) (*orders.Order, error) {
	if err := validate(&req); err != nil {
		return nil, err
	}
	if err := query(o.v, "orders.GetOrder", req); err != nil {
		return nil, err
	}
	f := o.v.f
	f.mu.Lock()
	defer f.mu.Unlock()
	ord, ok := f.orders[req.ID]
	if !ok {
		return nil, cxlerr.Errorf(cxlerr.NotFound, "order %s does not exist", req.ID)
	}
	c := *ord
	return &c, nil
}

func (o fakeOrders) list(keep func(*orders.Order) bool, size int, bookmark string) *orders.OrderPage {
	f := o.v.f
	f.mu.Lock()
	defer f.mu.Unlock()
	var all []orders.Order
	for _, ord := range f.orders {
		if keep(ord) {
			all = append(all, *ord)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	from, to, next := page(len(all), size, 50, bookmark)
	return &orders.OrderPage{Orders: append([]orders.Order{}, all[from:to]...), Bookmark: next}
}

func (o fakeOrders) CustomerOrders(_ context.Context, req ledgerapi.CustomerOrdersRequest) (*orders.OrderPage, error) {
	if err := validate(&req); err != nil {
		return nil, err
	}
	if err := query(o.v, "orders.CustomerOrders", req); err != nil {
		return nil, err
	}
	customer := req.Customer
	if customer == "" {
		customer = o.v.account()
	}
	return o.list(func(ord *orders.Order) bool { return ord.Customer == customer }, req.PageSize, req.Bookmark), nil
}

func (o fakeOrders) MerchantOrders(_ context.Context, req ledgerapi.MerchantOrdersRequest) (*orders.OrderPage, error) {
	if err := validate(&req); err != nil {
		return nil, err
	}
	if err := query(o.v, "orders.MerchantOrders", req); err != nil {
		return nil, err
	}
	return o.list(func(ord *orders.Order) bool {
		return ord.Merchant == req.Merchant && (req.State == "" || ord.State == req.State)
	}, req.PageSize, req.Bookmark), nil
}

func (o fakeOrders) Balance(_ context.Context, req ledgerapi.AccountRequest) (*orders.SettlementBalance, error) {
	if err := validate(&req); err != nil {
		return nil, err
	}
	if err := query(o.v, "orders.Balance", req); err != nil {
		return nil, err
	}
	f := o.v.f
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.currencies[req.Currency]; !ok {
		return nil, cxlerr.Errorf(cxlerr.NotFound, "currency %s is not registered", req.Currency)
	}
	b := f.balances[bal(req.Account, req.Currency)]
	lots := 0
	if b > 0 {
		lots = 1
	}
	return &orders.SettlementBalance{Account: req.Account, Currency: req.Currency, Balance: b, Lots: lots}, nil
}

func (o fakeOrders) Currencies(context.Context) ([]orders.SettlementCurrency, error) {
	if err := query(o.v, "orders.Currencies", nil); err != nil {
		return nil, err
	}
	f := o.v.f
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []orders.SettlementCurrency{}
	for _, c := range f.currencies {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out, nil
}
