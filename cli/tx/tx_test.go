package tx

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/cli/clitest"
	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
)

func TestStatus(t *testing.T) {
	cmdutil.FollowInterval = 10 * time.Millisecond
	l := clitest.New(t)
	c := clitest.InProcess(t, l)
	cx := func(args ...string) clitest.Result { return clitest.Run(t, c, NewCmdTx, args...) }
	submit := func(key string, op *ledgerapi.Operation, req any) (*ledgerapi.Committed[json.RawMessage], error) {
		t.Helper()
		return c.Submit(ledgerapi.WithIdempotencyKey(t.Context(), key), op, req)
	}
	ping := &ledgerapi.HealthPing.Operation
	ok, err := submit("k1", ping, &ledgerapi.PingRequest{Nonce: "n1"})
	if err != nil {
		t.Fatal(err)
	}
	var st ledgerapi.TransactionStatus
	cx("status", ok.TransactionID, "--json").OK(t).JSON(t, &st)
	var res bytes.Buffer
	json.Compact(&res, st.Result)
	if st.State != ledgerapi.TxCommitted || st.BlockNumber != ok.BlockNumber || res.String() != string(ok.Result) {
		t.Fatalf("status %+v", st)
	}
	text := cx("status", ok.TransactionID).OK(t)
	if !strings.Contains(text.Stdout, "state:\tCOMMITTED\nblock:\t1\n") {
		t.Fatalf("text:\n%s", text.Stdout)
	}
	// A transaction the contract refused prints its status and exits with its error's code.
	_, err = submit("k2", &ledgerapi.ConsortiumProposeRole.Operation, &ledgerapi.RoleRequest{MSP: "Org2MSP", Role: "brand"})
	e, _ := cxlerr.As(err)
	if cxlerr.CodeOf(err) != cxlerr.Forbidden || e.TransactionID == "" {
		t.Fatalf("a role proposed by a client: %v", err)
	}
	r := cx("status", e.TransactionID, "--json")
	r.Fails(t, cmdutil.ExitForbidden, "FORBIDDEN")
	r.JSON(t, &st)
	if st.State != ledgerapi.TxFailed {
		t.Fatalf("failed status %+v", st)
	}
	// A commit not known yet is pending; --wait follows it until it commits (the ledger
	// tells at the second look).
	l.Pending(&ledgerapi.HealthPing.Operation)
	_, err = submit("k3", ping, &ledgerapi.PingRequest{Nonce: "n3"})
	e, _ = cxlerr.As(err)
	if cxlerr.CodeOf(err) != cxlerr.Pending {
		t.Fatalf("pending: %v", err)
	}
	cx("status", e.TransactionID).Fails(t, cmdutil.ExitPending, "still pending")
	cx("status", e.TransactionID, "--wait").OK(t)
	cx("status", "nope").Fails(t, cmdutil.ExitNotFound, "NOT_FOUND")
	cx("status").Fails(t, cmdutil.ExitUsage, "missing ID")
}
