// Package channel holds `cxl channel`: the channel's configuration and its membership. An
// organisation joins a running channel in four steps, each run by whoever holds the key it
// needs: the new organisation hands over its public definition (a file, never a key); one
// member computes the update that adds it (`add-org`); each member's admin signs that update
// with only its own key (`sign`, one signature file per admin); one member submits it with
// the signatures once the channel's admin policy is met (`update`). Removing a member
// (`remove-org`) goes the same way; publishing a member's CRL (`revoke`) needs only that
// member's admin, the mod_policy of its MSP.
package channel

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	cb "github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/network"
)

// maxFile bounds the update and signature files cxl reads.
const maxFile = 4 << 20

// NewCmdChannel returns `cxl channel` with its subcommands.
func NewCmdChannel(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "channel <command>",
		Short: "Show the channel's configuration, add and remove members, publish a member's CRL",
		Long: `Show the channel's configuration, add an organisation to it or remove one, and publish a
member's certificate revocation list. Each command acts as one member organisation's Admin
(--msp), with that Admin's own key from CXL_HOME:

  cxl channel add-org org3.json --msp Org1MSP --output add-org3.pb
  cxl channel sign add-org3.pb --msp Org1MSP --output org1.sig
  cxl channel sign add-org3.pb --msp Org2MSP --output org2.sig     (on Org2's host)
  cxl channel update add-org3.pb --signature org1.sig --signature org2.sig --msp Org1MSP

The update is submitted only when the signatures meet the channel's admin policy
(MAJORITY Admins): too few, a signer that is no member's admin, or an organisation
already present is a coded error and the channel does not change. remove-org goes the
same way; revoke changes only the member's own MSP, so its own admin alone signs:

  cxl channel remove-org Org3MSP --msp Org1MSP --output remove-org3.pb
  cxl channel revoke --msp Org1MSP --id staff1@org1.example.com --output revoke.pb
  cxl channel sign revoke.pb --msp Org1MSP --output org1.sig
  cxl channel update revoke.pb --signature org1.sig --msp Org1MSP`,
	}
	cmd.AddCommand(NewCmdConfig(f, nil), NewCmdAddOrg(f, nil), NewCmdRemoveOrg(f, nil), NewCmdRevoke(f, nil), NewCmdSign(f, nil), NewCmdUpdate(f, nil), NewCmdSnapshot(f, nil))
	return cmd
}

// ConfigOptions are the inputs of `cxl channel config`.
type ConfigOptions struct {
	IO   *cmdutil.IOStreams
	Home func() (network.Home, error)
	MSP  string
	JSON bool
}

// ConfigSummary is what `cxl channel config` shows.
type ConfigSummary struct {
	// Channel is the channel's name.
	Channel string `json:"channel"`
	// Sequence is the configuration's sequence number: it grows with every update.
	Sequence uint64 `json:"sequence"`
	// Members are the application organisations' MSP IDs.
	Members []string `json:"members"`
}

// NewCmdConfig returns `cxl channel config`; runF replaces the run function in tests.
func NewCmdConfig(f *cmdutil.Factory, runF func(*ConfigOptions) error) *cobra.Command {
	opts := &ConfigOptions{IO: f.IO, Home: network.HomeAt(f.Home)}
	cmd := &cobra.Command{
		Use:   "config --msp MSPID",
		Short: "Show the channel's current configuration: its sequence and members",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return configRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.MSP, "msp", "", "act as this member organisation's Admin (required)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print JSON")
	_ = cmd.MarkFlagRequired("msp")
	return cmd
}

func configRun(ctx context.Context, opts *ConfigOptions) error {
	a, config, err := loadActorConfig(ctx, opts.Home, opts.MSP)
	if err != nil {
		return err
	}
	s := ConfigSummary{Channel: a.topology.Channel, Sequence: config.GetSequence(), Members: network.Members(config)}
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "channel\t%s\nsequence\t%d\nmembers\t%s\n", s.Channel, s.Sequence, strings.Join(s.Members, ", "))
	return tw.Flush()
}

// AddOrgOptions are the inputs of `cxl channel add-org`.
type AddOrgOptions struct {
	IO         *cmdutil.IOStreams
	Home       func() (network.Home, error)
	MSP        string
	Definition string
	Output     string
}

// NewCmdAddOrg returns `cxl channel add-org`; runF replaces the run function in tests.
func NewCmdAddOrg(f *cmdutil.Factory, runF func(*AddOrgOptions) error) *cobra.Command {
	opts := &AddOrgOptions{IO: f.IO, Home: network.HomeAt(f.Home)}
	cmd := &cobra.Command{
		Use:   "add-org DEFINITION --msp MSPID --output FILE",
		Short: "Compute the configuration update that adds an organisation from its public definition",
		Long: `Compute the configuration update that adds an organisation to the channel, from its public
definition (JSON: mspId, rootCerts and tlsRootCerts as PEM CA certificates, anchorPeers as
host and port; a file holding a private key is refused). The update is written to --output
for the members' admins to sign; nothing is submitted.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Definition = args[0]
			if runF != nil {
				return runF(opts)
			}
			return addOrgRun(cmd.Context(), opts)
		},
	}
	requiredFlags(cmd, &opts.MSP, "fetch the configuration as this member organisation's Admin (required)", &opts.Output, "write the update to this file (required)")
	return cmd
}

func addOrgRun(ctx context.Context, opts *AddOrgOptions) error {
	data, err := readFile(opts.Definition, "organisation definition")
	if err != nil {
		return err
	}
	def, err := network.ParseOrgDefinition(data)
	if err != nil {
		return err
	}
	a, config, err := loadActorConfig(ctx, opts.Home, opts.MSP)
	if err != nil {
		return err
	}
	update, err := network.AddOrgUpdate(config, a.topology.Channel, def)
	if err != nil {
		return err
	}
	if err := writeFile(opts.Output, "update", update); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "wrote the update adding %s to %s (configuration sequence %d) to %s\n", def.MSPID, a.topology.Channel, config.GetSequence(), opts.Output)
	return nil
}

// SignOptions are the inputs of `cxl channel sign`.
type SignOptions struct {
	IO     *cmdutil.IOStreams
	Home   func() (network.Home, error)
	MSP    string
	Cert   string
	Key    string
	Update string
	Output string
}

// NewCmdSign returns `cxl channel sign`; runF replaces the run function in tests.
func NewCmdSign(f *cmdutil.Factory, runF func(*SignOptions) error) *cobra.Command {
	opts := &SignOptions{IO: f.IO, Home: network.HomeAt(f.Home)}
	cmd := &cobra.Command{
		Use:   "sign UPDATE --msp MSPID --output FILE",
		Short: "Sign a configuration update as one member's admin, with only that admin's key",
		Long: `Sign a configuration update as one member organisation's admin and write the signature to
--output, to hand to whoever submits the update. The key is the organisation's Admin in
CXL_HOME, or --cert and --key name another admin's files; it never leaves this machine.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Update = args[0]
			if (opts.Cert == "") != (opts.Key == "") {
				return cmdutil.UsageErrorf("--cert and --key go together")
			}
			if runF != nil {
				return runF(opts)
			}
			return signRun(opts)
		},
	}
	requiredFlags(cmd, &opts.MSP, "sign as an admin of this organisation (required)", &opts.Output, "write the signature to this file (required)")
	cmd.Flags().StringVar(&opts.Cert, "cert", "", "the admin's certificate (PEM file); default the organisation's Admin in CXL_HOME")
	cmd.Flags().StringVar(&opts.Key, "key", "", "the admin's private key (PEM file)")
	return cmd
}

func signRun(opts *SignOptions) error {
	update, err := readFile(opts.Update, "update")
	if err != nil {
		return err
	}
	files := network.IdentityInfo{Cert: opts.Cert, Key: opts.Key}
	if opts.Cert == "" {
		a, err := loadActor(opts.Home, opts.MSP)
		if err != nil {
			return err
		}
		files = a.home.AdminIdentity(a.org)
	}
	sig, err := network.SignConfigUpdate(update, opts.MSP, files)
	if err != nil {
		return err
	}
	if err := writeFile(opts.Output, "signature", sig); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "signed %s as %s (%s) into %s\n", opts.Update, opts.MSP, files.Cert, opts.Output)
	return nil
}

// UpdateOptions are the inputs of `cxl channel update`.
type UpdateOptions struct {
	IO         *cmdutil.IOStreams
	Home       func() (network.Home, error)
	MSP        string
	Update     string
	Signatures []string
}

// NewCmdUpdate returns `cxl channel update`; runF replaces the run function in tests.
func NewCmdUpdate(f *cmdutil.Factory, runF func(*UpdateOptions) error) *cobra.Command {
	opts := &UpdateOptions{IO: f.IO, Home: network.HomeAt(f.Home)}
	cmd := &cobra.Command{
		Use:   "update UPDATE --signature FILE... --msp MSPID",
		Short: "Submit a signed configuration update once the channel's admin policy is met",
		Long: `Check a configuration update and its signatures against the channel's current
configuration, and submit it to an orderer as the --msp member's Admin only when every
signature is a member admin's over this update and enough members signed for the channel's
admin policy. Exit codes: 4 too few signatures, a non-member or a non-admin signer
(FORBIDDEN) or a signature over something else (UNAUTHENTICATED); 5 the organisation is
already a member or the configuration changed since the update was computed (CONFLICT).
Waits until the member's peer has the new configuration.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Update = args[0]
			if runF != nil {
				return runF(opts)
			}
			return updateRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.MSP, "msp", "", "submit as this member organisation's Admin (required)")
	cmd.Flags().StringArrayVar(&opts.Signatures, "signature", nil, "a signature file from `cxl channel sign` (repeat)")
	_ = cmd.MarkFlagRequired("msp")
	return cmd
}

func updateRun(ctx context.Context, opts *UpdateOptions) error {
	update, err := readFile(opts.Update, "update")
	if err != nil {
		return err
	}
	var sigs [][]byte
	for _, f := range opts.Signatures {
		s, err := readFile(f, "signature")
		if err != nil {
			return err
		}
		sigs = append(sigs, s)
	}
	a, err := loadActor(opts.Home, opts.MSP)
	if err != nil {
		return err
	}
	if err := network.SubmitConfigUpdate(ctx, a.home, a.topology, a.org, update, sigs); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "channel %s updated\n", a.topology.Channel)
	return nil
}

// actor is the member organisation a command acts as, through its Admin in CXL_HOME.
type actor struct {
	home     network.Home
	topology network.Topology
	org      network.Org
}

// loadActor loads the network in CXL_HOME and its member organisation mspID.
func loadActor(home func() (network.Home, error), mspID string) (actor, error) {
	h, err := home()
	if err != nil {
		return actor{}, err
	}
	t, org, err := h.Member(mspID)
	if err != nil {
		return actor{}, err
	}
	return actor{home: h, topology: t, org: org}, nil
}

// loadActorConfig is loadActor and the channel's current configuration, fetched as the
// organisation's Admin.
func loadActorConfig(ctx context.Context, home func() (network.Home, error), mspID string) (actor, *cb.Config, error) {
	a, err := loadActor(home, mspID)
	if err != nil {
		return actor{}, nil, err
	}
	config, err := network.ChannelConfig(ctx, a.home, a.topology, a.org)
	if err != nil {
		return actor{}, nil, err
	}
	return a, config, nil
}

// requiredFlags adds the required flags --msp (the organisation acted as) and --output, -o
// (the file written), with their usage texts.
func requiredFlags(cmd *cobra.Command, msp *string, mspUsage string, output *string, outputUsage string) {
	cmd.Flags().StringVar(msp, "msp", "", mspUsage)
	cmd.Flags().StringVarP(output, "output", "o", "", outputUsage)
	_ = cmd.MarkFlagRequired("msp")
	_ = cmd.MarkFlagRequired("output")
}

// writeFile writes what cxl hands over (an update, a signature) to path.
func writeFile(path, what string, data []byte) error {
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", what, err)
	}
	return nil
}

// readFile reads a file of at most maxFile bytes.
func readFile(path, what string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, cxlerr.Errorf(cxlerr.NotFound, "%s %s: %v", what, path, err)
	}
	if st.Size() > maxFile {
		return nil, cxlerr.Errorf(cxlerr.TooLarge, "%s %s: %d bytes; at most %d", what, path, st.Size(), maxFile)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	return data, nil
}
