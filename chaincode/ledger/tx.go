package ledger

import (
	"maps"
	"slices"
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
}

// IsAdmin reports whether the caller's certificate carries the NodeOU admin role.
func (c Caller) IsAdmin() bool { return slices.Contains(c.Roles, ouAdmin) }

// IsClient reports whether the caller's certificate carries the NodeOU client role.
func (c Caller) IsClient() bool { return slices.Contains(c.Roles, ouClient) }

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
	return Caller{MSP: msp, Name: name, Account: msp + "/" + name, Roles: roles, Attrs: values}, nil
}
