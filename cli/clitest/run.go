package clitest

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/network"
)

// Factory is a factory whose Ledger is c and whose streams are buffers (not terminals).
func Factory(c cmdutil.Client) (*cmdutil.Factory, *bytes.Buffer, *bytes.Buffer) {
	out, errOut := &bytes.Buffer{}, &bytes.Buffer{}
	f := &cmdutil.Factory{
		IO:        &cmdutil.IOStreams{In: strings.NewReader(""), Out: out, ErrOut: errOut},
		Home:      func() (network.Home, error) { return "/nonexistent/cxl-home", nil },
		Repo:      func() (string, error) { return "/nonexistent/repo", nil },
		Config:    func() (*cmdutil.Config, error) { return cmdutil.LoadConfig("/nonexistent/cxl/config.yaml") },
		Selection: &cmdutil.Selection{},
		Ledger:    func(context.Context) (cmdutil.Client, error) { return c, nil },
	}
	return f, out, errOut
}

// Result is what one command run did.
type Result struct {
	Stdout, Stderr string
	Err            error
	Code           cmdutil.ExitCode
}

// Exec runs cmd with args, as the root command would: errors come back, nothing is
// printed by cobra.
func Exec(t testing.TB, f *cmdutil.Factory, cmd *cobra.Command, args ...string) Result {
	t.Helper()
	out, errOut := f.IO.Out.(*bytes.Buffer), f.IO.ErrOut.(*bytes.Buffer)
	out.Reset()
	errOut.Reset()
	cmd.SetArgs(args)
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return cmdutil.UsageErrorf("%v", err) })
	err := cmd.ExecuteContext(t.Context())
	return Result{Stdout: out.String(), Stderr: errOut.String(), Err: err, Code: cmdutil.CodeOf(err)}
}
