// Package root assembles the cxl command tree.
package root

import (
	"context"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	balancecmd "github.com/cxledger/cxledger/cli/balance"
	benchcmd "github.com/cxledger/cxledger/cli/bench"
	channelcmd "github.com/cxledger/cxledger/cli/channel"
	"github.com/cxledger/cxledger/cli/cmdutil"
	configcmd "github.com/cxledger/cxledger/cli/config"
	epciscmd "github.com/cxledger/cxledger/cli/epcis"
	eventscmd "github.com/cxledger/cxledger/cli/events"
	gatewaycmd "github.com/cxledger/cxledger/cli/gateway"
	identitycmd "github.com/cxledger/cxledger/cli/identity"
	loyaltycmd "github.com/cxledger/cxledger/cli/loyalty"
	membercmd "github.com/cxledger/cxledger/cli/member"
	networkcmd "github.com/cxledger/cxledger/cli/network"
	ordercmd "github.com/cxledger/cxledger/cli/order"
	productcmd "github.com/cxledger/cxledger/cli/product"
	reviewcmd "github.com/cxledger/cxledger/cli/review"
	rolecmd "github.com/cxledger/cxledger/cli/role"
	ticketcmd "github.com/cxledger/cxledger/cli/ticket"
	"github.com/cxledger/cxledger/cli/transport"
	txcmd "github.com/cxledger/cxledger/cli/tx"
)

// NewCmdRoot returns the `cxl` command with every subcommand.
func NewCmdRoot(f *cmdutil.Factory) *cobra.Command {
	if f.Selection == nil {
		f.Selection = &cmdutil.Selection{}
	}
	if f.Ledger == nil {
		f.Ledger = func(ctx context.Context) (cmdutil.Client, error) { return transport.Open(ctx, f) }
	}
	cmd := &cobra.Command{
		Use:   "cxl <command>",
		Short: "cxledger: customer promises on a shared Fabric ledger",
		Long: `cxl runs cxledger's Fabric network and gateway service, and drives every business operation
on the ledger: products and their provenance, escrowed orders and settlement balances,
coalition loyalty points, support tickets and reviews, consortium roles, transactions and
events.

Commands reach the ledger through the gateway service by default, or directly through a
Fabric peer with your own identity: see ` + "`cxl config --help`" + `. Every command prints text
for a person on a terminal and JSON with --json; data goes to standard output, progress and
errors to standard error, and the exit code says what happened: ` + "`cxl help exit-codes`" + `.
Environment variables: ` + "`cxl help environment`" + `.`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	cmd.SetOut(f.IO.Out)
	cmd.SetErr(f.IO.ErrOut)
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return cmdutil.UsageErrorf("%v", err) })
	cmd.PersistentFlags().StringVarP(&f.Selection.Profile, "profile", "p", "", "reach the ledger with this profile, or directly as a network user `NAME` like Org1MSP/User1")
	cmd.PersistentFlags().StringVar(&f.Selection.Gateway, "gateway", "", "reach the ledger through the gateway service at `URL`")
	cmd.PersistentFlags().StringVar(&f.Selection.GatewayCA, "gateway-ca", "", "verify an https gateway with this TLS CA certificate (PEM `file`: its organisation's TLS root)")
	_ = cmd.RegisterFlagCompletionFunc("profile", completeProfile(f))
	cmd.AddGroup(&cobra.Group{ID: "ledger", Title: "Ledger commands:"}, &cobra.Group{ID: "ops", Title: "Operations commands:"})
	for _, c := range []*cobra.Command{productcmd.NewCmdProduct(f), ordercmd.NewCmdOrder(f), balancecmd.NewCmdBalance(f),
		loyaltycmd.NewCmdLoyalty(f), ticketcmd.NewCmdTicket(f), reviewcmd.NewCmdReview(f), rolecmd.NewCmdRole(f),
		txcmd.NewCmdTx(f), eventscmd.NewCmdEvents(f), identitycmd.NewCmdIdentity(f), epciscmd.NewCmdEPCIS(f)} {
		c.GroupID = "ledger"
		cmd.AddCommand(c)
	}
	for _, c := range []*cobra.Command{networkcmd.NewCmdNetwork(f), channelcmd.NewCmdChannel(f), membercmd.NewCmdMember(f), gatewaycmd.NewCmdGateway(f), configcmd.NewCmdConfig(f)} {
		c.GroupID = "ops"
		cmd.AddCommand(c)
	}
	cmd.AddCommand(benchcmd.NewCmdBench(f, nil))
	cmd.AddCommand(helpTopics(f)...)
	cmdutil.Group(cmd)
	polish(cmd)
	return cmd
}

// polish walks the tree so that every command fails the same way: a group given an unknown
// subcommand and a command given bad arguments are usage errors (exit 2), and every error
// prints as one line.
func polish(cmd *cobra.Command) {
	if cmd.HasSubCommands() && cmd.Run == nil && cmd.RunE == nil {
		cmdutil.Group(cmd)
	}
	if args := cmd.Args; args != nil {
		cmd.Args = func(c *cobra.Command, a []string) error {
			err := args(c, a)
			if err != nil && cmdutil.CodeOf(err) == cmdutil.ExitFailure {
				return cmdutil.UsageErrorf("%v (see %s --help)", err, c.CommandPath())
			}
			return err
		}
	}
	if run := cmd.RunE; run != nil {
		cmd.RunE = func(c *cobra.Command, a []string) error { return cmdutil.OneLine(run(c, a)) }
	}
	for _, c := range cmd.Commands() {
		polish(c)
	}
}

// completeProfile completes --profile with the configured profiles and the users of the
// network in CXL_HOME.
func completeProfile(f *cmdutil.Factory) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(_ *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		var names []string
		if cfg, err := f.Config(); err == nil {
			names = cfg.Names()
		}
		names = append(names, transport.NetworkUsers(f)...)
		return names, cobra.ShellCompDirectiveNoFileComp
	}
}

// helpTopics are `cxl help exit-codes` and `cxl help environment`.
func helpTopics(f *cmdutil.Factory) []*cobra.Command {
	var codes strings.Builder
	codes.WriteString("cxl ends with one of these exit codes; scripts can rely on them:\n\n")
	for _, c := range cmdutil.ExitCodes {
		codes.WriteString(wrap("  "+pad(c.Code)+"  "+c.Name+": "+c.Meaning, 96, "        ") + "\n")
	}
	codes.WriteString(`
Every failure prints one line to standard error, starting with "cxl: " and, for the
ledger's refusals, its error code (NOT_FOUND, FORBIDDEN, CONFLICT, ...). A mutation whose
outcome is 6 or 8 can be repeated with the same --idempotency-key: it is applied at most once.
A bulk command (cxl product register --file) exits with its failed lines' code when they
share one, 1 otherwise.
`)
	env := `CXL_GATEWAY     the gateway service's URL (like --gateway); also replaces the URL of a gateway profile
CXL_API_KEY     the API key for the gateway service; replaces any profile's key
CXL_GATEWAY_CA  the TLS CA certificate (PEM file) that verifies an https gateway (like
                --gateway-ca); replaces a gateway profile's
CXL_PROFILE     the profile to use (like --profile): a configured one, or a network user Org1MSP/User1
CXL_CONFIG      the configuration file (default ~/.config/cxl/config.yaml); the Fabric
                transport keeps its idempotency journal in journal/ beside it
CXL_HOME        the network's state directory (default .cxl at the repository root): network
                users and the gateway service's files are found there
CXL_REPO        the repository the network's binaries are built from
CXL_PORT_OFFSET the port offset of a second network (cxl network up)
CXL_FORCE_TTY   print tables and progress as for a terminal even through a pipe
`
	return []*cobra.Command{topic(f, "exit-codes", "The exit codes of cxl", codes.String()),
		topic(f, "environment", "The environment variables cxl reads", env)}
}

func topic(f *cmdutil.Factory, name, short, text string) *cobra.Command {
	cmd := &cobra.Command{
		Use:    name,
		Short:  short,
		Long:   text,
		Hidden: true,
		Args:   cmdutil.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			_, err := c.OutOrStdout().Write([]byte(text))
			return err
		},
	}
	cmd.SetHelpFunc(func(c *cobra.Command, _ []string) { _, _ = f.IO.Out.Write([]byte(text)) })
	return cmd
}

func pad(c cmdutil.ExitCode) string { return strconv.Itoa(int(c)) }

// wrap breaks s into lines of at most width, indenting the continuation lines.
func wrap(s string, width int, indent string) string {
	var b strings.Builder
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && len(line)+1+len(w) > width {
			b.WriteString(line + "\n")
			line = indent + w
			continue
		}
		if line == "" {
			if strings.HasPrefix(s, "  ") {
				line = "  " + w
			} else {
				line = w
			}
			continue
		}
		line += " " + w
	}
	b.WriteString(line)
	return b.String()
}
