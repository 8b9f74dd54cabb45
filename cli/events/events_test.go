package events

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cxledger/cxledger/cli/clitest"
	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/cxlerr"
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

func TestTailResumesFromItsCheckpoint(t *testing.T) {
	for _, tr := range clitest.Transports() {
		t.Run(tr.Name, func(t *testing.T) {
			fake := clitest.NewFake()
			for i := range 5 {
				fake.AddEvent("provenance", []string{"LotRecalled", "ProductRegistered"}[i%2], map[string]int{"n": i})
			}
			c := tr.Open(t, fake)
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
			fake.AddEvent("orders", "OrderPlaced", map[string]int{"n": 5})
			fake.AddEvent("provenance", "LotRecalled", map[string]int{"n": 6})
			r = cx("tail", "--checkpoint", cp, "--contract", "provenance", "--type", "LotRecalled", "--idle", "200ms", "--json").OK(t)
			if got := strings.Join(ids(t, r.Stdout), " "); got != "5:0 7:0" {
				t.Fatalf("filtered rest: %s", got)
			}
			r = cx("tail", "--checkpoint", cp, "--idle", "200ms").OK(t)
			if r.Stdout != "" {
				t.Fatalf("nothing new, yet printed %q", r.Stdout)
			}
			text := cx("tail", "--after", "5:0", "--max", "1").OK(t)
			if !strings.HasPrefix(text.Stdout, "6:0        orders.OrderPlaced") || !strings.HasSuffix(text.Stdout, ` {"n":5}`+"\n") {
				t.Fatalf("text line %q", text.Stdout)
			}
		})
	}
}

func TestTailFlags(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.pos")
	os.WriteFile(bad, []byte("yesterday\n"), 0o644)
	fake := clitest.NewFake()
	c := clitest.InProcess(t, fake)
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
	fake.Errors["events.Subscribe"] = cxlerr.Errorf(cxlerr.Forbidden, "no events for you")
	clitest.Run(t, c, NewCmdEvents, "tail", "--max", "1").Fails(t, cmdutil.ExitForbidden, "no events for you")
}
