package network

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/network"
)

// ImagesOptions are the inputs of `cxl network images`.
type ImagesOptions struct {
	IO   *cmdutil.IOStreams
	Home func() (network.Home, error)
	Repo func() (string, error)
}

// NewCmdImages returns `cxl network images`; runF replaces the run function in tests.
func NewCmdImages(f *cmdutil.Factory, runF func(*ImagesOptions) error) *cobra.Command {
	opts := &ImagesOptions{IO: f.IO, Home: network.HomeAt(f.Home), Repo: f.Repo}
	cmd := &cobra.Command{
		Use:   "images",
		Short: "Build the Docker images of the network, with no registry",
		Long: `Build the binaries that are missing, then the images the Docker network runs, each FROM
scratch from those static binaries, so nothing is pulled and no network access is needed:

  ` + network.OrdererImage + `    orderer, orderer.yaml
  ` + network.PeerImage + `       peer, core.yaml, the ccaas builder in /builders/ccaas
  ` + network.ChaincodeImage + `            cxl-chaincode

Every image carries cxl-healthcheck for its health check and runs as user 10001. An image
whose Dockerfile (docker/) and files did not change is not built again.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return imagesRun(cmd.Context(), opts)
		},
	}
	return cmd
}

func imagesRun(ctx context.Context, opts *ImagesOptions) error {
	home, err := opts.Home()
	if err != nil {
		return err
	}
	repo, err := opts.Repo()
	if err != nil {
		return err
	}
	if err := network.Build(ctx, repo, home, opts.IO.ErrOut); err != nil {
		return err
	}
	if err := network.BuildImages(ctx, repo, home, opts.IO.ErrOut); err != nil {
		return err
	}
	for _, img := range network.Images(home) {
		fmt.Fprintln(opts.IO.Out, img.Tag)
	}
	return nil
}
