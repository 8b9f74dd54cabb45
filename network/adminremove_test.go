package network

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/hyperledger/fabric-config/configtx"
)

func TestRemoveOrgUpdateAndSignatures(t *testing.T) {
	org1, org2, org3 := newTestOrg(t, "Org1MSP"), newTestOrg(t, "Org2MSP"), newTestOrg(t, "Org3MSP")
	config := channelConfig(t, "MAJORITY Admins", org1, org2, org3)
	update, err := RemoveOrgUpdate(config, "cxledger", "Org3MSP")
	if err != nil {
		t.Fatal(err)
	}
	u, err := parseUpdate(update)
	if err != nil {
		t.Fatal(err)
	}
	if got := removedOrgs(config, u); !slices.Equal(got, []string{"Org3MSP"}) {
		t.Fatalf("removed %v", got)
	}
	if owner, ok := orgOnlyUpdate(config, u); ok {
		t.Fatalf("a removal counted as %s's own update", owner)
	}
	if err := submitterStays(config, update, "Org3MSP"); cxlerr.CodeOf(err) != cxlerr.Invalid {
		t.Errorf("submitted as the member it removes: %v", err)
	}
	for _, msp := range []string{"Org1MSP", "Org2MSP"} {
		if err := submitterStays(config, update, msp); err != nil {
			t.Errorf("submitted as %s: %v", msp, err)
		}
	}
	admin1, admin2, admin3 := org1.issue(t, "Admin1", "admin"), org2.issue(t, "Admin2", "admin"), org3.issue(t, "Admin3", "admin")
	s1, s2, s3 := sign(t, update, "Org1MSP", admin1), sign(t, update, "Org2MSP", admin2), sign(t, update, "Org3MSP", admin3)
	for _, c := range []struct {
		name string
		sigs [][]byte
		code cxlerr.Code
		want string
	}{
		{"one admin of three", [][]byte{s1}, cxlerr.Forbidden, "admins of 1 of the 3 members"},
		{"the same admin twice", [][]byte{s2, s2}, cxlerr.Forbidden, "admins of 1 of the 3 members"},
		{"a member's client", [][]byte{s1, sign(t, update, "Org2MSP", org2.issue(t, "User2", "client"))}, cxlerr.Forbidden, "not an admin"},
		{"an outsider", [][]byte{s1, sign(t, update, "Org4MSP", newTestOrg(t, "Org4MSP").issue(t, "Admin4", "admin"))}, cxlerr.Forbidden, "not a member"},
	} {
		if _, err := CheckConfigUpdate(config, "cxledger", update, c.sigs); cxlerr.CodeOf(err) != c.code || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %s %q", c.name, err, c.code, c.want)
		}
	}
	// MAJORITY of the members as they are: the one removed counts, as in Fabric.
	for _, sigs := range [][][]byte{{s1, s2}, {s3, s1}} {
		if _, err := CheckConfigUpdate(config, "cxledger", update, sigs); err != nil {
			t.Errorf("two admins of three: %v", err)
		}
	}
	if _, err := RemoveOrgUpdate(config, "cxledger", "Org4MSP"); cxlerr.CodeOf(err) != cxlerr.NotFound {
		t.Errorf("removing a stranger: %v", err)
	}
	for _, id := range []string{"", "org3msp", "Org3MSP\xff", "../Org3MSP"} {
		if _, err := RemoveOrgUpdate(config, "cxledger", id); cxlerr.CodeOf(err) != cxlerr.NotFound {
			t.Errorf("removing %q: %v", id, err)
		}
	}
	if _, err := RemoveOrgUpdate(channelConfig(t, "MAJORITY Admins", org1), "cxledger", "Org1MSP"); cxlerr.CodeOf(err) != cxlerr.Forbidden {
		t.Errorf("removing the last member: %v", err)
	}
	// Once Org3 is gone the same update is a conflict.
	after := channelConfig(t, "MAJORITY Admins", org1, org2)
	after.ChannelGroup.Groups[configtx.ApplicationGroupKey].Version++
	if _, err := CheckConfigUpdate(after, "cxledger", update, [][]byte{s1, s2}); cxlerr.CodeOf(err) != cxlerr.Conflict {
		t.Errorf("removal applied twice: %v", err)
	}
}

// crl is a PEM CRL of o's CA revoking serials, issued at thisUpdate.
func (o testOrg) crl(t *testing.T, thisUpdate time.Time, serials ...int64) []byte {
	t.Helper()
	var entries []x509.RevocationListEntry
	for _, s := range serials {
		entries = append(entries, x509.RevocationListEntry{SerialNumber: big.NewInt(s), RevocationTime: thisUpdate})
	}
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number: big.NewInt(thisUpdate.UnixNano()), ThisUpdate: thisUpdate, NextUpdate: thisUpdate.Add(24 * time.Hour),
		RevokedCertificateEntries: entries,
	}, o.caCert, o.caKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der})
}

func TestRevocationUpdateNeedsOnlyTheOrganisationsAdmin(t *testing.T) {
	org1, org2, org3 := newTestOrg(t, "Org1MSP"), newTestOrg(t, "Org2MSP"), newTestOrg(t, "Org3MSP")
	config := channelConfig(t, "MAJORITY Admins", org1, org2, org3)
	now := time.Now().Truncate(time.Second)
	crl := org1.crl(t, now, 42)
	update, err := RevocationUpdate(config, "cxledger", "Org1MSP", crl)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := parseUpdate(update)
	if owner, ok := orgOnlyUpdate(config, u); !ok || owner != "Org1MSP" {
		t.Fatalf("the revocation's owner: %q %v", owner, ok)
	}
	admin1, admin2, admin3 := org1.issue(t, "Admin1", "admin"), org2.issue(t, "Admin2", "admin"), org3.issue(t, "Admin3", "admin")
	if orgs, err := CheckConfigUpdate(config, "cxledger", update, [][]byte{sign(t, update, "Org1MSP", admin1)}); err != nil || !slices.Equal(orgs, []string{"Org1MSP"}) {
		t.Fatalf("Org1's admin alone: %v %v", orgs, err)
	}
	// The other members' majority does not replace Org1's own Admins.
	if _, err := CheckConfigUpdate(config, "cxledger", update, [][]byte{sign(t, update, "Org2MSP", admin2), sign(t, update, "Org3MSP", admin3)}); cxlerr.CodeOf(err) != cxlerr.Forbidden || !strings.Contains(err.Error(), "an admin of Org1MSP signs it") {
		t.Fatalf("the other members' admins: %v", err)
	}
	if _, err := CheckConfigUpdate(config, "cxledger", update, [][]byte{sign(t, update, "Org1MSP", org1.issue(t, "User1", "client"))}); cxlerr.CodeOf(err) != cxlerr.Forbidden {
		t.Fatalf("Org1's client: %v", err)
	}
	if _, err := CheckConfigUpdate(config, "cxledger", update, nil); cxlerr.CodeOf(err) != cxlerr.Forbidden {
		t.Fatalf("no signature: %v", err)
	}

	der, _ := pem.Decode(crl)
	for _, c := range []struct {
		name string
		msp  string
		crl  []byte
		code cxlerr.Code
	}{
		{"DER is taken too", "Org1MSP", der.Bytes, ""},
		{"another member's CA's CRL", "Org1MSP", org2.crl(t, now, 42), cxlerr.Invalid},
		{"a certificate instead", "Org1MSP", []byte(org1.def.RootCerts[0]), cxlerr.Invalid},
		{"two CRLs", "Org1MSP", append(slices.Clone(crl), crl...), cxlerr.Invalid},
		{"garbage", "Org1MSP", []byte("\xff\x00garbage"), cxlerr.Invalid},
		{"empty", "Org1MSP", nil, cxlerr.Invalid},
		{"too large", "Org1MSP", make([]byte, maxCRL+1), cxlerr.TooLarge},
		{"no such member", "Org4MSP", crl, cxlerr.NotFound},
		{"not UTF-8 member", "Org1MSP\xff", crl, cxlerr.NotFound},
	} {
		if _, err := RevocationUpdate(config, "cxledger", c.msp, c.crl); cxlerr.CodeOf(err) != c.code {
			t.Errorf("%s: %v, want %q", c.name, err, c.code)
		}
	}

	// Published: the same CRL again is a conflict, and so is a newer one revoking the same
	// certificates, or an older one (it would take revocations back); a newer one replaces it.
	applied, err := withCRL(config, "cxledger", "Org1MSP", crl)
	if err != nil {
		t.Fatal(err)
	}
	published := applied.UpdatedConfig()
	published.ChannelGroup.Groups[configtx.ApplicationGroupKey].Groups["Org1MSP"].Values[configtx.MSPKey].Version++ // as the orderer does
	if _, err := CheckConfigUpdate(published, "cxledger", update, [][]byte{sign(t, update, "Org1MSP", admin1)}); cxlerr.CodeOf(err) != cxlerr.Conflict || !strings.Contains(err.Error(), "Channel/Application/Org1MSP/MSP") {
		t.Errorf("the revocation applied twice: %v", err)
	}
	if _, err := RevocationUpdate(published, "cxledger", "Org1MSP", crl); cxlerr.CodeOf(err) != cxlerr.Conflict {
		t.Errorf("the same CRL again: %v", err)
	}
	if _, err := RevocationUpdate(published, "cxledger", "Org1MSP", org1.crl(t, now.Add(time.Minute), 42)); cxlerr.CodeOf(err) != cxlerr.Conflict || !strings.Contains(err.Error(), "the same 1 certificate") {
		t.Errorf("a newer CRL revoking the same: %v", err)
	}
	if _, err := RevocationUpdate(published, "cxledger", "Org1MSP", org1.crl(t, now.Add(-time.Hour))); cxlerr.CodeOf(err) != cxlerr.Conflict {
		t.Errorf("an older CRL: %v", err)
	}
	newer, err := withCRL(published, "cxledger", "Org1MSP", org1.crl(t, now.Add(time.Minute), 42, 43))
	if err != nil {
		t.Fatal(err)
	}
	conf, err := newer.Application().Organization("Org1MSP").MSP().Configuration()
	if err != nil {
		t.Fatal(err)
	}
	if len(conf.RevocationList) != 1 || len(conf.RevocationList[0].TBSCertList.RevokedCertificates) != 2 {
		t.Errorf("after a newer CRL: %d CRLs", len(conf.RevocationList))
	}
}

// An update that touches anything beyond one member's own values goes to the channel's
// Admins policy.
func TestOrgOnlyUpdateIsNarrow(t *testing.T) {
	org1, org2 := newTestOrg(t, "Org1MSP"), newTestOrg(t, "Org2MSP")
	config := channelConfig(t, "MAJORITY Admins", org1, org2)
	add, err := AddOrgUpdate(config, "cxledger", newTestOrg(t, "Org3MSP").def)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := parseUpdate(add)
	if _, ok := orgOnlyUpdate(config, u); ok {
		t.Error("adding a member counted as one member's own update")
	}
	// Two members' MSPs in one update.
	c := configtx.New(config)
	for _, o := range []testOrg{org1, org2} {
		block, _ := pem.Decode(o.crl(t, time.Now(), 7))
		list, err := x509.ParseDERCRL(block.Bytes) //nolint:staticcheck // fabric-config's type
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Application().Organization(o.def.MSPID).MSP().AddCRL(list); err != nil {
			t.Fatal(err)
		}
	}
	both, err := c.ComputeMarshaledUpdate("cxledger")
	if err != nil {
		t.Fatal(err)
	}
	u, _ = parseUpdate(both)
	if owner, ok := orgOnlyUpdate(config, u); ok {
		t.Errorf("two members' MSPs counted as %s's own update", owner)
	}
	// A member's MSP value whose mod_policy is not its own Admins.
	oddTx := configtx.New(config)
	odd := oddTx.UpdatedConfig()
	odd.ChannelGroup.Groups[configtx.ApplicationGroupKey].Groups["Org1MSP"].Values[configtx.MSPKey].ModPolicy = "/Channel/Application/Admins"
	upd, err := RevocationUpdate(odd, "cxledger", "Org1MSP", org1.crl(t, time.Now(), 1))
	if err != nil {
		t.Fatal(err)
	}
	u, _ = parseUpdate(upd)
	if _, ok := orgOnlyUpdate(odd, u); ok {
		t.Error("a value under the channel's Admins counted as the member's own")
	}
}
