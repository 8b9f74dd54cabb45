package workload

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cxledger/cxledger/bench"
	"github.com/cxledger/cxledger/gateway/fabric"
	"github.com/cxledger/cxledger/network"
)

// direct submits and evaluates through fabric-gateway, as the network's users, each
// through its own organisation's first peer. Identities share one gRPC connection per
// peer, as the clients of one application would.
type direct struct {
	prof *network.Profile
	home network.Home

	mu    sync.Mutex
	conns map[string]*grpc.ClientConn
	gws   map[string]*client.Gateway
}

func newDirect(home network.Home, prof *network.Profile) *direct {
	return &direct{prof: prof, home: home, conns: map[string]*grpc.ClientConn{}, gws: map[string]*client.Gateway{}}
}

// org is the profile of the organisation mspID.
func (d *direct) org(mspID string) (network.OrgProfile, error) {
	for _, o := range d.prof.Orgs {
		if o.MSPID == mspID {
			return o, nil
		}
	}
	return network.OrgProfile{}, fmt.Errorf("no organisation %s in the network", mspID)
}

// users lists the client users (User1, User2, ...) of an organisation, in order.
func (d *direct) users(mspID string) ([]string, error) {
	o, err := d.org(mspID)
	if err != nil {
		return nil, err
	}
	var users []string
	for i := 1; ; i++ {
		u := fmt.Sprintf("User%d", i)
		if _, ok := o.Users[u]; !ok {
			break
		}
		users = append(users, u)
	}
	if len(users) == 0 {
		return nil, fmt.Errorf("%s has no users", mspID)
	}
	return users, nil
}

// user is the gateway of one of the network's identities (User1, Admin, ...).
func (d *direct) user(mspID, user string) (*client.Gateway, error) {
	o, err := d.org(mspID)
	if err != nil {
		return nil, err
	}
	files, ok := o.Users[user]
	if !ok {
		return nil, fmt.Errorf("no user %s in %s", user, mspID)
	}
	id, sign, err := fabric.Identity{MSPID: mspID, CertPath: files.Cert, KeyPath: files.Key}.Signer()
	if err != nil {
		return nil, err
	}
	return d.gateway(mspID+"/"+user, mspID, id, sign)
}

// gateway opens (once) the gateway of an identity through its organisation's first peer.
func (d *direct) gateway(name, mspID string, id *identity.X509Identity, sign identity.Sign) (*client.Gateway, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if gw, ok := d.gws[name]; ok {
		return gw, nil
	}
	o, err := d.org(mspID)
	if err != nil {
		return nil, err
	}
	p := o.Peers[0]
	conn, ok := d.conns[p.Address]
	if !ok {
		conn, err = fabric.Dial(fabric.Peer{Address: p.Address, TLSRootCertPath: p.TLSRootCert})
		if err != nil {
			return nil, err
		}
		d.conns[p.Address] = conn
	}
	t := fabric.DefaultTimeouts
	gw, err := client.Connect(id, client.WithSign(sign), client.WithClientConnection(conn),
		client.WithEvaluateTimeout(t.Evaluate), client.WithEndorseTimeout(t.Endorse),
		client.WithSubmitTimeout(t.Submit), client.WithCommitStatusTimeout(t.CommitStatus))
	if err != nil {
		return nil, fmt.Errorf("open gateway for %s: %w", name, err)
	}
	d.gws[name] = gw
	return gw, nil
}

// contract is a named contract of the cxledger chaincode for gw.
func (d *direct) contract(gw *client.Gateway, name string) *client.Contract {
	return gw.GetNetwork(d.prof.Channel).GetContractWithName(d.prof.Chaincode, name)
}

// close closes every gateway and connection.
func (d *direct) close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	var errs []error
	for _, gw := range d.gws {
		errs = append(errs, gw.Close())
	}
	for _, c := range d.conns {
		errs = append(errs, c.Close())
	}
	d.gws, d.conns = map[string]*client.Gateway{}, map[string]*grpc.ClientConn{}
	return errors.Join(errs...)
}

// mint issues a client identity of organisation mspID with common name cn (see
// IssueClient) and opens its gateway. The key never leaves memory.
func (d *direct) mint(mspID, cn string) (*client.Gateway, error) {
	if _, err := d.org(mspID); err != nil {
		return nil, err
	}
	certPEM, keyPEM, err := IssueClient(d.home, mspID, cn)
	if err != nil {
		return nil, err
	}
	cert, err := identity.CertificateFromPEM(certPEM)
	if err != nil {
		return nil, err
	}
	key, err := identity.PrivateKeyFromPEM(keyPEM)
	if err != nil {
		return nil, err
	}
	id, err := identity.NewX509Identity(mspID, cert)
	if err != nil {
		return nil, err
	}
	sign, err := identity.NewPrivateKeySign(key)
	if err != nil {
		return nil, err
	}
	return d.gateway(mspID+"/"+cn, mspID, id, sign)
}

// submitJSON submits fn with args as its one JSON argument and waits for the commit.
func submitJSON(ctx context.Context, c *client.Contract, fn string, args any, out any) error {
	raw, err := json.Marshal(args)
	if err != nil {
		return err
	}
	res, err := c.SubmitWithContext(ctx, fn, client.WithArguments(string(raw)))
	if err != nil {
		return err
	}
	if out != nil {
		return json.Unmarshal(res, out)
	}
	return nil
}

// evaluateJSON evaluates fn with args as its one JSON argument.
func evaluateJSON(ctx context.Context, c *client.Contract, fn string, args any, out any) error {
	raw, err := json.Marshal(args)
	if err != nil {
		return err
	}
	res, err := c.EvaluateWithContext(ctx, fn, client.WithArguments(string(raw)))
	if err != nil {
		return err
	}
	if out != nil {
		return json.Unmarshal(res, out)
	}
	return nil
}

// ClassifyDirect sorts an error of fabric-gateway into a failure class: a transaction
// committed MVCC_READ_CONFLICT or PHANTOM_READ_CONFLICT, or ENDORSEMENT_POLICY_FAILURE; a
// proposal no peer endorsed (the chaincode's refusals included); a deadline; anything else.
func ClassifyDirect(err error) bench.Class {
	var ce *client.CommitError
	if errors.As(err, &ce) {
		switch ce.Code {
		case peer.TxValidationCode_MVCC_READ_CONFLICT:
			return bench.MVCC
		case peer.TxValidationCode_PHANTOM_READ_CONFLICT:
			return bench.Phantom
		case peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE:
			return bench.Endorsement
		}
		return bench.Other
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return bench.Timeout
	}
	if st, ok := status.FromError(err); ok && (st.Code() == codes.DeadlineExceeded) {
		return bench.Timeout
	}
	var ee *client.EndorseError
	if errors.As(err, &ee) {
		return bench.Endorsement
	}
	var cse *client.CommitStatusError
	if errors.As(err, &cse) {
		return bench.Timeout
	}
	return bench.Other
}
