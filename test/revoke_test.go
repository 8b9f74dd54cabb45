//go:build integration

package test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"

	"github.com/cxledger/cxledger/gateway/fabric"
	"github.com/cxledger/cxledger/network"
	"github.com/cxledger/cxledger/network/ca"
)

// healthAs is the health contract for the identity in certFile and keyFile of mspID,
// through the first peer of the organisation via.
func healthAs(t *testing.T, mspID, certFile, keyFile string, via network.OrgProfile) *client.Contract {
	t.Helper()
	p := via.Peers[0]
	conn, err := fabric.Connect(fabric.Identity{MSPID: mspID, CertPath: certFile, KeyPath: keyFile},
		fabric.Peer{Address: p.Address, TLSRootCertPath: p.TLSRootCert}, fabric.DefaultTimeouts)
	if err != nil {
		t.Fatalf("connect %s %s: %v", mspID, certFile, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn.Gateway.GetNetwork(h.profile.Channel).GetContractWithName(h.profile.Chaincode, "health")
}

func ping(c *client.Contract, nonce string) error {
	_, err := c.Submit("Ping", client.WithArguments(nonce))
	return err
}

// refusal is when a watched identity's first transaction was refused, and why.
type refusal struct {
	at  time.Time
	err error
}

// watchRefusal pings through c, one transaction after the other, until one is refused or
// within passes (a refusal with a nil error then), and reports the first refusal.
func watchRefusal(c *client.Contract, within time.Duration) <-chan refusal {
	done := make(chan refusal, 1)
	go func() {
		deadline := time.Now().Add(within)
		for i := 0; time.Now().Before(deadline); i++ {
			if err := ping(c, "watch-"+time.Now().Format(time.RFC3339Nano)); err != nil {
				done <- refusal{at: time.Now(), err: err}
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		done <- refusal{}
	}()
	return done
}

// A staff identity of Org1, registered and enrolled through Org1's CA, transacts; revoked
// at the CA it still does, as the channel does not know; once Org1's admin alone publishes
// the CA's CRL in Org1's MSP in the channel configuration, its next transaction is refused
// while Org1's other identities and Org2's still transact. Another member's admin cannot
// publish it, and refusals leave the configuration's sequence unchanged.
func TestRevokedIdentityIsRefused(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	o := caOrgs(t)[0]
	boot := o.bootstrap(t, ctx)
	c := o.client(t)
	id, secret := o.registerMerchant(t, ctx, c, boot)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	certPEM, _, err := c.Enroll(ctx, id, secret, key, ca.EnrollOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile := writeIdentity(t, dir, certPEM, key)
	staff := healthAs(t, o.org.MSPID, certFile, keyFile, o.profile)
	user1 := h.contract(t, "Org1MSP", "User1", "health")
	org2 := h.contract(t, "Org2MSP", "User1", "health")
	if err := ping(staff, "staff-before"); err != nil {
		t.Fatalf("a CA-enrolled staff identity cannot transact: %v", err)
	}

	seq0, _ := channelSummary(t)
	update := filepath.Join(dir, "revoke.pb")
	if _, err := h.cli("channel", "revoke", "--msp", "Org1MSP", "--id", id, "--reason", "keycompromise", "-o", update); err != nil {
		t.Fatal(err)
	}
	// Revoked at the CA only: the channel's MSP does not know it yet.
	if err := ping(staff, "staff-revoked-at-ca"); err != nil {
		t.Fatalf("revoked at the CA only, before the CRL is published: %v", err)
	}
	sig := func(name, msp string, files ...string) string {
		return signUpdate(t, update, filepath.Join(dir, name+".sig"), msp, files...)
	}
	org1Sig, org2Sig := sig("org1", "Org1MSP"), sig("org2", "Org2MSP")
	u1 := h.org(t, "Org1MSP").Users["User1"]
	clientSig := sig("user1", "Org1MSP", "--cert", u1.Cert, "--key", u1.Key)
	expectRefusedUpdates(t, update, "Org1MSP", seq0, []updateRefusal{
		{"no signature", nil, "FORBIDDEN: the update changes only Org1MSP's own configuration"},
		{"another member's admin", []string{org2Sig}, "an admin of Org1MSP signs it"},
		{"Org1's client", []string{clientSig}, `FORBIDDEN: signer "User1@org1.example.com" is not an admin`},
	})

	watch := watchRefusal(staff, time.Minute)
	start := time.Now()
	if err := channelUpdate(update, "Org1MSP", org1Sig); err != nil {
		t.Fatal(err)
	}
	submitted := time.Since(start)
	r := <-watch
	if r.err == nil {
		t.Fatal("the revoked identity still transacts a minute after its CRL was published")
	}
	t.Logf("the CRL update committed and seen by Org1's peer in %s; the revoked identity's first refused transaction %s after the submit began: %v",
		submitted.Round(time.Millisecond), r.at.Sub(start).Round(time.Millisecond), r.err)
	if err := ping(staff, "staff-after"); err == nil {
		t.Fatal("the revoked identity transacts after its CRL was published")
	}
	if err := ping(user1, "user1-after"); err != nil {
		t.Fatalf("Org1's User1 after the CRL: %v", err)
	}
	if err := ping(org2, "org2-after"); err != nil {
		t.Fatalf("Org2's User1 after Org1's CRL: %v", err)
	}
	if seq, _ := channelSummary(t); seq != seq0+1 {
		t.Fatalf("sequence %d after the CRL, want %d", seq, seq0+1)
	}
	if err := channelUpdate(update, "Org1MSP", org1Sig); err == nil || !strings.Contains(err.Error(), "CONFLICT") {
		t.Fatalf("the same update again: %v", err)
	}
	if _, err := h.cli("channel", "revoke", "--msp", "Org1MSP", "-o", filepath.Join(dir, "again.pb")); err == nil || !strings.Contains(err.Error(), "CONFLICT: Org1MSP's MSP already holds a CRL of this CA revoking the same") {
		t.Fatalf("the CA's CRL again, nothing revoked since: %v", err)
	}
}
