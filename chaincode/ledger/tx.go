package ledger

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/attrmgr"
	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/cid"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
)

// Tx is one transaction's context: the stub, the transaction ID and time, the
// caller, and the state the kit keeps per transaction (the emitted event, the
// number of lots minted). Build exactly one per transaction function call with
// Run or Query (NewTx in tests) and pass it down; a Tx is not safe for
// concurrent use.
type Tx struct {
	stub   shim.ChaincodeStubInterface
	id     string
	time   time.Time
	caller Caller

	// event is the name of the event already emitted, "" before Emit.
	event string
	// minted counts the lots MintLot created, for unique lot IDs.
	minted int
}

// NewTx reads the transaction ID, timestamp and caller from stub. It fails
// with UNAUTHENTICATED when the creator is not an X.509 identity with an MSP
// ID and a usable common name, and INTERNAL when the stub cannot be read.
func NewTx(stub shim.ChaincodeStubInterface) (*Tx, error) {
	id := stub.GetTxID()
	if id == "" {
		return nil, cxlerr.Errorf(cxlerr.Internal, "transaction has no ID")
	}
	ts, err := stub.GetTxTimestamp()
	if err != nil {
		return nil, cxlerr.Errorf(cxlerr.Internal, "read transaction timestamp: %w", err)
	}
	if err := ts.CheckValid(); err != nil {
		return nil, cxlerr.Errorf(cxlerr.Internal, "read transaction timestamp: %w", err)
	}
	caller, err := callerOf(stub)
	if err != nil {
		return nil, err
	}
	// Send this transaction's writes to the peer in batches at the end of the invocation
	// instead of one round trip per PutState (the shim flushes after Invoke returns, and
	// starting twice is a no-op). A bulk registration of 500 items makes 1,500 writes.
	stub.StartWriteBatch()
	return &Tx{stub: stub, id: id, time: ts.AsTime().UTC(), caller: caller}, nil
}

// Stub returns the chaincode stub, for what the kit does not cover.
func (t *Tx) Stub() shim.ChaincodeStubInterface { return t.stub }

// ID returns the transaction ID.
func (t *Tx) ID() string { return t.id }

// Time returns the transaction timestamp in UTC: the client's proposal time,
// the same on every endorsing peer. It is the only clock a contract may use.
func (t *Tx) Time() time.Time { return t.time }

// Caller returns the identity that submitted the transaction.
func (t *Tx) Caller() Caller { return t.caller }

// CreateCompositeKey delegates to the stub, so a *Tx is a KeyBuilder.
func (t *Tx) CreateCompositeKey(objectType string, attributes []string) (string, error) {
	return t.stub.CreateCompositeKey(objectType, attributes)
}

// The NodeOU roles Fabric reads from the OU field of a certificate subject.
const (
	ouClient  = "client"
	ouAdmin   = "admin"
	ouPeer    = "peer"
	ouOrderer = "orderer"
)

// Caller is the identity that submitted a transaction.
type Caller struct {
	// MSP is the MSP ID of the caller's organisation.
	MSP string `json:"msp"`
	// Name is the common name (CN) of the caller's certificate subject.
	Name string `json:"name"`
	// Account is MSP + "/" + Name: the identifier customers and merchants are
	// known by everywhere (owners of balances, holders of custody). It is
	// stable across certificate renewals that keep the CN, readable, and
	// splits back at the first "/" because MSP IDs contain none.
	Account string `json:"account"`
	// Roles are the NodeOU roles found among the certificate's OUs ("admin",
	// "client", "orderer", "peer"), sorted; never nil.
	Roles []string `json:"roles"`
	// Attrs are the Fabric CA attributes embedded in the certificate; never nil.
	Attrs map[string]string `json:"attrs"`
	// StaffRoles are the consortium roles the certificate's RolesAttr
	// attribute gives a client or admin identity (see ParseStaffRoles), in
	// the order ledgertypes.Roles lists them; empty, never nil, for a
	// customer, for a peer or orderer, and for a malformed attribute.
	StaffRoles []ledgertypes.Role `json:"staffRoles"`
	// rolesMalformed records that the certificate has a RolesAttr attribute
	// that ParseStaffRoles refused, for the messages that refuse a role.
	rolesMalformed bool
}

// IsAdmin reports whether the caller's certificate carries the NodeOU admin role.
func (c Caller) IsAdmin() bool { return slices.Contains(c.Roles, ouAdmin) }

// IsClient reports whether the caller's certificate carries the NodeOU client role.
func (c Caller) IsClient() bool { return slices.Contains(c.Roles, ouClient) }

// IsPerson reports whether the caller is a person's identity, a client or
// an admin, rather than a node's (a peer or an orderer): staff and customers
// alike.
func (c Caller) IsPerson() bool { return c.IsClient() || c.IsAdmin() }

// IsStaff reports whether the caller is staff of its organisation: a client
// or admin identity whose certificate gives it at least one consortium role
// in RolesAttr. Every other person is a customer, who acts only for its own
// account (Account), never for its organisation.
func (c Caller) IsStaff() bool { return len(c.StaffRoles) > 0 }

// Carries reports whether the caller is staff whose certificate gives it
// role. Whether the caller's organisation holds role on the ledger is
// another matter: RequireRole and ActsFor check both.
func (c Caller) Carries(role ledgertypes.Role) bool { return slices.Contains(c.StaffRoles, role) }

// StaffOf reports whether the caller is staff of organisation msp carrying
// role, or any staff of msp when role is "". It reads nothing from the
// ledger: see ActsFor for the organisation's grant.
func (c Caller) StaffOf(msp string, role ledgertypes.Role) bool {
	return c.MSP == msp && c.IsStaff() && (role == "" || c.Carries(role))
}

// ActsForParty reports whether the caller may act for party, a holder of
// custody, money or points: for an account "<MSP ID>/<name>" only that
// identity itself (a client or admin, customer or staff), for an
// organisation (an MSP ID) any of its staff. A customer never acts for its
// organisation.
func (c Caller) ActsForParty(party string) bool {
	if strings.Contains(party, "/") {
		return c.Account == party && c.IsPerson()
	}
	return c.StaffOf(party, "")
}

// RolesAttr is the Fabric CA attribute (an ecert attribute, so enrolment
// puts it in the certificate) that names the consortium roles a staff
// identity plays for its organisation: role names separated by commas, such
// as "merchant,carrier". See ParseStaffRoles.
const RolesAttr = "cxl.roles"

// ParseStaffRoles reads the value of a RolesAttr attribute. Names are
// separated by commas; spaces around a name and empty entries (",,", a
// trailing comma) are ignored, and a name given twice counts once. Names are
// case-sensitive and must be consortium roles (ledgertypes.ParseRole): a
// value naming anything else, invalid UTF-8 included, is malformed and gives
// no role at all (ok false), so a registrar's typo fails closed instead of
// leaving the identity with part of what was meant. A value with no names
// gives no role and is not malformed: that identity is a customer. The
// roles come back in the order ledgertypes.Roles lists them, never nil.
func ParseStaffRoles(value string) (roles []ledgertypes.Role, ok bool) {
	roles = []ledgertypes.Role{}
	for name := range strings.SplitSeq(value, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		r, err := ledgertypes.ParseRole(name)
		if err != nil {
			return []ledgertypes.Role{}, false
		}
		if !slices.Contains(roles, r) {
			roles = append(roles, r)
		}
	}
	order := ledgertypes.Roles()
	slices.SortFunc(roles, func(a, b ledgertypes.Role) int {
		return slices.Index(order, a) - slices.Index(order, b)
	})
	return roles, true
}

func callerOf(stub shim.ChaincodeStubInterface) (Caller, error) {
	id, err := cid.New(stub)
	if err != nil {
		return Caller{}, cxlerr.Errorf(cxlerr.Unauthenticated, "identify caller: %v", err)
	}
	msp, err := id.GetMSPID()
	if err != nil {
		return Caller{}, cxlerr.Errorf(cxlerr.Unauthenticated, "identify caller: %v", err)
	}
	if problem := ledgertypes.MSPProblem(msp); problem != "" {
		return Caller{}, cxlerr.Errorf(cxlerr.Unauthenticated, "identify caller: %s", problem)
	}
	cert, err := id.GetX509Certificate()
	if err != nil {
		return Caller{}, cxlerr.Errorf(cxlerr.Unauthenticated, "identify caller: %v", err)
	}
	if cert == nil {
		return Caller{}, cxlerr.Errorf(cxlerr.Unauthenticated, "caller of %s has no X.509 certificate", msp)
	}
	name := cert.Subject.CommonName
	if problem := ledgertypes.IDProblem(name); problem != "" {
		return Caller{}, cxlerr.Errorf(cxlerr.Unauthenticated, "caller of %s: certificate common name: %s", msp, problem)
	}
	roles := []string{}
	for _, ou := range cert.Subject.OrganizationalUnit {
		switch ou {
		case ouClient, ouAdmin, ouPeer, ouOrderer:
			if !slices.Contains(roles, ou) {
				roles = append(roles, ou)
			}
		}
	}
	slices.Sort(roles)
	attrs, err := attrmgr.New().GetAttributesFromCert(cert)
	if err != nil {
		return Caller{}, cxlerr.Errorf(cxlerr.Unauthenticated, "read attributes of %s/%s: %v", msp, name, err)
	}
	values := map[string]string{}
	maps.Copy(values, attrs.Attrs)
	c := Caller{MSP: msp, Name: name, Account: msp + "/" + name, Roles: roles, Attrs: values, StaffRoles: []ledgertypes.Role{}}
	if value, present := values[RolesAttr]; present && c.IsPerson() {
		staff, ok := ParseStaffRoles(value)
		c.StaffRoles, c.rolesMalformed = staff, !ok
	}
	return c, nil
}
