//go:build integration

package test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/network"
	"github.com/cxledger/cxledger/network/ca"
)

// caOrg is one organisation of the test network with its CA as the profile describes it.
type caOrg struct {
	org     network.Org
	profile network.OrgProfile
	root    *x509.Certificate // the organisation's root CA certificate (its MSP's cacerts)
}

func caOrgs(t *testing.T) []caOrg {
	t.Helper()
	var orgs []caOrg
	for _, org := range h.topo.PeerOrgs() {
		p := h.org(t, org.MSPID)
		if p.CA == nil {
			t.Fatalf("the profile names no CA for %s", org.MSPID)
		}
		orgs = append(orgs, caOrg{org: org, profile: p, root: readCertFile(t, h.home.CACert(org))})
	}
	return orgs
}

func readCertFile(t *testing.T, file string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return parseCertPEM(t, data)
}

func parseCertPEM(t *testing.T, data []byte) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatalf("no PEM certificate in %q", data)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// caClient connects to o's CA as the profile says, trusting the TLS root it names.
func (o caOrg) client(t *testing.T, opts ...ca.Option) *ca.Client {
	t.Helper()
	root, err := os.ReadFile(o.profile.CA.TLSRootCert)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ca.New(o.profile.CA.URL, root, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// bootstrap enrols o's bootstrap registrar with the secret stored in its own directory.
func (o caOrg) bootstrap(t *testing.T, ctx context.Context) ca.Identity {
	t.Helper()
	secret, err := os.ReadFile(h.home.CABootstrapSecret(o.org))
	if err != nil {
		t.Fatal(err)
	}
	return enrolNew(t, ctx, o.client(t), network.CABootstrapID, strings.TrimSpace(string(secret)))
}

// registerMerchant registers a new staff identity at o's CA, through its bootstrap
// registrar, with cxl.roles=merchant in its enrolment certificates and one enrolment
// allowed; it returns the CA's client, the identity's ID and its one-time secret.
func (o caOrg) registerMerchant(t *testing.T, ctx context.Context, c *ca.Client, boot ca.Identity) (id, secret string) {
	t.Helper()
	id = uniqueID("staff", o.org)
	secret, err := c.Register(ctx, boot, ca.Registration{ID: id, Type: "client", MaxEnrollments: 1,
		Attrs: []ca.Attribute{{Name: network.RolesAttribute, Value: "merchant", ECert: true}}})
	if err != nil {
		t.Fatal(err)
	}
	return id, secret
}

// writeIdentity writes certPEM and key (PKCS #8, mode 0600) into dir as cert.pem and
// key.pem, and returns their paths.
func writeIdentity(t *testing.T, dir string, certPEM []byte, key *ecdsa.PrivateKey) (certFile, keyFile string) {
	t.Helper()
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func enrolNew(t *testing.T, ctx context.Context, c *ca.Client, id, secret string) ca.Identity {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cert, _, err := c.Enroll(ctx, id, secret, key, ca.EnrollOptions{})
	if err != nil {
		t.Fatalf("enrol %s: %v", id, err)
	}
	return ca.Identity{Cert: cert, Key: key}
}

// certAttrs reads the Fabric CA attributes of a certificate (extension 1.2.3.4.5.6.7.8.1).
func certAttrs(t *testing.T, cert *x509.Certificate) map[string]string {
	t.Helper()
	for _, e := range cert.Extensions {
		if e.Id.Equal(asn1.ObjectIdentifier{1, 2, 3, 4, 5, 6, 7, 8, 1}) {
			var v struct {
				Attrs map[string]string `json:"attrs"`
			}
			if err := json.Unmarshal(e.Value, &v); err != nil {
				t.Fatalf("attributes of %s: %v", cert.Subject.CommonName, err)
			}
			return v.Attrs
		}
	}
	return nil
}

// chainsTo checks that cert was issued by root and is valid now.
func chainsTo(t *testing.T, cert, root *x509.Certificate) {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(root)
	if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		t.Errorf("%s does not chain to %s: %v", cert.Subject.CommonName, root.Subject.CommonName, err)
	}
}

func uniqueID(prefix string, org network.Org) string {
	b := make([]byte, 4)
	rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b) + "@" + org.Domain
}

// Each organisation's CA answers over TLS verified with the organisation's TLS root (and
// no other member's), and its chain is the organisation's root, the one in the channel MSP.
func TestCAPerOrganisationOverTLS(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	orgs := caOrgs(t)
	for i, o := range orgs {
		info, err := o.client(t).CAInfo(ctx)
		if err != nil {
			t.Fatalf("CA of %s: %v", o.org.MSPID, err)
		}
		if info.Version != network.FabricCAVersion {
			t.Errorf("CA of %s runs %q, want %s", o.org.MSPID, info.Version, network.FabricCAVersion)
		}
		if chain := parseCertPEM(t, info.Chain); !chain.Equal(o.root) {
			t.Errorf("CA of %s signs as %s, not as the organisation's root", o.org.MSPID, chain.Subject)
		}
		other := orgs[(i+1)%len(orgs)]
		if other.org.MSPID == o.org.MSPID {
			continue
		}
		otherRoot, err := os.ReadFile(other.profile.CA.TLSRootCert)
		if err != nil {
			t.Fatal(err)
		}
		c, err := ca.New(o.profile.CA.URL, otherRoot)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.CAInfo(ctx); cxlerr.CodeOf(err) != cxlerr.Unavailable {
			t.Errorf("CA of %s verified with %s's TLS root: %v, want UNAVAILABLE", o.org.MSPID, other.org.MSPID, err)
		}
		c.Close()
	}
}

// Every identity `cxl network up` made is the CA's: it chains to its organisation's root and
// carries its organisation's roles (Admin as NodeOU admin, users as clients); the registrar
// carries none.
func TestGeneratedIdentitiesComeFromTheCA(t *testing.T) {
	for _, o := range caOrgs(t) {
		roles := strings.Join(o.org.Roles, ",")
		if len(o.profile.Users) != 1+o.org.Users {
			t.Errorf("%s has %d users, want Admin and %d", o.org.MSPID, len(o.profile.Users), o.org.Users)
		}
		for user, files := range o.profile.Users {
			cert := readCertFile(t, files.Cert)
			chainsTo(t, cert, o.root)
			wantOU := "client"
			if user == "Admin" {
				wantOU = "admin"
			}
			attrs := certAttrs(t, cert)
			if !slices.Contains(cert.Subject.OrganizationalUnit, wantOU) || attrs[network.RolesAttribute] != roles ||
				cert.Subject.CommonName != user+"@"+o.org.Domain {
				t.Errorf("%s %s: subject %s, attributes %v; want OU %s and roles %q", o.org.MSPID, user, cert.Subject, attrs, wantOU, roles)
			}
			if info, err := os.Stat(files.Key); err != nil || info.Mode().Perm() != 0o600 {
				t.Errorf("%s %s: key %v", o.org.MSPID, user, err)
			}
		}
		reg := readCertFile(t, o.profile.CA.Registrar.Cert)
		chainsTo(t, reg, o.root)
		if attrs := certAttrs(t, reg); attrs == nil || attrs[network.RolesAttribute] != "" {
			t.Errorf("%s registrar carries attributes %v", o.org.MSPID, attrs)
		}
		if info, err := os.Stat(h.home.CABootstrapSecret(o.org)); err != nil || info.Mode().Perm() != 0o600 ||
			!strings.HasPrefix(h.home.CABootstrapSecret(o.org), h.home.OrgDir(o.org)+string(filepath.Separator)) {
			t.Errorf("%s bootstrap secret: %v", o.org.MSPID, err)
		}
	}
}

// A staff identity registered with cxl.roles=merchant gets a client certificate carrying the
// role, valid in the channel (it commits a transaction); its one-time secret is refused the
// second time (CONFLICT), a wrong secret is UNAUTHENTICATED.
func TestCARegistersAndEnrolsStaff(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	o := caOrgs(t)[0]
	boot := o.bootstrap(t, ctx)
	c := o.client(t)
	id, secret := o.registerMerchant(t, ctx, c, boot)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if _, _, err := c.Enroll(ctx, id, secret+"x", key, ca.EnrollOptions{}); cxlerr.CodeOf(err) != cxlerr.Unauthenticated {
		t.Fatalf("wrong secret: %v, want UNAUTHENTICATED", err)
	}
	certPEM, chain, err := c.Enroll(ctx, id, secret, key, ca.EnrollOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cert := parseCertPEM(t, certPEM)
	chainsTo(t, cert, o.root)
	if !parseCertPEM(t, chain).Equal(o.root) {
		t.Error("the chain is not the organisation's root")
	}
	if attrs := certAttrs(t, cert); attrs[network.RolesAttribute] != "merchant" || !slices.Contains(cert.Subject.OrganizationalUnit, "client") {
		t.Errorf("certificate %s with attributes %v; want NodeOU client and cxl.roles=merchant", cert.Subject, attrs)
	}
	// The one-time secret is used up: refused, and with the registrar's view, as CONFLICT.
	if _, _, err := c.Enroll(ctx, id, secret, key, ca.EnrollOptions{}); cxlerr.CodeOf(err) != cxlerr.Unauthenticated {
		t.Errorf("second enrolment without a registrar: %v, want UNAUTHENTICATED", err)
	}
	_, _, err = o.client(t, ca.WithRegistrar(boot)).Enroll(ctx, id, secret, key, ca.EnrollOptions{})
	if cxlerr.CodeOf(err) != cxlerr.Conflict || strings.Contains(err.Error(), secret) {
		t.Errorf("second enrolment: %v, want CONFLICT without the secret", err)
	}
	if _, _, err := c.Enroll(ctx, uniqueID("nobody", o.org), secret, key, ca.EnrollOptions{}); cxlerr.CodeOf(err) != cxlerr.Unauthenticated {
		t.Errorf("unknown identity: %v, want UNAUTHENTICATED", err)
	}

	// The channel takes the CA's certificate as a member of the organisation.
	certFile, keyFile := writeIdentity(t, t.TempDir(), certPEM, key)
	if err := ping(healthAs(t, o.org.MSPID, certFile, keyFile, o.profile), "ca-staff"); err != nil {
		t.Fatalf("a CA-enrolled staff identity cannot transact: %v", err)
	}
}

// The gateway's registrar registers customers (clients without attributes), revokes and
// removes them, and can do nothing more: no roles, no other types.
func TestRegistrarRegistersOnlyCustomers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, o := range caOrgs(t) {
		certPEM, err := os.ReadFile(o.profile.CA.Registrar.Cert)
		if err != nil {
			t.Fatal(err)
		}
		keyPEM, err := os.ReadFile(o.profile.CA.Registrar.Key)
		if err != nil {
			t.Fatal(err)
		}
		registrar, err := ca.ParseIdentity(certPEM, keyPEM)
		if err != nil {
			t.Fatal(err)
		}
		c := o.client(t)
		for name, reg := range map[string]ca.Registration{
			"a role":          {ID: uniqueID("rogue", o.org), Type: "client", Attrs: []ca.Attribute{{Name: network.RolesAttribute, Value: "payment", ECert: true}}},
			"an admin":        {ID: uniqueID("rogue", o.org), Type: "admin"},
			"a registrar":     {ID: uniqueID("rogue", o.org), Type: "client", Attrs: []ca.Attribute{{Name: "hf.Registrar.Roles", Value: "client"}}},
			"a peer identity": {ID: uniqueID("rogue", o.org), Type: "peer"},
		} {
			if _, err := c.Register(ctx, registrar, reg); cxlerr.CodeOf(err) != cxlerr.Forbidden {
				t.Errorf("%s registrar registering %s: %v, want FORBIDDEN", o.org.MSPID, name, err)
			}
		}
		id := uniqueID("customer", o.org)
		secret, err := c.Register(ctx, registrar, ca.Registration{ID: id, Type: "client", MaxEnrollments: 1})
		if err != nil {
			t.Fatalf("%s registrar: %v", o.org.MSPID, err)
		}
		cust := enrolNew(t, ctx, c, id, secret)
		cert := parseCertPEM(t, cust.Cert)
		chainsTo(t, cert, o.root)
		if attrs := certAttrs(t, cert); attrs[network.RolesAttribute] != "" || !slices.Contains(cert.Subject.OrganizationalUnit, "client") {
			t.Errorf("customer %s with attributes %v", cert.Subject, attrs)
		}
		// A customer registers nobody.
		if _, err := c.Register(ctx, cust, ca.Registration{ID: uniqueID("x", o.org), Type: "client"}); cxlerr.CodeOf(err) != cxlerr.Forbidden {
			t.Errorf("customer registering: %v, want FORBIDDEN", err)
		}
		revoked, err := c.Revoke(ctx, registrar, ca.Revocation{ID: id, Reason: "keycompromise"})
		if err != nil || len(revoked) != 1 {
			t.Errorf("revoke %s: %v %v", id, revoked, err)
		}
		if err := c.RemoveIdentity(ctx, registrar, id); err != nil {
			t.Errorf("remove %s: %v", id, err)
		}
	}
}

// A CA that stopped is started again by `cxl network up` with its database (the bootstrap
// secret still enrols), and nothing is enrolled again: every identity file is unchanged.
func TestCAStartsAgainWithoutReenrolling(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	o := caOrgs(t)[len(h.topo.Orgs)-1]
	files := map[string][]byte{}
	for _, org := range caOrgs(t) {
		for _, id := range append([]network.IdentityInfo{org.profile.CA.Registrar}, slices.Collect(maps.Values(org.profile.Users))...) {
			for _, f := range []string{id.Cert, id.Key} {
				data, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				files[f] = data
			}
		}
	}
	h.stop(t, o.org.CA.Name)
	if _, err := o.client(t, ca.WithTimeout(2*time.Second)).CAInfo(ctx); cxlerr.CodeOf(err) != cxlerr.Unavailable {
		t.Fatalf("stopped CA: %v, want UNAVAILABLE", err)
	}
	if _, err := h.cli("network", "up"); err != nil {
		t.Fatal(err)
	}
	o.bootstrap(t, ctx)
	for f, before := range files {
		if after, err := os.ReadFile(f); err != nil || string(after) != string(before) {
			t.Errorf("%s changed: %v", f, err)
		}
	}
}
