//go:build integration

package test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gateway/fabric"
	"github.com/cxledger/cxledger/network"
	"github.com/cxledger/cxledger/network/ca"
	"github.com/hyperledger/fabric-gateway/pkg/client"
)

// TestMemberJoinsRunningChannel adds a third organisation to the running channel the way
// separate members would: Org3 makes its own material in its own state directory (its own
// cryptogen run: CA and TLS CA roots, its peers; its own Fabric CA, which enrols its Admin,
// users and registrar) and hands over only its public definition; Org1 computes the
// update; Org1's and Org2's admins each sign it with their own key; refusals (too few
// signatures, the newcomer signing for itself, a member's client, an organisation already
// present) change nothing; with both admins' signatures the channel takes Org3. Org3's
// first peer joins from the genesis block and catches up over the blocks; Org3's Admin
// installs the chaincode, starts Org3's own chaincode server and approves the committed
// definition; the consortium contract grants Org3 merchant (proposed by Org1's admin,
// approved by Org2's). Org3's second peer joins from a snapshot of Org1's peer, given the
// hash Org1 computed of it: a tampered copy is refused first and nothing is joined.
// Org3's gateway service starts from its state directory (`cxl gateway up --org Org3`);
// a lot Org1 holds is handed over to Org3 (offered by Org1, accepted by Org3's staff
// through Org3's gateway), and an order placed by a customer with Org3 as merchant,
// delivered, pays Org3, whose staff see the balance while another member's client is
// refused. Finally Org3 is removed again with Org1's and Org2's admins' signatures
// (removeMember), so later tests see the channel's original members. Native only: the
// newcomer's anchor peers are published at 127.0.0.1, or under --hosts netns at its own
// host's address on the network's bridge (its namespace, which `cxl network down` on its
// state directory removes, leaving the network's hosts as they were).
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
	netnsBefore, err := network.NetNSLeftovers(h.home)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := memberCLI(memberHome, "network", "down", "--purge"); err != nil {
			t.Errorf("cxl network down on Org3's state directory: %v", err)
		}
		if h.topo.Hosts != network.NetNS {
			return
		}
		if left, err := network.NetNSLeftovers(memberHome); err != nil || len(left) > 0 {
			t.Errorf("Org3's down left its host: %v %v", left, err)
		}
		if after, err := network.NetNSLeftovers(h.home); err != nil || !slices.Equal(after, netnsBefore) {
			t.Errorf("Org3's down changed the network's hosts: %v, not %v (%v)", after, netnsBefore, err)
		}
	})
	// Org3's operator, on its own host, with only the network's published topology.
	defFile := filepath.Join(dir, "org3.json")
	start := time.Now()
	if _, err := memberCLI(memberHome, "member", "init", "Org3", "--network", h.home.Path("topology.yaml"), "--peers", "3", "-o", defFile); err != nil {
		t.Fatal(err)
	}
	t.Logf("Org3's material made, its CA started and its identities enrolled in %s (cxl member init)", time.Since(start).Round(time.Millisecond))
	member, err := network.LoadMember(memberHome)
	if err != nil {
		t.Fatal(err)
	}
	expectMemberIdentities(t, memberHome, member)
	data, err := os.ReadFile(defFile)
	if err != nil {
		t.Fatal(err)
	}
	var def network.OrgDefinition
	if err := json.Unmarshal(data, &def); err != nil || def.MSPID != "Org3MSP" || len(def.AnchorPeers) != 3 {
		t.Fatalf("the definition %s: %v", data, err)
	}
	if strings.Contains(string(data), "PRIVATE") {
		t.Fatal("the definition holds a key")
	}
	if h.topo.Hosts == network.NetNS {
		expectMemberHost(t, memberHome, member, def)
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
	start = time.Now()
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

	// Org3's first peer joins from the genesis block and pulls the blocks since.
	peer0, peer1, peer2 := member.Org.PeerNodes[0], member.Org.PeerNodes[1], member.Org.PeerNodes[2]
	org1Org := topo.PeerOrgs()[0]
	trusted := org1Org.PeerNodes[0]
	start = time.Now()
	if _, err := memberCLI(memberHome, "member", "join", "--genesis", h.home.GenesisBlock(topo), "--peer", "0"); err != nil {
		t.Fatal(err)
	}
	height, err := network.PeerHeight(ctx, h.home, topo, org1Org, trusted)
	if err != nil {
		t.Fatal(err)
	}
	if err := member.WaitPeerHeight(ctx, peer0, height, 60*time.Second); err != nil {
		t.Fatal(err)
	}
	t.Logf("Org3's peers started, %s joined from the genesis block and caught up to height %d in %s", peer0.Name, height, time.Since(start).Round(time.Millisecond))
	if _, err := memberCLI(memberHome, "member", "join", "--genesis", h.home.GenesisBlock(topo), "--peer", "0"); err != nil {
		t.Fatalf("joining %s from the genesis block again: %v", peer0.Name, err)
	}

	d, ok, err := network.LoadDeployment(h.home)
	if err != nil || !ok {
		t.Fatalf("deployment: %v", err)
	}
	start = time.Now()
	if _, err := memberCLI(memberHome, "member", "approve", "--version", d.Version, "--sequence", strconv.Itoa(d.Sequence)); err != nil {
		t.Fatal(err)
	}
	t.Logf("Org3's Admin installed %s on its peers, started its chaincode server and approved version %s sequence %d in %s",
		topo.Chaincode, d.Version, d.Sequence, time.Since(start).Round(time.Millisecond))

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

	growHistory(t)
	joinFromSnapshot(t, member, topo, peer1, peer2, org1Org, trusted, dir)

	start = time.Now()
	g := memberGateway(t, memberHome, member)
	t.Logf("Org3's gateway service ready in %s", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	handOverToMember(t, g, member)
	t.Logf("custody handed over from Org1 to Org3 in %s", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	paid := orderWithMember(t, g, member)
	t.Logf("an order with Org3 as merchant placed, delivered and paid in %s", time.Since(start).Round(time.Millisecond))
	// Every peer of Org3 serves the ledger: the one joined from the snapshot and the one
	// joined from the genesis block give its staff the balance its gateway gave.
	for _, p := range member.Org.PeerNodes[1:] {
		expectBalanceOn(t, memberHome, member, p, paid)
	}

	removeMember(t, dir, filepath.Join(admin3, "signcerts", "Admin@"+member.Org.Domain+"-cert.pem"), filepath.Join(admin3, "keystore", "priv_sk"), org2)
}

// expectMemberIdentities checks that the member's Admin, users and registrar are its own
// Fabric CA's: certificates with the attribute extension (cryptogen's have none), the staff
// with cxl.roles = the member's roles, chaining to the member's root; and that the
// member's network.json names only its own organisation.
func expectMemberIdentities(t *testing.T, home network.Home, m network.Member) {
	t.Helper()
	root := readCertFile(t, home.CACert(m.Org))
	prof, err := network.LoadProfile(home)
	if err != nil {
		t.Fatal(err)
	}
	if len(prof.Orgs) != 1 || prof.Orgs[0].MSPID != m.Org.MSPID || len(prof.Orgs[0].Peers) != len(m.Org.PeerNodes) || prof.Orgs[0].CA == nil {
		t.Fatalf("the member's profile names %+v", prof.Orgs)
	}
	users := maps.Clone(prof.Orgs[0].Users)
	users[network.RegistrarUser] = prof.Orgs[0].CA.Registrar
	if len(users) != m.Org.Users+2 {
		t.Fatalf("the member's identities: %v", slices.Collect(maps.Keys(users)))
	}
	for name, id := range users {
		cert := readCertFile(t, id.Cert)
		pool := x509.NewCertPool()
		pool.AddCert(root)
		if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
			t.Fatalf("%s's certificate does not chain to Org3's root: %v", name, err)
		}
		attrs := certAttrs(t, cert)
		if attrs == nil {
			t.Fatalf("%s's certificate was not issued by Org3's Fabric CA (no attributes)", name)
		}
		roles := attrs[network.RolesAttribute]
		if name == network.RegistrarUser {
			if roles != "" {
				t.Fatalf("the registrar holds roles %q", roles)
			}
		} else if roles != strings.Join(m.Org.Roles, ",") {
			t.Fatalf("%s holds roles %q, want %q", name, roles, m.Org.Roles)
		}
	}
}

// joinFromSnapshot joins the member's peer p from a snapshot of trusted (a peer of org),
// asked for with `cxl channel snapshot` as org's Admin, with the hash org computed on its
// own host: a copy with one changed byte (through `cxl member join`), and the right copy
// with another snapshot's hash, are refused with UNAUTHENTICATED and nothing is joined; the
// copy as made joins and catches up. Then the member's peer g joins from the genesis block
// to the same height: it logs both times.
func joinFromSnapshot(t *testing.T, m network.Member, topo network.Topology, p, g network.Node, org network.Org, trusted network.Node, dir string) {
	t.Helper()
	ctx := context.Background()
	start := time.Now()
	out, err := h.cli("channel", "snapshot", "--msp", org.MSPID, "--json")
	if err != nil {
		t.Fatal(err)
	}
	made := time.Since(start)
	var snap network.Snapshot
	if err := json.Unmarshal(out, &snap); err != nil || len(snap.Hash) != 64 || snap.Channel != topo.Channel {
		t.Fatalf("cxl channel snapshot: %v\n%s", err, out)
	}
	if hash, err := network.SnapshotHash(snap.Dir); err != nil || hash != snap.Hash {
		t.Fatalf("the snapshot's hash recomputed: %s %v, printed %s", hash, err, snap.Hash)
	}
	// Copied to Org3's host: a tampered copy first.
	tampered := filepath.Join(dir, "snapshot-tampered")
	if err := network.CopySnapshot(snap.Dir, tampered); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(tampered, "public_state.data")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 1
	os.WriteFile(file, data, 0o644)
	_, err = memberCLI(m.Home, "member", "join", "--snapshot", tampered, "--snapshot-hash", snap.Hash, "--peer", "1")
	if err == nil || !strings.Contains(err.Error(), "exit status 4") || !strings.Contains(err.Error(), "UNAUTHENTICATED: the snapshot in") || !strings.Contains(err.Error(), "public_state.data has SHA-256") {
		t.Fatalf("a tampered snapshot: %v", err)
	}
	copied := filepath.Join(dir, "snapshot")
	if err := network.CopySnapshot(snap.Dir, copied); err != nil {
		t.Fatal(err)
	}
	_, err = m.JoinPeerBySnapshot(ctx, p, copied, strings.Repeat("0", 64), time.Minute)
	wantCode(t, "another snapshot's hash", err, cxlerr.Unauthenticated, "not the trusted peer's")
	if _, err := network.PeerHeight(ctx, m.Home, m.Topology, m.Org, p); err == nil {
		t.Fatalf("%s has the channel after the refused snapshots", p.Name)
	}
	joinStart := time.Now()
	if _, err := memberCLI(m.Home, "member", "join", "--snapshot", copied, "--snapshot-hash", snap.Hash, "--peer", "1"); err != nil {
		t.Fatal(err)
	}
	height, err := network.PeerHeight(ctx, h.home, topo, org, trusted)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.WaitPeerHeight(ctx, p, height, time.Minute); err != nil {
		t.Fatal(err)
	}
	fromSnapshot := time.Since(joinStart)
	if _, err := memberCLI(m.Home, "member", "join", "--snapshot", copied, "--snapshot-hash", snap.Hash, "--peer", "1"); err == nil || !strings.Contains(err.Error(), "exit status 5") || !strings.Contains(err.Error(), "CONFLICT") {
		t.Fatalf("joining %s from the snapshot again: %v", p.Name, err)
	}
	joinStart = time.Now()
	if _, err := memberCLI(m.Home, "member", "join", "--genesis", h.home.GenesisBlock(topo), "--peer", "2"); err != nil {
		t.Fatal(err)
	}
	if err := m.WaitPeerHeight(ctx, g, height, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	fromGenesis := time.Since(joinStart)
	t.Logf("snapshot of Org1's peer at block %d made in %s (hash %s…); to height %d, Org3's %s joined from the snapshot in %s, its %s from the genesis block in %s",
		snap.Block, made.Round(time.Millisecond), snap.Hash[:12], height, p.Name, fromSnapshot.Round(time.Millisecond), g.Name, fromGenesis.Round(time.Millisecond))
}

// growHistory commits CXL_TEST_MEMBER_HISTORY pings (none when unset), two at a time, so
// that the snapshot and genesis joins compare at a height that matters; the suite does not
// set it.
func growHistory(t *testing.T) {
	t.Helper()
	n, _ := strconv.Atoi(os.Getenv("CXL_TEST_MEMBER_HISTORY"))
	if n <= 0 {
		return
	}
	start := time.Now()
	c := h.contract(t, "Org1MSP", "User1", "health")
	errs := make(chan error, 2)
	for w := range 2 {
		go func() {
			for i := w; i < n; i += 2 {
				if err := ping(c, fmt.Sprintf("history-%d", i)); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d pings committed in %s to grow the history", n, time.Since(start).Round(time.Millisecond))
}

// wantCode fails unless err carries code and says want.
func wantCode(t *testing.T, what string, err error, code cxlerr.Code, want string) {
	t.Helper()
	if cxlerr.CodeOf(err) != code || !strings.Contains(err.Error(), want) {
		t.Fatalf("%s: %v, want %s ... %q", what, err, code, want)
	}
}

// memberCLI runs cxl on the member's state directory, as the member's operator would.
func memberCLI(home network.Home, args ...string) ([]byte, error) {
	cmd := exec.Command(h.cxl, args...)
	cmd.Env = append(os.Environ(), "CXL_HOME="+string(home), "CXL_REPO="+h.repo)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("cxl %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes(), nil
}

// memberGateway starts the member's gateway service from its own state directory with `cxl
// gateway up --org`, and returns a client of it holding the member's API keys only.
func memberGateway(t *testing.T, home network.Home, m network.Member) *gwService {
	t.Helper()
	out, err := memberCLI(home, "gateway", "up", "--org", m.Org.Name, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Gateways []*gwMember `json:"gateways"`
	}
	if err := json.Unmarshal(out, &res); err != nil || len(res.Gateways) != 1 || res.Gateways[0].MSPID != m.Org.MSPID {
		t.Fatalf("`cxl gateway up --org %s` on the member's home: %v\n%s", m.Org.Name, err, out)
	}
	gm := res.Gateways[0]
	if gm.http, err = gwClient(gm.TLSRoot, 60*time.Second, nil); err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile(gm.Config)
	if err != nil {
		t.Fatal(err)
	}
	for _, other := range []string{"org1.example.com", "org2.example.com", string(h.home)} {
		if strings.Contains(string(cfg), other) {
			t.Fatalf("Org3's gateway configuration names %s:\n%s", other, cfg)
		}
	}
	var keys []struct {
		Principal string `json:"principal"`
		Key       string `json:"key"`
	}
	data, err := os.ReadFile(gm.KeysFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &keys); err != nil {
		t.Fatal(err)
	}
	name := strings.ToLower(m.Org.Name)
	g := &gwService{url: gm.URL, http: gm.http, keys: map[string]string{}, members: map[string]*gwMember{name: gm}, first: name}
	for _, k := range keys {
		if !strings.HasPrefix(k.Principal, name+"-") {
			t.Fatalf("Org3's gateway holds a key of %s", k.Principal)
		}
		g.keys[k.Principal] = k.Key
	}
	return g
}

// handOverToMember hands a lot Org1 registers over to the member: Org1's brand offers it,
// which makes the lot need both organisations' peers; the member's staff accept it through
// the member's gateway service; Org1's client cannot accept it for the member.
func handOverToMember(t *testing.T, g *gwService, m network.Member) {
	t.Helper()
	brand := provAs(t, "Org1MSP", "User1")
	run := newProvRun()
	lot := map[string]any{"kind": "lot", "gtin": run.gtin(1), "lot": "ORG3-1"}
	brand.submit(t, "RegisterProduct", map[string]any{"gtin": run.gtin(1), "name": "Kettle for Org3"}, nil)
	brand.submit(t, "RegisterLot", map[string]any{"gtin": run.gtin(1), "lot": "ORG3-1", "quantity": 1}, nil)
	brand.submit(t, "OfferCustody", map[string]any{"kind": "lot", "gtin": run.gtin(1), "lot": "ORG3-1", "to": m.Org.MSPID, "location": "Org3 store"}, nil)
	brand.wantCode(t, cxlerr.Forbidden, "AcceptCustody", lot)
	staff := strings.ToLower(m.Org.Name) + "-user1"
	var c provenance.Custody
	eventually(t, 30*time.Second, "Org3's gateway accepts the offer", func() error {
		r, err := g.call("POST", "/v1/provenance/custody/acceptances", staff, fmt.Sprintf("it-accept-%s", run.prefix), lot)
		if err != nil {
			return err
		}
		if r.status != 200 {
			return fmt.Errorf("status %d: %s", r.status, r.body)
		}
		return json.Unmarshal(r.committed(t).Result, &c)
	})
	if c.Holder != m.Org.MSPID || c.Offer != nil {
		t.Fatalf("after Org3 accepted: %+v", c)
	}
	var trace provenance.LotTrace
	gwDecode(t, g.get(t, "/v1/provenance/lots/"+run.gtin(1)+"/ORG3-1/trace", staff, 200).body, &trace)
	if trace.Lot.Holder != m.Org.MSPID || trace.Lot.OfferedTo != "" {
		t.Fatalf("Org3's gateway traces the lot %+v", trace.Lot)
	}
}

// expectBalanceOn waits until the member's User1, through the member's peer p, reads the
// member's EUR balance as want.
func expectBalanceOn(t *testing.T, home network.Home, m network.Member, p network.Node, want int64) {
	t.Helper()
	prof, err := network.LoadProfile(home)
	if err != nil {
		t.Fatal(err)
	}
	u := prof.Orgs[0].Users["User1"]
	conn, err := fabric.Connect(fabric.Identity{MSPID: m.Org.MSPID, CertPath: u.Cert, KeyPath: u.Key},
		fabric.Peer{Address: p.Address(), TLSRootCertPath: home.TLSRootCert(m.Org)}, fabric.DefaultTimeouts)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := conn.Gateway.GetNetwork(h.profile.Channel).GetContractWithName(h.profile.Chaincode, orders.Name)
	eventually(t, 30*time.Second, "Org3's balance on "+p.Name, func() error {
		raw, err := c.Evaluate("Balance", client.WithArguments(fmt.Sprintf(`{"account":%q,"currency":"EUR"}`, m.Org.MSPID)))
		if err != nil {
			return err
		}
		var b orders.SettlementBalance
		if err := json.Unmarshal(raw, &b); err != nil {
			return err
		}
		if int64(b.Balance) != want {
			return fmt.Errorf("%s holds %d EUR on %s, want %d", m.Org.MSPID, b.Balance, p.Name, want)
		}
		return nil
	})
}

// orderWithMember funds a customer of Org2, who places an order with the member as
// merchant (Org2 the carrier); Org2 confirms the delivery, which pays the member: its staff
// see the balance grow through its gateway, while a client of Org1 without the payment
// role is refused. It returns the member's balance after the payment.
func orderWithMember(t *testing.T, g *gwService, m network.Member) int64 {
	t.Helper()
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	var (
		bank     = ordersAs(t, "Org1MSP", "Admin")
		carrier  = ordersAs(t, "Org2MSP", "User1")
		customer = ordersAs(t, "Org2MSP", "User2")
		account  = ccAccount(t, "Org2MSP", "User2")
		staff    = strings.ToLower(m.Org.Name) + "-user1"
	)
	if _, _, err := bank.trySubmit("RegisterCurrency", map[string]any{"currency": "EUR"}); err != nil {
		ccCheckCode(t, "RegisterCurrency", err, cxlerr.Conflict)
	}
	bank.submit(t, "Deposit", map[string]any{"ref": "it-member-" + run, "currency": "EUR",
		"credits": []map[string]any{{"account": account, "amount": 10_000}}}, nil)
	balance := func() (int64, error) {
		r, err := g.call("GET", "/v1/orders/balance?account="+m.Org.MSPID+"&currency=EUR", staff, "", nil)
		if err != nil {
			return 0, err
		}
		if r.status != 200 {
			return 0, fmt.Errorf("status %d: %s", r.status, r.body)
		}
		var b orders.SettlementBalance
		return int64(b.Balance), json.Unmarshal(r.body, &b)
	}
	var before int64
	eventually(t, 30*time.Second, "Org3's staff read Org3's balance", func() (err error) {
		before, err = balance()
		return err
	})
	id := "it-member-order-" + run
	var o orders.Order
	customer.submit(t, "Place", map[string]any{
		"id": id, "merchant": m.Org.MSPID, "carrier": "Org2MSP", "amount": 4_000, "currency": "EUR",
		"deadline": time.Now().Add(time.Hour), "items": []map[string]any{{"sku": "kettle", "quantity": 1}},
	}, &o)
	if o.State != orders.StatePlaced || o.Merchant != m.Org.MSPID {
		t.Fatalf("placed %+v", o)
	}
	carrier.submit(t, "ConfirmDelivery", map[string]any{"id": id}, &o)
	if o.State != orders.StateDelivered || o.Released != 4_000 {
		t.Fatalf("delivered %+v", o)
	}
	eventually(t, 30*time.Second, "Org3 paid", func() error {
		after, err := balance()
		if err != nil {
			return err
		}
		if after != before+4_000 {
			return fmt.Errorf("Org3 holds %d EUR, want %d", after, before+4_000)
		}
		return nil
	})
	// A client of Org1 whose certificate carries merchant only (no payment role), and a
	// customer of Org2 (which holds no payment role): neither reads Org3's balance.
	o1 := caOrgs(t)[0]
	c := o1.client(t)
	cctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sid, secret := o1.registerMerchant(t, cctx, c, o1.bootstrap(t, cctx))
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	certPEM, _, err := c.Enroll(cctx, sid, secret, key, ca.EnrollOptions{})
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := writeIdentity(t, t.TempDir(), certPEM, key)
	conn, err := fabric.Connect(fabric.Identity{MSPID: "Org1MSP", CertPath: certFile, KeyPath: keyFile},
		fabric.Peer{Address: o1.profile.Peers[0].Address, TLSRootCertPath: o1.profile.Peers[0].TLSRootCert}, fabric.DefaultTimeouts)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	other := ccClient{name: "Org1MSP merchant-only staff (orders)", msp: "Org1MSP", user: sid,
		contract: conn.Gateway.GetNetwork(h.profile.Channel).GetContractWithName(h.profile.Chaincode, orders.Name)}
	other.wantEvalCode(t, cxlerr.Forbidden, "Balance", map[string]any{"account": m.Org.MSPID, "currency": "EUR"})
	return before + 4_000
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

// expectMemberHost checks that the member of a --hosts netns network has a host of its own:
// a namespace of its state directory, at an address on the network's subnet that no
// other node has, which its anchor peers, its CA's and peers' addresses in its network.json
// and its peers' TLS certificates name.
func expectMemberHost(t *testing.T, home network.Home, m network.Member, def network.OrgDefinition) {
	t.Helper()
	addr := m.Org.CA.Host
	if addr == "" || !strings.HasPrefix(addr, strings.TrimSuffix(h.topo.HostSubnet, "0/24")) {
		t.Fatalf("Org3's CA at %q, not on the network's subnet %s", addr, h.topo.HostSubnet)
	}
	for _, n := range append(h.topo.OrdererNodes(), h.topo.CANodes()...) {
		if n.Host == addr {
			t.Fatalf("Org3's host %s is %s's", addr, n.Name)
		}
	}
	left, err := network.NetNSLeftovers(home)
	if err != nil || !slices.ContainsFunc(left, func(s string) bool { return strings.HasPrefix(s, "namespace ") }) {
		t.Fatalf("Org3 has no namespace of its own: %v %v", left, err)
	}
	t.Logf("Org3's host: %s at %s on the network's subnet %s", strings.Join(left, ", "), addr, h.topo.HostSubnet)
	for i, a := range def.AnchorPeers {
		if a.Host != addr || a.Port != m.Org.PeerNodes[i].Port {
			t.Errorf("anchor peer %d at %s:%d, not %s:%d", i, a.Host, a.Port, addr, m.Org.PeerNodes[i].Port)
		}
	}
	p, err := network.LoadProfile(home)
	if err != nil || len(p.Orgs) != 1 {
		t.Fatalf("Org3's network.json: %v", err)
	}
	data, err := json.Marshal(p.Orgs[0])
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "127.0.0.1") || !strings.Contains(string(data), addr) {
		t.Errorf("Org3's network.json names another address than its host's %s: %s", addr, data)
	}
	for _, pn := range m.Org.PeerNodes {
		pemData, err := os.ReadFile(filepath.Join(home.OrgDir(m.Org), "peers", pn.Name, "tls", "server.crt"))
		if err != nil {
			t.Fatal(err)
		}
		block, _ := pem.Decode(pemData)
		if block == nil {
			t.Fatalf("%s's TLS certificate is not PEM", pn.Name)
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(cert.IPAddresses, func(ip net.IP) bool { return ip.String() == addr }) {
			t.Errorf("%s's TLS certificate names %v, not its host %s", pn.Name, cert.IPAddresses, addr)
		}
	}
}
