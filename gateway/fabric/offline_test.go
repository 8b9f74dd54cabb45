package fabric

import (
	"context"
	"crypto/sha256"
	"os"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
)

// TestOfflineSigning: the service prepares a proposal whose creator is the customer (whose
// key it never holds), endorses it with the customer's signature over its digest, and
// submits the transaction with the customer's signature, journalled before submission and
// answered once committed VALID; the commit is asked as the service.
func TestOfflineSigning(t *testing.T) {
	pki := newTestPKI(t)
	f, p := startFakePeer(t, pki, `{"nonce":"n1"}`)
	c, err := NewClient("ch", "cc", []Peer{p}, map[string]Identity{"svc": newTestIdentity(t, "Org1MSP"), "b": newTestIdentity(t, "Org2MSP")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	cust := newTestIdentity(t, "Org1MSP")
	certPEM, err := os.ReadFile(cust.CertPath)
	if err != nil {
		t.Fatal(err)
	}
	_, sign, err := cust.Signer()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	op := &ledgerapi.HealthPing.Operation
	prop, err := c.Prepare(ctx, Customer{MSPID: "Org1MSP", CertPEM: certPEM}, op, &ledgerapi.PingRequest{Nonce: "n1"})
	if err != nil {
		t.Fatal(err)
	}
	// The proposal's creator is the customer.
	pt := &gateway.ProposedTransaction{}
	pp, hdr, sh, creator := &peer.Proposal{}, &common.Header{}, &common.SignatureHeader{}, &msp.SerializedIdentity{}
	unmarshal := func(b []byte, m proto.Message) {
		t.Helper()
		if err := proto.Unmarshal(b, m); err != nil {
			t.Fatal(err)
		}
	}
	unmarshal(prop.Bytes, pt)
	unmarshal(pt.GetProposal().GetProposalBytes(), pp)
	unmarshal(pp.GetHeader(), hdr)
	unmarshal(hdr.GetSignatureHeader(), sh)
	unmarshal(sh.GetCreator(), creator)
	if creator.GetMspid() != "Org1MSP" || string(creator.GetIdBytes()) != string(certPEM) {
		t.Fatalf("creator %s %q", creator.GetMspid(), creator.GetIdBytes())
	}
	if d := sha256.Sum256(pt.GetProposal().GetProposalBytes()); string(d[:]) != string(prop.Digest) || len(pt.GetProposal().GetSignature()) != 0 {
		t.Fatal("the digest is not the proposal's, or the proposal is signed")
	}
	if _, err := c.Prepare(ctx, Customer{MSPID: "Org1MSP", CertPEM: []byte("junk")}, op, &ledgerapi.PingRequest{Nonce: "n1"}); cxlerr.CodeOf(err) != cxlerr.Invalid {
		t.Fatalf("junk certificate: %v", err)
	}
	sig, err := sign(prop.Digest)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := c.Endorse(ctx, prop.Bytes, sig)
	if err != nil {
		t.Fatal(err)
	}
	sent := f.sent()
	if tx.TransactionID != prop.TransactionID || string(tx.Result) != `{"nonce":"n1"}` || len(sent) != 1 {
		t.Fatalf("endorsed %+v, sent %d", tx, len(sent))
	}
	txSig, err := sign(tx.Digest)
	if err != nil {
		t.Fatal(err)
	}
	j := &recordingJournal{}
	done, err := c.SubmitSigned(ctx, tx.Bytes, txSig, j)
	if err != nil {
		t.Fatal(err)
	}
	if done.TransactionID != prop.TransactionID || done.BlockNumber != 7 || len(j.log()) != 1 || j.log()[0] != "prepared "+done.TransactionID {
		t.Fatalf("committed %+v, journal %v", done, j.log())
	}
	stored := &gateway.PreparedTransaction{}
	if err := proto.Unmarshal(j.signed[done.TransactionID], stored); err != nil {
		t.Fatal(err)
	}
	if string(stored.GetEnvelope().GetSignature()) != string(txSig) {
		t.Fatal("the journalled envelope does not carry the customer's signature")
	}
}
