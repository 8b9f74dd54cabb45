package network

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	adminid "github.com/hyperledger/fabric-admin-sdk/pkg/identity"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

// This file is the one place that builds administrative connections to the nodes: a peer's
// gRPC endpoint with TLS and an organisation Admin's signing identity (for
// fabric-admin-sdk's channel and lifecycle calls), and an orderer's channel participation
// API with the orderer organisation Admin's TLS client certificate.

// peerAdmin is an organisation's Admin connected to one of its peers.
type peerAdmin struct {
	conn *grpc.ClientConn
	id   adminid.SigningIdentity
	node Node
}

// dialPeerAdmin connects to peer n as org's Admin: TLS verified with the organisation's TLS
// root at the peer's address on this machine (its host port under Docker), signing with the
// Admin's certificate and key from its MSP directory.
func dialPeerAdmin(home Home, org Org, n Node) (*peerAdmin, error) {
	id, err := signingIdentity(org.MSPID, home.userIdentity(org, "Admin"))
	if err != nil {
		return nil, err
	}
	pool, err := certPool(home.TLSRootCert(org))
	if err != nil {
		return nil, err
	}
	creds := credentials.NewTLS(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})
	conn, err := grpc.NewClient(n.Address(), grpc.WithTransportCredentials(creds))
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", n.Name, err)
	}
	return &peerAdmin{conn: conn, id: id, node: n}, nil
}

// dialOrderer connects to orderer n's gRPC endpoint (broadcast and deliver), verified with
// the orderer organisation's TLS root.
func dialOrderer(home Home, n Node) (*grpc.ClientConn, error) {
	pool, err := certPool(home.OrdererTLSRootCert())
	if err != nil {
		return nil, err
	}
	creds := credentials.NewTLS(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})
	conn, err := grpc.NewClient(n.Address(), grpc.WithTransportCredentials(creds))
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", n.Name, err)
	}
	return conn, nil
}

// Close closes the connection.
func (a *peerAdmin) Close() error { return a.conn.Close() }

// signingIdentity reads an identity's certificate and private key.
func signingIdentity(mspID string, files IdentityInfo) (adminid.SigningIdentity, error) {
	cert, err := adminid.ReadCertificate(files.Cert)
	if err != nil {
		return nil, fmt.Errorf("read certificate %s: %w", files.Cert, err)
	}
	key, err := adminid.ReadPrivateKey(files.Key)
	if err != nil {
		return nil, fmt.Errorf("read private key %s: %w", files.Key, err)
	}
	id, err := adminid.NewPrivateKeySigningIdentity(mspID, cert, key)
	if err != nil {
		return nil, fmt.Errorf("signing identity of %s: %w", files.Cert, err)
	}
	return id, nil
}

// certPool is a pool holding the PEM certificates of a file.
func certPool(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read TLS root: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("no certificate in %s", file)
	}
	return pool, nil
}

// ordererAdmin reaches one orderer's channel participation API (its admin endpoint) with
// the orderer organisation Admin's TLS client certificate, which the endpoint requires.
type ordererAdmin struct {
	url  string
	pool *x509.CertPool
	cert tls.Certificate
	node Node
}

// newOrdererAdmin prepares calls to n's admin endpoint at its port on this machine.
func newOrdererAdmin(home Home, n Node) (ordererAdmin, error) {
	pool, err := certPool(filepath.Join(home.OrdererDir(n), "tls", "ca.crt"))
	if err != nil {
		return ordererAdmin{}, err
	}
	dir := filepath.Join(home.OrdererOrgDir(), "users", "Admin@"+domain, "tls")
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, "client.crt"), filepath.Join(dir, "client.key"))
	if err != nil {
		return ordererAdmin{}, fmt.Errorf("load orderer admin TLS client certificate: %w", err)
	}
	return ordererAdmin{url: "https://" + n.at(n.AdminPort), pool: pool, cert: cert, node: n}, nil
}

// channelInfo is what the channel participation API says of one channel.
type channelInfo struct {
	Name   string `json:"name"`
	Height uint64 `json:"height"`
}

// channel asks the orderer for one channel; ok is false when it has not joined it.
// fabric-admin-sdk v0.2.0 lists channel names only (channel.ListChannel), so this one GET
// of the participation API, which also gives the height, is made here.
func (o ordererAdmin) channel(ctx context.Context, name string) (info channelInfo, ok bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, o.url+"/participation/v1/channels/"+name, nil)
	if err != nil {
		return channelInfo{}, false, err
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: o.pool, Certificates: []tls.Certificate{o.cert}, MinVersion: tls.VersionTLS12,
	}}}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		return channelInfo{}, false, fmt.Errorf("ask %s for channel %s: %w", o.node.Name, name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return channelInfo{}, false, fmt.Errorf("read channel %s of %s: %w", name, o.node.Name, err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound:
		return channelInfo{}, false, nil
	default:
		return channelInfo{}, false, fmt.Errorf("channel %s of %s: %s: %s", name, o.node.Name, resp.Status, body)
	}
	if err := json.Unmarshal(body, &info); err != nil {
		return channelInfo{}, false, fmt.Errorf("parse channel %s of %s: %w", name, o.node.Name, err)
	}
	return info, true, nil
}
