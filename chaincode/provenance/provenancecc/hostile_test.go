package provenancecc_test

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	mspproto "github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"

	"github.com/cxledger/cxledger/chaincode"
	"github.com/cxledger/cxledger/cxlerr"
)

// chain drives the whole cxledger chaincode, as a peer does, on env's
// ledger: function name and JSON argument in, coded answer out.
type chain struct {
	e  *env
	cc *chaincode.Chaincode
}

// assembled is the chaincode, assembled once: building its metadata takes
// seconds.
var assembled = sync.OnceValues(func() (*chaincode.Chaincode, error) { return chaincode.New("test") })

func newChain(t *testing.T) *chain {
	t.Helper()
	cc, err := assembled()
	if err != nil {
		t.Fatal(err)
	}
	return &chain{e: newEnv(t), cc: cc}
}

// invoke runs provenance:fn with args as a client of msp, committing on
// success and abandoning the transaction on error.
func (c *chain) invoke(msp, fn string, args obj) (string, error) {
	c.e.t.Helper()
	c.e.as(msp, "clerk")
	resp := c.cc.Invoke(c.e.stub.SetArgs("provenance:"+fn, j(args)))
	if resp.Status != 200 {
		c.e.stub.Begin()
		e, ok := cxlerr.Parse(resp.Message)
		if !ok {
			c.e.t.Fatalf("%s %s: uncoded error %q", fn, j(args), resp.Message)
		}
		return "", e
	}
	c.e.stub.Commit()
	return string(resp.Payload), nil
}

func (c *chain) ok(msp, fn string, args obj) {
	c.e.t.Helper()
	if _, err := c.invoke(msp, fn, args); err != nil {
		c.e.t.Fatalf("%s %s: %v", fn, j(args), err)
	}
}

func (c *chain) fails(msp, fn string, args obj, code cxlerr.Code, want string) {
	c.e.t.Helper()
	_, err := c.invoke(msp, fn, args)
	if err == nil || cxlerr.CodeOf(err) != code || !strings.Contains(err.Error(), want) {
		c.e.t.Fatalf("%s %s: error %v, want %s containing %q", fn, j(args), err, code, want)
	}
}

// endorsers returns which of orgs can each, alone, satisfy the committed
// key-level endorsement policy of the key (objectType, parts...): the policy
// Fabric validates the next write of the key against. A key without a
// policy answers nil.
func (c *chain) endorsers(objectType string, parts []string, orgs ...string) []string {
	t := c.e.t
	t.Helper()
	key, err := c.e.stub.CreateCompositeKey(objectType, parts)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := c.e.stub.GetStateValidationParameter(key)
	if err != nil || raw == nil {
		return nil
	}
	var env common.SignaturePolicyEnvelope
	if err := proto.Unmarshal(raw, &env); err != nil {
		t.Fatal(err)
	}
	var alone []string
	for _, org := range orgs {
		if satisfies(t, &env, env.GetRule(), org) {
			alone = append(alone, org)
		}
	}
	return alone
}

// satisfies evaluates a signature policy made of NOutOf and SignedBy rules
// over peer role principals (all that statebased writes) for one
// endorsement by a peer of org.
func satisfies(t *testing.T, env *common.SignaturePolicyEnvelope, rule *common.SignaturePolicy, org string) bool {
	t.Helper()
	switch r := rule.GetType().(type) {
	case *common.SignaturePolicy_SignedBy:
		var role mspproto.MSPRole
		if err := proto.Unmarshal(env.GetIdentities()[r.SignedBy].GetPrincipal(), &role); err != nil {
			t.Fatal(err)
		}
		return role.GetMspIdentifier() == org && role.GetRole() == mspproto.MSPRole_PEER
	case *common.SignaturePolicy_NOutOf_:
		n := 0
		for _, sub := range r.NOutOf.GetRules() {
			if satisfies(t, env, sub, org) {
				n++
			}
		}
		return n >= int(r.NOutOf.GetN())
	}
	t.Fatalf("unexpected rule %v", rule)
	return false
}

// TestCustodyGoesOnlyToMembers: an offer to an organisation or an account
// of one that is not a member of the consortium is refused, so no offer can
// name an organisation without peers.
func TestCustodyGoesOnlyToMembers(t *testing.T) {
	c := newChain(t)
	c.ok(farm, "RegisterProduct", obj{"gtin": beans, "name": "Green beans"})
	c.ok(farm, "RegisterLot", obj{"gtin": beans, "lot": "B1", "quantity": 10})
	lot := func(to string) obj {
		return obj{"kind": "lot", "gtin": beans, "lot": "B1", "to": to, "location": "Dock"}
	}
	c.fails(farm, "OfferCustody", lot("Org9MSP"), cxlerr.NotFound, "to: organisation Org9MSP is not a member of the consortium")
	c.fails(farm, "OfferCustody", lot(roaster+"X"), cxlerr.NotFound, "to: organisation RoasterMSPX is not a member")
	c.fails(farm, "OfferCustody", lot(roaster+"X/bob"), cxlerr.NotFound, "to: organisation RoasterMSPX is not a member")
	c.fails(farm, "OfferCustody", lot(nobody), cxlerr.NotFound, "to: organisation OtherMSP is not a member")
	c.fails(farm, "OfferCustody", lot("Org9 MSP"), cxlerr.Invalid, "to: MSP ID")
	c.ok(farm, "OfferCustody", lot(roaster+"/bob"))
}

// TestCustodyPolicyFollowsTheOffer checks the key-level policy after every
// custody step (the policy Fabric validates the next write against): while
// an offer is pending no organisation can change the key alone (the holder's
// and the receiver's peers must agree, which is why the receiver must be a
// member), once it is settled the holder's peers alone can, and no third
// organisation ever can.
func TestCustodyPolicyFollowsTheOffer(t *testing.T) {
	c := newChain(t)
	c.ok(farm, "RegisterProduct", obj{"gtin": beans, "name": "Green beans"})
	c.ok(farm, "RegisterLot", obj{"gtin": beans, "lot": "B1", "quantity": 10})
	c.ok(farm, "RegisterItems", obj{"gtin": beans, "lot": "B1", "serials": []string{"S1"}})
	orgs := []string{farm, roaster, carrier, shop, audit, nobody}
	for _, subject := range []struct {
		args       obj
		objectType string
		parts      []string
	}{
		{obj{"kind": "lot", "gtin": beans, "lot": "B1"}, "provenance.lotcustody", []string{beans, "B1"}},
		{obj{"kind": "item", "gtin": beans, "serial": "S1"}, "provenance.itemcustody", []string{beans, "B1", "S1"}},
	} {
		with := func(extra obj) obj {
			a := obj{}
			for k, v := range subject.args {
				a[k] = v
			}
			for k, v := range extra {
				a[k] = v
			}
			return a
		}
		steps := []struct {
			msp, fn string
			args    obj
			pending []string // who may endorse alone after the step
		}{
			{farm, "OfferCustody", with(obj{"to": roaster, "location": "Port"}), nil},
			{farm, "WithdrawCustodyOffer", with(nil), []string{farm}},
			{farm, "OfferCustody", with(obj{"to": roaster, "location": "Port"}), nil},
			{roaster, "RejectCustody", with(nil), []string{farm}},
			{farm, "OfferCustody", with(obj{"to": roaster, "location": "Port"}), nil},
			{roaster, "AcceptCustody", with(nil), []string{roaster}},
			{roaster, "OfferCustody", with(obj{"to": carrier + "/driver", "location": "Dock"}), nil},
			{roaster, "WithdrawCustodyOffer", with(nil), []string{roaster}},
		}
		for i, s := range steps {
			c.ok(s.msp, s.fn, s.args)
			after := c.endorsers(subject.objectType, subject.parts, orgs...)
			slices.Sort(after)
			if !slices.Equal(after, s.pending) {
				t.Fatalf("%v step %d %s: endorsers alone %v, want %v", subject.args, i, s.fn, after, s.pending)
			}
		}
	}
}

// TestRecalledLotCannotBeUsed: a recalled lot goes into no new lot, is
// serialised into no items, is offered to nobody, and neither it nor its
// items are certified; a pending offer can still be withdrawn but not
// accepted.
func TestRecalledLotCannotBeUsed(t *testing.T) {
	c := newChain(t)
	c.ok(farm, "RegisterProduct", obj{"gtin": beans, "name": "Green beans"})
	for _, lot := range []string{"B1", "B2"} {
		c.ok(farm, "RegisterLot", obj{"gtin": beans, "lot": lot, "quantity": 10})
	}
	c.ok(farm, "RegisterItems", obj{"gtin": beans, "lot": "B1", "serials": []string{"S1"}})
	c.ok(farm, "OfferCustody", obj{"kind": "lot", "gtin": beans, "lot": "B2", "to": roaster, "location": "Port"})
	for _, lot := range []string{"B1", "B2"} {
		c.ok(farm, "RecallLot", obj{"gtin": beans, "lot": lot, "reason": "mould"})
	}

	c.fails(farm, "RegisterLot", obj{"gtin": beans, "lot": "B3", "quantity": 5, "inputs": []obj{{"gtin": beans, "lot": "B1"}}},
		cxlerr.Conflict, "lot "+beans+"/B1 was recalled at 2026-01-01T09:00:00Z (mould); cannot use it as inputs[0]")
	c.fails(farm, "RegisterItems", obj{"gtin": beans, "lot": "B1", "serials": []string{"S2"}}, cxlerr.Conflict, "cannot serialise items of it")
	c.fails(farm, "OfferCustody", obj{"kind": "lot", "gtin": beans, "lot": "B1", "to": roaster, "location": "Port"}, cxlerr.Conflict, "cannot offer custody of lot")
	c.fails(farm, "OfferCustody", obj{"kind": "item", "gtin": beans, "serial": "S1", "to": roaster, "location": "Port"}, cxlerr.Conflict, "cannot offer custody of item "+beans+"/S1")
	cert := func(subject obj) obj {
		return obj{"subject": subject, "id": "C1", "type": "organic", "hash": docHash, "validFrom": "2025-01-01T00:00:00Z", "validUntil": "2027-01-01T00:00:00Z"}
	}
	c.fails(audit, "IssueCertificate", cert(obj{"kind": "lot", "gtin": beans, "lot": "B1"}), cxlerr.Conflict, "cannot certify lot "+beans+"/B1")
	c.fails(audit, "IssueCertificate", cert(obj{"kind": "item", "gtin": beans, "serial": "S1"}), cxlerr.Conflict, "cannot certify item "+beans+"/S1")
	c.ok(audit, "IssueCertificate", cert(obj{"kind": "product", "gtin": beans}))

	c.fails(roaster, "AcceptCustody", obj{"kind": "lot", "gtin": beans, "lot": "B2"}, cxlerr.Conflict, "cannot accept custody of lot "+beans+"/B2 (reject the offer instead)")
	c.ok(farm, "WithdrawCustodyOffer", obj{"kind": "lot", "gtin": beans, "lot": "B2"})
}
