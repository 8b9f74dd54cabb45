package healthcc_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/cxledger/cxledger/chaincode/health"
	"github.com/cxledger/cxledger/chaincode/health/healthcc"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertest"
	"github.com/cxledger/cxledger/cxlerr"
)

// TestPingKeysByOrganisation: two members pinging with the same nonce write two records.
func TestPingKeysByOrganisation(t *testing.T) {
	c := healthcc.NewContract("test")
	stub := ledgertest.New()
	for _, msp := range []string{"Org1MSP", "Org2MSP"} {
		p, err := c.Ping(ledgertest.Context(stub.As(msp, "probe", "client")), "n-1")
		if err != nil || p.MSPID != msp || p.Nonce != "n-1" || p.TxID == "" {
			t.Fatalf("Ping as %s = %+v, %v", msp, p, err)
		}
		if ev := stub.Event(); ev == nil || ev.EventName != "health.Pinged" || !strings.Contains(string(ev.Payload), msp) {
			t.Fatalf("event %v", ev)
		}
		stub.Commit()
	}
	if keys := stub.Keys(); len(keys) != 2 {
		t.Fatalf("keys %q, want one per organisation", keys)
	}
	for _, key := range stub.Keys() {
		var p health.Ping
		if err := json.Unmarshal(stub.State(key), &p); err != nil || !strings.Contains(key, p.MSPID) {
			t.Fatalf("record at %q: %+v, %v", key, p, err)
		}
	}
}

func TestPingRefusesBadNonces(t *testing.T) {
	c := healthcc.NewContract("test")
	stub := ledgertest.New().As("Org1MSP", "probe", "client")
	for _, nonce := range []string{"", strings.Repeat("n", 129), "\xff", "a\x00b", "a\U0010FFFF"} {
		_, err := c.Ping(ledgertest.Context(stub), nonce)
		if e, ok := cxlerr.Parse(errText(err)); !ok || e.Code != cxlerr.Invalid {
			t.Errorf("Ping(%q): %v, want cxl:INVALID", nonce, err)
		}
		if len(stub.Writes()) != 0 || stub.Event() != nil {
			t.Errorf("Ping(%q) wrote", nonce)
		}
		stub.Begin()
	}
	if _, err := c.Ping(ledgertest.Context(ledgertest.New()), "n"); !strings.HasPrefix(errText(err), "cxl:UNAUTHENTICATED: ") {
		t.Errorf("Ping without caller: %v", err)
	}
}

func TestVersion(t *testing.T) {
	info, err := healthcc.NewContract("1.2.3").Version(ledgertest.Context(ledgertest.New().As("Org1MSP", "probe", "client")))
	if err != nil || info.Version != "1.2.3" {
		t.Fatalf("Version = %+v, %v", info, err)
	}
	if out, _ := json.Marshal(info); string(out) != `{"version":"1.2.3"}` {
		t.Fatalf("Version encodes as %s", out)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
