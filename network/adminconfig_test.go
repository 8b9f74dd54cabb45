package network

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/hyperledger/fabric-config/configtx"
	cb "github.com/hyperledger/fabric-protos-go-apiv2/common"
)

// testOrg is an organisation made for a test: its CA, its definition, and identities its
// CA issued.
type testOrg struct {
	def    OrgDefinition
	caKey  *ecdsa.PrivateKey
	caCert *x509.Certificate
	dir    string
}

func newTestOrg(t *testing.T, mspID string) testOrg {
	t.Helper()
	ca := func(cn string) (*ecdsa.PrivateKey, *x509.Certificate, string) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			t.Fatal(err)
		}
		cert, _ := x509.ParseCertificate(der)
		return key, cert, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	}
	key, cert, caPEM := ca("ca." + mspID)
	_, _, tlsPEM := ca("tlsca." + mspID)
	return testOrg{
		def:   OrgDefinition{MSPID: mspID, RootCerts: []string{caPEM}, TLSRootCerts: []string{tlsPEM}, AnchorPeers: []AnchorPeer{{Host: "peer0." + strings.ToLower(mspID), Port: 7051}}},
		caKey: key, caCert: cert, dir: t.TempDir(),
	}
}

// issue writes an identity the organisation's CA issued with NodeOU ou.
func (o testOrg) issue(t *testing.T, cn, ou string) IdentityInfo {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn, OrganizationalUnit: []string{ou}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, o.caCert, &key.PublicKey, o.caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	files := IdentityInfo{Cert: filepath.Join(o.dir, cn+"-cert.pem"), Key: filepath.Join(o.dir, cn+"-key.pem")}
	os.WriteFile(files.Cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(files.Key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
	return files
}

// channelConfig is a channel configuration whose application organisations are orgs, with
// the Admins policy rule.
func channelConfig(t *testing.T, rule string, orgs ...testOrg) *cb.Config {
	t.Helper()
	config := &cb.Config{ChannelGroup: &cb.ConfigGroup{Groups: map[string]*cb.ConfigGroup{
		configtx.ApplicationGroupKey: {Groups: map[string]*cb.ConfigGroup{}, Values: map[string]*cb.ConfigValue{}, Policies: map[string]*cb.ConfigPolicy{}, ModPolicy: "Admins"},
	}, Values: map[string]*cb.ConfigValue{}, Policies: map[string]*cb.ConfigPolicy{}}}
	c := configtx.New(config)
	// configtx.New copies the configuration, and a copy has nil maps where it had empty ones.
	app := c.UpdatedConfig().GetChannelGroup().GetGroups()[configtx.ApplicationGroupKey]
	app.Groups, app.Values, app.Policies = map[string]*cb.ConfigGroup{}, map[string]*cb.ConfigValue{}, map[string]*cb.ConfigPolicy{}
	if err := c.Application().SetPolicy(configtx.AdminsPolicyKey, configtx.Policy{Type: configtx.ImplicitMetaPolicyType, Rule: rule}); err != nil {
		t.Fatal(err)
	}
	for _, o := range orgs {
		org, err := o.def.organization()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Application().SetOrganization(org); err != nil {
			t.Fatal(err)
		}
	}
	return c.UpdatedConfig()
}

func sign(t *testing.T, update []byte, mspID string, files IdentityInfo) []byte {
	t.Helper()
	sig, err := SignConfigUpdate(update, mspID, files)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func TestAddOrgUpdateAndSignatures(t *testing.T) {
	org1, org2, org3 := newTestOrg(t, "Org1MSP"), newTestOrg(t, "Org2MSP"), newTestOrg(t, "Org3MSP")
	config := channelConfig(t, "MAJORITY Admins", org1, org2)
	if got := Members(config); !slices.Equal(got, []string{"Org1MSP", "Org2MSP"}) {
		t.Fatalf("members %v", got)
	}
	update, err := AddOrgUpdate(config, "cxledger", org3.def)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := AddOrgUpdate(config, "cxledger", org1.def); cxlerr.CodeOf(err) != cxlerr.Conflict {
		t.Fatalf("adding a member again: %v", err)
	}
	admin1, admin2 := org1.issue(t, "Admin1", "admin"), org2.issue(t, "Admin2", "admin")
	user2, admin3 := org2.issue(t, "User2", "client"), org3.issue(t, "Admin3", "admin")
	// A certificate that says Org2MSP but that Org3's CA issued.
	forged := org3.issue(t, "Forged", "admin")
	s1, s2 := sign(t, update, "Org1MSP", admin1), sign(t, update, "Org2MSP", admin2)

	orgs, err := CheckConfigUpdate(config, "cxledger", update, [][]byte{s1, s2})
	if err != nil || !slices.Equal(orgs, []string{"Org1MSP", "Org2MSP"}) {
		t.Fatalf("both admins: %v %v", orgs, err)
	}
	other, err := AddOrgUpdate(config, "cxledger", newTestOrg(t, "Org4MSP").def)
	if err != nil {
		t.Fatal(err)
	}
	otherChannel, err := AddOrgUpdate(config, "other", org3.def)
	if err != nil {
		t.Fatal(err)
	}
	garbage := []byte("\xff\x00not a signature")
	cases := []struct {
		name   string
		update []byte
		sigs   [][]byte
		code   cxlerr.Code
		want   string
	}{
		{"no signature", update, nil, cxlerr.Forbidden, "needs 2"},
		{"one of two admins", update, [][]byte{s1}, cxlerr.Forbidden, "admins of 1 of the 2 members"},
		{"the same admin twice", update, [][]byte{s1, s1}, cxlerr.Forbidden, "admins of 1 of the 2"},
		{"the new organisation's admin", update, [][]byte{s1, sign(t, update, "Org3MSP", admin3)}, cxlerr.Forbidden, "not a member"},
		{"a member's client", update, [][]byte{s1, sign(t, update, "Org2MSP", user2)}, cxlerr.Forbidden, "not an admin"},
		{"another CA's certificate under a member's ID", update, [][]byte{s1, sign(t, update, "Org2MSP", forged)}, cxlerr.Forbidden, "does not chain"},
		{"a signature over another update", update, [][]byte{s1, sign(t, other, "Org2MSP", admin2)}, cxlerr.Unauthenticated, "does not verify"},
		{"not a signature", update, [][]byte{s1, garbage}, cxlerr.Invalid, "not a configuration signature"},
		{"an update of another channel", otherChannel, [][]byte{s1, s2}, cxlerr.Invalid, "not \"cxledger\""},
		{"not an update", garbage, [][]byte{s1, s2}, cxlerr.Invalid, "not a configuration update"},
	}
	for _, c := range cases {
		_, err := CheckConfigUpdate(config, "cxledger", c.update, c.sigs)
		if cxlerr.CodeOf(err) != c.code || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %s %q", c.name, err, c.code, c.want)
		}
	}

	// Once Org3 is in, the same update is a conflict, and so is any update computed before.
	after := channelConfig(t, "MAJORITY Admins", org1, org2, org3)
	after.ChannelGroup.Groups[configtx.ApplicationGroupKey].Version++ // as the orderer does when it applies an update
	if _, err := CheckConfigUpdate(after, "cxledger", update, [][]byte{s1, s2}); cxlerr.CodeOf(err) != cxlerr.Conflict {
		t.Fatalf("update of a member already present: %v", err)
	}
	if _, err := CheckConfigUpdate(after, "cxledger", other, [][]byte{sign(t, other, "Org1MSP", admin1), sign(t, other, "Org2MSP", admin2)}); cxlerr.CodeOf(err) != cxlerr.Conflict {
		t.Fatalf("update computed on an older configuration: %v", err)
	}
	// With three members MAJORITY is two; ANY is one; ALL is all three.
	three := channelConfig(t, "ALL Admins", org1, org2, org3)
	upd, _ := AddOrgUpdate(three, "cxledger", newTestOrg(t, "Org5MSP").def)
	if _, err := CheckConfigUpdate(three, "cxledger", upd, [][]byte{sign(t, upd, "Org1MSP", admin1), sign(t, upd, "Org2MSP", admin2)}); cxlerr.CodeOf(err) != cxlerr.Forbidden {
		t.Fatalf("ALL Admins with two of three: %v", err)
	}
	anyCfg := channelConfig(t, "ANY Admins", org1, org2)
	upd, _ = AddOrgUpdate(anyCfg, "cxledger", org3.def)
	if _, err := CheckConfigUpdate(anyCfg, "cxledger", upd, [][]byte{sign(t, upd, "Org2MSP", admin2)}); err != nil {
		t.Fatalf("ANY Admins with one: %v", err)
	}
}

func TestSignConfigUpdateRefuses(t *testing.T) {
	org1 := newTestOrg(t, "Org1MSP")
	config := channelConfig(t, "MAJORITY Admins", org1)
	update, err := AddOrgUpdate(config, "cxledger", newTestOrg(t, "Org2MSP").def)
	if err != nil {
		t.Fatal(err)
	}
	a, b := org1.issue(t, "A", "admin"), org1.issue(t, "B", "admin")
	if _, err := SignConfigUpdate(update, "Org1MSP", IdentityInfo{Cert: a.Cert, Key: b.Key}); cxlerr.CodeOf(err) != cxlerr.Invalid {
		t.Fatalf("another certificate's key: %v", err)
	}
	if _, err := SignConfigUpdate([]byte("not an update"), "Org1MSP", a); cxlerr.CodeOf(err) != cxlerr.Invalid {
		t.Fatalf("not an update: %v", err)
	}
	if _, err := SignConfigUpdate(update, "Org1MSP", IdentityInfo{Cert: a.Cert, Key: filepath.Join(org1.dir, "missing")}); err == nil {
		t.Fatal("missing key: no error")
	}
}

func TestParseOrgDefinition(t *testing.T) {
	good := newTestOrg(t, "Org3MSP").def
	data, _ := json.Marshal(good)
	if d, err := ParseOrgDefinition(data); err != nil || d.MSPID != "Org3MSP" {
		t.Fatalf("good definition: %v %v", d, err)
	}
	leaf := newTestOrg(t, "Org1MSP")
	leafPEM, _ := os.ReadFile(leaf.issue(t, "peer0", "peer").Cert)
	edit := func(f func(*OrgDefinition)) []byte {
		d := good
		d.AnchorPeers = slices.Clone(good.AnchorPeers)
		f(&d)
		b, _ := json.Marshal(d)
		return b
	}
	cases := []struct {
		name string
		data []byte
		code cxlerr.Code
	}{
		{"not JSON", []byte("{"), cxlerr.Invalid},
		{"invalid UTF-8", []byte("{\"mspId\":\"Org\xff\"}"), cxlerr.Invalid},
		{"unknown field", []byte(`{"mspId":"Org3MSP","adminKey":"x"}`), cxlerr.Invalid},
		{"a private key", edit(func(d *OrgDefinition) { d.RootCerts = append(d.RootCerts, "-----BEGIN PRIVATE KEY-----") }), cxlerr.Invalid},
		{"wrong type", []byte(`{"mspId":3}`), cxlerr.Invalid},
		{"no MSP ID", edit(func(d *OrgDefinition) { d.MSPID = "" }), cxlerr.Invalid},
		{"MSP ID with a slash", edit(func(d *OrgDefinition) { d.MSPID = "Org1MSP/../x" }), cxlerr.Invalid},
		{"MSP ID too long", edit(func(d *OrgDefinition) { d.MSPID = strings.Repeat("a", 65) }), cxlerr.Invalid},
		{"no root", edit(func(d *OrgDefinition) { d.RootCerts = nil }), cxlerr.Invalid},
		{"no TLS root", edit(func(d *OrgDefinition) { d.TLSRootCerts = nil }), cxlerr.Invalid},
		{"a root that is no CA", edit(func(d *OrgDefinition) { d.RootCerts = []string{string(leafPEM)} }), cxlerr.Invalid},
		{"a root that is no PEM", edit(func(d *OrgDefinition) { d.TLSRootCerts = []string{"hello"} }), cxlerr.Invalid},
		{"two certificates in one entry", edit(func(d *OrgDefinition) { d.RootCerts = []string{d.RootCerts[0] + d.TLSRootCerts[0]} }), cxlerr.Invalid},
		{"no anchor peer", edit(func(d *OrgDefinition) { d.AnchorPeers = nil }), cxlerr.Invalid},
		{"port 0", edit(func(d *OrgDefinition) { d.AnchorPeers[0].Port = 0 }), cxlerr.Invalid},
		{"port 65536", edit(func(d *OrgDefinition) { d.AnchorPeers[0].Port = 65536 }), cxlerr.Invalid},
		{"host with a space", edit(func(d *OrgDefinition) { d.AnchorPeers[0].Host = "peer0 org3" }), cxlerr.Invalid},
		{"too large", make([]byte, maxDefinition+1), cxlerr.TooLarge},
	}
	for _, c := range cases {
		_, err := ParseOrgDefinition(c.data)
		if cxlerr.CodeOf(err) != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
}

func TestConfigOfBlock(t *testing.T) {
	if _, err := configOfBlock(&cb.Block{}); cxlerr.CodeOf(err) != cxlerr.Unavailable {
		t.Fatalf("empty block: %v", err)
	}
	if _, err := configOfBlock(&cb.Block{Data: &cb.BlockData{Data: [][]byte{{0xff, 0xff}}}}); err == nil {
		t.Fatal("garbage block: no error")
	}
}
