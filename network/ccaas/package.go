package ccaas

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// Package builds a chaincode package (the .tar.gz `peer lifecycle chaincode install` takes)
// for a chaincode server: metadata.json plus code.tar.gz holding connection.json. The output
// is byte-for-byte reproducible, so packaging the same connection twice gives the same
// package ID and a repeated install is a no-op.
func Package(label string, conn Connection) ([]byte, error) {
	if err := conn.Validate(); err != nil {
		return nil, err
	}
	connJSON, err := json.Marshal(conn)
	if err != nil {
		return nil, fmt.Errorf("encode connection.json: %w", err)
	}
	code, err := tarGz(map[string][]byte{"connection.json": connJSON}, []string{"connection.json"})
	if err != nil {
		return nil, err
	}
	md, err := json.Marshal(Metadata{Type: PackageType, Label: label})
	if err != nil {
		return nil, fmt.Errorf("encode metadata.json: %w", err)
	}
	return tarGz(map[string][]byte{"metadata.json": md, "code.tar.gz": code}, []string{"metadata.json", "code.tar.gz"})
}

// PackageID is the ID a peer gives an installed package: label:sha256(package).
func PackageID(label string, pkg []byte) string {
	sum := sha256.Sum256(pkg)
	return label + ":" + hex.EncodeToString(sum[:])
}

func tarGz(files map[string][]byte, order []string) ([]byte, error) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, name := range order {
		data := files[name]
		hdr := &tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("tar %s: %w", name, err)
		}
		if _, err := tw.Write(data); err != nil {
			return nil, fmt.Errorf("tar %s: %w", name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("close tar: %w", err)
	}
	if err := gz.Close(); err != nil {
		return nil, fmt.Errorf("close gzip: %w", err)
	}
	return buf.Bytes(), nil
}
