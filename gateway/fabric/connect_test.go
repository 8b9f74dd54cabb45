package fabric

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestIdentityInMemory: an identity given as PEM signs as the same identity as its files,
// never reads a file, and garbage or a missing part is refused with the organisation named.
func TestIdentityInMemory(t *testing.T) {
	files := newTestIdentity(t, "Org2MSP")
	certPEM, err := os.ReadFile(files.CertPath)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := os.ReadFile(files.KeyPath)
	if err != nil {
		t.Fatal(err)
	}
	mem := Identity{MSPID: "Org2MSP", CertPEM: certPEM, KeyPEM: keyPEM, CertPath: "/nonexistent/cert.pem", KeyPath: "/nonexistent/key.pem"}
	id, sign, err := mem.Signer()
	if err != nil {
		t.Fatal(err)
	}
	fromFiles, _, err := files.Signer()
	if err != nil {
		t.Fatal(err)
	}
	if id.MspID() != "Org2MSP" || !bytes.Equal(id.Credentials(), fromFiles.Credentials()) {
		t.Fatalf("identity %s %s", id.MspID(), id.Credentials())
	}
	if sig, err := sign(make([]byte, 32)); err != nil || len(sig) == 0 {
		t.Fatalf("sign: %v", err)
	}
	for _, tc := range []struct {
		name string
		id   Identity
		want string
	}{
		{"garbage certificate", Identity{MSPID: "Org2MSP", CertPEM: []byte("-----BEGIN CERTIFICATE-----\nnope\n"), KeyPEM: keyPEM}, "parse certificate given in memory"},
		{"garbage key", Identity{MSPID: "Org2MSP", CertPEM: certPEM, KeyPEM: []byte("not a key")}, "parse private key given in memory"},
		{"key missing", Identity{MSPID: "Org2MSP", CertPEM: certPEM}, "read private key of Org2MSP"},
		{"certificate missing", Identity{MSPID: "Org2MSP", KeyPEM: keyPEM}, "read certificate of Org2MSP"},
	} {
		if _, _, err := tc.id.Signer(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}
