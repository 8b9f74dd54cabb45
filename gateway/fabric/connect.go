// Package fabric is cxledger's adapter over the Fabric Gateway client: it loads signing
// identities, dials peers over TLS, and carries every ledgerapi operation to the ledger
// through one ledgerapi.Transport, the Session, derived from the operations' descriptors
// (their chaincode call, transient data and endorsing organisations), which the CLI, the
// gateway service, the benchmark and the tests share.
package fabric

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

// Identity names the files of a Fabric signing identity.
type Identity struct {
	// MSPID is the identity's organisation.
	MSPID string
	// CertPath is the PEM certificate file.
	CertPath string
	// KeyPath is the PEM private key file.
	KeyPath string
	// CertPEM and KeyPEM, when set, are the PEM certificate and private key themselves,
	// used instead of the files: an identity whose key never touches a disk.
	CertPEM, KeyPEM []byte
}

// Peer is a peer's gateway endpoint and the TLS root certificate that verifies it.
type Peer struct {
	// Address is host:port.
	Address string
	// TLSRootCertPath is the PEM file of the peer organisation's TLS CA.
	TLSRootCertPath string
	// ServerName overrides the TLS server name when the address is not in the certificate.
	ServerName string
}

// Signer loads an identity's certificate and key into what the gateway client signs with.
func (id Identity) Signer() (*identity.X509Identity, identity.Sign, error) {
	certPEM, certFrom, err := pemOf(id.CertPEM, id.CertPath)
	if err != nil {
		return nil, nil, fmt.Errorf("read certificate of %s: %w", id.MSPID, err)
	}
	cert, err := identity.CertificateFromPEM(certPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("parse certificate %s: %w", certFrom, err)
	}
	x509ID, err := identity.NewX509Identity(id.MSPID, cert)
	if err != nil {
		return nil, nil, fmt.Errorf("identity %s: %w", certFrom, err)
	}
	keyPEM, keyFrom, err := pemOf(id.KeyPEM, id.KeyPath)
	if err != nil {
		return nil, nil, fmt.Errorf("read private key of %s: %w", id.MSPID, err)
	}
	key, err := identity.PrivateKeyFromPEM(keyPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("parse private key %s: %w", keyFrom, err)
	}
	sign, err := identity.NewPrivateKeySign(key)
	if err != nil {
		return nil, nil, fmt.Errorf("signer for %s: %w", keyFrom, err)
	}
	return x509ID, sign, nil
}

// pemOf returns data when it is set, else the content of the file at path, and where it
// came from, for errors.
func pemOf(data []byte, path string) ([]byte, string, error) {
	if len(data) > 0 {
		return data, "given in memory", nil
	}
	data, err := os.ReadFile(path)
	return data, path, err
}

// Dial opens a gRPC connection to a peer over TLS. The connection is lazy: an unreachable
// peer is reported by the first call, not here. opts are added to the TLS credentials.
func Dial(p Peer, opts ...grpc.DialOption) (*grpc.ClientConn, error) {
	pemData, err := os.ReadFile(p.TLSRootCertPath)
	if err != nil {
		return nil, fmt.Errorf("read TLS root certificate for %s: %w", p.Address, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemData) {
		return nil, fmt.Errorf("no certificate in %s", p.TLSRootCertPath)
	}
	creds := credentials.NewClientTLSFromCert(pool, p.ServerName)
	conn, err := grpc.NewClient(p.Address, append([]grpc.DialOption{grpc.WithTransportCredentials(creds)}, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("connect to peer %s: %w", p.Address, err)
	}
	return conn, nil
}

// Timeouts bounds each phase of a transaction.
type Timeouts struct {
	Evaluate, Endorse, Submit, CommitStatus time.Duration
	// Settle bounds how long a committed transaction waits for the other peers to commit
	// it too, so that the next call sees it whichever peer serves it; 0 does not wait.
	Settle time.Duration
}

// DefaultTimeouts suit a network on one machine.
var DefaultTimeouts = Timeouts{Evaluate: 10 * time.Second, Endorse: 30 * time.Second, Submit: 10 * time.Second, CommitStatus: time.Minute, Settle: time.Second}

// Connection is a gateway connection of one identity to one peer.
type Connection struct {
	// Gateway is the fabric-gateway client connection.
	Gateway *client.Gateway
	conn    *grpc.ClientConn
}

// Connect opens a gateway connection for id through peer.
func Connect(id Identity, peer Peer, t Timeouts) (*Connection, error) {
	x509ID, sign, err := id.Signer()
	if err != nil {
		return nil, err
	}
	conn, err := Dial(peer)
	if err != nil {
		return nil, err
	}
	gw, err := client.Connect(x509ID, client.WithSign(sign), client.WithClientConnection(conn),
		client.WithEvaluateTimeout(t.Evaluate), client.WithEndorseTimeout(t.Endorse),
		client.WithSubmitTimeout(t.Submit), client.WithCommitStatusTimeout(t.CommitStatus))
	if err != nil {
		return nil, errors.Join(fmt.Errorf("open gateway at %s: %w", peer.Address, err), conn.Close())
	}
	return &Connection{Gateway: gw, conn: conn}, nil
}

// Close closes the gateway and its gRPC connection.
func (c *Connection) Close() error {
	return errors.Join(c.Gateway.Close(), c.conn.Close())
}
