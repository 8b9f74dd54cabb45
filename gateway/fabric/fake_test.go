package fabric

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// fakePeer is an in-process Fabric Gateway and Deliver service over TLS. Its handlers
// return what a test wants, so the real fabric-gateway client produces real errors.
type fakePeer struct {
	gateway.UnimplementedGatewayServer
	peer.UnimplementedDeliverServer

	addr   string
	server *grpc.Server

	mu    sync.Mutex
	calls []string
	// proposals are the proposals endorsed and evaluated, in order.
	proposals []sentProposal
	endorse   func(txID string) (*gateway.EndorseResponse, error)
	submit    func(txID string) error
	status    func(ctx context.Context, txID string) (*gateway.CommitStatusResponse, error)
	evaluate  func() (*gateway.EvaluateResponse, error)
	// blocks serves Deliver: every block from the requested start, then failAfter (if set)
	// ends the stream with an error, else the stream waits for the client to leave.
	blocks    []*common.Block
	failAfter bool
	// height is how many blocks the peer has: DeliverFiltered serves each one from the
	// requested start, and then each new one setHeight adds.
	height        uint64
	heightChanged chan struct{}
}

// testPKI is a self-signed TLS certificate for 127.0.0.1 and the file holding it.
type testPKI struct {
	cert     tls.Certificate
	rootPath string
}

func newTestPKI(t *testing.T) testPKI {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fake peer"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(t.TempDir(), "tlsca.pem")
	if err := os.WriteFile(root, certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	return testPKI{cert: cert, rootPath: root}
}

// newTestIdentity writes a signing identity of mspID (a fresh key and self-signed
// certificate) and returns it.
func newTestIdentity(t *testing.T, mspID string) Identity {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "User1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	id := Identity{MSPID: mspID, CertPath: filepath.Join(dir, "cert.pem"), KeyPath: filepath.Join(dir, "key.pem")}
	if err := os.WriteFile(id.CertPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(id.KeyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return id
}

// startFakePeer serves a fakePeer whose handlers endorse with result, take every
// submission and report every transaction VALID in block 7.
func startFakePeer(t *testing.T, pki testPKI, result string) (*fakePeer, Peer) {
	t.Helper()
	f := &fakePeer{
		heightChanged: make(chan struct{}),
		endorse: func(txID string) (*gateway.EndorseResponse, error) {
			return &gateway.EndorseResponse{PreparedTransaction: envelope(t, txID, []byte(result), nil)}, nil
		},
		submit: func(string) error { return nil },
		status: func(context.Context, string) (*gateway.CommitStatusResponse, error) {
			return &gateway.CommitStatusResponse{Result: peer.TxValidationCode_VALID, BlockNumber: 7}, nil
		},
		evaluate: func() (*gateway.EvaluateResponse, error) {
			return &gateway.EvaluateResponse{Result: &peer.Response{Status: 200, Payload: []byte(result)}}, nil
		},
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.addr = l.Addr().String()
	f.server = grpc.NewServer(grpc.Creds(credentials.NewServerTLSFromCert(&pki.cert)))
	gateway.RegisterGatewayServer(f.server, f)
	peer.RegisterDeliverServer(f.server, f)
	go func() { _ = f.server.Serve(l) }()
	t.Cleanup(f.server.Stop)
	return f, Peer{Address: f.addr, TLSRootCertPath: pki.rootPath}
}

func (f *fakePeer) record(call string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
}

func (f *fakePeer) log() []string { return snapshot(&f.mu, &f.calls) }

func (f *fakePeer) Endorse(_ context.Context, req *gateway.EndorseRequest) (*gateway.EndorseResponse, error) {
	f.record("endorse " + req.GetTransactionId())
	f.keep(req.GetProposedTransaction(), req.GetEndorsingOrganizations())
	return f.endorse(req.GetTransactionId())
}

// sentProposal is what a client asked a peer to endorse or evaluate.
type sentProposal struct {
	// args are the chaincode function ("contract:Function") and its arguments.
	args      []string
	transient map[string][]byte
	// orgs are the endorsing (or, for an evaluation, target) organisations.
	orgs []string
	// public is the proposal without its transient data: its header and its payload with
	// the transient map cleared, as Fabric keeps them in the transaction.
	public []byte
	err    error
}

func (f *fakePeer) keep(sp *peer.SignedProposal, orgs []string) {
	p := sentProposal{orgs: orgs}
	prop := &peer.Proposal{}
	payload := &peer.ChaincodeProposalPayload{}
	spec := &peer.ChaincodeInvocationSpec{}
	if p.err = proto.Unmarshal(sp.GetProposalBytes(), prop); p.err == nil {
		if p.err = proto.Unmarshal(prop.GetPayload(), payload); p.err == nil {
			p.err = proto.Unmarshal(payload.GetInput(), spec)
		}
	}
	for _, a := range spec.GetChaincodeSpec().GetInput().GetArgs() {
		p.args = append(p.args, string(a))
	}
	p.transient = payload.GetTransientMap()
	if p.err == nil {
		public := proto.Clone(payload).(*peer.ChaincodeProposalPayload)
		public.TransientMap = nil
		var data []byte
		if data, p.err = proto.Marshal(public); p.err == nil {
			p.public = append(append([]byte(nil), prop.GetHeader()...), data...)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.proposals = append(f.proposals, p)
}

func (f *fakePeer) sent() []sentProposal { return snapshot(&f.mu, &f.proposals) }

// snapshot copies a slice under its lock.
func snapshot[T any](mu *sync.Mutex, s *[]T) []T {
	mu.Lock()
	defer mu.Unlock()
	return append([]T(nil), *s...)
}

func (f *fakePeer) Submit(_ context.Context, req *gateway.SubmitRequest) (*gateway.SubmitResponse, error) {
	f.record("submit " + req.GetTransactionId())
	if len(req.GetPreparedTransaction().GetSignature()) == 0 {
		return nil, errUnsigned
	}
	if err := f.submit(req.GetTransactionId()); err != nil {
		return nil, err
	}
	return &gateway.SubmitResponse{}, nil
}

func (f *fakePeer) CommitStatus(ctx context.Context, req *gateway.SignedCommitStatusRequest) (*gateway.CommitStatusResponse, error) {
	r := &gateway.CommitStatusRequest{}
	if err := proto.Unmarshal(req.GetRequest(), r); err != nil {
		return nil, err
	}
	f.record("status " + r.GetTransactionId())
	return f.status(ctx, r.GetTransactionId())
}

func (f *fakePeer) Evaluate(_ context.Context, req *gateway.EvaluateRequest) (*gateway.EvaluateResponse, error) {
	f.record("evaluate")
	f.keep(req.GetProposedTransaction(), req.GetTargetOrganizations())
	return f.evaluate()
}

func (f *fakePeer) Deliver(stream peer.Deliver_DeliverServer) error {
	start, err := seekStart(stream.Recv)
	if err != nil {
		return err
	}
	f.record("deliver from " + itoa(start))
	for _, b := range f.blocks {
		if b.GetHeader().GetNumber() < start {
			continue
		}
		if err := stream.Send(&peer.DeliverResponse{Type: &peer.DeliverResponse_Block{Block: b}}); err != nil {
			return err
		}
	}
	if f.failAfter {
		return errStreamBroken
	}
	<-stream.Context().Done()
	return nil
}

func (f *fakePeer) DeliverFiltered(stream peer.Deliver_DeliverFilteredServer) error {
	next, err := seekStart(stream.Recv)
	if err != nil {
		return err
	}
	f.record("deliver filtered from " + itoa(next))
	for {
		f.mu.Lock()
		height, changed := f.height, f.heightChanged
		f.mu.Unlock()
		for ; next < height; next++ {
			fb := &peer.FilteredBlock{ChannelId: "ch", Number: next}
			if err := stream.Send(&peer.DeliverResponse{Type: &peer.DeliverResponse_FilteredBlock{FilteredBlock: fb}}); err != nil {
				return err
			}
		}
		select {
		case <-changed:
		case <-stream.Context().Done():
			return nil
		}
	}
}

// setHeight makes the peer have blocks 0 to height-1.
func (f *fakePeer) setHeight(height uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.height = height
	close(f.heightChanged)
	f.heightChanged = make(chan struct{})
}

// seekStart reads a Deliver request and returns the block it asks to start from.
func seekStart(recv func() (*common.Envelope, error)) (uint64, error) {
	env, err := recv()
	if err != nil {
		return 0, err
	}
	payload := &common.Payload{}
	if err := proto.Unmarshal(env.GetPayload(), payload); err != nil {
		return 0, err
	}
	seek := &orderer.SeekInfo{}
	if err := proto.Unmarshal(payload.GetData(), seek); err != nil {
		return 0, err
	}
	return seek.GetStart().GetSpecified().GetNumber(), nil
}

var (
	errUnsigned     = status.Error(codes.InvalidArgument, "prepared transaction must be signed")
	errStreamBroken = status.Error(codes.Unavailable, "stream broken")
)

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

// envelope builds the prepared transaction a gateway peer returns from Endorse: a signed
// envelope whose single action carries the chaincode result and, optionally, an event.
func envelope(t testing.TB, txID string, result []byte, event *peer.ChaincodeEvent) *common.Envelope {
	t.Helper()
	chdr := mustMarshal(t, &common.ChannelHeader{Type: int32(common.HeaderType_ENDORSER_TRANSACTION), ChannelId: "ch", TxId: txID})
	var events []byte
	if event != nil {
		events = mustMarshal(t, event)
	}
	action := mustMarshal(t, &peer.ChaincodeAction{Response: &peer.Response{Status: 200, Payload: result}, Events: events})
	prp := mustMarshal(t, &peer.ProposalResponsePayload{Extension: action})
	actionPayload := mustMarshal(t, &peer.ChaincodeActionPayload{Action: &peer.ChaincodeEndorsedAction{ProposalResponsePayload: prp}})
	tx := mustMarshal(t, &peer.Transaction{Actions: []*peer.TransactionAction{{Payload: actionPayload}}})
	payload := mustMarshal(t, &common.Payload{Header: &common.Header{ChannelHeader: chdr}, Data: tx})
	return &common.Envelope{Payload: payload}
}

// block builds block num from the envelopes of transactions with their validation codes.
func block(t testing.TB, num uint64, txs []*common.Envelope, codes []peer.TxValidationCode) *common.Block {
	t.Helper()
	b := &common.Block{Header: &common.BlockHeader{Number: num}, Data: &common.BlockData{}, Metadata: &common.BlockMetadata{Metadata: make([][]byte, 5)}}
	flags := make([]byte, len(codes))
	for i, tx := range txs {
		b.Data.Data = append(b.Data.Data, mustMarshal(t, tx))
		flags[i] = byte(codes[i])
	}
	b.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER] = flags
	return b
}

func mustMarshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	data, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// recordingJournal remembers what it was told, in order.
type recordingJournal struct {
	mu      sync.Mutex
	entries []string
	signed  map[string][]byte
}

func (j *recordingJournal) Endorsing(_ context.Context, txID string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.entries = append(j.entries, "endorsing "+txID)
	return nil
}

func (j *recordingJournal) Prepared(_ context.Context, txID string, signed, _ []byte) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.signed == nil {
		j.signed = map[string][]byte{}
	}
	j.signed[txID] = signed
	j.entries = append(j.entries, "prepared "+txID)
	return nil
}

func (j *recordingJournal) log() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]string(nil), j.entries...)
}
