package network

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/gateway/fabric"
	"github.com/cxledger/cxledger/network"
)

// UpOptions are the inputs of `cxl network up`.
type UpOptions struct {
	IO               *cmdutil.IOStreams
	Home             func() (network.Home, error)
	Repo             func() (string, error)
	TopologyFile     string
	PortOffset       int
	ChaincodeVersion string
	Docker           bool
	Consensus        string
	Hosts            string
	ComposeOverrides []string
	JSON             bool
	Timeout          time.Duration
}

// NewCmdUp returns `cxl network up`; runF replaces the run function in tests.
func NewCmdUp(f *cmdutil.Factory, runF func(*UpOptions) error) *cobra.Command {
	opts := &UpOptions{IO: f.IO, Home: network.HomeAt(f.Home), Repo: f.Repo}
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Build, generate, start and deploy the network",
		Long: `Build the Fabric and cxledger binaries that are missing, generate crypto material and the
channel, start the orderers and peers, join them to the channel, deploy the chaincode, and
prove the network commits with a real transaction. Prints the endpoints and identity files
a client needs. On a network that is already up it says so and changes nothing.

With --docker the nodes and chaincode servers run as Docker Compose services instead of
processes: up also builds the images that are missing or stale (see ` + "`cxl network images`" + `),
writes $CXL_HOME/compose.env and runs docker-compose.yaml with it. The state directory
remembers the runtime, so later commands need no flag.

With --consensus bft (or consensus: bft in the topology) the channel is ordered by SmartBFT
(channel capability V3_0) on four orderers, which tolerate one that crashes, is cut off or
lies; Raft (the default) tolerates crashes of a minority only. The state directory remembers
the consensus too.

With --hosts netns (native only; root, iproute2 and nftables) each organisation's CA, peers
and chaincode servers run in a Linux network namespace of their own, and so does each
orderer: the namespaces (cxl-<id>-org1, cxl-<id>-orderer1, named after the state directory)
are joined by veth pairs to one bridge on a private /24 chosen for the state directory, and
every node is addressed at its host's address. The gateway services and cxl stay on this
machine and reach the nodes over the bridge. network down deletes the namespaces, the
links and the bridge.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("port-offset") {
				if env := os.Getenv("CXL_PORT_OFFSET"); env != "" {
					n, err := strconv.Atoi(env)
					if err != nil {
						return cmdutil.UsageErrorf("CXL_PORT_OFFSET must be a number, got %q", env)
					}
					opts.PortOffset = n
				}
			}
			switch network.Consensus(opts.Consensus) {
			case "", network.Raft, network.BFT:
			default:
				return cmdutil.UsageErrorf("--consensus must be %s or %s, got %q", network.Raft, network.BFT, opts.Consensus)
			}
			if len(opts.ComposeOverrides) > 0 && !opts.Docker {
				return cmdutil.UsageErrorf("--compose-override needs --docker")
			}
			if _, err := network.ParseHosts(opts.Hosts); err != nil {
				return cmdutil.UsageErrorf("--hosts: %v", err)
			}
			if opts.Hosts != "" && opts.Docker {
				return cmdutil.UsageErrorf("--hosts %s is for a native network: under --docker each member's containers have their own network already", opts.Hosts)
			}
			if runF != nil {
				return runF(opts)
			}
			return upRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.TopologyFile, "topology", "", "topology `file` (YAML); default: 3 orderers, Org1 and Org2")
	cmd.Flags().IntVar(&opts.PortOffset, "port-offset", 0, "add `N` to every port (also CXL_PORT_OFFSET)")
	cmd.Flags().StringVar(&opts.ChaincodeVersion, "chaincode-version", "", "chaincode `version` to deploy (default: the deployed one, or 1); another one upgrades a running network")
	cmd.Flags().BoolVar(&opts.Docker, "docker", false, "run the network as Docker Compose services (a new network only)")
	cmd.Flags().StringVar(&opts.Consensus, "consensus", "", "ordering `consensus` of a new network: raft (default; 3 orderers) or bft (SmartBFT; 4 orderers, at least 4)")
	cmd.Flags().StringVar(&opts.Hosts, "hosts", "", "run each member and each orderer of a new native network on a `kind` of host of its own: netns (a network namespace each)")
	cmd.Flags().StringArrayVar(&opts.ComposeOverrides, "compose-override", nil, "layer the Compose `file` over docker-compose.yaml, e.g. docker-compose.hyperledger.yaml for the official Fabric images (repeatable)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the network profile as JSON")
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", 5*time.Minute, "give up after `duration`")
	return cmd
}

func upRun(ctx context.Context, opts *UpOptions) error {
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	home, err := opts.Home()
	if err != nil {
		return err
	}
	repo, err := opts.Repo()
	if err != nil {
		return err
	}
	var topo *network.Topology
	if opts.TopologyFile != "" || opts.PortOffset != 0 || opts.Docker || opts.Consensus != "" || opts.Hosts != "" {
		t, err := network.LoadTopologyWithConsensus(opts.TopologyFile, network.Consensus(opts.Consensus))
		if err != nil {
			return cmdutil.UsageErrorf("%v", err)
		}
		if opts.PortOffset != 0 {
			t.PortOffset = opts.PortOffset
		}
		if opts.Docker {
			t.Runtime = network.Docker
		}
		if opts.Hosts != "" {
			t.Hosts = network.Hosts(opts.Hosts)
		}
		topo = &t
	}
	fmt.Fprintln(opts.IO.ErrOut, "building binaries")
	if err := network.Build(ctx, repo, home, opts.IO.ErrOut); err != nil {
		return err
	}
	if docker, err := runsDocker(home, topo); err != nil {
		return err
	} else if docker {
		if err := network.BuildImages(ctx, repo, home, opts.IO.ErrOut); err != nil {
			return err
		}
	}
	start := time.Now()
	prof, err := network.Up(ctx, network.Options{Home: home, Topology: topo, ChaincodeVersion: opts.ChaincodeVersion,
		Progress: opts.IO.ErrOut, Repo: repo, ComposeOverrides: opts.ComposeOverrides})
	if errors.Is(err, network.ErrAlreadyUp) {
		fmt.Fprintf(opts.IO.ErrOut, "the network in %s is already up; nothing changed\n", home)
		return printProfile(opts, prof)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(opts.IO.ErrOut, "waiting for a transaction to commit")
	txID, err := ProbeProfile(ctx, prof)
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "first transaction %s committed %s after start (build excluded)\n", txID, time.Since(start).Round(10*time.Millisecond))
	if err := SeedRoles(ctx, prof, opts.IO.ErrOut); err != nil {
		return err
	}
	return printProfile(opts, prof)
}

// runsDocker reports whether up starts a Docker network: the one the state directory holds,
// or a new one asked for with --docker.
func runsDocker(home network.Home, topo *network.Topology) (bool, error) {
	existing, ok, err := network.LoadHomeTopology(home)
	if err != nil {
		return false, err
	}
	if ok {
		return existing.Runtime == network.Docker, nil
	}
	return topo != nil && topo.Runtime == network.Docker, nil
}

// ProbeProfile submits a health ping as the first user of the first organisation and waits
// for it to commit.
func ProbeProfile(ctx context.Context, prof *network.Profile) (string, error) {
	org := prof.Orgs[0]
	user := org.Users["User1"]
	peer := org.Peers[0]
	conn, err := fabric.Connect(fabric.Identity{MSPID: org.MSPID, CertPath: user.Cert, KeyPath: user.Key},
		fabric.Peer{Address: peer.Address, TLSRootCertPath: peer.TLSRootCert}, fabric.DefaultTimeouts)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	return fabric.Probe(ctx, conn.Gateway, prof.Channel, prof.Chaincode)
}

func printProfile(opts *UpOptions, prof *network.Profile) error {
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(prof)
	}
	out := opts.IO.Out
	if prof.ComposeProject != "" {
		fmt.Fprintf(out, "runtime     docker (compose project %s)\n", prof.ComposeProject)
	}
	fmt.Fprintf(out, "channel     %s\nchaincode   %s (version %s, sequence %d)\n", prof.Channel, prof.Chaincode, prof.Deployment.Version, prof.Deployment.Sequence)
	if b := prof.Baseline; b != nil {
		fmt.Fprintf(out, "chaincode   %s (benchmarks' baseline, version %s, sequence %d)\n", b.Name, b.Version, b.Sequence)
	}
	for _, o := range prof.Orderers {
		fmt.Fprintf(out, "orderer     %-28s %s\n", o.Name, o.Address)
	}
	for _, org := range prof.Orgs {
		if c := org.CA; c != nil {
			fmt.Fprintf(out, "ca          %-28s %s  tls-root %s\n", org.MSPID, c.URL, c.TLSRootCert)
		}
		for _, p := range org.Peers {
			fmt.Fprintf(out, "peer        %-28s %s  tls-root %s\n", p.Name, p.Address, p.TLSRootCert)
		}
		for _, name := range []string{"Admin", "User1"} {
			if u, ok := org.Users[name]; ok {
				fmt.Fprintf(out, "identity    %-28s cert %s\n            %-28s key  %s\n", org.MSPID+" "+name, u.Cert, "", u.Key)
			}
		}
	}
	return nil
}
