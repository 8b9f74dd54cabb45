package tx

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/cxledger/cxledger/cli/clitest"
	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
)

func TestStatus(t *testing.T) {
	fake := clitest.NewFake()
	fake.SetTransaction(ledgerapi.TransactionStatus{TransactionID: "ok1", State: ledgerapi.TxCommitted, BlockNumber: 7, ValidationCode: "VALID", Result: []byte(`{"a":1}`)})
	fake.SetTransaction(ledgerapi.TransactionStatus{TransactionID: "bad1", State: ledgerapi.TxFailed, BlockNumber: 8, ValidationCode: "MVCC_READ_CONFLICT",
		Error: cxlerr.Errorf(cxlerr.Conflict, "read conflict")})
	fake.SetTransaction(ledgerapi.TransactionStatus{TransactionID: "wait1", State: ledgerapi.TxPending})
	fake.SetTransaction(ledgerapi.TransactionStatus{TransactionID: "wait2", State: ledgerapi.TxPending})
	c := clitest.InProcess(t, fake)
	cx := func(args ...string) clitest.Result { return clitest.Run(t, c, NewCmdTx, args...) }

	var st ledgerapi.TransactionStatus
	cx("status", "ok1", "--json").OK(t).JSON(t, &st)
	var res bytes.Buffer
	json.Compact(&res, st.Result)
	if st.State != ledgerapi.TxCommitted || st.BlockNumber != 7 || res.String() != `{"a":1}` {
		t.Fatalf("status %+v", st)
	}
	text := cx("status", "ok1").OK(t)
	if !strings.Contains(text.Stdout, "state:\tCOMMITTED\nblock:\t7\n") {
		t.Fatalf("text:\n%s", text.Stdout)
	}
	// A failed transaction prints its status and exits with its error's code.
	r := cx("status", "bad1", "--json")
	r.Fails(t, cmdutil.ExitConflict, "read conflict")
	r.JSON(t, &st)
	if st.State != ledgerapi.TxFailed {
		t.Fatalf("failed status %+v", st)
	}
	cx("status", "wait1").Fails(t, cmdutil.ExitPending, "still pending")
	// --wait follows it until it commits (the fake commits at the second look).
	cx("status", "wait2", "--wait").OK(t)
	cx("status", "nope").Fails(t, cmdutil.ExitNotFound, "NOT_FOUND")
	cx("status").Fails(t, cmdutil.ExitUsage, "missing ID")
}
