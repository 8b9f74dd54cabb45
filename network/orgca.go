package network

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/network/ca"
)

// Each peer organisation runs its own Fabric CA. It signs with the organisation's root CA
// key that cryptogen made (the certificate in the organisation's MSP cacerts), so what it
// issues is a member of the organisation in the channel's MSP. Its state lives in the
// organisation's own directory: CAServerDir holds the server's configuration (with the
// bootstrap registrar's secret, 0600), its TLS key pair (issued by the organisation's TLS
// CA for localhost, 127.0.0.1 and the CA's host name) and its SQLite database.

// CABootstrapID is the enrolment ID of each CA's bootstrap registrar, the identity that
// registers the organisation's Admin, users and gateway registrar. Its secret is random
// per organisation (CABootstrapSecret); no certificate of it is kept.
const CABootstrapID = "ca-admin"

// RolesAttribute is the Fabric CA attribute that carries a staff identity's roles in its
// certificate: a comma-separated list of role names.
const RolesAttribute = "cxl.roles"

// RegistrarUser is the name of each organisation's registrar identity, the one its gateway
// registers customers with: UserMSP(org, RegistrarUser).
const RegistrarUser = "registrar"

// Where a CA finds its files in its container: its home (CAServerDir) and the organisation's
// CA key pair, which the configuration names relative to the home ("../ca/...") so one file
// serves both runtimes.
const (
	containerCAHome = "/etc/hyperledger/fabric-ca-server"
	containerCAKeys = "/etc/hyperledger/ca"
)

// CAServerDir is the home of org's Fabric CA server.
func (h Home) CAServerDir(org Org) string { return filepath.Join(h.OrgDir(org), "ca-server") }

// CABootstrapSecret is the file (0600) holding the secret of org's bootstrap registrar.
func (h Home) CABootstrapSecret(org Org) string {
	return filepath.Join(h.CAServerDir(org), "bootstrap.secret")
}

// CACert is org's root CA certificate, the one its Fabric CA signs with.
func (h Home) CACert(org Org) string {
	return filepath.Join(h.OrgDir(org), "ca", "ca."+org.Domain+"-cert.pem")
}

// caKeyDir is where cryptogen put org's root CA key pair.
func (h Home) caKeyDir(org Org) string { return filepath.Join(h.OrgDir(org), "ca") }

// CAURL is where the host reaches org's CA.
func CAURL(org Org) string { return "https://" + org.CA.Address() }

// CAEndpoint is where the other processes of the network reach org's CA: the host address
// natively; under Docker its host name in the project's network and its port without the
// offset (https://ca.org1.example.com:7980), which its TLS certificate names.
func (t Topology) CAEndpoint(org Org) string { return "https://" + t.reach(org.CA.Name, org.CA.Port) }

// caConfigTemplate is fabric-ca-server-config.yaml. Relative paths are relative to the
// server's home.
const caConfigTemplate = `# The Fabric CA of {{.MSPID}}, written by cxl network up. It holds the bootstrap
# registrar's secret: keep it 0600.
version: {{.Version}}
address: "{{.Address}}"
port: {{.Port}}
debug: false
crlsizelimit: 512000
tls:
  enabled: true
  certfile: tls/server.crt
  keyfile: tls/server.key
  clientauth:
    type: noclientcert
ca:
  name: {{.Name}}
  certfile: ../ca/{{.CertFile}}
  keyfile: ../ca/priv_sk
crl:
  expiry: 24h
registry:
  maxenrollments: -1
  identities:
    - name: {{.BootstrapID}}
      pass: "{{.Secret}}"
      type: client
      affiliation: ""
      attrs:
        hf.Registrar.Roles: "*"
        hf.Registrar.DelegateRoles: "*"
        hf.Registrar.Attributes: "*"
        hf.Revoker: true
        hf.GenCRL: true
        hf.AffiliationMgr: true
        hf.IntermediateCA: false
db:
  type: sqlite3
  datasource: fabric-ca-server.db
affiliations:
  {{.Affiliation}}: []
signing:
  default:
    usage:
      - digital signature
    expiry: 8760h
  profiles:
    tls:
      usage:
        - signing
        - key encipherment
        - server auth
        - client auth
        - key agreement
      expiry: 8760h
bccsp:
  default: SW
  sw:
    hash: SHA2
    security: 256
    filekeystore:
      keystore: msp/keystore
cfg:
  identities:
    allowremove: true
    passwordattempts: 10
  affiliations:
    allowremove: false
operations:
  listenAddress: {{.Operations}}
  tls:
    enabled: false
metrics:
  provider: disabled
`

// PrepareCAs writes what each organisation's CA needs to start and has not got yet: its
// configuration with a new random bootstrap secret, and its TLS key pair.
func PrepareCAs(home Home, t Topology) error {
	for _, org := range t.PeerOrgs() {
		if err := prepareCA(home, t, org); err != nil {
			return fmt.Errorf("prepare the CA of %s: %w", org.MSPID, err)
		}
	}
	return nil
}

func prepareCA(home Home, t Topology, org Org) error {
	dir := home.CAServerDir(org)
	config := filepath.Join(dir, "fabric-ca-server-config.yaml")
	if _, err := os.Stat(config); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Join(dir, "tls"), 0o700); err != nil {
		return err
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return err
	}
	if err := issueCATLS(home, org); err != nil {
		return err
	}
	secret, err := randomSecret()
	if err != nil {
		return err
	}
	if err := os.WriteFile(home.CABootstrapSecret(org), []byte(secret+"\n"), 0o600); err != nil {
		return fmt.Errorf("write the bootstrap secret: %w", err)
	}
	addr, port, err := net.SplitHostPort(t.listen(org.CA.Port))
	if err != nil {
		return err
	}
	data := map[string]any{
		"MSPID": org.MSPID, "Version": FabricCAVersion, "Address": addr, "Port": port,
		"Name": org.CA.Name, "CertFile": filepath.Base(home.CACert(org)),
		"BootstrapID": CABootstrapID, "Secret": secret, "Affiliation": strings.ToLower(org.Name),
		"Operations": t.listen(org.CA.OperationsPort),
	}
	tmp := config + ".tmp"
	if err := renderFile(tmp, caConfigTemplate, nil, data); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, config)
}

// randomSecret is a new 192-bit secret, base64url.
func randomSecret() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("make a secret: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// issueCATLS issues the CA's TLS server certificate with org's TLS CA: for localhost,
// 127.0.0.1 (and its host's address on a NetNS network) and the CA's host name, valid as
// long as the TLS CA.
func issueCATLS(home Home, org Org) error {
	tlsCADir := filepath.Join(home.OrgDir(org), "tlsca")
	caCert, err := readCert(home.TLSRootCert(org))
	if err != nil {
		return err
	}
	caKey, err := readKey(filepath.Join(tlsCADir, "priv_sk"))
	if err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: org.CA.Name, Organization: []string{org.Domain}},
		NotBefore:    time.Now().Add(-5 * time.Minute),
		NotAfter:     caCert.NotAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost", org.CA.Name},
		IPAddresses:  org.CA.tlsIPs(),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return fmt.Errorf("issue the CA's TLS certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	dir := filepath.Join(home.CAServerDir(org), "tls")
	if err := os.WriteFile(filepath.Join(dir, "server.key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "server.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

func readCert(file string) (*x509.Certificate, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%s holds no PEM certificate", file)
	}
	return x509.ParseCertificate(block.Bytes)
}

func readKey(file string) (crypto.Signer, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%s holds no PEM key", file)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", file, err)
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%s holds no signing key", file)
	}
	return s, nil
}

// caEnv is the environment of org's CA server: its home, natively or in its container.
func caEnv(home Home, t Topology, org Org) []string {
	if t.Runtime == Docker {
		return []string{"FABRIC_CA_SERVER_HOME=" + containerCAHome}
	}
	return []string{"FABRIC_CA_SERVER_HOME=" + home.CAServerDir(org)}
}

// identity is one identity enrolIdentities makes for an organisation.
type identity struct {
	user  string // the name in the profile and in UserMSP: "Admin", "User1", "registrar"
	reg   ca.Registration
	roles bool // its certificate carries the organisation's roles
}

// enrolmentID is the enrolment ID (and certificate common name) of an organisation's user:
// "User1@org1.example.com", as cryptogen named them, so accounts keep their names.
func enrolmentID(org Org, user string) string { return user + "@" + org.Domain }

// orgIdentities lists the identities `cxl network up` enrols for org: Admin (NodeOU admin)
// and User1..UserN (NodeOU client), both with the organisation's roles in cxl.roles, and
// the gateway's registrar, which may register and revoke clients without attributes and
// holds no business role.
func orgIdentities(org Org) []identity {
	roles := ca.Attribute{Name: RolesAttribute, Value: strings.Join(org.Roles, ","), ECert: true}
	staff := func(user, typ string) identity {
		return identity{user: user, roles: true, reg: ca.Registration{
			ID: enrolmentID(org, user), Type: typ, MaxEnrollments: 1, Attrs: []ca.Attribute{roles},
		}}
	}
	ids := []identity{staff("Admin", "admin")}
	for i := 1; i <= org.Users; i++ {
		ids = append(ids, staff(fmt.Sprintf("User%d", i), "client"))
	}
	return append(ids, identity{user: RegistrarUser, reg: ca.Registration{
		ID: enrolmentID(org, RegistrarUser), Type: "client", MaxEnrollments: 1,
		Attrs: []ca.Attribute{
			{Name: "hf.Registrar.Roles", Value: "client"},
			{Name: "hf.Revoker", Value: "true"},
		},
	}})
}

// attrExtension is the certificate extension in which Fabric CA puts attributes.
var attrExtension = asn1.ObjectIdentifier{1, 2, 3, 4, 5, 6, 7, 8, 1}

// caEnrolled reports whether the MSP at dir holds a certificate issued by a Fabric CA (one
// carrying the attribute extension; cryptogen's never does).
func caEnrolled(dir string, user string, org Org) bool {
	cert, err := readCert(filepath.Join(dir, "signcerts", enrolmentID(org, user)+"-cert.pem"))
	if err != nil {
		return false
	}
	for _, e := range cert.Extensions {
		if e.Id.Equal(attrExtension) {
			return true
		}
	}
	return false
}

// EnrolIdentities registers and enrols, through each organisation's CA, the identities of
// orgIdentities that are not enrolled yet, writing each MSP where the profile names it
// (UserMSP): cryptogen's Admin is replaced. An identity already enrolled is left alone, so
// running it again changes nothing.
func EnrolIdentities(ctx context.Context, home Home, t Topology, progress io.Writer) error {
	orgs := t.PeerOrgs()
	errs := make(chan error, len(orgs))
	for _, org := range orgs {
		go func() { errs <- enrolOrg(ctx, home, org, progress) }()
	}
	var all []error
	for range orgs {
		all = append(all, <-errs)
	}
	return errors.Join(all...)
}

func enrolOrg(ctx context.Context, home Home, org Org, progress io.Writer) error {
	var missing []identity
	for _, id := range orgIdentities(org) {
		if !caEnrolled(home.UserMSP(org, id.user), id.user, org) {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	fmt.Fprintf(progress, "enrolling %d identities of %s with its CA\n", len(missing), org.MSPID)
	c, err := CAClient(home, org)
	if err != nil {
		return err
	}
	defer c.Close()
	secret, err := os.ReadFile(home.CABootstrapSecret(org))
	if err != nil {
		return fmt.Errorf("read the bootstrap secret of %s: %w", org.MSPID, err)
	}
	bootstrap, err := enrol(ctx, c, CABootstrapID, strings.TrimSpace(string(secret)))
	if err != nil {
		return fmt.Errorf("enrol the bootstrap registrar of %s: %w", org.MSPID, err)
	}
	for _, id := range missing {
		if err := enrolIdentity(ctx, home, c, bootstrap, org, id); err != nil {
			return fmt.Errorf("%s of %s: %w", id.user, org.MSPID, err)
		}
	}
	return nil
}

// CAClient returns a client of org's CA that trusts the organisation's TLS root.
func CAClient(home Home, org Org) (*ca.Client, error) {
	root, err := os.ReadFile(home.TLSRootCert(org))
	if err != nil {
		return nil, fmt.Errorf("read the TLS root of %s: %w", org.MSPID, err)
	}
	return ca.New(CAURL(org), root)
}

// enrol enrols id with a new key held in memory.
func enrol(ctx context.Context, c *ca.Client, id, secret string) (ca.Identity, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return ca.Identity{}, err
	}
	cert, _, err := c.Enroll(ctx, id, secret, key, ca.EnrollOptions{})
	if err != nil {
		return ca.Identity{}, err
	}
	return ca.Identity{Cert: cert, Key: key}, nil
}

// enrolIdentity registers id (again, should an earlier run have registered it and failed
// before writing its MSP) and enrols it into its MSP directory.
func enrolIdentity(ctx context.Context, home Home, c *ca.Client, bootstrap ca.Identity, org Org, id identity) error {
	reg := id.reg
	secret, err := randomSecret()
	if err != nil {
		return err
	}
	reg.Secret = secret
	if _, err := c.Register(ctx, bootstrap, reg); cxlerr.CodeOf(err) == cxlerr.Conflict {
		if err := c.RemoveIdentity(ctx, bootstrap, reg.ID); err != nil {
			return err
		}
		_, err = c.Register(ctx, bootstrap, reg)
		if err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	cert, _, err := c.Enroll(ctx, reg.ID, secret, key, ca.EnrollOptions{})
	if err != nil {
		return err
	}
	return writeMSP(home, org, id.user, cert, key)
}

// writeMSP replaces the MSP directory of org's user with one holding cert and key, the
// organisation's CA and TLS CA certificates and its NodeOU configuration, after checking
// that cert chains to the organisation's root.
func writeMSP(home Home, org Org, user string, certPEM []byte, key *ecdsa.PrivateKey) error {
	root, err := readCert(home.CACert(org))
	if err != nil {
		return err
	}
	block, _ := pem.Decode(certPEM)
	if block == nil {
		return errors.New("the CA issued no PEM certificate")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	pool.AddCert(root)
	if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return fmt.Errorf("the CA's certificate does not chain to %s's root: %w", org.MSPID, err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	orgMSP := filepath.Join(home.OrgDir(org), "msp")
	caPEM, err := os.ReadFile(home.CACert(org))
	if err != nil {
		return err
	}
	tlsPEM, err := os.ReadFile(home.TLSRootCert(org))
	if err != nil {
		return err
	}
	nodeOUs, err := os.ReadFile(filepath.Join(orgMSP, "config.yaml"))
	if err != nil {
		return fmt.Errorf("read %s's NodeOU configuration: %w", org.MSPID, err)
	}
	msp := home.UserMSP(org, user)
	tmp := msp + ".new"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	files := []struct {
		name string
		data []byte
		mode os.FileMode
	}{
		{path.Join("signcerts", enrolmentID(org, user)+"-cert.pem"), certPEM, 0o644},
		{path.Join("keystore", "priv_sk"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600},
		{path.Join("cacerts", filepath.Base(home.CACert(org))), caPEM, 0o644},
		{path.Join("tlscacerts", filepath.Base(home.TLSRootCert(org))), tlsPEM, 0o644},
		{"config.yaml", nodeOUs, 0o644},
	}
	for _, f := range files {
		p := filepath.Join(tmp, filepath.FromSlash(f.name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, f.data, f.mode); err != nil {
			return err
		}
	}
	if err := os.RemoveAll(msp); err != nil {
		return err
	}
	return os.Rename(tmp, msp)
}
