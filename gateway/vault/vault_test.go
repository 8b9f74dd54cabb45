package vault_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/carecrypt"
	"github.com/cxledger/cxledger/chaincode/care"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cli/clitest"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gateway/vault"
	"github.com/cxledger/cxledger/ledgerapi"
)

// dirBytes is every byte of every file under dir.
func dirBytes(t *testing.T, dir string) []byte {
	t.Helper()
	var all []byte
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		all = append(all, b...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return all
}

func TestPutKeyDestroy(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "vault")
	v, err := vault.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := carecrypt.GenerateKey()
	other, _ := carecrypt.GenerateKey()
	if err := v.Put("Org2MSP", "k1", k); err != nil {
		t.Fatal(err)
	}
	if err := v.Put("Org2MSP", "k2", other); err != nil {
		t.Fatal(err)
	}
	if err := v.Put("Org2MSP", "k1", other); cxlerr.CodeOf(err) != cxlerr.Conflict {
		t.Fatalf("a key stored twice: %v", err)
	}
	info, err := os.Stat(filepath.Join(dir, "Org2MSP", "k1.key"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", info, err)
	}
	if d, _ := os.Stat(filepath.Join(dir, "Org2MSP")); d.Mode().Perm() != 0o700 {
		t.Fatalf("organisation directory mode %v", d.Mode())
	}
	got, err := v.Key("Org2MSP", "k1")
	if err != nil || !got.Equal(k) {
		t.Fatalf("key: %v", err)
	}
	if ids, _ := v.List("Org2MSP"); strings.Join(ids, ",") != "k1,k2" {
		t.Fatalf("list %v", ids)
	}
	if !bytes.Contains(dirBytes(t, dir), k.Bytes()) {
		t.Fatal("the scan does not see the stored key")
	}

	if err := v.Destroy("Org2MSP", "k1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "Org2MSP", "k1.key")); !os.IsNotExist(err) {
		t.Fatalf("the destroyed key's file: %v", err)
	}
	if bytes.Contains(dirBytes(t, dir), k.Bytes()) {
		t.Fatal("the destroyed key's bytes are still in the vault")
	}
	if _, err := v.Key("Org2MSP", "k1"); cxlerr.CodeOf(err) != cxlerr.NotFound {
		t.Fatalf("a destroyed key: %v", err)
	}
	if err := v.Destroy("Org2MSP", "k1"); err != nil {
		t.Fatalf("destroyed twice: %v", err)
	}
	if ids, _ := v.List("Org2MSP"); strings.Join(ids, ",") != "k2" {
		t.Fatalf("list %v", ids)
	}
	for _, bad := range [][2]string{{"../x", "k"}, {"Org2MSP", "../../etc/passwd"}, {"Org2MSP", ".."}, {"", "k"}, {"Org2MSP", "a/b"}} {
		if err := v.Put(bad[0], bad[1], k); cxlerr.CodeOf(err) != cxlerr.Invalid {
			t.Errorf("put %q: %v", bad, err)
		}
		if err := v.Destroy(bad[0], bad[1]); cxlerr.CodeOf(err) != cxlerr.Invalid {
			t.Errorf("destroy %q: %v", bad, err)
		}
	}
}

// TestKeeper runs the keeper and the opening transport over the care contract in process:
// the pool is published with the private halves in the vault, a ticket's personal data is
// readable only through the vault, and the key of an erased ticket is destroyed, by the
// event or by reconciliation.
func TestKeeper(t *testing.T) {
	ctx := context.Background()
	l := clitest.New(t)
	l.Grant(t, "Org2MSP", ledgertypes.Merchant)
	shop, customer := clitest.User("Org2MSP", "User1"), clitest.Customer("Org1MSP", "User1")
	v, err := vault.Open(filepath.Join(t.TempDir(), "vault"))
	if err != nil {
		t.Fatal(err)
	}
	k := &vault.Keeper{Vault: v, Orgs: map[string]ledgerapi.Transport{"Org2MSP": l.Transport(nil), "Org1MSP": l.Transport(nil)}, Pool: 4, Threshold: 2}
	l.As(shop)
	if err := k.TopUp(ctx, "Org2MSP"); err != nil {
		t.Fatal(err)
	}
	page := clitest.Must(t, l, ledgerapi.CareTicketKeys, ledgerapi.TicketKeysRequest{Merchant: "Org2MSP"})
	if len(page.Keys) != 4 {
		t.Fatalf("%d keys published", len(page.Keys))
	}
	for _, key := range page.Keys {
		priv, err := v.Key("Org2MSP", key.ID)
		if err != nil || carecrypt.EncodePublicKey(priv.PublicKey()) != key.PublicKey {
			t.Fatalf("key %s: %v", key.ID, err)
		}
	}
	if err := k.TopUp(ctx, "Org2MSP"); err != nil {
		t.Fatal(err)
	}
	if ids, _ := v.List("Org2MSP"); len(ids) != 4 {
		t.Fatalf("a full pool topped up: %d keys", len(ids))
	}
	// An organisation without the merchant role publishes nothing.
	l.As(customer)
	if err := k.TopUp(ctx, "Org1MSP"); cxlerr.CodeOf(err) != cxlerr.Forbidden {
		t.Fatalf("a non-merchant's pool: %v", err)
	}
	// A key stored but never published (a crash before publication) is published by
	// reconciliation.
	orphan, _ := carecrypt.GenerateKey()
	if err := v.Put("Org2MSP", "orphan", orphan); err != nil {
		t.Fatal(err)
	}
	l.As(shop)
	if err := k.Reconcile(ctx, "Org2MSP"); err != nil {
		t.Fatal(err)
	}
	if page := clitest.Must(t, l, ledgerapi.CareTicketKeys, ledgerapi.TicketKeysRequest{Merchant: "Org2MSP"}); len(page.Keys) != 5 {
		t.Fatalf("after reconciliation %d unused keys", len(page.Keys))
	}

	// A ticket, sealed by the client; only the vault opens it.
	l.As(customer)
	p := ledgerapi.Personal{Salt: ledgerapi.NewSalt(), Message: "secret: the lid is cracked", Contact: "secret@example.com"}
	opened, err := ledgerapi.Over(l.Transport(nil)).Care().OpenTicket(ctx, ledgerapi.OpenTicketRequest{
		OpenTicketArgs: care.OpenTicketArgs{ID: "T1", Merchant: "Org2MSP", Category: "product", Priority: "low"}, Personal: p})
	if err != nil {
		t.Fatal(err)
	}
	key := opened.Result.Key
	l.As(shop)
	if _, err := ledgerapi.Over(l.Transport(nil)).Care().GetTicketPersonalData(ctx, ledgerapi.TicketRequest{ID: "T1"}); cxlerr.CodeOf(err) != cxlerr.Forbidden ||
		!strings.Contains(err.Error(), "only through the merchant's gateway service") {
		t.Fatalf("personal data without the vault: %v", err)
	}
	pd, err := ledgerapi.Over(v.Wrap(l.Transport(nil))).Care().GetTicketPersonalData(ctx, ledgerapi.TicketRequest{ID: "T1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(pd.Texts) != 2 || pd.Texts[0].Value != p.Contact || pd.Texts[1].Value != p.Message || !pd.Texts[0].Verified || !pd.Texts[1].Verified {
		t.Fatalf("opened %+v", pd)
	}
	// An erasure before the keeper runs: its first pass destroys the key.
	l.As(customer)
	if _, err := ledgerapi.Over(l.Transport(nil)).Care().EraseTicketData(ctx, ledgerapi.TicketRequest{ID: "T1"}); err != nil {
		t.Fatal(err)
	}
	second := openTicket(t, l, "T2")
	if err := k.Ready(); cxlerr.CodeOf(err) != cxlerr.Unavailable {
		t.Fatalf("ready before the first pass: %v", err)
	}
	runCtx, stop := context.WithCancel(ctx)
	k.Events, k.Interval = l.Transport(nil).Events(), time.Hour
	done := make(chan struct{})
	go func() {
		defer close(done)
		k.Run(runCtx)
	}()
	defer func() {
		stop()
		<-done
	}()
	waitDestroyed(t, v, key)
	for deadline := time.Now().Add(10 * time.Second); k.Ready() != nil; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not ready after the first pass: %v", k.Ready())
		}
	}
	if _, err := v.Key("Org2MSP", second); err != nil {
		t.Fatalf("the key of a ticket not erased: %v", err)
	}
	// An erasure while the keeper runs: its event destroys the key.
	if _, err := ledgerapi.Over(l.Transport(nil)).Care().EraseTicketData(ctx, ledgerapi.TicketRequest{ID: "T2"}); err != nil {
		t.Fatal(err)
	}
	waitDestroyed(t, v, second)
	l.As(shop)
	if pd, err := ledgerapi.Over(v.Wrap(l.Transport(nil))).Care().GetTicketPersonalData(ctx, ledgerapi.TicketRequest{ID: "T1"}); err != nil || len(pd.Texts) != 0 || pd.ErasedAt.IsZero() {
		t.Fatalf("the erased ticket's personal data: %+v %v", pd, err)
	}
}

// openTicket opens a ticket with Org2MSP as the customer of l and returns its key.
func openTicket(t *testing.T, l *clitest.Ledger, id string) string {
	t.Helper()
	p := ledgerapi.Personal{Salt: ledgerapi.NewSalt(), Message: "secret " + id}
	c, err := ledgerapi.Over(l.Transport(nil)).Care().OpenTicket(context.Background(), ledgerapi.OpenTicketRequest{
		OpenTicketArgs: care.OpenTicketArgs{ID: id, Merchant: "Org2MSP", Category: "product", Priority: "low"}, Personal: p})
	if err != nil {
		t.Fatal(err)
	}
	return c.Result.Key
}

// waitDestroyed waits until the vault no longer holds key.
func waitDestroyed(t *testing.T, v *vault.Vault, key string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if _, err := v.Key("Org2MSP", key); cxlerr.CodeOf(err) == cxlerr.NotFound {
			return
		}
	}
	t.Fatalf("key %s not destroyed", key)
}
