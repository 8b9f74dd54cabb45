package workload

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cxledger/cxledger/bench"
	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/network"
)

func TestKeysAreValidAndUnique(t *testing.T) {
	k := NewKeys(time.Date(2026, 11, 22, 9, 30, 0, 123456789, time.UTC))
	seen := map[string]bool{}
	for round := 1; round <= 3; round++ {
		k.Round = round
		for w := range 300 {
			for _, seq := range []int{0, 1, 9, 10, 11, 99999} {
				for _, id := range []string{k.ID("o", w, seq), k.ID("earn", w, seq), k.Serial(w, seq)} {
					if seen[id] {
						t.Fatalf("%s made twice", id)
					}
					seen[id] = true
				}
				id := k.ID("earn", w, seq)
				if err := ledger.ValidateID("id", id); err != nil || len(id) > 64 || strings.Trim(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != "" {
					t.Fatalf("id %q: %v (an order ID takes 64 letters, digits and '-')", id, err)
				}
				if err := provenance.ValidateSerial("serial", k.Serial(w, seq)); err != nil {
					t.Fatalf("serial: %v", err)
				}
			}
		}
		if err := provenance.ValidateLotNumber("lot", k.Lot()); err != nil {
			t.Fatal(err)
		}
	}
	for n := range 3 {
		gtin := k.GTIN(n)
		if got, err := provenance.NormalizeGTIN("gtin", gtin); err != nil || got != gtin {
			t.Fatalf("GTIN %s: %v (normalised %s)", gtin, err, got)
		}
		if n > 0 && gtin == k.GTIN(n-1) {
			t.Fatal("two products share a GTIN")
		}
	}
	if other := NewKeys(time.Date(2026, 11, 22, 9, 30, 1, 0, time.UTC)); other.Run == k.Run || other.GTIN(1) == k.GTIN(1) {
		t.Fatal("two invocations share keys")
	}
	if err := ledger.ValidateAccount("account", k.Account("Org2MSP", "hot")); err != nil {
		t.Fatal(err)
	}
	if retryKey("k", 0) != "k" || retryKey("k", 2) != "k-r2" {
		t.Fatal("retry keys")
	}
}

func TestCycleWalksStepsAndRestartsOnFailure(t *testing.T) {
	var log []string
	fail := map[string]bool{"b:0:3": true}
	mk := func(name string) step {
		return func(ctx context.Context, c current) error {
			entry := fmt.Sprintf("%s:%d:%d", name, c.worker, c.seq)
			log = append(log, entry)
			if fail[entry] {
				return errors.New("refused")
			}
			return nil
		}
	}
	op := cycle(Keys{Run: "r", Round: 1}, 2, []step{mk("a"), mk("b")})
	for seq := range 6 {
		_ = op(context.Background(), 0, seq)
	}
	// The business operation of a worker is named after the sequence number of its first step.
	want := "a:0:0 b:0:0 a:0:2 b:0:2 a:0:4 b:0:4"
	if got := strings.Join(log, " "); got != want {
		t.Fatalf("steps %s, want %s", got, want)
	}
	log, fail = nil, map[string]bool{"a:1:0": true}
	for seq := range 3 {
		_ = op(context.Background(), 1, seq)
	}
	if got := strings.Join(log, " "); got != "a:1:0 a:1:1 b:1:1" {
		t.Fatalf("after a failed first step: %s", got)
	}
	if err := op(context.Background(), 2, 0); err == nil {
		t.Fatal("worker beyond the prepared ones ran")
	}
}

func TestClassifyDirect(t *testing.T) {
	cases := []struct {
		err  error
		want bench.Class
	}{
		{&client.CommitError{Code: peer.TxValidationCode_MVCC_READ_CONFLICT}, bench.MVCC},
		{fmt.Errorf("wrapped: %w", &client.CommitError{Code: peer.TxValidationCode_PHANTOM_READ_CONFLICT}), bench.Phantom},
		{&client.CommitError{Code: peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE}, bench.Endorsement},
		{&client.CommitError{Code: peer.TxValidationCode_DUPLICATE_TXID}, bench.Other},
		{context.DeadlineExceeded, bench.Timeout},
		{status.Error(codes.DeadlineExceeded, "late"), bench.Timeout},
		{errors.New("boom"), bench.Other},
	}
	for _, tc := range cases {
		if got := ClassifyDirect(tc.err); got != tc.want {
			t.Errorf("ClassifyDirect(%v) = %s, want %s", tc.err, got, tc.want)
		}
	}
}

func TestClassifyService(t *testing.T) {
	se := func(status int, code cxlerr.Code, msg string) error {
		return &ServiceError{Status: status, Envelope: cxlerr.Error{Code: code, Message: msg}}
	}
	cases := []struct {
		err  error
		want bench.Class
	}{
		{se(429, cxlerr.RateLimited, "slow down"), bench.RateLimited},
		{se(409, cxlerr.Conflict, "transaction x read data ... (MVCC_READ_CONFLICT); nothing was applied"), bench.MVCC},
		{se(409, cxlerr.Conflict, "(PHANTOM_READ_CONFLICT)"), bench.Phantom},
		{se(202, cxlerr.Pending, "unknown"), bench.Timeout},
		{se(504, cxlerr.Timeout, "late"), bench.Timeout},
		{se(503, cxlerr.Unavailable, "failed to endorse transaction"), bench.Endorsement},
		{se(409, cxlerr.Conflict, "order exists"), bench.Endorsement},
		{se(500, cxlerr.Internal, "bug"), bench.Other},
		{context.DeadlineExceeded, bench.Timeout},
		{errors.New("connection refused"), bench.Other},
	}
	for _, tc := range cases {
		if got := ClassifyService(tc.err); got != tc.want {
			t.Errorf("ClassifyService(%v) = %s, want %s", tc.err, got, tc.want)
		}
	}
}

func TestLagging(t *testing.T) {
	if !lagging(&ServiceError{Status: 404}) || !lagging(&ServiceError{Status: 409, Envelope: cxlerr.Error{Message: "no custody offer is pending for item x"}}) {
		t.Error("service refusals of a record not seen yet are lag")
	}
	if lagging(&ServiceError{Status: 409, Envelope: cxlerr.Error{Message: "already offered"}}) || lagging(errors.New("cxl:NOT_FOUND")) {
		t.Error("other errors are not lag")
	}
	var tries int
	p := &Prepared{}
	err := retryLag(context.Background(), p, func(try int) error {
		tries++
		if try < 2 {
			return &ServiceError{Status: 404}
		}
		return nil
	})
	if err != nil || tries != 3 || p.LagRetries() != 2 {
		t.Fatalf("retryLag: err %v after %d tries, %d counted", err, tries, p.LagRetries())
	}
	err = retryLag(context.Background(), p, func(int) error { return errors.New("refused") })
	if err == nil || p.LagRetries() != 2 {
		t.Fatalf("a refusal is not retried: %v, %d", err, p.LagRetries())
	}
}

func TestRoutesAndPaths(t *testing.T) {
	doc := `{"paths": {
		"/v1/provenance/verify/{gtin}/{serial}": {"get": {"operationId": "provenance.Verify"}},
		"/v1/health/pings": {"post": {"operationId": "health.Ping"}},
		"/v1/orders/{id}/deliveries": {"post": {"operationId": "orders.ConfirmDelivery"}}}}`
	routes, err := parseRoutes(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if r := routes["provenance.Verify"]; r.method != "GET" || r.path != "/v1/provenance/verify/{gtin}/{serial}" {
		t.Fatalf("verify route = %+v", r)
	}
	path, rest := fillPath(routes["orders.ConfirmDelivery"].path, map[string]any{"id": "o-1/2", "note": "x"})
	if path != "/v1/orders/o-1%2F2/deliveries" || len(rest) != 1 || rest["note"] != "x" {
		t.Fatalf("path %s, rest %v", path, rest)
	}
	metrics := `# HELP x
cxl_gateway_fabric_phase_duration_seconds_bucket{outcome="OK",phase="commit",le="0.5"} 800
cxl_gateway_fabric_phase_duration_seconds_sum{outcome="TIMEOUT",phase="commit"} 7
cxl_gateway_fabric_phase_duration_seconds_count{outcome="TIMEOUT",phase="commit"} 7
cxl_gateway_fabric_phase_duration_seconds_sum{outcome="OK",phase="commit"} 263
cxl_gateway_fabric_phase_duration_seconds_count{outcome="OK",phase="commit"} 900
cxl_gateway_fabric_phase_duration_seconds_sum{outcome="OK",phase="endorse"} 90.3
cxl_gateway_fabric_phase_duration_seconds_count{outcome="OK",phase="endorse"} 903
`
	phases, commits, err := parsePhases(strings.NewReader(metrics))
	if err != nil || commits != 900 {
		t.Fatalf("commit statuses = %d, %v", commits, err)
	}
	if phases["commit"] != (PhaseCounter{Calls: 907, Seconds: 270}) || phases["endorse"] != (PhaseCounter{Calls: 903, Seconds: 90.3}) {
		t.Fatalf("phases %+v", phases)
	}
	earlier := ServiceCounters{Phases: map[string]PhaseCounter{"commit": {Calls: 7, Seconds: 0}}}
	stats := ServiceCounters{Phases: phases}.PhasesSince(earlier)
	if stats["commit"] != (bench.PhaseStat{Calls: 900, MeanMs: 300}) || stats["endorse"].Calls != 903 || math.Abs(stats["endorse"].MeanMs-100) > 1e-9 {
		t.Fatalf("phases since: %+v", stats)
	}
}

func TestServiceCalls(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/openapi.json":
			fmt.Fprint(w, `{"paths": {"/v1/health/pings": {"post": {"operationId": "health.Ping"}},
				"/v1/provenance/verify/{gtin}/{serial}": {"get": {"operationId": "provenance.Verify"}}}}`)
			return
		case "/v1/health/pings":
			got = append(got, r.Header.Get("X-API-Key")+" "+r.Header.Get("Idempotency-Key"))
			if r.Header.Get("Idempotency-Key") == "busy" {
				w.Header().Set("Retry-After", "0")
				w.WriteHeader(http.StatusTooManyRequests)
				fmt.Fprint(w, `{"code":"RATE_LIMITED","message":"slow down","retryable":true}`)
				return
			}
			fmt.Fprint(w, `{"transactionId":"t1"}`)
		default:
			got = append(got, r.URL.Path+" "+r.RemoteAddr[:strings.LastIndexByte(r.RemoteAddr, ':')])
			fmt.Fprint(w, `{"genuine":true}`)
		}
	}))
	defer srv.Close()
	keys := []APIKey{{Principal: "org1-user1", MSPID: "Org1MSP", User: "User1", Key: "k1"}, {Principal: "org1-admin", MSPID: "Org1MSP", User: "Admin", Key: "ka"}}
	env := &Env{Service: &ServiceConfig{URL: srv.URL, Keys: keys, Addresses: 3}, Workers: 2}
	defer env.Close()
	if _, err := env.Prepare(context.Background(), "baseline", Service); !errors.Is(err, ErrNoServiceVariant) {
		t.Fatalf("baseline through the service: %v", err)
	}
	var missing *MissingEndpointsError
	if _, err := env.Prepare(context.Background(), "loyalty", Service); !errors.As(err, &missing) || missing.Operations[0] != "loyalty.Earn" {
		t.Fatalf("loyalty without its endpoint: %v", err)
	}
	s, err := env.service(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if p := s.principals("Org1MSP"); len(p) != 1 || p[0] != "org1-user1" {
		t.Fatalf("principals = %v: users only", p)
	}
	if err := s.call(context.Background(), "health.Ping", "org1-user1", "n1", map[string]any{"nonce": "n1"}, nil); err != nil {
		t.Fatal(err)
	}
	err = s.call(context.Background(), "health.Ping", "org1-user1", "busy", map[string]any{"nonce": "n2"}, nil)
	if ClassifyService(err) != bench.RateLimited {
		t.Fatalf("429: %v", err)
	}
	for range 4 {
		if err := s.call(context.Background(), "provenance.Verify", "", "", map[string]any{"gtin": "123", "serial": "S1"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"k1 n1", "k1 busy", "/v1/provenance/verify/123/S1 127.77.0.0", "/v1/provenance/verify/123/S1 127.77.0.1",
		"/v1/provenance/verify/123/S1 127.77.0.2", "/v1/provenance/verify/123/S1 127.77.0.0"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("requests:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestSpecs(t *testing.T) {
	for _, s := range Specs {
		if len(s.Steps) == 0 || s.About == "" {
			t.Errorf("%s: steps %v, about %q", s.Name, s.Steps, s.About)
		}
		if _, ok := SpecOf(s.Name); !ok {
			t.Errorf("SpecOf(%s)", s.Name)
		}
	}
	if _, err := (&Env{Workers: 1}).Prepare(context.Background(), "nope", Direct); err == nil {
		t.Fatal("unknown workload prepared")
	}
}

// writeCA writes a cryptogen-like CA for org2.example.com under home.
func writeCA(t *testing.T, home network.Home) *x509.Certificate {
	t.Helper()
	dir := filepath.Join(home.Crypto(), "peerOrganizations", "org2.example.com", "ca")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{Country: []string{"US"}, Organization: []string{"org2.example.com"}, CommonName: "ca.org2.example.com"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature, SubjectKeyId: []byte{1, 2, 3, 4},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "ca.org2.example.com-cert.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(filepath.Join(dir, "priv_sk"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
	ca, _ := x509.ParseCertificate(der)
	return ca
}

func TestMintIssuesAClientOfTheOrganisation(t *testing.T) {
	home := network.Home(t.TempDir())
	ca := writeCA(t, home)
	tls := filepath.Join(t.TempDir(), "tls.pem")
	os.WriteFile(tls, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw}), 0o644)
	prof := &network.Profile{Channel: "ch", Chaincode: "cc", Orgs: []network.OrgProfile{{MSPID: "Org2MSP",
		Peers: []network.EndpointInfo{{Address: "127.0.0.1:1", TLSRootCert: tls}}}}}
	d := newDirect(home, prof)
	defer d.close()
	gw, err := d.mint("Org2MSP", "bench-x-1@org2.example.com")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(certDER(t, gw))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		t.Fatalf("minted certificate does not chain to the CA: %v", err)
	}
	if cert.Subject.CommonName != "bench-x-1@org2.example.com" || len(cert.Subject.OrganizationalUnit) != 1 || cert.Subject.OrganizationalUnit[0] != "client" {
		t.Fatalf("subject %v: want the CN and the NodeOU client", cert.Subject)
	}
	if gw.Identity().MspID() != "Org2MSP" {
		t.Fatalf("MSP %s", gw.Identity().MspID())
	}
}

func certDER(t *testing.T, gw *client.Gateway) []byte {
	t.Helper()
	block, _ := pem.Decode(gw.Identity().Credentials())
	if block == nil {
		t.Fatal("no certificate")
	}
	return block.Bytes
}

func TestRawJSONKeepsTheBytes(t *testing.T) {
	raw, _ := json.Marshal(map[string]any{"ok": true})
	var r []byte
	if err := (&rawJSON{&r}).UnmarshalJSON(raw); err != nil || string(r) != string(raw) {
		t.Fatalf("raw JSON %s", r)
	}
}
