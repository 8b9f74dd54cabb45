package network

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/network"
)

// ComposeOptions are the inputs of `cxl network compose`.
type ComposeOptions struct {
	IO           *cmdutil.IOStreams
	Repo         func() (string, error)
	TopologyFile string
	Dir          string
}

// NewCmdCompose returns `cxl network compose`; runF replaces the run function in tests.
func NewCmdCompose(f *cmdutil.Factory, runF func(*ComposeOptions) error) *cobra.Command {
	opts := &ComposeOptions{IO: f.IO, Repo: f.Repo}
	cmd := &cobra.Command{
		Use:   "compose",
		Short: "Write docker-compose.yaml, .env and the official-images override for a topology",
		Long: `Write docker-compose.yaml, its .env and docker-compose.hyperledger.yaml (the override that
runs the official Fabric images) for a topology (default: the default network) into a
directory (default: the repository root, whose files are generated this way). The node
environments come from the same code as the native network's, with container addressing:
each organisation and each orderer on a Docker network of its own, reaching the others
only at the peers' and orderers' service ports published on the Docker host, every port
at the topology's number (portOffset included).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return composeRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.TopologyFile, "topology", "", "topology `file` (YAML); default: 3 orderers, Org1 and Org2")
	cmd.Flags().StringVar(&opts.Dir, "dir", "", "write into `directory` (default: the repository root)")
	return cmd
}

func composeRun(opts *ComposeOptions) error {
	t, err := network.LoadTopology(opts.TopologyFile)
	if err != nil {
		return cmdutil.UsageErrorf("%v", err)
	}
	dir := opts.Dir
	if dir == "" {
		if dir, err = opts.Repo(); err != nil {
			return err
		}
	}
	file, err := network.ComposeFile(t)
	if err != nil {
		return err
	}
	env, err := network.ComposeEnv(t)
	if err != nil {
		return err
	}
	override, err := network.HyperledgerOverride(t)
	if err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		data []byte
	}{{"docker-compose.yaml", file}, {".env", env}, {"docker-compose.hyperledger.yaml", override}} {
		name, data := f.name, f.data
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		fmt.Fprintln(opts.IO.Out, path)
	}
	return nil
}
