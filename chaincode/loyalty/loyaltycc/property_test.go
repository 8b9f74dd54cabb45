package loyaltycc_test

import (
	"cmp"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/loyalty"
	"github.com/cxledger/cxledger/cxlerr"
)

// The model is a plain bookkeeping of the rules in the package
// documentation, with points kept per account as amounts per expiry date
// instead of lots.

// buckets are an account's points by expiry.
type buckets map[time.Time]ledgertypes.Amount

type modelPortion struct {
	points, restored ledgertypes.Amount
	expires          time.Time
}

type modelRedemption struct {
	id                                 string
	points, base, value, valueReversed ledgertypes.Amount
	restored                           ledgertypes.Amount
	atPartner                          bool
	portions                           []modelPortion // soonest first
}

type modelEarn struct {
	points, base, takenBack ledgertypes.Amount
	expires                 time.Time
}

type modelOrder struct {
	id               string
	customer         who
	merchant         who
	amount, refunded ledgertypes.Amount
	state            string // placed, delivered, refunded
	earn             *modelEarn
	reds             []*modelRedemption
}

type model struct {
	now    time.Time
	points map[string]buckets
	debt   map[string]ledgertypes.Amount
	// owed is what Acme owes Bistro, net.
	owed   ledgertypes.Amount
	orders []*modelOrder
}

func (m *model) usable(account string) ledgertypes.Amount {
	var sum ledgertypes.Amount
	for exp, n := range m.points[account] {
		if m.now.Before(exp) {
			sum += n
		}
	}
	return sum
}

func (m *model) expired(account string) ledgertypes.Amount {
	var sum ledgertypes.Amount
	for exp, n := range m.points[account] {
		if !m.now.Before(exp) {
			sum += n
		}
	}
	return sum
}

// take removes n unexpired points of account in the order of expiries and
// returns what it took, by expiry in that order.
func (m *model) take(account string, n ledgertypes.Amount, order []time.Time) []modelPortion {
	var took []modelPortion
	b := m.points[account]
	for _, exp := range order {
		if n == 0 {
			break
		}
		if !m.now.Before(exp) || b[exp] == 0 {
			continue
		}
		k := min(b[exp], n)
		b[exp] -= k
		if b[exp] == 0 {
			delete(b, exp)
		}
		n -= k
		took = append(took, modelPortion{points: k, expires: exp})
	}
	return took
}

func (m *model) add(account string, n ledgertypes.Amount, exp time.Time) {
	if m.points[account] == nil {
		m.points[account] = buckets{}
	}
	m.points[account][exp] += n
}

// spend is a redemption or transfer: the debt first, then points,
// soonest-expiring first. It returns the points' portions, or false when
// the account cannot afford it.
func (m *model) spend(account string, points ledgertypes.Amount) ([]modelPortion, bool) {
	if m.usable(account)-m.debt[account] < points {
		return nil, false
	}
	order := slices.SortedFunc(maps.Keys(m.points[account]), time.Time.Compare)
	m.take(account, m.debt[account], order)
	m.debt[account] = 0
	return m.take(account, points, order), true
}

// share is points * (what was refunded of base) / base.
func share(o *modelOrder, points, base ledgertypes.Amount) ledgertypes.Amount {
	since := min(max(o.refunded-(o.amount-base), 0), base)
	return ledgertypes.Amount(int64(points) * int64(since) / int64(base))
}

// refund applies the reversal rules to an order whose refunded total changed.
func (m *model) refund(o *modelOrder) {
	account := o.customer.account()
	var shortfall ledgertypes.Amount
	if e := o.earn; e != nil {
		delta := share(o, e.points, e.base) - e.takenBack
		e.takenBack += delta
		order := []time.Time{e.expires}
		rest := slices.SortedFunc(maps.Keys(m.points[account]), time.Time.Compare)
		slices.Reverse(rest)
		order = append(order, slices.DeleteFunc(rest, func(t time.Time) bool { return t.Equal(e.expires) })...)
		var took ledgertypes.Amount
		for _, p := range m.take(account, delta, order) {
			took += p.points
		}
		shortfall = delta - took
	}
	type piece struct {
		points  ledgertypes.Amount
		expires time.Time
	}
	var pieces []piece
	for _, r := range o.reds {
		target := share(o, r.points, r.base)
		left := target - r.restored
		r.restored = target
		for i := len(r.portions) - 1; i >= 0 && left > 0; i-- {
			n := min(r.portions[i].points-r.portions[i].restored, left)
			r.portions[i].restored += n
			left -= n
			if n > 0 && m.now.Before(r.portions[i].expires) {
				pieces = append(pieces, piece{n, r.portions[i].expires})
			}
		}
		if r.atPartner {
			reversed := r.value - (r.points-r.restored)/2
			m.owed -= reversed - r.valueReversed
			r.valueReversed = reversed
		}
	}
	slices.SortStableFunc(pieces, func(a, b piece) int { return a.expires.Compare(b.expires) })
	for _, p := range pieces {
		pay := min(p.points, shortfall)
		shortfall -= pay
		if p.points > pay {
			m.add(account, p.points-pay, p.expires)
		}
	}
	m.debt[account] += shortfall
}

// totals are what the contract's results say happened, for conservation.
type totals struct {
	earned, redeemed, swept, reversed ledgertypes.Amount
	partnerValue, valueReversed       ledgertypes.Amount
}

func (tot *totals) reversal(rev *loyalty.Reversal) {
	if rev.TakenBack != nil {
		tot.reversed += rev.TakenBack.Points
	}
	for _, r := range rev.Restored {
		tot.reversed -= r.Points - r.Forfeited
		tot.valueReversed += r.ValueReversed
	}
}

// TestPointsConserved runs random sequences of earns, deliveries,
// redemptions (at the issuer and a partner, with and without an order),
// transfers, refunds, expiry and sweeps against the model, and checks after
// every step that each account's balance matches the model, that points are
// conserved, and that settlement statements net to the partner redemptions.
func TestPointsConserved(t *testing.T) {
	seen := map[string]int{}
	for seed := range 12 {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { runModel(t, uint64(seed), 100, seen) })
	}
	// The sequences must reach every rule, or the property proves little.
	for _, c := range []string{"overspend", "partner", "against order", "transfer", "take back", "debt", "restore", "forfeit", "expired", "swept"} {
		if seen[c] == 0 {
			t.Errorf("no sequence reached %q: %v", c, seen)
		}
	}
}

// runModel runs steps random operations from seed, counting in seen the
// rules they reached.
func runModel(t *testing.T, seed uint64, steps int, seen map[string]int) {
	rng := rand.New(rand.NewPCG(seed, 7))
	e := newEnv(t)
	customers := []who{alice, bob, carol}
	e.fund(1_000_000_000, customers...)
	m := &model{now: t0, points: map[string]buckets{}, debt: map[string]ledgertypes.Amount{}}
	var tot totals
	expiry := func() time.Time { return m.now.AddDate(0, 0, 365) }
	n := 0
	id := func(prefix string) string { n++; return fmt.Sprintf("%s%04d", prefix, n) }
	pick := func() who { return customers[rng.IntN(len(customers))] }

	for step := range steps {
		what := ""
		switch op := rng.IntN(100); {
		case op < 18: // earn at the issuer
			w, amount := pick(), ledgertypes.Amount(100+rng.IntN(20000))
			what = fmt.Sprintf("earn %d for %s", amount, w.cn)
			got := e.earn(id("e"), w, amount)
			m.add(w.account(), amount/100, expiry())
			tot.earned += got.Points

		case op < 38: // redeem, maybe against an order
			w := pick()
			merchant := []who{acme, bistro}[rng.IntN(2)]
			points := ledgertypes.Amount(1 + rng.IntN(int(max(m.usable(w.account())-m.debt[w.account()], 0))+40))
			args := map[string]any{"program": "acme", "id": id("r"), "account": w.account(), "points": points, "merchant": merchant.msp}
			var against *modelOrder
			for _, o := range m.orders {
				if o.customer == w && o.merchant == merchant && o.state != "refunded" && rng.IntN(2) == 0 {
					against = o
					args["order"] = o.id
				}
			}
			what = fmt.Sprintf("%s redeems %d at %s against %v", w.cn, points, merchant.msp, args["order"])
			portions, ok := m.spend(w.account(), points)
			r, err := do(e, w, e.lc.Redeem, js(args))
			if !ok {
				if cxlerr.CodeOf(err) != cxlerr.InsufficientFunds {
					t.Fatalf("step %d, %s: %v, want INSUFFICIENT_FUNDS", step, what, err)
				}
				seen["overspend"]++
				break
			}
			if err != nil {
				t.Fatalf("step %d, %s: %v", step, what, err)
			}
			mr := &modelRedemption{id: r.ID, points: points, portions: portions, atPartner: merchant == bistro}
			if mr.atPartner {
				mr.value = points / 2
				m.owed += mr.value
				tot.partnerValue += r.Value
				seen["partner"]++
			}
			if against != nil {
				seen["against order"]++
				mr.base = against.amount - against.refunded
				against.reds = append(against.reds, mr)
				slices.SortFunc(against.reds, func(a, b *modelRedemption) int { return cmp.Compare(a.id, b.id) })
			}
			tot.redeemed += r.Points

		case op < 46: // transfer
			from, to := pick(), pick()
			if from == to {
				continue
			}
			points := ledgertypes.Amount(1 + rng.IntN(int(max(m.usable(from.account())-m.debt[from.account()], 0))+20))
			what = fmt.Sprintf("%s transfers %d to %s", from.cn, points, to.cn)
			portions, ok := m.spend(from.account(), points)
			_, err := do(e, from, e.lc.Transfer, js(map[string]any{"program": "acme", "id": id("t"), "account": from.account(), "to": to.account(), "points": points}))
			if !ok {
				if cxlerr.CodeOf(err) != cxlerr.InsufficientFunds {
					t.Fatalf("step %d, %s: %v, want INSUFFICIENT_FUNDS", step, what, err)
				}
				break
			}
			if err != nil {
				t.Fatalf("step %d, %s: %v", step, what, err)
			}
			for _, p := range portions {
				m.add(to.account(), p.points, p.expires)
			}
			seen["transfer"]++

		case op < 58: // place an order
			w, merchant := pick(), []who{acme, bistro}[rng.IntN(2)]
			o := &modelOrder{id: id("o"), customer: w, merchant: merchant, amount: ledgertypes.Amount(100 + rng.IntN(30000)), state: "placed"}
			what = fmt.Sprintf("%s places %s of %d at %s", w.cn, o.id, o.amount, merchant.msp)
			e.place(o.id, w, merchant, o.amount)
			m.orders = append(m.orders, o)

		case op < 70: // deliver an order
			placed := slices.DeleteFunc(slices.Clone(m.orders), func(o *modelOrder) bool { return o.state != "placed" || o.refunded == o.amount })
			if len(placed) == 0 {
				continue
			}
			o := placed[rng.IntN(len(placed))]
			what = "deliver " + o.id
			e.deliver(o.id, o.customer)
			o.state = "delivered"
			var got loyalty.Earn
			if e.related(&got) {
				tot.earned += got.Points
			}
			if base := o.amount - o.refunded; o.merchant == acme && base >= 100 {
				o.earn = &modelEarn{points: base / 100, base: base, expires: expiry()}
				m.add(o.customer.account(), o.earn.points, o.earn.expires)
			}

		case op < 85: // refund all or part of an order
			open := slices.DeleteFunc(slices.Clone(m.orders), func(o *modelOrder) bool { return o.state == "refunded" })
			if len(open) == 0 {
				continue
			}
			o := open[rng.IntN(len(open))]
			amount := o.amount - o.refunded
			if rng.IntN(2) == 0 {
				amount = ledgertypes.Amount(1 + rng.IntN(int(amount)))
			}
			what = fmt.Sprintf("refund %d of %s", amount, o.id)
			e.refund(o.id, id("rf"), o.merchant, amount)
			o.refunded += amount
			if o.refunded == o.amount {
				o.state = "refunded"
			}
			var rev loyalty.Reversal
			if e.related(&rev) {
				tot.reversal(&rev)
				if rev.TakenBack != nil {
					seen["take back"]++
					if rev.TakenBack.Debt > 0 {
						seen["debt"]++
					}
				}
				for _, r := range rev.Restored {
					seen["restore"]++
					if r.Forfeited > 0 {
						seen["forfeit"]++
					}
				}
			}
			m.refund(o)

		case op < 95: // time passes
			d := time.Duration(rng.IntN(120*24)) * time.Hour
			what = fmt.Sprint("wait ", d)
			m.now = m.now.Add(d)
			e.stub.At(m.now)

		default: // sweep expired points
			what = "sweep"
			accounts := []string{}
			for _, w := range customers {
				accounts = append(accounts, w.account())
			}
			sw := mustDo(e, acme, e.lc.ExpirePoints, js(map[string]any{"program": "acme", "accounts": accounts}))
			tot.swept += sw.Points
			if sw.Points > 0 {
				seen["swept"]++
			}
			for _, w := range customers {
				for exp := range m.points[w.account()] {
					if !m.now.Before(exp) {
						delete(m.points[w.account()], exp)
					}
				}
			}
		}
		for _, w := range customers {
			if m.expired(w.account()) > 0 {
				seen["expired"]++
			}
		}
		checkModel(t, e, m, &tot, customers, fmt.Sprintf("seed %d step %d (%s)", seed, step, what))
	}
}

// checkModel compares the contract with the model and the conservation laws.
func checkModel(t *testing.T, e *env, m *model, tot *totals, customers []who, where string) {
	t.Helper()
	var held ledgertypes.Amount
	for _, w := range customers {
		b := e.balance(w)
		a := w.account()
		if b.Unexpired != m.usable(a) || b.Expired != m.expired(a) || b.Debt != m.debt[a] {
			t.Fatalf("%s: %s has unexpired %d, expired %d, debt %d; the model says %d, %d, %d",
				where, w.cn, b.Unexpired, b.Expired, b.Debt, m.usable(a), m.expired(a), m.debt[a])
		}
		held += b.Unexpired + b.Expired - b.Debt
	}
	if want := tot.earned - tot.redeemed - tot.swept - tot.reversed; held != want {
		t.Fatalf("%s: customers hold %d net of debt; earned %d - redeemed %d - swept %d - reversed %d = %d",
			where, held, tot.earned, tot.redeemed, tot.swept, tot.reversed, want)
	}
	// The statement covers at most 366 days: add up consecutive windows.
	var payable, receivable ledgertypes.Amount
	for from := t0; !from.After(m.now); from = from.Add(366 * day) {
		st := mustDo(e, audit, e.lc.Statement, js(map[string]any{"merchant": acme.msp, "counterparty": bistro.msp, "from": from, "to": from.Add(366 * day)}))
		for _, tt := range st.Totals {
			payable += tt.Payable
			receivable += tt.Receivable
		}
	}
	if net := payable - receivable; net != m.owed || net != tot.partnerValue-tot.valueReversed {
		t.Fatalf("%s: statements net %d (payable %d, receivable %d); the model says %d; partner redemptions %d less reversals %d",
			where, net, payable, receivable, m.owed, tot.partnerValue, tot.valueReversed)
	}
}
