package network

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"
)

// selfSigned writes a self-signed certificate and its PKCS#8 key into dir.
func selfSigned(t *testing.T, dir string) IdentityInfo {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "Admin@org1.example.com"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	files := IdentityInfo{Cert: filepath.Join(dir, "cert.pem"), Key: filepath.Join(dir, "priv_sk")}
	if err := os.WriteFile(files.Cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(files.Key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return files
}

func TestSigningIdentity(t *testing.T) {
	dir := t.TempDir()
	files := selfSigned(t, dir)
	id, err := signingIdentity("Org1MSP", files)
	if err != nil {
		t.Fatal(err)
	}
	if id.MspID() != "Org1MSP" || !strings.Contains(string(id.Credentials()), "BEGIN CERTIFICATE") {
		t.Fatalf("identity %s %q", id.MspID(), id.Credentials())
	}
	if sig, err := id.Sign([]byte("message")); err != nil || len(sig) == 0 {
		t.Fatalf("sign: %x %v", sig, err)
	}
	garbage := filepath.Join(dir, "garbage")
	os.WriteFile(garbage, []byte("\xff\xfe not PEM"), 0o600)
	for name, f := range map[string]IdentityInfo{
		"no certificate":        {Cert: filepath.Join(dir, "missing.pem"), Key: files.Key},
		"no key":                {Cert: files.Cert, Key: filepath.Join(dir, "missing")},
		"certificate not PEM":   {Cert: garbage, Key: files.Key},
		"key not PEM":           {Cert: files.Cert, Key: garbage},
		"a certificate for key": {Cert: files.Cert, Key: files.Cert},
	} {
		if _, err := signingIdentity("Org1MSP", f); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestCertPool(t *testing.T) {
	dir := t.TempDir()
	files := selfSigned(t, dir)
	if _, err := certPool(files.Cert); err != nil {
		t.Fatal(err)
	}
	if _, err := certPool(files.Key); err == nil || !strings.Contains(err.Error(), "no certificate") {
		t.Fatalf("a key file as TLS root: %v", err)
	}
	if _, err := certPool(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("a missing TLS root: no error")
	}
}

func TestOrdererAdminChannel(t *testing.T) {
	var status int
	var body string
	var path string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path = r.URL.Path
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	o := ordererAdmin{url: srv.URL, pool: pool, node: Node{Name: "orderer1.example.com"}}
	ctx := context.Background()

	status, body = http.StatusOK, `{"name":"cxledger","url":"/participation/v1/channels/cxledger","consensusRelation":"consenter","status":"active","height":12}`
	info, ok, err := o.channel(ctx, "cxledger")
	if err != nil || !ok || info.Height != 12 || info.Name != "cxledger" || path != "/participation/v1/channels/cxledger" {
		t.Fatalf("joined channel: %+v %v %v at %s", info, ok, err, path)
	}
	status, body = http.StatusNotFound, `{"error":"channel does not exist"}`
	if _, ok, err := o.channel(ctx, "cxledger"); err != nil || ok {
		t.Fatalf("channel not joined: %v %v", ok, err)
	}
	for _, c := range []struct {
		status int
		body   string
		want   string
	}{
		{http.StatusInternalServerError, `{"error":"broken"}`, "broken"},
		{http.StatusOK, `{"height":"twelve"}`, "parse channel"},
		{http.StatusOK, "\xff\xfe", "parse channel"},
		{http.StatusOK, `{"height":-1}`, "parse channel"},
	} {
		status, body = c.status, c.body
		if _, _, err := o.channel(ctx, "cxledger"); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%d %q: %v, want %q", c.status, c.body, err, c.want)
		}
	}

	other := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer other.Close()
	impostor := o
	impostor.url = other.URL
	if _, _, err := impostor.channel(ctx, "cxledger"); err == nil {
		t.Fatal("an orderer the TLS root does not verify: no error")
	}
	o.cert = tls.Certificate{}
	o.url = "https://127.0.0.1:1"
	if _, _, err := o.channel(ctx, "cxledger"); err == nil {
		t.Fatal("no orderer listening: no error")
	}
}

func TestReadBlock(t *testing.T) {
	dir := t.TempDir()
	if _, err := readBlock(filepath.Join(dir, "missing.block")); err == nil {
		t.Fatal("missing block: no error")
	}
	bad := filepath.Join(dir, "bad.block")
	os.WriteFile(bad, []byte{0xff, 0xff, 0xff}, 0o644)
	if _, err := readBlock(bad); err == nil || !strings.Contains(err.Error(), "parse block") {
		t.Fatalf("not a block: %v", err)
	}
	good := filepath.Join(dir, "good.block")
	data, err := proto.Marshal(&common.Block{Header: &common.BlockHeader{Number: 3}})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(good, data, 0o644)
	if b, err := readBlock(good); err != nil || b.GetHeader().GetNumber() != 3 {
		t.Fatalf("block 3: %v %v", b, err)
	}
}

func TestCollections(t *testing.T) {
	topo := Topology{PortOffset: 1000}.WithDefaults()
	pkg, err := collections(topo)
	if err != nil {
		t.Fatal(err)
	}
	if len(pkg.GetConfig()) != len(topo.PeerOrgs()) {
		t.Fatalf("%d collections for %d organisations", len(pkg.GetConfig()), len(topo.PeerOrgs()))
	}
	for i, org := range topo.PeerOrgs() {
		c := pkg.GetConfig()[i].GetStaticCollectionConfig()
		if c.GetName() != CollectionName(org.MSPID) || !c.GetMemberOnlyRead() || c.GetMemberOnlyWrite() ||
			c.GetBlockToLive() != 0 || c.GetMaximumPeerCount() != int32(org.Peers-1) {
			t.Errorf("collection of %s: %v", org.MSPID, c)
		}
		members := c.GetMemberOrgsPolicy().GetSignaturePolicy()
		if ids := members.GetIdentities(); len(ids) != 1 || !strings.Contains(string(ids[0].GetPrincipal()), org.MSPID) {
			t.Errorf("members of %s: %v", org.MSPID, members)
		}
		if ids := c.GetEndorsementPolicy().GetSignaturePolicy().GetIdentities(); len(ids) != 1 || !strings.Contains(string(ids[0].GetPrincipal()), org.MSPID) {
			t.Errorf("endorsers of %s: %v", org.MSPID, c.GetEndorsementPolicy())
		}
	}
}
