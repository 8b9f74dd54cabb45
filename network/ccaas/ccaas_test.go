package ccaas

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPackageIsReproducible(t *testing.T) {
	conn := Connection{Address: "127.0.0.1:7900", DialTimeout: "10s"}
	a, err := Package("cxledger_1", conn)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Package("cxledger_1", conn)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("packaging the same connection twice gave different bytes")
	}
	if PackageID("cxledger_1", a) != PackageID("cxledger_1", b) {
		t.Fatal("package IDs differ")
	}
	other, _ := Package("cxledger_1", Connection{Address: "127.0.0.1:7901"})
	if PackageID("cxledger_1", other) == PackageID("cxledger_1", a) {
		t.Fatal("different connections share a package ID")
	}
	if id := PackageID("cxledger_1", a); !strings.HasPrefix(id, "cxledger_1:") || len(id) != len("cxledger_1:")+64 {
		t.Fatalf("package ID %q is not label:sha256", id)
	}
}

// unpack extracts a package the way the peer does: metadata.json into one directory,
// code.tar.gz's contents into another.
func unpack(t *testing.T, pkg []byte) (sourceDir, metadataDir string) {
	t.Helper()
	files := untar(t, pkg)
	metadataDir, sourceDir = t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(metadataDir, "metadata.json"), files["metadata.json"], 0o644)
	for name, data := range untar(t, files["code.tar.gz"]) {
		os.WriteFile(filepath.Join(sourceDir, name), data, 0o644)
	}
	return sourceDir, metadataDir
}

func untar(t *testing.T, data []byte) map[string][]byte {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	files := map[string][]byte{}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		files[hdr.Name] = body
	}
}

func TestDetectBuildRelease(t *testing.T) {
	conn := Connection{Address: "127.0.0.1:7900", DialTimeout: "10s"}
	pkg, err := Package("cxledger_1", conn)
	if err != nil {
		t.Fatal(err)
	}
	src, md := unpack(t, pkg)
	if err := Detect(md); err != nil {
		t.Fatalf("Detect: %v", err)
	}
	out, release := t.TempDir(), t.TempDir()
	if err := Build(src, md, out); err != nil {
		t.Fatalf("Build: %v", err)
	}
	if err := Release(out, release); err != nil {
		t.Fatalf("Release: %v", err)
	}
	data, err := os.ReadFile(filepath.Join(release, "chaincode", "server", "connection.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got Connection
	if err := json.Unmarshal(data, &got); err != nil || got != conn {
		t.Fatalf("released connection = %+v (%v), want %+v", got, err, conn)
	}
}

func TestDetectRejectsOtherTypes(t *testing.T) {
	md := t.TempDir()
	os.WriteFile(filepath.Join(md, "metadata.json"), []byte(`{"type":"golang","label":"x"}`), 0o644)
	if err := Detect(md); !errors.Is(err, ErrNotCCaaS) {
		t.Fatalf("Detect(golang) = %v, want ErrNotCCaaS", err)
	}
	if err := Detect(t.TempDir()); err == nil {
		t.Fatal("Detect without metadata.json: no error")
	}
}

func TestConnectionValidate(t *testing.T) {
	cases := []struct {
		conn Connection
		want string
	}{
		{Connection{}, "address"},
		{Connection{Address: "a:1", DialTimeout: "soon"}, "dial_timeout"},
		{Connection{Address: "a:1", TLSRequired: true}, "root_cert"},
		{Connection{Address: "a:1", ClientAuthRequired: true}, "client_cert"},
	}
	for _, tc := range cases {
		err := tc.conn.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%+v) = %v, want an error about %s", tc.conn, err, tc.want)
		}
	}
	src, md := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(md, "metadata.json"), []byte(`{"type":"ccaas"}`), 0o644)
	os.WriteFile(filepath.Join(src, "connection.json"), []byte(`{"dial_timeout":"1s"}`), 0o644)
	if err := Build(src, md, t.TempDir()); err == nil || !strings.Contains(err.Error(), "address") {
		t.Fatalf("Build with no address = %v", err)
	}
}
