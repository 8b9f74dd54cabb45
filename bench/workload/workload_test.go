package workload

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"

	"github.com/cxledger/cxledger/bench"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gateway/fabric"
	"github.com/cxledger/cxledger/ledgerapi"
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
				if err := ledgertypes.ValidateID("id", id); err != nil || len(id) > 64 || strings.Trim(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != "" {
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
	if err := ledgertypes.ValidateAccount("account", k.Account("Org2MSP", "hot")); err != nil {
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
	var ops []int
	mk = func(mk func(string) step) func(string) step {
		return func(name string) step {
			inner := mk(name)
			return func(ctx context.Context, c current) error {
				ops = append(ops, c.op)
				return inner(ctx, c)
			}
		}
	}(mk)
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
	// Business operations are numbered in the order they started, over every worker; both
	// steps of one share its number (orders-spread picks its customer by it).
	if got := fmt.Sprint(ops); got != "[0 0 1 1 2 2 3 4 4]" {
		t.Fatalf("operation numbers %s", got)
	}
	if err := op(context.Background(), 2, 0); err == nil {
		t.Fatal("worker beyond the prepared ones ran")
	}
	bounded := cycle(Keys{}, 1, []step{func(ctx context.Context, _ current) error {
		if d, ok := ctx.Deadline(); !ok || time.Until(d) > stepTimeout {
			return errors.New("unbounded step")
		}
		return nil
	}})
	if err := bounded(context.Background(), 0, 0); err != nil {
		t.Fatal(err)
	}
}

// withDetails is a gRPC status error carrying an endorsing peer's answer, as a gateway peer
// returns when endorsement fails.
func withDetails(t *testing.T, code codes.Code, msg, detail string) error {
	t.Helper()
	st, err := status.New(code, msg).WithDetails(protoadapt.MessageV1Of(&gateway.ErrorDetail{Address: "peer0:7051", MspId: "Org1MSP", Message: detail}))
	if err != nil {
		t.Fatal(err)
	}
	return st.Err()
}

func TestClassify(t *testing.T) {
	envelope := func(code cxlerr.Code, retryable bool, details ...cxlerr.Detail) error {
		return &cxlerr.Error{Code: code, Message: "m", Retryable: retryable, Details: details}
	}
	mvcc := &client.CommitError{TransactionID: "tx", Code: peer.TxValidationCode_MVCC_READ_CONFLICT}
	cases := []struct {
		name string
		err  error
		want bench.Class
	}{
		{"raw MVCC conflict", mvcc, bench.MVCC},
		{"raw phantom conflict, wrapped", fmt.Errorf("wrapped: %w", &client.CommitError{Code: peer.TxValidationCode_PHANTOM_READ_CONFLICT}), bench.Phantom},
		{"raw endorsement policy failure", &client.CommitError{Code: peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE}, bench.Endorsement},
		{"raw duplicate", &client.CommitError{Code: peer.TxValidationCode_DUPLICATE_TXID}, bench.Other},
		{"the adapter's conflict keeps its validation code", fmt.Errorf("submit orders:Place: %w", fabric.Classify(&client.CommitError{Code: peer.TxValidationCode_PHANTOM_READ_CONFLICT})), bench.Phantom},
		{"deadline", context.DeadlineExceeded, bench.Timeout},
		{"gRPC deadline", status.Error(codes.DeadlineExceeded, "late"), bench.Timeout},
		{"endorsing peers refused", withDetails(t, codes.Aborted, "failed to endorse transaction", "chaincode response 500, cxl:NOT_FOUND: no order o-1"), bench.Endorsement},
		{"endorsing peers unreachable", withDetails(t, codes.Aborted, "failed to collect enough transaction endorsements", "connection refused"), bench.Endorsement},
		{"plain error", errors.New("boom"), bench.Other},
		{"rate limited", envelope(cxlerr.RateLimited, true), bench.RateLimited},
		{"read conflict through the service", envelope(cxlerr.Conflict, true), bench.MVCC},
		{"pending", envelope(cxlerr.Pending, true), bench.Timeout},
		{"timeout", envelope(cxlerr.Timeout, true), bench.Timeout},
		{"endorsement failure through the service", envelope(cxlerr.Unavailable, true, cxlerr.Detail{Address: "peer0:7051", MSPID: "Org1MSP", Message: "connection refused"}), bench.Endorsement},
		{"the service cannot reach the ledger", envelope(cxlerr.Unavailable, true), bench.Other},
		{"refused: exists", envelope(cxlerr.Conflict, false), bench.Endorsement},
		{"refused: not found", envelope(cxlerr.NotFound, false), bench.Endorsement},
		{"refused: funds", envelope(cxlerr.InsufficientFunds, false), bench.Endorsement},
		{"no credentials", envelope(cxlerr.Unauthenticated, false), bench.Other},
		{"bug", envelope(cxlerr.Internal, false), bench.Other},
	}
	for _, tc := range cases {
		if got := Classify(tc.err); got != tc.want {
			t.Errorf("%s: Classify(%v) = %s, want %s", tc.name, tc.err, got, tc.want)
		}
	}
}

func TestLagging(t *testing.T) {
	notFound := &cxlerr.Error{Code: cxlerr.NotFound, Message: "no item"}
	notPending := &cxlerr.Error{Code: cxlerr.Conflict, Message: "no custody offer is pending for item x"}
	for _, tc := range []struct {
		name   string
		err    error
		notYet []cxlerr.Code
		want   bool
	}{
		{"not found", notFound, nil, true},
		{"not found, from the chaincode's text", errors.New("chaincode response 500, cxl:NOT_FOUND: no item"), nil, true},
		{"the step's own code", notPending, []cxlerr.Code{cxlerr.Conflict}, true},
		{"another step's conflict", notPending, nil, false},
		{"a read conflict is the benchmark's", &cxlerr.Error{Code: cxlerr.Conflict, Retryable: true}, []cxlerr.Code{cxlerr.Conflict}, false},
		{"endorsers disagree", &cxlerr.Error{Code: cxlerr.Unavailable, Retryable: true}, nil, true},
		{"endorsing peers refused", withDetails(t, codes.Aborted, "failed to endorse", "chaincode response 500, cxl:FORBIDDEN: no"), nil, false},
		{"refused", &cxlerr.Error{Code: cxlerr.Forbidden}, []cxlerr.Code{cxlerr.Conflict}, false},
		{"no error", nil, []cxlerr.Code{cxlerr.Conflict}, false},
	} {
		if got := lagging(tc.err, tc.notYet...); got != tc.want {
			t.Errorf("%s: lagging(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
	var tries int
	p := &Prepared{}
	err := retryLag(context.Background(), p, func(try int) error {
		tries++
		if try < 2 {
			return notFound
		}
		return nil
	})
	if err != nil || tries != 3 || p.LagRetries() != 2 {
		t.Fatalf("retryLag: err %v after %d tries, %d counted", err, tries, p.LagRetries())
	}
	tries = 0
	err = retryLag(context.Background(), p, func(int) error { tries++; return notPending })
	if err != notPending || tries != 1 || p.LagRetries() != 2 {
		t.Fatalf("a refusal is not retried: %v after %d tries, %d counted", err, tries, p.LagRetries())
	}
	tries = 0
	err = retryLag(context.Background(), p, func(int) error { tries++; return notFound })
	if err != notFound || tries != maxLagRetries+1 || p.LagRetries() != 2+maxLagRetries {
		t.Fatalf("lag without end: %v after %d tries, %d counted", err, tries, p.LagRetries())
	}
}

func TestOperationsAndPhases(t *testing.T) {
	doc := `{"paths": {
		"/v1/provenance/verify/{gtin}/{serial}": {"get": {"operationId": "provenance.Verify"}},
		"/v1/health/pings": {"post": {"operationId": "health.Ping"}, "parameters": {}},
		"/v1/orders/deliveries": {"post": {"operationId": "orders.ConfirmDelivery"}}}}`
	ops, err := parseOperations(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 3 || !ops["provenance.Verify"] || !ops["health.Ping"] || !ops["orders.ConfirmDelivery"] {
		t.Fatalf("operations %v", ops)
	}
	if _, err := parseOperations(strings.NewReader(`{"paths": [`)); err == nil {
		t.Fatal("a broken document parsed")
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

// TestServiceCalls: the service's operations go through the REST client with the
// principal's API key and the step's idempotency key, public ones with none from each
// source address in turn; every answer is counted, and the mutations committed and
// conflicted too.
func TestServiceCalls(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/openapi.json":
			fmt.Fprint(w, `{"paths": {"/v1/health/pings": {"post": {"operationId": "health.Ping"}},
				"/v1/provenance/verify/{gtin}/{serial}": {"get": {"operationId": "provenance.Verify"}}}}`)
			return
		case "/v1/health/pings":
			got = append(got, r.Header.Get("Authorization")+" "+r.Header.Get("Idempotency-Key"))
			switch r.Header.Get("Idempotency-Key") {
			case "busy":
				w.Header().Set("Retry-After", "0")
				w.WriteHeader(http.StatusTooManyRequests)
				fmt.Fprint(w, `{"code":"RATE_LIMITED","message":"slow down","retryable":true}`)
				return
			case "mvcc":
				w.WriteHeader(http.StatusConflict)
				fmt.Fprint(w, `{"code":"CONFLICT","message":"read conflict","transactionId":"t2","retryable":true}`)
				return
			}
			fmt.Fprint(w, `{"transactionId":"t1","blockNumber":3,"result":{"nonce":"n1"}}`)
		default:
			got = append(got, r.URL.Path+" "+r.RemoteAddr[:strings.LastIndexByte(r.RemoteAddr, ':')]+" "+r.Header.Get("Authorization"))
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
	a := serviceActors{s}
	users, err := a.users("Org1MSP")
	if err != nil || len(users) != 1 {
		t.Fatalf("users = %v, %v: users only", users, err)
	}
	if _, err := a.users("Org9MSP"); err == nil {
		t.Fatal("users of an organisation without keys")
	}
	if _, _, err := a.customers(2); !errors.Is(err, ErrNoCustomers) {
		t.Fatalf("customers without keys: %v", err)
	}
	ctx := context.Background()
	ping := func(key string) error {
		_, err := ledgerapi.HealthPing.Run(keyed(ctx, key), users[0], ledgerapi.PingRequest{Nonce: "n1"})
		return err
	}
	if err := ping("n1"); err != nil {
		t.Fatal(err)
	}
	if err := ping("busy"); Classify(err) != bench.RateLimited {
		t.Fatalf("429: %v", err)
	}
	if err := ping("mvcc"); Classify(err) != bench.MVCC {
		t.Fatalf("409 read conflict: %v", err)
	}
	verifier, err := a.verifier()
	if err != nil {
		t.Fatal(err)
	}
	gtin := NewKeys(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)).GTIN(1)
	for range 4 {
		v, err := ledgerapi.ProvenanceVerify.Query(ctx, verifier(), ledgerapi.VerifyRequest{GTIN: gtin, Serial: "S1"})
		if err != nil || !v.Genuine {
			t.Fatalf("verify: %+v %v", v, err)
		}
	}
	path := "/v1/provenance/verify/" + gtin + "/S1"
	want := []string{"Bearer k1 n1", "Bearer k1 busy", "Bearer k1 mvcc", path + " 127.77.0.0 ", path + " 127.77.0.1 ",
		path + " 127.77.0.2 ", path + " 127.77.0.0 "}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("requests:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if s.calls.Load() != 7 || s.committed.Load() != 1 || s.conflicted.Load() != 1 {
		t.Fatalf("counted %d answers, %d committed, %d conflicted", s.calls.Load(), s.committed.Load(), s.conflicted.Load())
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

// TestSpecOperationsResolve: every operation a workload names is one of cxledger's, of the
// kind the workload says (only the baseline's raw Fabric call is not), and the service
// variant calls the same ones.
func TestSpecOperationsResolve(t *testing.T) {
	for _, s := range Specs {
		if s.Name == "baseline" {
			if !slices.Equal(s.Steps, []string{"baseline.Put"}) || len(s.ServiceOps) != 0 {
				t.Errorf("baseline: steps %v, service %v: raw Fabric, direct only", s.Steps, s.ServiceOps)
			}
			continue
		}
		if !slices.Equal(s.ServiceOps, s.Steps) {
			t.Errorf("%s: service operations %v, steps %v", s.Name, s.ServiceOps, s.Steps)
		}
		for _, name := range append(slices.Clone(s.Steps), s.ServiceOps...) {
			contract, fn, _ := strings.Cut(name, ".")
			op := ledgerapi.Lookup(contract, fn)
			if op == nil {
				t.Errorf("%s: %s is no operation", s.Name, name)
				continue
			}
			if want := map[bool]ledgerapi.Kind{true: ledgerapi.Evaluate, false: ledgerapi.Submit}[s.Evaluate]; op.Kind != want {
				t.Errorf("%s: %s is of kind %d, the workload says evaluate=%v", s.Name, name, op.Kind, s.Evaluate)
			}
		}
	}
}
