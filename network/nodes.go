package network

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path"

	"github.com/hyperledger/fabric-admin-sdk/pkg/channel"
	cb "github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"
)

// Where a node finds its files inside a container: the Compose file mounts the node's
// cryptogen directory and a ledger volume there, and the images carry the Fabric
// configuration and the external builder at these paths.
const (
	containerCryptoDir  = "/etc/hyperledger/node"
	containerDataDir    = "/var/hyperledger/production"
	containerConfigDir  = "/etc/hyperledger/fabric"
	containerBuilderDir = "/builders/ccaas"
)

// nodeFiles are where a node finds its files.
type nodeFiles struct {
	// crypto holds the node's msp/ and tls/ directories.
	crypto string
	// data holds the node's ledger and Raft state.
	data string
	// config is FABRIC_CFG_PATH: core.yaml and orderer.yaml.
	config string
	// builder is the chaincode-as-a-service external builder (peers only).
	builder string
}

// filesOf says where n finds its files: under the state directory natively, at the fixed
// container paths under Docker.
func (t Topology) filesOf(home Home, n Node) nodeFiles {
	if t.Runtime == Docker {
		return nodeFiles{crypto: containerCryptoDir, data: containerDataDir, config: containerConfigDir, builder: containerBuilderDir}
	}
	crypto := home.PeerDir(n)
	if n.Kind == "orderer" {
		crypto = home.OrdererDir(n)
	}
	return nodeFiles{crypto: crypto, data: home.Path("data", n.Name), config: home.FabricConfig(), builder: home.BuilderDir()}
}

// ordererEnv is the environment of orderer n: its listeners, identity and TLS (the cluster
// shares the main listener), and where the consensus keeps its log.
func ordererEnv(home Home, t Topology, n Node) []string {
	f := t.filesOf(home, n)
	tls := func(name string) string { return path.Join(f.crypto, "tls", name) }
	listenHost, listenPort, _ := net.SplitHostPort(t.listen(n.Port))
	env := []string{
		"FABRIC_CFG_PATH=" + f.config,
		"FABRIC_LOGGING_SPEC=" + t.LogSpec,
		"ORDERER_GENERAL_LISTENADDRESS=" + listenHost,
		"ORDERER_GENERAL_LISTENPORT=" + listenPort,
		"ORDERER_GENERAL_LOCALMSPID=" + n.MSPID,
		"ORDERER_GENERAL_LOCALMSPDIR=" + path.Join(f.crypto, "msp"),
		"ORDERER_GENERAL_TLS_ENABLED=true",
		"ORDERER_GENERAL_TLS_PRIVATEKEY=" + tls("server.key"),
		"ORDERER_GENERAL_TLS_CERTIFICATE=" + tls("server.crt"),
		"ORDERER_GENERAL_TLS_ROOTCAS=[" + tls("ca.crt") + "]",
		"ORDERER_GENERAL_CLUSTER_CLIENTCERTIFICATE=" + tls("server.crt"),
		"ORDERER_GENERAL_CLUSTER_CLIENTPRIVATEKEY=" + tls("server.key"),
		"ORDERER_GENERAL_CLUSTER_ROOTCAS=[" + tls("ca.crt") + "]",
		"ORDERER_CHANNELPARTICIPATION_ENABLED=true",
		"ORDERER_ADMIN_LISTENADDRESS=" + t.listen(n.AdminPort),
		"ORDERER_ADMIN_TLS_ENABLED=true",
		"ORDERER_ADMIN_TLS_CERTIFICATE=" + tls("server.crt"),
		"ORDERER_ADMIN_TLS_PRIVATEKEY=" + tls("server.key"),
		"ORDERER_ADMIN_TLS_ROOTCAS=[" + tls("ca.crt") + "]",
		"ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED=true",
		"ORDERER_ADMIN_TLS_CLIENTROOTCAS=[" + tls("ca.crt") + "]",
		"ORDERER_OPERATIONS_LISTENADDRESS=" + t.listen(n.OperationsPort),
		"ORDERER_METRICS_PROVIDER=prometheus",
		"ORDERER_FILELEDGER_LOCATION=" + path.Join(f.data, "ledger"),
		// Let peers ping as often as keepaliveEnv has them (Fabric's default refuses pings
		// closer than 60 s and closes the connection).
		"ORDERER_GENERAL_KEEPALIVE_SERVERMININTERVAL=" + keepaliveMinInterval,
	}
	if t.Consensus == BFT {
		// SmartBFT keeps only a write-ahead log. An orderer that falls behind pulls blocks
		// from one other orderer and their headers from the rest, and switches source when
		// the first withholds blocks the others have signed.
		return append(env,
			"ORDERER_CONSENSUS_WALDIR="+path.Join(f.data, "smartbft", "wal"),
			"ORDERER_GENERAL_CLUSTER_REPLICATIONPOLICY=consensus")
	}
	return append(env,
		"ORDERER_CONSENSUS_WALDIR="+path.Join(f.data, "etcdraft", "wal"),
		"ORDERER_CONSENSUS_SNAPDIR="+path.Join(f.data, "etcdraft", "snapshot"))
}

func peerEnv(home Home, t Topology, org Org, n Node) []string {
	f := t.filesOf(home, n)
	tls := func(name string) string { return path.Join(f.crypto, "tls", name) }
	builder := fmt.Sprintf("[{name: ccaas, path: %s}]", f.builder)
	return []string{
		"FABRIC_CFG_PATH=" + f.config,
		"FABRIC_LOGGING_SPEC=" + t.LogSpec,
		"CORE_PEER_ID=" + n.Name,
		"CORE_PEER_ADDRESS=" + t.Endpoint(n),
		"CORE_PEER_LISTENADDRESS=" + t.listen(n.Port),
		"CORE_PEER_CHAINCODEADDRESS=" + t.reach(n.Name, n.ChaincodePort),
		"CORE_PEER_CHAINCODELISTENADDRESS=" + t.listen(n.ChaincodePort),
		"CORE_PEER_GOSSIP_BOOTSTRAP=" + t.Endpoint(org.PeerNodes[0]),
		"CORE_PEER_GOSSIP_EXTERNALENDPOINT=" + t.Endpoint(n),
		// Without this, peers of different organisations take ~25 s to find each other.
		"CORE_PEER_GOSSIP_RECONNECTINTERVAL=2s",
		"CORE_PEER_LOCALMSPID=" + org.MSPID,
		"CORE_PEER_MSPCONFIGPATH=" + path.Join(f.crypto, "msp"),
		"CORE_PEER_TLS_ENABLED=true",
		"CORE_PEER_TLS_CERT_FILE=" + tls("server.crt"),
		"CORE_PEER_TLS_KEY_FILE=" + tls("server.key"),
		"CORE_PEER_TLS_ROOTCERT_FILE=" + tls("ca.crt"),
		"CORE_PEER_FILESYSTEMPATH=" + path.Join(f.data, "ledger"),
		"CORE_LEDGER_SNAPSHOTS_ROOTDIR=" + path.Join(f.data, "snapshots"),
		"CORE_OPERATIONS_LISTENADDRESS=" + t.listen(n.OperationsPort),
		"CORE_METRICS_PROVIDER=prometheus",
		// An empty endpoint turns Docker off: chaincode runs only as a service.
		"CORE_VM_ENDPOINT=",
		"CORE_CHAINCODE_EXTERNALBUILDERS=" + builder,
		// A node cut off by a partition drops packets: a connection to it is not refused but
		// hangs until keepalive finds it dead. Fabric's defaults (a ping every 60 s, 20 s to
		// answer) left a peer's block stream on a cut Raft leader, and its catching up after a
		// healed cut of its organisation, waiting up to 80 s (test/partition_test.go).
		"CORE_PEER_KEEPALIVE_MININTERVAL=" + keepaliveMinInterval,
		"CORE_PEER_KEEPALIVE_CLIENT_INTERVAL=" + keepaliveInterval,
		"CORE_PEER_KEEPALIVE_CLIENT_TIMEOUT=" + keepaliveTimeout,
		"CORE_PEER_KEEPALIVE_DELIVERYCLIENT_INTERVAL=" + keepaliveInterval,
		"CORE_PEER_KEEPALIVE_DELIVERYCLIENT_TIMEOUT=" + keepaliveTimeout,
	}
}

// The gRPC keepalive of peers' connections to orderers and other peers: a ping every
// keepaliveInterval (gRPC's least), answered within keepaliveTimeout, and the least interval
// between a client's pings that peers and orderers accept.
const (
	keepaliveInterval    = "10s"
	keepaliveTimeout     = "5s"
	keepaliveMinInterval = "5s"
)

// ordererJoined reports whether an orderer already has the channel.
func ordererJoined(ctx context.Context, home Home, t Topology, n Node) (bool, error) {
	o, err := newOrdererAdmin(home, n)
	if err != nil {
		return false, err
	}
	_, ok, err := o.channel(ctx, t.Channel)
	return ok, err
}

// joinOrderer joins an orderer to the channel through the channel participation API.
func joinOrderer(ctx context.Context, home Home, t Topology, n Node) error {
	joined, err := ordererJoined(ctx, home, t, n)
	if err != nil {
		return fmt.Errorf("list channels of %s: %w", n.Name, err)
	}
	if joined {
		return nil
	}
	o, err := newOrdererAdmin(home, n)
	if err != nil {
		return err
	}
	block, err := readBlock(home.GenesisBlock(t))
	if err != nil {
		return err
	}
	resp, err := channel.CreateChannel(o.url, block, o.pool, o.cert)
	if err != nil {
		return fmt.Errorf("join %s to %s: %w", n.Name, t.Channel, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("join %s to %s: %s: %s", n.Name, t.Channel, resp.Status, body)
	}
	return nil
}

// readBlock reads a block file (the channel's genesis block).
func readBlock(file string) (*cb.Block, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read block: %w", err)
	}
	var block cb.Block
	if err := proto.Unmarshal(data, &block); err != nil {
		return nil, fmt.Errorf("parse block %s: %w", file, err)
	}
	return &block, nil
}

// OrdererHeight asks an orderer for its height of the channel.
func OrdererHeight(ctx context.Context, home Home, t Topology, n Node) (uint64, error) {
	o, err := newOrdererAdmin(home, n)
	if err != nil {
		return 0, err
	}
	info, ok, err := o.channel(ctx, t.Channel)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, fmt.Errorf("%s has not joined channel %s", n.Name, t.Channel)
	}
	return info.Height, nil
}

// joinPeer joins a peer to the channel unless it has joined already.
func joinPeer(ctx context.Context, home Home, t Topology, org Org, n Node) error {
	block, err := readBlock(home.GenesisBlock(t))
	if err != nil {
		return err
	}
	return joinPeerWith(ctx, home, t.Channel, org, n, block)
}

// joinPeerWith joins peer n of org to channel from block (the genesis block or a later
// configuration block) unless it has joined already.
func joinPeerWith(ctx context.Context, home Home, channelID string, org Org, n Node, block *cb.Block) error {
	a, err := dialPeerAdmin(home, org, n)
	if err != nil {
		return err
	}
	defer a.Close()
	channels, err := channel.ListChannelOnPeer(ctx, a.conn, a.id)
	if err != nil {
		return fmt.Errorf("list channels of %s: %w", n.Name, err)
	}
	for _, c := range channels {
		if c.GetChannelId() == channelID {
			return nil
		}
	}
	if err := channel.JoinChannel(ctx, a.conn, a.id, block); err != nil {
		return fmt.Errorf("join %s to %s: %w", n.Name, channelID, err)
	}
	return nil
}

// PeerHeight asks a peer for its height of the channel.
func PeerHeight(ctx context.Context, home Home, t Topology, org Org, n Node) (uint64, error) {
	a, err := dialPeerAdmin(home, org, n)
	if err != nil {
		return 0, err
	}
	defer a.Close()
	info, err := channel.GetBlockChainInfo(ctx, a.conn, a.id, t.Channel)
	if err != nil {
		return 0, fmt.Errorf("channel info of %s: %w", n.Name, err)
	}
	// fabric-admin-sdk v0.2.0 does not check the response's status: a peer that has not
	// joined the channel answers an error with no payload, read as height 0.
	if info.GetHeight() == 0 {
		return 0, fmt.Errorf("%s has no ledger of channel %s", n.Name, t.Channel)
	}
	return info.GetHeight(), nil
}
