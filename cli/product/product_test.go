package product

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/cli/clitest"
	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
)

// members is a ledger where Org1MSP is a brand and Org2MSP a carrier, as Org1MSP/User1.
func members(t *testing.T) *clitest.Ledger {
	t.Helper()
	l := clitest.New(t)
	l.Grant(t, "Org1MSP", ledgertypes.Brand)
	l.Grant(t, "Org2MSP", ledgertypes.Carrier)
	return l
}

// org1 and org2 are staff of Org1MSP and Org2MSP.
var org1, org2 = clitest.User("Org1MSP", "User1"), clitest.User("Org2MSP", "User1")

// registered is a ledger (members) holding a product, lot L1 and n items of it, all
// Org1MSP's.
func registered(t *testing.T, tr clitest.Transport, n int) (*clitest.Ledger, func(args ...string) clitest.Result) {
	t.Helper()
	l := members(t)
	c := tr.Open(t, l)
	cx := func(args ...string) clitest.Result { return clitest.Run(t, c, NewCmdProduct, args...) }
	cx("register", gtin, "--name", "Beans").OK(t)
	cx("register", gtin, "--lot", "L1", "--quantity", "100", "--unit", "kg").OK(t)
	if n > 0 {
		args := []string{"register", gtin, "--lot", "L1"}
		for i := range n {
			args = append(args, "--serial", fmt.Sprintf("S%03d", i))
		}
		cx(args...).OK(t)
	}
	return l, cx
}

func TestCustodyHandover(t *testing.T) {
	for _, tr := range clitest.Transports() {
		t.Run(tr.Name, func(t *testing.T) {
			l, cx := registered(t, tr, 1)
			var c ledgerapi.Committed[provenance.Custody]
			cx("handover", gtin, "--lot", "L1", "--to", "Org2MSP", "--location", "Hamburg", "--json").OK(t).JSON(t, &c)
			if c.Result.Offer == nil || c.Result.Offer.To != "Org2MSP" || c.Result.Holder != "Org1MSP" {
				t.Fatalf("offer %+v", c.Result)
			}
			// Org1 cannot accept its own offer; Org2 can.
			cx("accept", gtin, "--lot", "L1").Fails(t, cmdutil.ExitForbidden, "FORBIDDEN")
			l.As(org2)
			r := cx("accept", gtin, "--lot", "L1").OK(t)
			if !strings.Contains(r.Stdout, "holder:\tOrg2MSP") || !strings.Contains(r.Stderr, "took custody of lot "+gtin+"/L1") {
				t.Fatalf("accept printed %q / %q", r.Stdout, r.Stderr)
			}
			var shown Shown
			cx("show", gtin, "--lot", "L1", "--json").OK(t).JSON(t, &shown)
			if shown.Custody.Holder != "Org2MSP" || shown.Lot.Quantity != 100 || shown.Product.Name != "Beans" {
				t.Fatalf("shown %+v", shown)
			}
			// A second offer, rejected; then withdrawal has nothing to withdraw.
			cx("handover", gtin, "--lot", "L1", "--to", "Org1MSP", "--location", "Kiel").OK(t)
			l.As(org1)
			cx("reject", gtin, "--lot", "L1", "--reason", "damaged").OK(t)
			l.As(org2)
			cx("withdraw", gtin, "--lot", "L1").Fails(t, cmdutil.ExitConflict, "no custody offer is pending")
			var h provenance.ProvenanceHistory
			cx("history", gtin, "--lot", "L1", "--custody", "--json").OK(t).JSON(t, &h)
			if len(h.Versions) != 5 {
				t.Fatalf("custody versions %d, want 5 (register, offer, accept, offer, reject)", len(h.Versions))
			}
			// An item's custody is its own.
			cx("show", gtin, "--serial", "S000").OK(t)
			cx("show", gtin, "--serial", "NOPE").Fails(t, cmdutil.ExitNotFound, "NOT_FOUND")
		})
	}
}

func TestCustodyFlags(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"handover", gtin, "--lot", "L1", "--to", "Org2MSP"}, "missing --location"},
		{[]string{"handover", gtin, "--to", "Org2MSP", "--location", "x"}, "give --lot or --serial"},
		{[]string{"accept", gtin, "--lot", "L1", "--serial", "S1"}, "choose one"},
		{[]string{"accept"}, "missing GTIN"},
		{[]string{"history", gtin, "--custody"}, "a product has no custody"},
		{[]string{"history", gtin, "--limit", "0"}, "--limit"},
		{[]string{"recall", gtin, "--lot", "L1"}, "missing --reason"},
		{[]string{"trace", gtin}, "missing --lot"},
		{[]string{"verify", gtin}, "missing --serial"},
		{[]string{"certify", gtin, "--id", "c1", "--type", "organic", "--valid-until", "2030-01-01"}, "--document FILE or its --hash"},
		{[]string{"certify", gtin, "--id", "c1", "--type", "organic", "--hash", "ab", "--valid-until", "soon"}, "--valid-until"},
		{[]string{"certify", gtin, "--id", "c1", "--type", "organic", "--hash", "ab", "--document", "f", "--valid-until", "2030-01-01"}, "choose one"},
	}
	for _, tc := range cases {
		l := clitest.New(t)
		r := clitest.Run(t, clitest.InProcess(t, l), NewCmdProduct, tc.args...)
		if r.Code != cmdutil.ExitUsage || !strings.Contains(r.Err.Error(), tc.want) {
			t.Errorf("%v: exit %d, %v; want a usage error with %q", tc.args, r.Code, r.Err, tc.want)
		}
		if len(l.Calls()) != 0 {
			t.Errorf("%v: the ledger was called", tc.args)
		}
	}
}

func TestCertifyRecallVerify(t *testing.T) {
	doc := filepath.Join(t.TempDir(), "organic.pdf")
	os.WriteFile(doc, []byte("certified organic"), 0o644)
	sum := sha256.Sum256([]byte("certified organic"))
	for _, tr := range clitest.Transports() {
		t.Run(tr.Name, func(t *testing.T) {
			l, cx := registered(t, tr, 2)
			var c ledgerapi.Committed[provenance.Certificate]
			cx("certify", gtin, "--lot", "L1", "--id", "org-1", "--type", "organic", "--document", doc,
				"--valid-from", "2025-06-01", "--valid-until", "2027-01-01", "--json").OK(t).JSON(t, &c)
			if c.Result.Hash != hex.EncodeToString(sum[:]) || c.Result.Subject.Lot != "L1" {
				t.Fatalf("certificate %+v", c.Result)
			}
			var v provenance.Verification
			cx("verify", gtin, "--serial", "S001", "--json").OK(t).JSON(t, &v)
			if !v.Genuine || v.Recalled || len(v.Certificates) != 1 {
				t.Fatalf("before the recall: %+v", v)
			}
			cx("recall", gtin, "--lot", "L1", "--reason", "contaminated").OK(t)
			cx("recall", gtin, "--lot", "L1", "--reason", "again").Fails(t, cmdutil.ExitConflict, "CONFLICT")
			r := cx("verify", gtin, "--serial", "S001").OK(t)
			if !strings.Contains(r.Stdout, "verdict:\tGENUINE, RECALLED\n") || !strings.Contains(r.Stdout, "recall:\tlot "+gtin+"/L1") {
				t.Fatalf("verify text:\n%s", r.Stdout)
			}
			r = cx("verify", gtin, "--serial", "FAKE1").OK(t)
			if !strings.Contains(r.Stdout, "verdict:\tNOT GENUINE") {
				t.Fatalf("an unknown item is an answer, not an error:\n%s", r.Stdout)
			}
			cx("revoke-certificate", gtin, "--lot", "L1", "--id", "org-1", "--reason", "lapsed").OK(t)
			cx("revoke-certificate", gtin, "--lot", "L1", "--id", "org-9", "--reason", "x").Fails(t, cmdutil.ExitNotFound, "NOT_FOUND")
			if got := l.CallsOf(&ledgerapi.ProvenanceVerify.Operation); len(got) != 3 {
				t.Fatalf("Verify calls %d", len(got))
			}
		})
	}
}

func TestTracePagesUpToTheLimit(t *testing.T) {
	for _, tr := range clitest.Transports() {
		t.Run(tr.Name, func(t *testing.T) {
			l, cx := registered(t, tr, 250)
			var lt, limited provenance.LotTrace
			cx("trace", gtin, "--lot", "L1", "--json").OK(t).JSON(t, &lt)
			if len(lt.Items) != 250 || lt.Items[0].Serial != "S000" || lt.Items[249].Serial != "S249" || lt.Bookmark != "" {
				t.Fatalf("all items: %d, first %v, bookmark %q", len(lt.Items), lt.Items[0], lt.Bookmark)
			}
			for _, c := range l.CallsOf(&ledgerapi.ProvenanceTrace.Operation) {
				if size := c.Request.(*ledgerapi.TraceRequest).PageSize; size > 100 {
					t.Fatalf("a page of %d items (the service caps pages at 100)", size)
				}
			}
			r := cx("trace", gtin, "--lot", "L1", "--limit", "150", "--json").OK(t)
			r.JSON(t, &limited)
			if len(limited.Items) != 150 || limited.Bookmark == "" {
				t.Fatalf("limited: %d items, bookmark %q", len(limited.Items), limited.Bookmark)
			}
			r = cx("trace", gtin, "--lot", "L1", "--limit", "3")
			if !strings.Contains(r.Stdout, "lot\t0\t"+gtin+"\tL1\tOrg1MSP\t100 kg\tOrg1MSP") || strings.Count(r.Stdout, "\tS0") != 3 ||
				!strings.Contains(r.Stderr, "raise --limit") {
				t.Fatalf("trace text:\n%s\n%s", r.Stdout, r.Stderr)
			}
			cx("trace", gtin, "--lot", "NOLOT").Fails(t, cmdutil.ExitNotFound, "NOT_FOUND")
		})
	}
}

func TestHistoryPages(t *testing.T) {
	for _, tr := range clitest.Transports() {
		t.Run(tr.Name, func(t *testing.T) {
			l, cx := registered(t, tr, 0)
			for i := range 4 {
				to := []string{"Org2MSP", "Org1MSP"}[i%2]
				cx("handover", gtin, "--lot", "L1", "--to", to, "--location", "x").OK(t)
				l.As(clitest.User(to, "User1"))
				cx("accept", gtin, "--lot", "L1").OK(t)
			}
			var h provenance.ProvenanceHistory
			r := cx("history", gtin, "--lot", "L1", "--custody", "--limit", "3", "--json").OK(t)
			r.JSON(t, &h)
			if len(h.Versions) != 3 || h.Bookmark == "" {
				t.Fatalf("limit 3: %d versions, bookmark %q", len(h.Versions), h.Bookmark)
			}
			var h2 provenance.ProvenanceHistory
			cx("history", gtin, "--lot", "L1", "--custody", "--bookmark", h.Bookmark, "--json").OK(t).JSON(t, &h2)
			if len(h2.Versions) != 6 || h2.Bookmark != "" {
				t.Fatalf("the rest: %d versions, bookmark %q", len(h2.Versions), h2.Bookmark)
			}
			text := cx("history", gtin, "--lot", "L1", "--custody", "--limit", "1").OK(t)
			if !strings.Contains(text.Stdout, "held by Org1MSP at x") || !strings.Contains(text.Stderr, "--bookmark") {
				t.Fatalf("history text %q / %q", text.Stdout, text.Stderr)
			}
			cx("history", "09506000134369").Fails(t, cmdutil.ExitNotFound, "not registered")
		})
	}
}

// A query that the ledger refuses keeps its code whatever the transport.
func TestQueryErrorsKeepTheirCode(t *testing.T) {
	for _, tr := range clitest.Transports() {
		t.Run(tr.Name, func(t *testing.T) {
			l, cx := registered(t, tr, 1)
			for code, exit := range map[cxlerr.Code]cmdutil.ExitCode{
				cxlerr.Forbidden: cmdutil.ExitForbidden, cxlerr.Unavailable: cmdutil.ExitRetryable,
				cxlerr.Timeout: cmdutil.ExitRetryable, cxlerr.Internal: cmdutil.ExitFailure,
			} {
				l.Fail(&ledgerapi.ProvenanceVerify.Operation, cxlerr.Errorf(code, "injected"))
				r := cx("verify", gtin, "--serial", "S000")
				if r.Code != exit || !strings.Contains(r.Err.Error(), string(code)) || r.Stdout != "" {
					t.Errorf("%s: exit %d, %v, stdout %q", code, r.Code, r.Err, r.Stdout)
				}
			}
		})
	}
}

// A certificate's validity starts now unless --valid-from says otherwise; now is resolved
// once per idempotency key, so repeating the command word for word replays it.
func TestRetriedCertifyIsTheSameRequest(t *testing.T) {
	for _, tr := range clitest.Transports() {
		t.Run(tr.Name, func(t *testing.T) {
			l, _ := registered(t, tr, 0)
			f, _, _ := clitest.Factory(t, tr.Open(t, l))
			clock := l.Now()
			f.Now = func() time.Time { clock = clock.Add(time.Hour); return clock }
			certify := []string{"certify", gtin, "--lot", "L1", "--id", "c1", "--type", "organic", "--hash", strings.Repeat("ab", 32),
				"--valid-until", "2099-01-01", "--idempotency-key", "cert-1", "--json"}
			var first, again ledgerapi.Committed[provenance.Certificate]
			clitest.Exec(t, f, NewCmdProduct(f), certify...).OK(t).JSON(t, &first)
			clitest.Exec(t, f, NewCmdProduct(f), certify...).OK(t).JSON(t, &again)
			if again.TransactionID != first.TransactionID || !again.Result.ValidFrom.Equal(first.Result.ValidFrom) {
				t.Fatalf("the retry is another request: %+v, first %+v", again, first)
			}
			if n := len(l.CallsOf(&ledgerapi.ProvenanceIssueCertificate.Operation)); n != 1 {
				t.Fatalf("IssueCertificate ran %d times", n)
			}
		})
	}
}
