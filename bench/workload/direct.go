package workload

import (
	"errors"
	"fmt"
	"sync"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"google.golang.org/grpc"

	"github.com/cxledger/cxledger/gateway/fabric"
	"github.com/cxledger/cxledger/ledgerapi"
	"github.com/cxledger/cxledger/network"
)

// direct reaches the ledger through fabric-gateway, as the network's users, each through
// its own organisation's first peer: cxledger's operations over the fabric.Session of a
// fabric.Client per organisation (one peer, so it waits for no other; it runs no
// conflicted transaction again, so that the benchmark sees every conflict), the baseline
// chaincode over plain gateways. The identities of one Client share its gRPC connection,
// and the plain gateways one per peer, as the clients of one application would.
type direct struct {
	prof *network.Profile

	mu    sync.Mutex
	conns map[string]*grpc.ClientConn
	gws   map[string]*client.Gateway
	// orgs are the Clients of each organisation's users and admin.
	orgs map[string]*fabric.Client
	// customerClients are the Clients of customers (see customers).
	customerClients []*fabric.Client
}

func newDirect(prof *network.Profile) *direct {
	return &direct{prof: prof, conns: map[string]*grpc.ClientConn{}, gws: map[string]*client.Gateway{}, orgs: map[string]*fabric.Client{}}
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

// user is the plain gateway of one of the network's identities (User1, Admin, ...), for the
// baseline chaincode.
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

// newClient is a fabric.Client of identities of organisation mspID through its first peer.
func (d *direct) newClient(mspID string, ids map[string]fabric.Identity) (*fabric.Client, error) {
	o, err := d.org(mspID)
	if err != nil {
		return nil, err
	}
	if len(o.Peers) == 0 {
		return nil, fmt.Errorf("%s has no peer", mspID)
	}
	p := fabric.Peer{Address: o.Peers[0].Address, TLSRootCertPath: o.Peers[0].TLSRootCert}
	c, err := fabric.NewClient(d.prof.Channel, d.prof.Chaincode, []fabric.Peer{p}, ids, fabric.WithConflictRetries(0))
	if err != nil {
		return nil, fmt.Errorf("connect the identities of %s: %w", mspID, err)
	}
	return c, nil
}

// session is the transport of one of the network's identities (User1, Admin, ...).
func (d *direct) session(mspID, user string) (ledgerapi.Transport, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, ok := d.orgs[mspID]
	if !ok {
		o, err := d.org(mspID)
		if err != nil {
			return nil, err
		}
		ids := map[string]fabric.Identity{}
		for name, files := range o.Users {
			ids[name] = fabric.Identity{MSPID: mspID, CertPath: files.Cert, KeyPath: files.Key}
		}
		if c, err = d.newClient(mspID, ids); err != nil {
			return nil, err
		}
		d.orgs[mspID] = c
	}
	t, err := c.Transport(user, nil)
	if err != nil {
		return nil, fmt.Errorf("user %s of %s: %w", user, mspID, err)
	}
	return t, nil
}

// customers returns the transports of customers of organisation mspID, in order, over one
// new Client: each signs with its own key, through fabric-gateway.
func (d *direct) customers(mspID string, cs []Customer) ([]ledgerapi.Transport, error) {
	ids := map[string]fabric.Identity{}
	for _, c := range cs {
		if c.MSPID != mspID {
			return nil, fmt.Errorf("customer %s is of %s, not %s", c.ID, c.MSPID, mspID)
		}
		ids[c.ID] = fabric.Identity{MSPID: mspID, CertPEM: c.CertPEM, KeyPEM: c.KeyPEM}
	}
	c, err := d.newClient(mspID, ids)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.customerClients = append(d.customerClients, c)
	d.mu.Unlock()
	out := make([]ledgerapi.Transport, len(cs))
	for i, cust := range cs {
		if out[i], err = c.Transport(cust.ID, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
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
	for _, c := range d.orgs {
		errs = append(errs, c.Close())
	}
	for _, c := range d.customerClients {
		errs = append(errs, c.Close())
	}
	d.gws, d.conns, d.orgs, d.customerClients = map[string]*client.Gateway{}, map[string]*grpc.ClientConn{}, map[string]*fabric.Client{}, nil
	return errors.Join(errs...)
}
