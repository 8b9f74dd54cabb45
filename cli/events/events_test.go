package events

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cxledger/cxledger/cli/clitest"
	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/ledgerapi"
)

func ids(t *testing.T, out string) []string {
	t.Helper()
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var ev ledgerapi.Event
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("not NDJSON: %q", line)
		}
		got = append(got, ev.ID)
	}
	return got
}

// ping commits a health ping, which emits health.Pinged.
func ping(t *testing.T, l *clitest.Ledger, n int) {
	t.Helper()
	clitest.Must(t, l, ledgerapi.HealthPing, ledgerapi.PingRequest{Nonce: "n" + strconv.Itoa(n)})
}

func TestTailResumesFromItsCheckpoint(t *testing.T) {
	for _, tr := range clitest.Transports() {
		t.Run(tr.Name, func(t *testing.T) {
			l := clitest.New(t)
			for i := range 5 {
				ping(t, l, i)
			}
			c := tr.Open(t, l)
			cp := filepath.Join(t.TempDir(), "tail.pos")
			cx := func(args ...string) clitest.Result { return clitest.Run(t, c, NewCmdEvents, args...) }

			r := cx("tail", "--from-start", "--checkpoint", cp, "--max", "2", "--json").OK(t)
			if got := strings.Join(ids(t, r.Stdout), " "); got != "1:0 2:0" {
				t.Fatalf("first two: %s", got)
			}
			if data, _ := os.ReadFile(cp); string(data) != "2:0\n" {
				t.Fatalf("checkpoint %q", data)
			}
			// --from-start only applies before there is a checkpoint: this resumes after 2:0.
			r = cx("tail", "--from-start", "--checkpoint", cp, "--max", "2", "--json").OK(t)
			if got := strings.Join(ids(t, r.Stdout), " "); got != "3:0 4:0" {
				t.Fatalf("resumed: %s", got)
			}
			// Events that come while nobody tails are not lost; the filter applies.
			l.As(clitest.Admin("Org1MSP"))
			clitest.Must(t, l, ledgerapi.ConsortiumProposeRole, ledgerapi.RoleRequest{MSP: "Org2MSP", Role: "brand"})
			ping(t, l, 6)
			r = cx("tail", "--checkpoint", cp, "--contract", "health", "--type", "Pinged", "--idle", "200ms", "--json").OK(t)
			if got := strings.Join(ids(t, r.Stdout), " "); got != "5:0 7:0" {
				t.Fatalf("filtered rest: %s", got)
			}
			r = cx("tail", "--checkpoint", cp, "--idle", "200ms").OK(t)
			if r.Stdout != "" {
				t.Fatalf("nothing new, yet printed %q", r.Stdout)
			}
			text := cx("tail", "--after", "5:0", "--max", "1").OK(t)
			if !strings.HasPrefix(text.Stdout, "6:0        consortium.RoleProposed") || !strings.Contains(text.Stdout, `"msp":"Org2MSP"`) {
				t.Fatalf("text line %q", text.Stdout)
			}
		})
	}
}

func TestTailFlags(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.pos")
	os.WriteFile(bad, []byte("yesterday\n"), 0o644)
	l := clitest.New(t)
	c := clitest.InProcess(t, l)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"tail", "--after", "1:0", "--from-start"}, "choose one"},
		{[]string{"tail", "--after", "one"}, "want an event ID"},
		{[]string{"tail", "--type", "provenance.LotRecalled"}, "--contract"},
		{[]string{"tail", "--checkpoint", bad}, `holds "yesterday"`},
		{[]string{"tail", "now"}, "unexpected argument"},
	} {
		clitest.Run(t, c, NewCmdEvents, tc.args...).Fails(t, cmdutil.ExitUsage, tc.want)
	}
	if n := len(l.Calls()); n != 0 {
		t.Fatalf("%d calls reached the ledger", n)
	}
}
