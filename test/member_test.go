//go:build integration

package test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/network"
)

// TestMemberJoinsRunningChannel adds a third organisation to the running channel the way
// separate members would: Org3 makes its own material in its own state directory (its own
// cryptogen run: CA and TLS CA roots, its peer, its Admin) and hands over only its public
// definition; Org1 computes the update; Org1's and Org2's admins each sign it with their own
// key; refusals (too few signatures, the newcomer signing for itself, a member's client, an
// organisation already present) change nothing; with both admins' signatures the channel
// takes Org3; Org3's peer joins from the genesis block, catches up over the blocks, and
// Org3's Admin approves the committed chaincode definition, and the consortium contract
// grants Org3 a role (proposed by Org1's admin, approved by Org2's). Finally Org3 is removed
// again with Org1's and Org2's admins' signatures (removeMember), so later tests see the
// channel's original members. Native only: the newcomer's anchor peer is published at
// 127.0.0.1.
func TestMemberJoinsRunningChannel(t *testing.T) {
	if h.runtime == network.Docker {
		t.Skip("a new member's peer runs natively: its anchor peer is published at 127.0.0.1, which the Docker members do not reach")
	}
	ctx := context.Background()
	topo, ok, err := network.LoadHomeTopology(h.home)
	if err != nil || !ok {
		t.Fatalf("network topology: %v", err)
	}
	if len(topo.Orgs) != 2 {
		t.Skipf("the test network has %d organisations; this test adds a third to two", len(topo.Orgs))
	}
	dir := t.TempDir()
	memberHome := network.Home(filepath.Join(dir, "org3"))
	os.MkdirAll(string(memberHome), 0o755)
	bin, err := filepath.EvalSymlinks(h.home.Bin())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(bin, memberHome.Bin()); err != nil {
		t.Fatal(err)
	}
	member, err := network.NewMember(ctx, memberHome, topo, network.OrgSpec{Name: "Org3", Peers: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { network.Down(memberHome, true) })
	def, err := member.Definition()
	if err != nil {
		t.Fatal(err)
	}
	defFile := filepath.Join(dir, "org3.json")
	data, _ := json.MarshalIndent(def, "", "  ")
	os.WriteFile(defFile, data, 0o644)
	if strings.Contains(string(data), "PRIVATE") {
		t.Fatal("the definition holds a key")
	}

	seq0, members := channelSummary(t)
	if slices.Contains(members, "Org3MSP") {
		t.Fatal("Org3MSP is a member before it was added")
	}
	update := filepath.Join(dir, "add-org3.pb")
	if _, err := h.cli("channel", "add-org", defFile, "--msp", "Org1MSP", "-o", update); err != nil {
		t.Fatal(err)
	}
	sig := func(name, msp string, files ...string) string {
		return signUpdate(t, update, filepath.Join(dir, name+".sig"), msp, files...)
	}
	org1, org2 := sig("org1", "Org1MSP"), sig("org2", "Org2MSP")
	admin3 := filepath.Join(memberHome.OrgDir(member.Org), "users", "Admin@"+member.Org.Domain, "msp")
	self := sig("org3", "Org3MSP", "--cert", filepath.Join(admin3, "signcerts", "Admin@"+member.Org.Domain+"-cert.pem"), "--key", filepath.Join(admin3, "keystore", "priv_sk"))
	user2 := h.org(t, "Org2MSP").Users["User1"]
	client2 := sig("user2", "Org2MSP", "--cert", user2.Cert, "--key", user2.Key)
	expectRefusedUpdates(t, update, "Org1MSP", seq0, []updateRefusal{
		{"one admin of two", []string{org1}, "FORBIDDEN: admins of 1 of the 2 members"},
		{"the same admin twice", []string{org1, org1}, "FORBIDDEN: admins of 1 of the 2 members"},
		{"the newcomer signing for itself", []string{org1, self}, `FORBIDDEN: signer "Org3MSP" is not a member`},
		{"a member's client", []string{org1, client2}, "FORBIDDEN: signer \"User1@org2.example.com\" is not an admin"},
	})
	start := time.Now()
	if err := channelUpdate(update, "Org1MSP", org1, org2); err != nil {
		t.Fatal(err)
	}
	t.Logf("configuration update committed and seen by Org1's peer in %s", time.Since(start).Round(time.Millisecond))
	seq1, members := channelSummary(t)
	if seq1 != seq0+1 || !slices.Equal(members, []string{"Org1MSP", "Org2MSP", "Org3MSP"}) {
		t.Fatalf("after the update: sequence %d members %v", seq1, members)
	}
	if err := channelUpdate(update, "Org2MSP", org1, org2); err == nil || !strings.Contains(err.Error(), "CONFLICT") {
		t.Fatalf("the same update again: %v", err)
	}
	if _, err := h.cli("channel", "add-org", defFile, "--msp", "Org2MSP", "-o", filepath.Join(dir, "again.pb")); err == nil || !strings.Contains(err.Error(), "CONFLICT: Org3MSP is already a member") {
		t.Fatalf("adding Org3 again: %v", err)
	}

	// Org3's peer joins from the genesis block and pulls the blocks since.
	if err := member.Start(ctx); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if err := member.Join(ctx, h.home.GenesisBlock(topo)); err != nil {
		t.Fatal(err)
	}
	org1Org := topo.PeerOrgs()[0]
	height, err := network.PeerHeight(ctx, h.home, topo, org1Org, org1Org.PeerNodes[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := member.WaitHeight(ctx, height, 60*time.Second); err != nil {
		t.Fatal(err)
	}
	t.Logf("Org3's peer joined from the genesis block and caught up to height %d in %s", height, time.Since(start).Round(time.Millisecond))

	d, ok, err := network.LoadDeployment(h.home)
	if err != nil || !ok {
		t.Fatalf("deployment: %v", err)
	}
	if err := member.Approve(ctx, topo, d); err != nil {
		t.Fatal(err)
	}
	t.Logf("Org3's Admin approved %s version %s sequence %d", topo.Chaincode, d.Version, d.Sequence)

	// The consortium contract grants the newcomer a role: Org1's admin proposes, Org2's
	// approves (the channel's endorsement policy, MAJORITY of three, is met by Org1 and Org2).
	if _, err := h.cli("role", "propose", "Org3MSP", "merchant", "-p", "Org1MSP/Admin"); err != nil {
		t.Fatal(err)
	}
	out, err := h.cli("role", "approve", "Org3MSP", "merchant", "-p", "Org2MSP/Admin", "--json")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `"active"`) {
		t.Fatalf("Org3MSP merchant after approval: %s", out)
	}

	removeMember(t, dir, filepath.Join(admin3, "signcerts", "Admin@"+member.Org.Domain+"-cert.pem"), filepath.Join(admin3, "keystore", "priv_sk"), org2)
}

// removeMember removes Org3 again, so later tests see the channel's original members: Org3's
// Admin (adminCert, adminKey) transacts while a member; its merchant grant is revoked through
// the consortium contract (Org1 proposes, Org2 approves); removing a stranger is NOT_FOUND;
// one admin of three, or a signature over another update (staleSig), is refused and changes
// nothing; with Org1's and Org2's admins' signatures Org3 is removed and its Admin's next
// transaction is refused, while Org1's and Org2's identities still transact.
func removeMember(t *testing.T, dir, adminCert, adminKey, staleSig string) {
	org3 := healthAs(t, "Org3MSP", adminCert, adminKey, h.org(t, "Org1MSP"))
	if err := ping(org3, "org3-member"); err != nil {
		t.Fatalf("Org3's Admin cannot transact as a member: %v", err)
	}
	// The consortium's side first: the channel configuration does not reach the ledger, where
	// a grant in force keeps Org3 a member others could name (an order's merchant, a custody
	// receiver) after it can no longer sign anything. Org1's admin proposes revoking it,
	// Org2's approves.
	if _, err := h.cli("role", "revoke", "Org3MSP", "merchant", "-p", "Org1MSP/Admin"); err != nil {
		t.Fatal(err)
	}
	out, err := h.cli("role", "approve", "Org3MSP", "merchant", "-p", "Org2MSP/Admin", "--json")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `"revoked"`) {
		t.Fatalf("Org3MSP merchant after its revocation was approved: %s", out)
	}
	if _, err := h.cli("channel", "remove-org", "Org9MSP", "--msp", "Org1MSP", "-o", filepath.Join(dir, "stranger.pb")); err == nil || !strings.Contains(err.Error(), "NOT_FOUND") {
		t.Fatalf("removing a stranger: %v", err)
	}
	update := filepath.Join(dir, "remove-org3.pb")
	if _, err := h.cli("channel", "remove-org", "Org3MSP", "--msp", "Org1MSP", "-o", update); err != nil {
		t.Fatal(err)
	}
	org1 := signUpdate(t, update, filepath.Join(dir, "org1-remove.sig"), "Org1MSP")
	org2 := signUpdate(t, update, filepath.Join(dir, "org2-remove.sig"), "Org2MSP")
	seq0, _ := channelSummary(t)
	expectRefusedUpdates(t, update, "Org2MSP", seq0, []updateRefusal{
		{"one admin of three", []string{org1}, "FORBIDDEN: admins of 1 of the 3 members"},
		{"a signature over the update that added Org3", []string{org1, staleSig}, "UNAUTHENTICATED"},
	})
	watch := watchRefusal(org3, time.Minute)
	start := time.Now()
	if err := channelUpdate(update, "Org2MSP", org1, org2); err != nil {
		t.Fatal(err)
	}
	submitted := time.Since(start)
	r := <-watch
	if r.err == nil {
		t.Fatal("Org3's Admin still transacts a minute after Org3 was removed")
	}
	t.Logf("the removal committed and seen by Org2's peer in %s; Org3's first refused transaction %s after the submit began: %v",
		submitted.Round(time.Millisecond), r.at.Sub(start).Round(time.Millisecond), r.err)
	if err := ping(org3, "org3-removed"); err == nil {
		t.Fatal("Org3's Admin transacts after Org3 was removed")
	}
	for _, msp := range []string{"Org1MSP", "Org2MSP"} {
		if err := ping(h.contract(t, msp, "User1", "health"), "after-removal"); err != nil {
			t.Fatalf("%s's User1 after Org3 was removed: %v", msp, err)
		}
	}
	seq, members := channelSummary(t)
	if seq != seq0+1 || !slices.Equal(members, []string{"Org1MSP", "Org2MSP"}) {
		t.Fatalf("after the removal: sequence %d members %v", seq, members)
	}
	if err := channelUpdate(update, "Org1MSP", org1, org2); err == nil || !strings.Contains(err.Error(), "CONFLICT") {
		t.Fatalf("the same removal again: %v", err)
	}
}
