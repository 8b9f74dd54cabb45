package ledgertest_test

import (
	"bytes"
	"crypto/sha256"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertest"
	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/cid"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
)

// The compile-time proof that Stub is a chaincode stub.
var _ shim.ChaincodeStubInterface = (*ledgertest.Stub)(nil)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, stub *ledgertest.Stub, key string) string {
	t.Helper()
	v, err := stub.GetState(key)
	must(t, err)
	return string(v)
}

func TestVisibilityFollowsFabric(t *testing.T) {
	stub := ledgertest.New()
	must(t, stub.PutState("k", []byte("v1")))
	if got := get(t, stub, "k"); got != "" {
		t.Fatalf("uncommitted write visible: %q", got)
	}
	stub.Commit()
	if got := get(t, stub, "k"); got != "v1" {
		t.Fatalf("committed write = %q", got)
	}
	must(t, stub.PutState("k", []byte("v2")))
	must(t, stub.DelState("k"))
	must(t, stub.PutState("k", []byte("v3")))
	if got := get(t, stub, "k"); got != "v1" {
		t.Fatalf("read-your-writes: %q", got)
	}
	stub.Begin() // abandons v3
	if got := get(t, stub, "k"); got != "v1" {
		t.Fatalf("abandoned write visible: %q", got)
	}
	must(t, stub.PutState("k", nil)) // an empty value deletes, as in Fabric
	if w := stub.Writes(); len(w) != 1 || w[0].Op != ledgertest.OpDelete {
		t.Fatalf("writes %+v", w)
	}
	stub.Commit()
	if got := get(t, stub, "k"); got != "" {
		t.Fatalf("deleted key = %q", got)
	}
	if err := stub.PutState("", []byte("x")); err == nil {
		t.Fatal("empty key accepted")
	}
}

func TestTransactionsAreDeterministic(t *testing.T) {
	a, b := ledgertest.New(), ledgertest.New()
	for range 3 {
		if a.GetTxID() != b.GetTxID() || len(a.GetTxID()) != 64 {
			t.Fatalf("tx IDs %q and %q", a.GetTxID(), b.GetTxID())
		}
		first := a.GetTxID()
		a.Commit()
		b.Commit()
		if a.GetTxID() == first {
			t.Fatal("Commit kept the tx ID")
		}
	}
	a.SetTxID("custom")
	if a.GetTxID() != "custom" {
		t.Fatal("SetTxID")
	}
	at := time.Date(2027, 2, 3, 4, 5, 6, 7, time.UTC)
	ts, err := a.At(at).GetTxTimestamp()
	must(t, err)
	if !ts.AsTime().Equal(at) || !a.Now().Equal(at) {
		t.Fatalf("timestamp %v", ts.AsTime())
	}
}

func TestHistory(t *testing.T) {
	stub := ledgertest.New()
	start := stub.Now()
	var ids []string
	for i, v := range []string{"a", "", "c"} {
		stub.At(start.Add(time.Duration(i) * time.Minute))
		ids = append(ids, stub.GetTxID())
		must(t, stub.PutState("k", []byte(v)))
		stub.Commit()
	}
	it, err := stub.GetHistoryForKey("k")
	must(t, err)
	var got []string
	for it.HasNext() {
		m, err := it.Next()
		must(t, err)
		got = append(got, m.TxId[:4]+":"+string(m.Value)+":"+m.Timestamp.AsTime().Format("04")+":"+map[bool]string{true: "del", false: "put"}[m.IsDelete])
	}
	must(t, it.Close())
	want := []string{ids[2][:4] + ":c:02:put", ids[1][:4] + "::01:del", ids[0][:4] + ":a:00:put"}
	if !slices.Equal(got, want) {
		t.Fatalf("history %q, want newest first %q", got, want)
	}
	if _, err := it.Next(); err == nil {
		t.Fatal("Next after the end")
	}
}

func TestRangeQueries(t *testing.T) {
	stub := ledgertest.New()
	for _, parts := range [][]string{{"a", "1"}, {"a", "2"}, {"a", "3"}, {"ab", "1"}, {"b", "1"}} {
		key, err := stub.CreateCompositeKey("test.row", parts)
		must(t, err)
		must(t, stub.PutState(key, []byte(strings.Join(parts, "/"))))
	}
	must(t, stub.PutState("simple1", []byte("s1")))
	must(t, stub.PutState("simple2", []byte("s2")))
	stub.Commit()

	collect := func(it shim.StateQueryIteratorInterface, err error) []string {
		t.Helper()
		must(t, err)
		defer it.Close()
		var out []string
		for it.HasNext() {
			kv, err := it.Next()
			must(t, err)
			out = append(out, string(kv.Value))
		}
		return out
	}
	if got := collect(stub.GetStateByPartialCompositeKey("test.row", []string{"a"})); !slices.Equal(got, []string{"a/1", "a/2", "a/3"}) {
		t.Fatalf("partial key a = %q", got)
	}
	if got := collect(stub.GetStateByPartialCompositeKey("test.row", nil)); len(got) != 5 {
		t.Fatalf("all rows = %q", got)
	}
	if got := collect(stub.GetStateByRange("", "")); !slices.Equal(got, []string{"s1", "s2"}) {
		t.Fatalf("simple range = %q", got)
	}
	if got := collect(stub.GetStateByRange("simple2", "")); !slices.Equal(got, []string{"s2"}) {
		t.Fatalf("open range = %q", got)
	}
	if _, err := stub.GetStateByRange("\x00x", ""); err == nil {
		t.Fatal("composite start key accepted by a simple range")
	}

	var pages [][]string
	bookmark := ""
	for {
		it, meta, err := stub.GetStateByPartialCompositeKeyWithPagination("test.row", nil, 2, bookmark)
		pages = append(pages, collect(it, err))
		if int(meta.FetchedRecordsCount) != len(pages[len(pages)-1]) {
			t.Fatalf("fetched count %d", meta.FetchedRecordsCount)
		}
		if meta.Bookmark == "" {
			break
		}
		bookmark = meta.Bookmark
	}
	if len(pages) != 3 || !slices.Equal(pages[2], []string{"b/1"}) {
		t.Fatalf("pages %q", pages)
	}
	if stub.OpenIterators() != 0 {
		t.Fatalf("%d iterators open", stub.OpenIterators())
	}
	if _, err := stub.GetQueryResult(`{"selector":{}}`); err == nil {
		t.Fatal("rich query accepted")
	}
	objectType, parts, err := stub.SplitCompositeKey("\x00test.row\x00a\x001\x00")
	if err != nil || objectType != "test.row" || !slices.Equal(parts, []string{"a", "1"}) {
		t.Fatalf("split = %q %q %v", objectType, parts, err)
	}
}

func TestPaginatedQueriesAreReadOnly(t *testing.T) {
	stub := ledgertest.New()
	must(t, stub.PutState("k", []byte("v")))
	if _, _, err := stub.GetStateByPartialCompositeKeyWithPagination("test.row", nil, 1, ""); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("paginated query after a write: %v", err)
	}
	stub.Begin()
	it, _, err := stub.GetStateByRangeWithPagination("", "", 1, "")
	must(t, err)
	must(t, it.Close())
	if err := stub.PutState("k", []byte("v")); err == nil || !strings.Contains(err.Error(), "paginated query") {
		t.Fatalf("write after a paginated query: %v", err)
	}
	stub.Begin()
	must(t, stub.PutState("k", []byte("v")))
	if _, err := stub.GetPrivateDataByRange("pdc", "", ""); err == nil {
		t.Fatal("private range query after a write accepted")
	}
}

func TestPrivateData(t *testing.T) {
	stub := ledgertest.New()
	must(t, stub.PutPrivateData("pdc", "k", []byte("secret")))
	if v, _ := stub.GetPrivateData("pdc", "k"); v != nil {
		t.Fatal("uncommitted private data visible")
	}
	stub.Commit()
	v, err := stub.GetPrivateData("pdc", "k")
	must(t, err)
	hash, err := stub.GetPrivateDataHash("pdc", "k")
	must(t, err)
	sum := sha256.Sum256([]byte("secret"))
	if string(v) != "secret" || !bytes.Equal(hash, sum[:]) {
		t.Fatalf("private %q hash %x", v, hash)
	}
	if v, _ := stub.GetState("k"); v != nil {
		t.Fatal("private data leaked into the world state")
	}
	must(t, stub.PurgePrivateData("pdc", "k"))
	if w := stub.Writes(); len(w) != 1 || w[0].Collection != "pdc" || w[0].Op != ledgertest.OpPurge {
		t.Fatalf("writes %+v", w)
	}
	stub.Commit()
	if hash, _ := stub.GetPrivateDataHash("pdc", "k"); hash != nil {
		t.Fatal("purged data has a hash")
	}
	if err := stub.PutPrivateData("", "k", []byte("x")); err == nil {
		t.Fatal("empty collection accepted")
	}
	stub.SetTransient(map[string][]byte{"email": []byte("a@example.com")})
	tm, err := stub.GetTransient()
	must(t, err)
	if string(tm["email"]) != "a@example.com" {
		t.Fatalf("transient %q", tm)
	}
}

func TestValidationParameters(t *testing.T) {
	stub := ledgertest.New()
	must(t, stub.PutState("k", []byte("v")))
	must(t, stub.SetStateValidationParameter("k", []byte("policy")))
	if w := stub.Writes(); len(w) != 1 || string(w[0].ValidationParameter) != "policy" || w[0].Op != ledgertest.OpPut {
		t.Fatalf("writes %+v", w)
	}
	if ep, _ := stub.GetStateValidationParameter("k"); ep != nil {
		t.Fatal("uncommitted policy visible")
	}
	stub.Commit()
	if ep, _ := stub.GetStateValidationParameter("k"); string(ep) != "policy" {
		t.Fatalf("policy %q", ep)
	}
	must(t, stub.DelState("k"))
	stub.Commit()
	if ep, _ := stub.GetStateValidationParameter("k"); ep != nil {
		t.Fatal("policy survived its key")
	}
}

func TestEventsKeepTheLast(t *testing.T) {
	stub := ledgertest.New()
	must(t, stub.SetEvent("a", []byte("1")))
	must(t, stub.SetEvent("b", []byte("2")))
	if e := stub.Event(); e.EventName != "b" || string(e.Payload) != "2" {
		t.Fatalf("event %v", e)
	}
	if stub.SetEvent("", nil) == nil {
		t.Fatal("empty event name accepted")
	}
	stub.Commit()
	if stub.Event() != nil {
		t.Fatal("event carried into the next transaction")
	}
}

func TestIdentities(t *testing.T) {
	stub := ledgertest.New()
	if _, err := stub.GetCreator(); err == nil {
		t.Fatal("creator without As")
	}
	ctx := ledgertest.Context(stub)
	stub.AsIdentity(ledgertest.Identity{MSP: "Org1MSP", CN: "alice", OU: "client", Attrs: map[string]string{"tier": "gold"}})
	id := ctx.GetClientIdentity()
	msp, _ := id.GetMSPID()
	cert, _ := id.GetX509Certificate()
	tier, _, _ := id.GetAttributeValue("tier")
	if msp != "Org1MSP" || cert.Subject.CommonName != "alice" || !slices.Equal(cert.Subject.OrganizationalUnit, []string{"client"}) || tier != "gold" {
		t.Fatalf("identity %s %v %q", msp, cert.Subject, tier)
	}
	stub.As("Org2MSP", "Admin@org2", "admin")
	id = ctx.GetClientIdentity()
	if msp, _ := id.GetMSPID(); msp != "Org2MSP" {
		t.Fatalf("context kept the old caller: %s", msp)
	}
	if ok, err := cid.HasOUValue(stub, "admin"); !ok || err != nil {
		t.Fatalf("admin OU: %v %v", ok, err)
	}
	if ctx.GetStub() != stub {
		t.Fatal("context stub")
	}
}

func TestArgs(t *testing.T) {
	stub := ledgertest.New().SetArgs("provenance:Verify", `{"gtin":"1"}`)
	fn, params := stub.GetFunctionAndParameters()
	if fn != "provenance:Verify" || !slices.Equal(params, []string{`{"gtin":"1"}`}) {
		t.Fatalf("function %q params %q", fn, params)
	}
	if resp := stub.InvokeChaincode("other", nil, ""); resp.Status != shim.ERROR {
		t.Fatal("InvokeChaincode succeeded")
	}
}
