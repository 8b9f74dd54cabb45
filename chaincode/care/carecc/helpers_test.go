package carecc_test

import (
	"bytes"
	"crypto/ecdh"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/cid"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/cxledger/cxledger/carecrypt"
	"github.com/cxledger/cxledger/chaincode/care"
	"github.com/cxledger/cxledger/chaincode/care/carecc"
	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertest"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
)

// who is a caller: a client identity of an organisation whose
// certificate's cxl.roles attribute is roles, "" for a customer.
type who struct{ msp, cn, roles string }

func (w who) account() string { return w.msp + "/" + w.cn }

// id is the certificate of w.
func (w who) id() ledgertest.Identity {
	id := ledgertest.Customer(w.msp, w.cn)
	if w.roles != "" {
		id = id.WithAttr(ledger.RolesAttr, w.roles)
	}
	return id
}

// The cast. Org1, Org2 and Org3 are merchants, Org4 an auditor, Org5 holds
// no role; alice and bob are customers of Org1, eve of Org5, the others
// staff carrying their organisation's role.
var (
	alice    = who{"Org1MSP", "alice", ""}
	bob      = who{"Org1MSP", "bob", ""}
	agent    = who{"Org2MSP", "agent1", "merchant"}
	agent2   = who{"Org2MSP", "agent2", "merchant"}
	rival    = who{"Org3MSP", "clerk", "merchant"}
	auditor  = who{"Org4MSP", "auditor", "auditor"}
	stranger = who{"Org5MSP", "eve", ""}
	// unroled are identities of the merchant's and the auditor's
	// organisations that are not their staff in the role that reads: they
	// read only what names their own account.
	unroled = []who{{"Org2MSP", "shopper", ""}, {"Org4MSP", "visitor", ""}, {"Org4MSP", "clerk", "merchant"}}
)

// env is an in-memory peer with the care contract, roles granted, and
// orders served from a map.
type env struct {
	t      *testing.T
	stub   *ledgertest.Stub
	c      *carecc.Contract
	start  time.Time
	orders map[string]*orders.Order
	// secrets are the personal data used so far; no public write, event or
	// submit result may contain any of them.
	secrets []string
	// privateReads counts reads of private data by contract code.
	privateReads int
	// keys are the private halves of the ticket keys made, by "<MSP>/<ID>".
	keys     map[string]*ecdh.PrivateKey
	keyCount int
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, stub: ledgertest.New(), orders: map[string]*orders.Order{}, keys: map[string]*ecdh.PrivateKey{}}
	e.start = e.stub.Now()
	e.c = carecc.NewContractWithOrders(func(tx *ledger.Tx, id string) (*orders.Order, error) {
		return e.orders[id], nil
	})
	grants := []struct {
		msp  string
		role ledgertypes.Role
	}{
		{"Org1MSP", ledgertypes.Merchant}, {"Org2MSP", ledgertypes.Merchant}, {"Org3MSP", ledgertypes.Merchant}, {"Org4MSP", ledgertypes.Auditor},
	}
	for _, g := range grants {
		e.grant(g.msp, g.role)
	}
	return e
}

// grant gives msp role, proposed by an admin of Org1MSP and approved by one of Org2MSP.
func (e *env) grant(msp string, role ledgertypes.Role) {
	e.t.Helper()
	e.stub.As("Org1MSP", "Admin@org1", "admin")
	if _, err := ledger.ProposeRole(e.tx(), msp, role); err != nil {
		e.t.Fatal(err)
	}
	e.stub.Commit()
	e.stub.As("Org2MSP", "Admin@org2", "admin")
	if _, err := ledger.ApproveRole(e.tx(), msp, role); err != nil {
		e.t.Fatal(err)
	}
	e.stub.Commit()
}

func (e *env) tx() *ledger.Tx {
	e.t.Helper()
	tx, err := ledger.NewTx(e.stub)
	if err != nil {
		e.t.Fatal(err)
	}
	return tx
}

// at moves the clock to the start plus d.
func (e *env) at(d time.Duration) { e.stub.At(e.start.Add(d)) }

// order adds an order the fake orders contract serves.
func (e *env) order(id string, customer who, merchant string, state orders.State) {
	e.orders[id] = &orders.Order{ID: id, Customer: customer.account(), Merchant: merchant, State: state}
}

// fn is a contract function taking its argument as the text a client sends.
type fn[R any] func(*carecc.Contract, contractapi.TransactionContextInterface, string) (R, error)

// text adapts a transaction function to take its argument as the text a client sends,
// converted as the assembled chaincode converts it.
func text[A, R any](f func(*carecc.Contract, contractapi.TransactionContextInterface, A) (R, error)) fn[R] {
	return func(c *carecc.Contract, ctx contractapi.TransactionContextInterface, args string) (R, error) {
		a, err := ledgertest.Arg[A](args)
		if err != nil {
			var zero R
			return zero, err
		}
		return f(c, ctx, a)
	}
}

// plainMark marks transient data a test wrote in clear: call seals it as a client does.
const plainMark = "\x00plain"

// personal returns personal data in clear with a fresh salt (under TransientSalt) and the
// given key/value pairs, remembering the values as secrets; call seals it to a ticket key
// of the merchant before the contract sees it, as ledgerapi does.
func (e *env) personal(kv ...string) map[string][]byte {
	e.t.Helper()
	m := map[string][]byte{plainMark: nil, care.TransientSalt: []byte(fmt.Sprintf("salt-%016d", len(e.secrets)))}
	for i := 0; i < len(kv); i += 2 {
		if chance(kv[i+1]) {
			e.t.Fatalf("personal data %q could stand in a base64 envelope or a hex hash by chance, so the leak check would fail at random: use a space or punctuation, or 16 characters", kv[i+1])
		}
		m[kv[i]] = []byte(kv[i+1])
		e.secrets = append(e.secrets, kv[i+1])
	}
	return m
}

// chance reports whether text, short and made only of base64 characters, could occur by
// chance inside the random bytes of an envelope written in base64 (about one in 64^len per
// position: "Hi" is in 2% of envelopes).
func chance(text string) bool {
	if len(text) >= 16 {
		return false
	}
	for _, r := range text {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '+' || r == '/' || r == '=') {
			return false
		}
	}
	return true
}

// seal turns personal data in clear (from personal) into what a client sends for the
// ticket args names: the texts sealed with the salt, for the ticket's next step, to the
// ticket's key or a new key of its merchant that the test publishes; other keys pass as
// they are.
func (e *env) seal(args string, transient map[string][]byte) map[string][]byte {
	e.t.Helper()
	if _, ok := transient[plainMark]; !ok {
		return transient
	}
	var a struct {
		ID       string `json:"id"`
		Merchant string `json:"merchant"`
		OrderID  string `json:"orderId"`
	}
	_ = json.Unmarshal([]byte(args), &a)
	step, merchant := 1, a.Merchant
	if o, ok := e.orders[a.OrderID]; ok && merchant == "" {
		merchant = o.Merchant
	}
	var key care.TicketKey
	if raw := e.stub.State(e.ticketKey(a.ID)); raw != nil {
		var t care.Ticket
		if err := json.Unmarshal(raw, &t); err != nil {
			e.t.Fatal(err)
		}
		step, merchant = t.Steps+1, t.Merchant
		key = care.TicketKey{Merchant: t.Merchant, ID: t.Key, PublicKey: t.PublicKey}
	}
	if key.ID == "" {
		key = e.newKey(merchant)
	}
	p := ledgerapi.Personal{Salt: transient[care.TransientSalt], Message: string(transient[care.TransientMessage]), Contact: string(transient[care.TransientContact])}
	out, err := ledgerapi.SealPersonal(key, a.ID, step, &p)
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range transient {
		switch k {
		case plainMark, care.TransientSalt, care.TransientMessage, care.TransientContact:
		default:
			out[k] = v
		}
	}
	return out
}

// ticketKey is the state key of a ticket.
func (e *env) ticketKey(id string) string {
	k, err := e.stub.CreateCompositeKey("care.ticket", []string{id})
	if err != nil {
		e.t.Fatal(err)
	}
	return k
}

// newKey makes a ticket key of merchant, publishes it as a member of merchant (when that
// fails, as for an organisation without the merchant role, the key stays unpublished) and
// keeps its private half for open.
func (e *env) newKey(merchant string) care.TicketKey {
	e.t.Helper()
	priv, err := carecrypt.GenerateKey()
	if err != nil {
		e.t.Fatal(err)
	}
	e.keyCount++
	k := care.TicketKey{Merchant: merchant, ID: fmt.Sprintf("k%d", e.keyCount), PublicKey: carecrypt.EncodePublicKey(priv.PublicKey())}
	e.keys[merchant+"/"+k.ID] = priv
	if merchant != "" {
		e.publish(k)
	}
	return k
}

// publish publishes k as a member of its merchant and commits; when the contract refuses
// (an organisation without the merchant role) the key stays unpublished.
func (e *env) publish(k care.TicketKey) {
	e.stub.AsIdentity(ledgertest.Staff(k.Merchant, "keeper", ledgertypes.Merchant))
	e.stub.SetTransient(nil)
	args := fmt.Sprintf(`{"keys":[{"id":%q,"publicKey":%q}]}`, k.ID, k.PublicKey)
	if _, err := publishTicketKeys(e.c, ledgertest.Context(e.stub), args); err != nil {
		e.stub.Begin()
		return
	}
	e.stub.Commit()
}

// open opens sealed personal data with the keys the test made, as the merchant's vault
// does.
func (e *env) open(s *care.SealedPersonalData) *care.TicketPersonalData {
	e.t.Helper()
	pd, err := ledgerapi.OpenPersonalData(s, func(msp, id string) (*ecdh.PrivateKey, error) {
		k, ok := e.keys[msp+"/"+id]
		if !ok {
			return nil, fmt.Errorf("no key %s/%s", msp, id)
		}
		return k, nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return pd
}

// call runs f as caller with transient data (sealed first when given in clear). On
// failure it abandons the transaction; on success the caller inspects and commits.
func call[R any](e *env, caller who, f fn[R], args string, transient map[string][]byte) (R, error) {
	e.t.Helper()
	transient = e.seal(args, transient)
	e.stub.AsIdentity(caller.id())
	e.stub.SetTransient(transient)
	r, err := f(e.c, blindContext{stub: blindStub{Stub: e.stub, reads: &e.privateReads}}, args)
	if err != nil {
		e.stub.Begin()
	}
	return r, err
}

// submit runs a submit function that must succeed, checks that it read no
// private data and put no personal data in public writes, its event or its
// result, and commits.
func submit[R any](e *env, caller who, f fn[R], args string, transient map[string][]byte) R {
	e.t.Helper()
	reads := e.privateReads
	r, err := call(e, caller, f, args, transient)
	if err != nil {
		e.t.Fatalf("%s: %v", args, err)
	}
	if e.privateReads != reads {
		e.t.Fatalf("%s read private data in a transaction that writes public state", args)
	}
	result, err := json.Marshal(r)
	if err != nil {
		e.t.Fatal(err)
	}
	// No write, public or private, holds personal data in clear: the merchant's
	// collection holds envelopes.
	var public [][]byte
	for _, w := range e.stub.Writes() {
		public = append(public, w.Value, []byte(w.Key))
	}
	if ev := e.stub.Event(); ev != nil {
		public = append(public, ev.Payload)
	}
	public = append(public, result)
	for _, s := range e.secrets {
		for _, p := range public {
			if bytes.Contains(p, []byte(s)) {
				e.t.Fatalf("%s: personal data %q leaked into %s", args, s, p)
			}
		}
	}
	e.stub.Commit()
	return r
}

// query runs an evaluate function that must succeed.
func query[R any](e *env, caller who, f fn[R], args string) R {
	e.t.Helper()
	r, err := call(e, caller, f, args, nil)
	if err != nil {
		e.t.Fatalf("%s: %v", args, err)
	}
	e.stub.Begin()
	return r
}

// fails runs f, which must fail with code and a message containing want,
// and abandons the transaction.
func fails[R any](e *env, caller who, f fn[R], args string, transient map[string][]byte, code cxlerr.Code, want string) {
	e.t.Helper()
	_, err := call(e, caller, f, args, transient)
	if err == nil {
		e.stub.Begin()
		e.t.Fatalf("%s as %s: no error, want %s containing %q", args, caller.account(), code, want)
	}
	if cxlerr.CodeOf(err) != code || !strings.Contains(err.Error(), want) {
		e.t.Fatalf("%s as %s: %v, want %s containing %q", args, caller.account(), err, code, want)
	}
}

// event decodes the current transaction's event.
func (e *env) event() (string, ledger.EventPayload) {
	e.t.Helper()
	ev := e.stub.Event()
	if ev == nil {
		e.t.Fatal("no event")
	}
	var p ledger.EventPayload
	if err := json.Unmarshal(ev.Payload, &p); err != nil {
		e.t.Fatal(err)
	}
	return ev.EventName, p
}

// blindStub counts the contract's reads of private data.
type blindStub struct {
	*ledgertest.Stub
	reads *int
}

func (s blindStub) GetPrivateData(collection, key string) ([]byte, error) {
	*s.reads++
	return s.Stub.GetPrivateData(collection, key)
}

func (s blindStub) GetMultiplePrivateData(collection string, keys ...string) ([][]byte, error) {
	*s.reads++
	return s.Stub.GetMultiplePrivateData(collection, keys...)
}

func (s blindStub) GetPrivateDataByRange(collection, start, end string) (shim.StateQueryIteratorInterface, error) {
	*s.reads++
	return s.Stub.GetPrivateDataByRange(collection, start, end)
}

func (s blindStub) GetPrivateDataByPartialCompositeKey(collection, objectType string, keys []string) (shim.StateQueryIteratorInterface, error) {
	*s.reads++
	return s.Stub.GetPrivateDataByPartialCompositeKey(collection, objectType, keys)
}

// blindContext is a transaction context over a blindStub.
type blindContext struct{ stub blindStub }

func (c blindContext) GetStub() shim.ChaincodeStubInterface { return c.stub }

func (c blindContext) GetClientIdentity() cid.ClientIdentity {
	id, err := cid.New(c.stub)
	if err != nil {
		panic(err)
	}
	return id
}

// Contract functions, as fn values.
var (
	openTicket        fn[*care.Ticket]              = text((*carecc.Contract).OpenTicket)
	assignTicket      fn[*care.Ticket]              = text((*carecc.Contract).AssignTicket)
	respondTicket     fn[*care.Ticket]              = text((*carecc.Contract).RespondTicket)
	resolveTicket     fn[*care.Ticket]              = text((*carecc.Contract).ResolveTicket)
	reopenTicket      fn[*care.Ticket]              = text((*carecc.Contract).ReopenTicket)
	confirmTicket     fn[*care.Ticket]              = text((*carecc.Contract).ConfirmTicket)
	eraseTicketData   fn[*care.Ticket]              = text((*carecc.Contract).EraseTicketData)
	sweepSLA          fn[*care.SLASweep]            = text((*carecc.Contract).SweepSLA)
	setSLAPolicy      fn[*care.SLAPolicy]           = text((*carecc.Contract).SetSLAPolicy)
	getSLAPolicy      fn[*care.SLAPolicy]           = text((*carecc.Contract).GetSLAPolicy)
	postReview        fn[*care.Review]              = text((*carecc.Contract).PostReview)
	editReview        fn[*care.Review]              = text((*carecc.Contract).EditReview)
	replyToReview     fn[*care.Review]              = text((*carecc.Contract).ReplyToReview)
	getTicket         fn[*care.TicketDetail]        = text((*carecc.Contract).GetTicket)
	listTickets       fn[*care.TicketPage]          = text((*carecc.Contract).ListTickets)
	breachReport      fn[*care.BreachReport]        = text((*carecc.Contract).BreachReport)
	getPersonalData   fn[*care.SealedPersonalData]  = text((*carecc.Contract).GetTicketPersonalData)
	publishTicketKeys fn[*care.TicketKeysPublished] = text((*carecc.Contract).PublishTicketKeys)
	ticketKeys        fn[*care.TicketKeyPage]       = text((*carecc.Contract).TicketKeys)
	getReview         fn[*care.ReviewDetail]        = text((*carecc.Contract).GetReview)
	listReviews       fn[*care.ReviewPage]          = text((*carecc.Contract).ListReviews)
)

// id renders {"id": id}.
func id(ticket string) string { return fmt.Sprintf(`{"id":%q}`, ticket) }
