package channel

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/network"
)

// RemoveOrgOptions are the inputs of `cxl channel remove-org`.
type RemoveOrgOptions struct {
	IO     *cmdutil.IOStreams
	Home   func() (network.Home, error)
	MSP    string
	Remove string
	Output string
}

// NewCmdRemoveOrg returns `cxl channel remove-org`; runF replaces the run function in tests.
func NewCmdRemoveOrg(f *cmdutil.Factory, runF func(*RemoveOrgOptions) error) *cobra.Command {
	opts := &RemoveOrgOptions{IO: f.IO, Home: network.HomeAt(f.Home)}
	cmd := &cobra.Command{
		Use:   "remove-org MSPID --msp MSPID --output FILE",
		Short: "Compute the configuration update that removes an organisation from the channel",
		Long: `Compute the configuration update that removes a member organisation from the channel's
application organisations. It changes the channel's membership, so the channel's admin
policy decides (MAJORITY Admins, counted over the members as they are, the one removed
included); sign and submit it with ` + "`cxl channel sign` and `cxl channel update`" + `, submitted
by a member that stays. Once it is committed no identity of the removed organisation can
transact or read the channel; the consortium contract's role grants it had stay on the ledger,
unusable. An organisation that is no member is NOT_FOUND; the last member cannot be
removed (FORBIDDEN).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Remove = args[0]
			if runF != nil {
				return runF(opts)
			}
			return removeOrgRun(cmd.Context(), opts)
		},
	}
	requiredFlags(cmd, &opts.MSP, "fetch the configuration as this member organisation's Admin (required)", &opts.Output, "write the update to this file (required)")
	return cmd
}

func removeOrgRun(ctx context.Context, opts *RemoveOrgOptions) error {
	a, config, err := loadActorConfig(ctx, opts.Home, opts.MSP)
	if err != nil {
		return err
	}
	update, err := network.RemoveOrgUpdate(config, a.topology.Channel, opts.Remove)
	if err != nil {
		return err
	}
	if err := writeFile(opts.Output, "update", update); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "wrote the update removing %s from %s (configuration sequence %d) to %s\n", opts.Remove, a.topology.Channel, config.GetSequence(), opts.Output)
	return nil
}

// RevokeOptions are the inputs of `cxl channel revoke`.
type RevokeOptions struct {
	IO     *cmdutil.IOStreams
	Home   func() (network.Home, error)
	MSP    string
	ID     string
	Reason string
	CRL    string
	Output string
}

// NewCmdRevoke returns `cxl channel revoke`; runF replaces the run function in tests.
func NewCmdRevoke(f *cmdutil.Factory, runF func(*RevokeOptions) error) *cobra.Command {
	opts := &RevokeOptions{IO: f.IO, Home: network.HomeAt(f.Home)}
	cmd := &cobra.Command{
		Use:   "revoke --msp MSPID [--id ID | --crl FILE] --output FILE",
		Short: "Compute the configuration update that publishes a member's CRL in its channel MSP",
		Long: `Compute the configuration update that publishes the organisation's certificate revocation
list in its MSP in the channel configuration, so the peers and orderers refuse the
certificates it lists. With --id the identity is first revoked at the organisation's Fabric
CA (its bootstrap registrar in CXL_HOME: run this on the organisation's own host) and the
CA's new CRL is published; with --crl FILE a CRL signed by the organisation's CA is; with
neither, the CA's current CRL. The MSP's mod_policy is the organisation's own Admins: only
an admin of --msp signs the update (` + "`cxl channel sign`" + `), no other member's signature
counts for it, and ` + "`cxl channel update`" + ` submits it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.ID != "" && opts.CRL != "" {
				return cmdutil.UsageErrorf("--id and --crl exclude each other")
			}
			if opts.Reason != "" && opts.ID == "" {
				return cmdutil.UsageErrorf("--reason goes with --id")
			}
			if runF != nil {
				return runF(opts)
			}
			return revokeRun(cmd.Context(), opts)
		},
	}
	requiredFlags(cmd, &opts.MSP, "the member organisation whose CRL is published, acting as its Admin (required)", &opts.Output, "write the update to this file (required)")
	cmd.Flags().StringVar(&opts.ID, "id", "", "revoke this identity at the organisation's CA first")
	cmd.Flags().StringVar(&opts.Reason, "reason", "", "the revocation's RFC 5280 reason, such as keycompromise (with --id)")
	cmd.Flags().StringVar(&opts.CRL, "crl", "", "publish this CRL (PEM or DER) instead of the CA's current one")
	return cmd
}

func revokeRun(ctx context.Context, opts *RevokeOptions) error {
	var crl []byte
	if opts.CRL != "" {
		data, err := readFile(opts.CRL, "CRL")
		if err != nil {
			return err
		}
		crl = data
	}
	a, config, err := loadActorConfig(ctx, opts.Home, opts.MSP)
	if err != nil {
		return err
	}
	if opts.ID != "" {
		revoked, err := network.RevokeAtCA(ctx, a.home, a.org, opts.ID, opts.Reason)
		if err != nil {
			return err
		}
		fmt.Fprintf(opts.IO.ErrOut, "%s's CA revoked %d certificate(s) of %s\n", a.org.MSPID, len(revoked), opts.ID)
	}
	if crl == nil {
		if crl, err = network.CurrentCRL(ctx, a.home, a.org); err != nil {
			return err
		}
	}
	update, err := network.RevocationUpdate(config, a.topology.Channel, a.org.MSPID, crl)
	if err != nil {
		return err
	}
	if err := writeFile(opts.Output, "update", update); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "wrote the update publishing %s's CRL in %s (configuration sequence %d) to %s: an admin of %s signs it\n", a.org.MSPID, a.topology.Channel, config.GetSequence(), opts.Output, a.org.MSPID)
	return nil
}
