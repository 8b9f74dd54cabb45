// Package role holds `cxl role`: the roles organisations hold in the consortium (brand,
// merchant, carrier, payment, auditor, arbiter), each granted or revoked by an admin of one
// organisation proposing and an admin of another approving.
package role

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/ledgerapi"
)

// NewCmdRole returns `cxl role` with its subcommands.
func NewCmdRole(f *cmdutil.Factory) *cobra.Command {
	cmd := cmdutil.Group(&cobra.Command{
		Use:   "role <command>",
		Short: "Propose, approve, revoke and list the roles organisations hold",
		Long: `Organisations hold roles in the consortium: brand (registers products), merchant (sells,
issues loyalty points), carrier (delivers), payment (issues settlement money), auditor
(certifies, reads reports) and arbiter (decides disputes). A grant or a revocation is
proposed by an admin of one organisation and approved by an admin of another; run these
as an admin identity.`,
	})
	cmd.AddCommand(NewCmdChange(f, "propose", nil), NewCmdChange(f, "approve", nil), NewCmdChange(f, "revoke", nil), NewCmdList(f, nil))
	return cmd
}

// ChangeOptions are the inputs of `cxl role propose|approve|revoke`.
type ChangeOptions struct {
	IO       *cmdutil.IOStreams
	Ledger   func(context.Context) (cmdutil.Client, error)
	Mutation cmdutil.MutationOptions
	JSON     bool

	// Action is propose, approve or revoke.
	Action   string
	MSP      string
	RoleName string
}

var changes = map[string]struct {
	short, done string
	op          *ledgerapi.Op[ledgerapi.RoleRequest, ledgertypes.RoleGrant]
}{
	"propose": {"Propose that an organisation get a role", "proposed", ledgerapi.ConsortiumProposeRole},
	"approve": {"Approve another organisation's open proposal (a grant or a revocation)", "approved", ledgerapi.ConsortiumApproveRole},
	"revoke":  {"Propose revoking a role, or withdraw your own pending proposal", "revoked", ledgerapi.ConsortiumRevokeRole},
}

// NewCmdChange returns `cxl role <action>` for propose, approve or revoke; runF replaces
// the run function in tests.
func NewCmdChange(f *cmdutil.Factory, action string, runF func(*ChangeOptions) error) *cobra.Command {
	opts := &ChangeOptions{IO: f.IO, Ledger: f.Ledger, Action: action}
	ch := changes[action]
	cmd := &cobra.Command{
		Use:   action + " MSP ROLE",
		Short: ch.short,
		Args:  cmdutil.ExactArgs("MSP", "ROLE"),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) == 1 {
				var names []string
				for _, r := range ledgertypes.Roles() {
					names = append(names, string(r))
				}
				return names, cobra.ShellCompDirectiveNoFileComp
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.MSP, opts.RoleName = args[0], strings.ToLower(args[1])
			if _, err := ledgertypes.ParseRole(opts.RoleName); err != nil {
				return cmdutil.UsageErrorf("role %q: want one of %s", args[1], ledgertypes.RoleList())
			}
			if runF != nil {
				return runF(opts)
			}
			return changeRun(cmd.Context(), opts)
		},
	}
	cmdutil.AddMutationFlags(cmd, &opts.Mutation)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, ledgerapi.Committed[ledgertypes.RoleGrant]{})
	return cmd
}

func changeRun(ctx context.Context, opts *ChangeOptions) error {
	ch := changes[opts.Action]
	req := ledgerapi.RoleRequest{MSP: opts.MSP, Role: opts.RoleName}
	return cmdutil.Mutate(ctx, opts.IO, opts.Ledger, &opts.Mutation, opts.JSON, ch.op, req,
		func(g *ledgertypes.RoleGrant) string {
			return ch.done + " role " + opts.RoleName + " of " + opts.MSP + ": now " + string(g.Status)
		},
		func(g *ledgertypes.RoleGrant) error { return printGrants(opts.IO, []ledgertypes.RoleGrant{*g}) })
}

func printGrants(io *cmdutil.IOStreams, grants []ledgertypes.RoleGrant) error {
	t := cmdutil.NewTable(io, "MSP", "ROLE", "STATUS", "PROPOSED BY", "GRANTED BY", "UPDATED")
	for _, g := range grants {
		t.Row(g.MSP, string(g.Role), string(g.Status), g.ProposedBy, strings.Join(g.GrantedBy, ","), io.Time(g.Updated))
	}
	return t.Render()
}

// ListOptions are the inputs of `cxl role list`.
type ListOptions struct {
	IO      *cmdutil.IOStreams
	Ledger  func(context.Context) (cmdutil.Client, error)
	JSON    bool
	Timeout time.Duration
}

// NewCmdList returns `cxl role list`; runF replaces the run function in tests.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IO, Ledger: f.Ledger}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List every role grant, in force or proposed",
		Args:  cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return listRun(cmd.Context(), opts)
		},
	}
	cmdutil.AddTimeoutFlag(cmd, &opts.Timeout)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, []ledgertypes.RoleGrant{})
	return cmd
}

func listRun(ctx context.Context, opts *ListOptions) error {
	return cmdutil.Query(ctx, opts.IO, opts.Ledger, opts.Timeout, opts.JSON,
		func(ctx context.Context, c cmdutil.Client) ([]ledgertypes.RoleGrant, error) {
			grants, err := ledgerapi.Over(c).Consortium().ListRoles(ctx)
			if grants == nil && err == nil {
				grants = []ledgertypes.RoleGrant{}
			}
			return grants, err
		},
		func(grants []ledgertypes.RoleGrant) error { return printGrants(opts.IO, grants) })
}
