package ticket

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/chaincode/care"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cli/clitest"
	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/cli/transport"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gateway/config"
	"github.com/cxledger/cxledger/gateway/fabric"
	"github.com/cxledger/cxledger/gateway/httpapi"
	"github.com/cxledger/cxledger/gateway/metrics"
	"github.com/cxledger/cxledger/gateway/store"
	"github.com/cxledger/cxledger/gateway/vault"
	"github.com/cxledger/cxledger/ledgerapi"
)

func TestNewCmdOpen(t *testing.T) {
	msg := filepath.Join(t.TempDir(), "msg.txt")
	os.WriteFile(msg, []byte("Parcel arrived damaged\n"), 0o644)
	cases := []struct {
		args    []string
		want    string
		wantErr string
	}{
		{args: []string{"t1", "--merchant", "Org2MSP", "--category", "delivery", "--priority", "high", "--message", "hi"}, want: "hi"},
		{args: []string{"t1", "--order", "o1", "--category", "delivery", "--priority", "high", "--message-file", msg}, want: "Parcel arrived damaged"},
		{args: []string{"t1", "--category", "delivery", "--priority", "high", "--message", "hi"}, wantErr: "--merchant or --order"},
		{args: []string{"t1", "--merchant", "M", "--category", "delivery", "--priority", "high"}, wantErr: "first --message"},
		{args: []string{"t1", "--merchant", "M", "--category", "delivery", "--priority", "high", "--message", "a", "--message-file", msg}, wantErr: "choose one"},
		{args: []string{"t1", "--merchant", "M", "--category", "delivery", "--priority", "high", "--message-file", "/nonexistent"}, wantErr: "--message-file"},
		{args: []string{"t1", "--merchant", "M", "--message", "a"}, wantErr: "missing --category, --priority"},
	}
	for _, tc := range cases {
		f, _, _ := clitest.Factory(t, nil)
		var got *OpenOptions
		r := clitest.Exec(t, f, NewCmdOpen(f, func(o *OpenOptions) error { got = o; return nil }), tc.args...)
		if tc.wantErr != "" {
			r.Fails(t, cmdutil.ExitUsage, tc.wantErr)
			continue
		}
		r.OK(t)
		if got.Message != tc.want {
			t.Errorf("%v: message %q", tc.args, got.Message)
		}
	}
}

func hash(salt []byte, s string) string {
	m := hmac.New(sha256.New, salt)
	m.Write([]byte(s))
	return hex.EncodeToString(m.Sum(nil))
}

// The merchant's staff (Org2MSP) and a customer of Org1MSP.
var merchant, customer = clitest.User("Org2MSP", "User1"), clitest.Customer("Org1MSP", "User1")

// members is a ledger where Org2MSP is a merchant and Org1MSP a carrier, as the customer.
func members(t *testing.T) *clitest.Ledger {
	t.Helper()
	l := clitest.New(t)
	l.Grant(t, "Org2MSP", ledgertypes.Merchant)
	l.Grant(t, "Org1MSP", ledgertypes.Carrier)
	return l.As(customer)
}

// merchantVault is Org2MSP's vault of ticket keys, its pool published on l as the gateway
// service's keeper publishes it; l is left acting as the customer.
func merchantVault(t *testing.T, l *clitest.Ledger) (*vault.Vault, *vault.Keeper) {
	t.Helper()
	v, err := vault.Open(filepath.Join(t.TempDir(), "vault"))
	if err != nil {
		t.Fatal(err)
	}
	k := &vault.Keeper{Vault: v, Orgs: map[string]ledgerapi.Transport{"Org2MSP": l.Transport(nil)}, Pool: 3, Threshold: 2}
	l.As(merchant)
	if err := k.TopUp(context.Background(), "Org2MSP"); err != nil {
		t.Fatal(err)
	}
	l.As(customer)
	return v, k
}

// vaultBackend is l as the gateway service reaches it: with the merchant's vault.
type vaultBackend struct {
	l *clitest.Ledger
	v *vault.Vault
}

func (b vaultBackend) Transport(_ string, j fabric.Journal) (ledgerapi.Transport, error) {
	return b.v.Wrap(b.l.Transport(j)), nil
}

func (b vaultBackend) Lookup(ctx context.Context, txID string) (*ledgerapi.TransactionStatus, error) {
	return b.l.Lookup(ctx, txID)
}

func (b vaultBackend) Ready(context.Context) error { return nil }

// vaultREST is the gateway service's REST API over l with the merchant's vault v, reached
// through the CLI's gateway transport.
func vaultREST(t *testing.T, l *clitest.Ledger, v *vault.Vault) cmdutil.Client {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "gateway.db"))
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(httpapi.New(httpapi.Options{
		Backend: vaultBackend{l, v}, Store: st, Metrics: metrics.New(),
		Principals:     map[[sha256.Size]byte]httpapi.Principal{config.HashKey(clitest.APIKey): {Name: "tester", Identity: "tester"}},
		PublicIdentity: "tester", Limits: config.Defaults().Limits, RequestTimeout: 5 * time.Second,
	}))
	t.Cleanup(func() {
		hs.Close()
		st.Close()
	})
	g, err := transport.NewGateway(hs.URL, clitest.APIKey, "")
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestTicketLifecycle runs the ticket commands directly (the CLI's Fabric transport, which
// has no vault and so cannot read personal data) and through the gateway service holding
// the merchant's vault.
func TestTicketLifecycle(t *testing.T) {
	for _, name := range []string{"direct", "gateway"} {
		t.Run(name, func(t *testing.T) {
			l := members(t)
			v, keeper := merchantVault(t, l)
			c := clitest.InProcess(t, l)
			if name == "gateway" {
				c = vaultREST(t, l, v)
			}
			cx := func(args ...string) clitest.Result { return clitest.Run(t, c, NewCmdTicket, args...) }
			l.As(customer)
			open := []string{"open", "t1", "--merchant", "Org2MSP", "--category", "delivery", "--priority", "high",
				"--message", "Parcel arrived damaged", "--contact", "+49 30 1234", "--idempotency-key", "open-t1", "--json"}
			var o ledgerapi.Committed[care.Ticket]
			r := cx(open...).OK(t)
			r.JSON(t, &o)
			// The salt comes from the key, is printed, and keys the hashes on the ledger.
			sum := sha256.Sum256([]byte("cxl ticket salt\nopen-t1"))
			if !strings.Contains(r.Stderr, "salt ") || o.Result.ContactHash != hash(sum[:], "+49 30 1234") {
				t.Fatalf("contact hash %s, stderr %q", o.Result.ContactHash, r.Stderr)
			}
			if strings.Contains(r.Stdout, "Parcel") || strings.Contains(r.Stdout, "+49") {
				t.Fatalf("personal data in the output:\n%s", r.Stdout)
			}
			// Retried with the same key: the same request (same salt), so the first outcome.
			var again ledgerapi.Committed[care.Ticket]
			cx(open...).OK(t).JSON(t, &again)
			if again.TransactionID != o.TransactionID || len(l.CallsOf(&ledgerapi.CareOpenTicket.Operation)) != 1 {
				t.Fatalf("retry: %s vs %s", again.TransactionID, o.TransactionID)
			}
			cx("respond", "t1", "--message", "sorry").Fails(t, cmdutil.ExitForbidden, "FORBIDDEN")
			l.As(merchant)
			cx("assign", "t1", "--agent", "Org2MSP/User2").OK(t)
			cx("respond", "t1").Fails(t, cmdutil.ExitUsage, "--message")
			cx("respond", "t1", "--message", "A replacement is on its way").OK(t)
			cx("resolve", "t1").OK(t)
			l.As(customer)
			cx("reopen", "t1", "--message", "Still broken").OK(t)
			l.As(merchant)
			cx("resolve", "t1", "--message", "Refunded").OK(t)
			l.As(customer)
			var closed ledgerapi.Committed[care.Ticket]
			cx("confirm", "t1", "--json").OK(t).JSON(t, &closed)
			if closed.Result.State != care.StateClosed || closed.Result.Steps != 7 {
				t.Fatalf("closed ticket %+v", closed.Result)
			}
			cx("confirm", "t1").Fails(t, cmdutil.ExitConflict, "closed")
			var shown Shown
			cx("show", "t1", "--json").OK(t).JSON(t, &shown)
			if len(shown.Steps) != 7 || shown.Personal != nil {
				t.Fatalf("shown %+v", shown)
			}
			// Only the merchant reads the personal data, and only through its gateway service.
			cx("show", "t1", "--personal").Fails(t, cmdutil.ExitForbidden, "FORBIDDEN")
			l.As(merchant)
			if name == "direct" {
				cx("show", "t1", "--personal").Fails(t, cmdutil.ExitForbidden, "readable only through the merchant's gateway service")
			} else {
				text := cx("show", "t1", "--personal").OK(t)
				if !strings.Contains(text.Stdout, "contact\t1\ttrue\t+49 30 1234") || !strings.Contains(text.Stdout, "message\t1\ttrue\tParcel arrived damaged") {
					t.Fatalf("personal data:\n%s", text.Stdout)
				}
			}
			var before ledgerapi.Committed[care.Ticket]
			cx("erase", "t1", "--json").OK(t).JSON(t, &before)
			if before.Result.Key != "" {
				t.Fatalf("the erased ticket keeps key %s", before.Result.Key)
			}
			if name == "gateway" {
				cx("show", "t1", "--personal", "--json").OK(t).JSON(t, &shown)
				if len(shown.Personal.Texts) != 0 {
					t.Fatalf("after erasure: %+v", shown.Personal)
				}
			}
			// The keeper destroys the erased ticket's key.
			if _, err := v.Key("Org2MSP", o.Result.Key); err != nil {
				t.Fatalf("the key before reconciliation: %v", err)
			}
			if err := keeper.Reconcile(context.Background(), "Org2MSP"); err != nil {
				t.Fatal(err)
			}
			if _, err := v.Key("Org2MSP", o.Result.Key); cxlerr.CodeOf(err) != cxlerr.NotFound {
				t.Fatalf("the erased ticket's key %s after reconciliation: %v", o.Result.Key, err)
			}
			// A missing ticket has no parties: the merchant may not read it, and
			// learns no more than that (only arbiters and auditors get NOT_FOUND).
			cx("show", "t9").Fails(t, cmdutil.ExitForbidden, "FORBIDDEN")
			var page care.TicketPage
			cx("list", "--merchant", "Org2MSP", "--json").OK(t).JSON(t, &page)
			if len(page.Tickets) != 1 {
				t.Fatalf("list %+v", page)
			}
		})
	}
}

func TestSLA(t *testing.T) {
	for _, tr := range clitest.Transports() {
		t.Run(tr.Name, func(t *testing.T) {
			l := members(t)
			l.As(merchant)
			c := tr.Open(t, l)
			cx := func(args ...string) clitest.Result { return clitest.Run(t, c, NewCmdTicket, args...) }
			show := cx("sla", "show", "Org2MSP").OK(t)
			if !strings.Contains(show.Stderr, "defaults") || !strings.Contains(show.Stdout, "urgent\t1h0m0s\t8h0m0s") {
				t.Fatalf("default policy %q %q", show.Stdout, show.Stderr)
			}
			cx("sla", "set", "--urgent", "30m/2h", "--high", "2h/8h", "--normal", "4h/24h", "--low", "8h/72h").OK(t)
			var p care.SLAPolicy
			cx("sla", "show", "Org2MSP", "--json").OK(t).JSON(t, &p)
			if p.Urgent.FirstResponse != "30m0s" || p.Low.Resolution != "72h0m0s" || p.Default {
				t.Fatalf("policy %+v", p)
			}
			cx("sla", "set", "--urgent", "30m", "--high", "2h/8h", "--normal", "4h/24h", "--low", "8h/72h").Fails(t, cmdutil.ExitUsage, "FIRST/RESOLUTION")
			cx("sla", "set", "--urgent", "30m/2h").Fails(t, cmdutil.ExitUsage, "missing --high, --normal, --low")
			cx("sla", "sweep", "Org2MSP").OK(t)
			cx("sla", "breaches", "Org2MSP").OK(t)
		})
	}
}
