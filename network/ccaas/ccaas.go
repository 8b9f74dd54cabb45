// Package ccaas is cxledger's external chaincode builder for chaincode run as a service: the
// peer does not build or launch anything, it only learns from the package where the
// chaincode server listens. It implements the three steps of Fabric's external builder
// contract (detect, build, release) that the peer runs through CORE_CHAINCODE_EXTERNALBUILDERS.
package ccaas

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// PackageType is the metadata.json type this builder accepts.
const PackageType = "ccaas"

// Metadata is the metadata.json at the top of a chaincode package.
type Metadata struct {
	Type  string `json:"type"`
	Label string `json:"label"`
}

// Connection is connection.json: how the peer reaches the chaincode server.
type Connection struct {
	// Address is the chaincode server's host:port.
	Address string `json:"address"`
	// DialTimeout is how long the peer waits to connect, as a Go duration ("10s").
	DialTimeout string `json:"dial_timeout"`
	// TLSRequired says whether the peer uses TLS to the chaincode server.
	TLSRequired bool `json:"tls_required"`
	// ClientAuthRequired asks the peer to present a client certificate.
	ClientAuthRequired bool `json:"client_auth_required,omitempty"`
	// ClientKey, ClientCert and RootCert are PEM text used when TLS is required.
	ClientKey  string `json:"client_key,omitempty"`
	ClientCert string `json:"client_cert,omitempty"`
	RootCert   string `json:"root_cert,omitempty"`
}

// ErrNotCCaaS is returned by Detect when the package is not for this builder; the peer then
// tries its next builder.
var ErrNotCCaaS = errors.New("not a ccaas chaincode package")

// Validate reports what makes a connection unusable.
func (c Connection) Validate() error {
	if c.Address == "" {
		return errors.New("connection.json: address is required")
	}
	if c.DialTimeout != "" {
		if _, err := time.ParseDuration(c.DialTimeout); err != nil {
			return fmt.Errorf("connection.json: dial_timeout: %w", err)
		}
	}
	if c.TLSRequired && c.RootCert == "" {
		return errors.New("connection.json: root_cert is required when tls_required is true")
	}
	if c.ClientAuthRequired && (c.ClientCert == "" || c.ClientKey == "") {
		return errors.New("connection.json: client_cert and client_key are required when client_auth_required is true")
	}
	return nil
}

// Detect accepts a package whose metadata.json has type "ccaas".
func Detect(metadataDir string) error {
	data, err := os.ReadFile(filepath.Join(metadataDir, "metadata.json"))
	if err != nil {
		return fmt.Errorf("read metadata.json: %w", err)
	}
	var md Metadata
	if err := json.Unmarshal(data, &md); err != nil {
		return fmt.Errorf("parse metadata.json: %w", err)
	}
	if md.Type != PackageType {
		return fmt.Errorf("%w: type %q", ErrNotCCaaS, md.Type)
	}
	return nil
}

// Build checks the package's connection.json and copies it to the build output.
func Build(sourceDir, metadataDir, outputDir string) error {
	if err := Detect(metadataDir); err != nil {
		return err
	}
	conn, err := readConnection(filepath.Join(sourceDir, "connection.json"))
	if err != nil {
		return err
	}
	return writeConnection(filepath.Join(outputDir, "connection.json"), conn)
}

// Release places connection.json where the peer looks for a chaincode server:
// <release>/chaincode/server/connection.json.
func Release(buildOutputDir, releaseDir string) error {
	conn, err := readConnection(filepath.Join(buildOutputDir, "connection.json"))
	if err != nil {
		return err
	}
	dir := filepath.Join(releaseDir, "chaincode", "server")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create release dir: %w", err)
	}
	return writeConnection(filepath.Join(dir, "connection.json"), conn)
}

func readConnection(path string) (Connection, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Connection{}, fmt.Errorf("read connection.json: %w", err)
	}
	var c Connection
	if err := json.Unmarshal(data, &c); err != nil {
		return Connection{}, fmt.Errorf("parse %s: %w", path, err)
	}
	if err := c.Validate(); err != nil {
		return Connection{}, err
	}
	return c, nil
}

func writeConnection(path string, c Connection) error {
	data, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode connection.json: %w", err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
