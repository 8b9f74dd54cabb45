//go:build integration

package test

// The client the contract tests (care, loyalty, orders, provenance) drive the chaincode
// with: one identity's handle on one contract, arguments and results as JSON, chaincode
// error codes recovered from fabric-gateway errors, and the wait for every peer to reach
// the same block height that a call through one organisation needs after a commit through
// another.

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// ccSyncTimeout is how long a client waits for every peer to reach the same block height.
const ccSyncTimeout = 30 * time.Second

// ccClient is one identity's handle on a contract of the cxledger chaincode.
type ccClient struct {
	name, msp, user string
	contract        *client.Contract
	// qscc, set by syncing, is every peer's qscc: the client then waits before each call
	// that follows a submit through another organisation until all peers are at one height.
	qscc []*client.Contract
}

// ccAs returns user of msp's client of the named contract.
func ccAs(t testing.TB, msp, user, contract string) ccClient {
	t.Helper()
	return ccClient{name: fmt.Sprintf("%s %s (%s)", msp, user, contract), msp: msp, user: user, contract: h.contract(t, msp, user, contract)}
}

// syncing returns the client that, after any syncing client submitted, waits until every
// peer has the same block height before it submits or evaluates. A submit returns once the
// submitting gateway's peer has committed, but the next call may be endorsed by other
// peers (of another organisation, or another peer of the same one): without the wait it
// may not see the commit, or two endorsers at different heights may return different
// results ("ProposalResponsePayloads do not match").
func (c ccClient) syncing(t testing.TB) ccClient {
	t.Helper()
	c.qscc = ccPeers(t, c.user)
	return c
}

// ccLastWriter is the organisation through which a syncing client submitted last.
var ccLastWriter struct {
	sync.Mutex
	msp string
}

// follow waits, for a syncing client after a submit by any syncing client, until every
// peer has the same block height.
func (c ccClient) follow() error {
	if c.qscc == nil {
		return nil
	}
	ccLastWriter.Lock()
	last := ccLastWriter.msp
	ccLastWriter.Unlock()
	if last == "" {
		return nil
	}
	if err := ccAwaitOneHeight(c.qscc); err != nil {
		return err
	}
	// Every peer has every transaction so far: no need to wait again.
	ccLastWriter.Lock()
	if ccLastWriter.msp == last {
		ccLastWriter.msp = ""
	}
	ccLastWriter.Unlock()
	return nil
}

// ccCommitError is a transaction that committed with a validation code other than VALID.
type ccCommitError struct {
	TxID string
	Code peer.TxValidationCode
}

func (e *ccCommitError) Error() string {
	return fmt.Sprintf("transaction %s committed as %s", e.TxID, e.Code)
}

// trySubmit submits fn with args as JSON and the options (transient data, endorsing
// organisations), waits for the commit and returns the result and the transaction ID. A
// transaction that commits invalid is a *ccCommitError.
func (c ccClient) trySubmit(fn string, args any, opts ...client.ProposalOption) ([]byte, string, error) {
	raw, err := json.Marshal(args)
	if err != nil {
		return nil, "", err
	}
	if err := c.follow(); err != nil {
		return nil, "", err
	}
	if c.qscc != nil {
		defer func() {
			ccLastWriter.Lock()
			ccLastWriter.msp = c.msp
			ccLastWriter.Unlock()
		}()
	}
	res, commit, err := c.contract.SubmitAsync(fn, append([]client.ProposalOption{client.WithArguments(string(raw))}, opts...)...)
	if err != nil {
		return nil, "", err
	}
	st, err := commit.Status()
	if err != nil {
		return nil, commit.TransactionID(), err
	}
	if !st.Successful {
		return nil, st.TransactionID, &ccCommitError{TxID: st.TransactionID, Code: st.Code}
	}
	return res, st.TransactionID, nil
}

// submit submits fn, fails the test unless it commits VALID, decodes the result into out
// unless out is nil, and returns the transaction ID.
func (c ccClient) submit(t testing.TB, fn string, args any, out any, opts ...client.ProposalOption) string {
	t.Helper()
	res, tx, err := c.trySubmit(fn, args, opts...)
	if err != nil {
		t.Fatalf("%s: %s %s: %v", c.name, fn, ccJSON(args), err)
	}
	if out != nil {
		if err := ccDecode(res, out); err != nil {
			t.Fatalf("%s: %s: %v", c.name, fn, err)
		}
	}
	return tx
}

// tryEvaluateRaw evaluates fn with args as JSON and returns the result as it came.
func (c ccClient) tryEvaluateRaw(fn string, args any, opts ...client.ProposalOption) ([]byte, error) {
	raw, err := json.Marshal(args)
	if err != nil {
		return nil, err
	}
	if err := c.follow(); err != nil {
		return nil, err
	}
	return c.contract.Evaluate(fn, append([]client.ProposalOption{client.WithArguments(string(raw))}, opts...)...)
}

// tryEvaluate evaluates fn and decodes the result into out.
func (c ccClient) tryEvaluate(fn string, args any, out any, opts ...client.ProposalOption) error {
	res, err := c.tryEvaluateRaw(fn, args, opts...)
	if err != nil {
		return err
	}
	return ccDecode(res, out)
}

// evaluate evaluates fn, fails the test if it fails, and decodes the result into out.
func (c ccClient) evaluate(t testing.TB, fn string, args any, out any, opts ...client.ProposalOption) {
	t.Helper()
	res, err := c.tryEvaluateRaw(fn, args, opts...)
	if err != nil {
		t.Fatalf("%s: %s %s: %v", c.name, fn, ccJSON(args), err)
	}
	if err := ccDecode(res, out); err != nil {
		t.Fatalf("%s: %s: %v", c.name, fn, err)
	}
}

// wantCode submits fn and checks that endorsement fails with the chaincode error code.
func (c ccClient) wantCode(t testing.TB, code cxlerr.Code, fn string, args any, opts ...client.ProposalOption) {
	t.Helper()
	_, _, err := c.trySubmit(fn, args, opts...)
	var ee *client.EndorseError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("%s: %s %s: got %T %v, want an endorsement error %s", c.name, fn, ccJSON(args), err, err, code)
	}
	ccCheckCode(t, c.name+": "+fn+" "+ccJSON(args), err, code)
}

// wantEvalCode evaluates fn and checks that it fails with the chaincode error code.
func (c ccClient) wantEvalCode(t testing.TB, code cxlerr.Code, fn string, args any, opts ...client.ProposalOption) {
	t.Helper()
	_, err := c.tryEvaluateRaw(fn, args, opts...)
	ccCheckCode(t, c.name+": "+fn+" "+ccJSON(args), err, code)
}

// ccDecode decodes a JSON result into out, zeroing out first: json.Unmarshal leaves
// fields the JSON omits (an offer that is gone) as they were.
func ccDecode(res []byte, out any) error {
	reflect.ValueOf(out).Elem().SetZero()
	if err := json.Unmarshal(res, out); err != nil {
		return fmt.Errorf("decode %.500s: %w", res, err)
	}
	return nil
}

// ccJSON renders v as JSON for messages.
func ccJSON(v any) string {
	raw, _ := json.Marshal(v)
	return string(raw)
}

// ccCheckCode fails unless err carries the chaincode error code.
func ccCheckCode(t testing.TB, what string, err error, code cxlerr.Code) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: succeeded, want %s", what, code)
	}
	e, ok := ccChaincodeError(err)
	if !ok {
		t.Fatalf("%s: no chaincode error code in %v", what, err)
	}
	if e.Code != code {
		t.Fatalf("%s: got %s (%s), want %s", what, e.Code, e.Message, code)
	}
}

// ccChaincodeError recovers the coded chaincode error ("cxl:CONFLICT: ...") from a
// fabric-gateway error: from the error details (one per endorsing peer), then the gRPC
// status message, then the text. A nil error carries none.
func ccChaincodeError(err error) (*cxlerr.Error, bool) {
	if err == nil {
		return nil, false
	}
	var texts []string
	if st, ok := status.FromError(err); ok {
		for _, d := range st.Details() {
			if ed, ok := d.(*gateway.ErrorDetail); ok {
				texts = append(texts, ed.GetMessage())
			}
		}
		texts = append(texts, st.Message())
	}
	for _, s := range append(texts, err.Error()) {
		if e, ok := cxlerr.Parse(s); ok {
			return e, true
		}
	}
	return nil, false
}

// ccAccount returns the account "<MSP>/<CN>" of a user of the test network: the MSP ID and
// the common name of the user's certificate.
func ccAccount(t testing.TB, msp, user string) string {
	t.Helper()
	raw, err := os.ReadFile(h.org(t, msp).Users[user].Cert)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(raw)
	if block == nil {
		t.Fatalf("no PEM block in the certificate of %s %s", msp, user)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return msp + "/" + cert.Subject.CommonName
}

// ccPeers returns the qscc of every peer of the channel, each through user of the peer's
// organisation.
func ccPeers(t testing.TB, user string) []*client.Contract {
	t.Helper()
	var qscc []*client.Contract
	for _, o := range h.profile.Orgs {
		for i := range o.Peers {
			qscc = append(qscc, h.gateway(t, o.MSPID, user, i).GetNetwork(h.profile.Channel).GetContract("qscc"))
		}
	}
	return qscc
}

// ccSync waits until every peer has the same block height, so that a query through one
// organisation's peer sees what was committed through another's.
func ccSync(t testing.TB) {
	t.Helper()
	if err := ccAwaitOneHeight(ccPeers(t, "User1")); err != nil {
		t.Fatal(err)
	}
}

// ccAwaitOneHeight waits up to ccSyncTimeout until the peers of qscc are at one block height.
func ccAwaitOneHeight(qscc []*client.Contract) error {
	deadline := time.Now().Add(ccSyncTimeout)
	for {
		heights, err := ccHeights(qscc)
		if err == nil && slices.Min(heights) == slices.Max(heights) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("peers not at one height within %s: %v %v", ccSyncTimeout, heights, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ccHeights returns the channel's block height on every peer of qscc.
func ccHeights(qscc []*client.Contract) ([]uint64, error) {
	var heights []uint64
	for _, c := range qscc {
		raw, err := c.Evaluate("GetChainInfo", client.WithArguments(h.profile.Channel))
		if err != nil {
			return nil, err
		}
		var info common.BlockchainInfo
		if err := proto.Unmarshal(raw, &info); err != nil {
			return nil, fmt.Errorf("decode chain info: %w", err)
		}
		heights = append(heights, info.GetHeight())
	}
	return heights, nil
}
