package cmdutil

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// ExactArgs accepts exactly the named positional arguments ("GTIN"); anything else is a
// usage error naming what is missing or extra.
func ExactArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) < len(names):
			return UsageErrorf("%s: missing %s (see %s --help)", cmd.CommandPath(), strings.Join(names[len(args):], " "), cmd.CommandPath())
		case len(args) > len(names):
			return UsageErrorf("%s: unexpected argument %q (see %s --help)", cmd.CommandPath(), args[len(names)], cmd.CommandPath())
		}
		return nil
	}
}

// NoArgs accepts no positional argument; one is a usage error.
func NoArgs(cmd *cobra.Command, args []string) error { return ExactArgs()(cmd, args) }

// RangeArgs accepts between min and max positional arguments, described by what for the
// message ("ACCOUNT=AMOUNT..."); anything else is a usage error.
func RangeArgs(min, max int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < min || len(args) > max {
			return UsageErrorf("%s: want %s (see %s --help)", cmd.CommandPath(), what, cmd.CommandPath())
		}
		return nil
	}
}

// Group makes cmd a group of subcommands: alone it prints its help, with an unknown
// subcommand it is a usage error (cobra would print the help and succeed).
func Group(cmd *cobra.Command) *cobra.Command {
	cmd.Args = cobra.ArbitraryArgs
	cmd.RunE = func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			return c.Help()
		}
		msg := fmt.Sprintf("unknown command %q for %q", args[0], c.CommandPath())
		if c.SuggestionsMinimumDistance <= 0 {
			c.SuggestionsMinimumDistance = 2
		}
		if s := c.SuggestionsFor(args[0]); len(s) > 0 {
			msg += fmt.Sprintf(" (did you mean %s?)", strings.Join(s, ", "))
		} else {
			msg += fmt.Sprintf(" (see %s --help)", c.CommandPath())
		}
		return UsageErrorf("%s", msg)
	}
	return cmd
}

// WithClient connects to the ledger, runs fn with a context bounded by timeout, and closes
// the connection.
func WithClient(ctx context.Context, open func(context.Context) (Client, error), timeout time.Duration, fn func(ctx context.Context, c Client) error) error {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	c, err := open(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return fn(ctx, c)
}

// FlagsExclusive fails when more than one of the named flags was given.
func FlagsExclusive(cmd *cobra.Command, names ...string) error {
	var set []string
	for _, n := range names {
		if cmd.Flags().Changed(n) {
			set = append(set, "--"+n)
		}
	}
	if len(set) > 1 {
		return UsageErrorf("%s: choose one", strings.Join(set, " and "))
	}
	return nil
}

// RequireFlags fails naming the flags of names that were not given.
func RequireFlags(cmd *cobra.Command, names ...string) error {
	var missing []string
	for _, n := range names {
		if !cmd.Flags().Changed(n) {
			missing = append(missing, "--"+n)
		}
	}
	if len(missing) > 0 {
		return UsageErrorf("%s: missing %s", cmd.CommandPath(), strings.Join(missing, ", "))
	}
	return nil
}
