package clitest

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/cli/cmdutil"
)

// Factory is a factory whose Ledger is c, whose streams are buffers (not terminals) and
// whose configuration file lies in a directory of the test (the same for every factory of
// the test, so what one command leaves there, its idempotency keys' times, the next one
// finds).
func Factory(t testing.TB, c cmdutil.Client) (*cmdutil.Factory, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	out, errOut := &bytes.Buffer{}, &bytes.Buffer{}
	config := filepath.Join(stateDir(t), "config.yaml")
	f := &cmdutil.Factory{
		IO:        &cmdutil.IOStreams{In: strings.NewReader(""), Out: out, ErrOut: errOut},
		Home:      func() (string, error) { return "/nonexistent/cxl-home", nil },
		Repo:      func() (string, error) { return "/nonexistent/repo", nil },
		Config:    func() (*cmdutil.Config, error) { return cmdutil.LoadConfig(config) },
		Selection: &cmdutil.Selection{},
		Ledger:    func(context.Context) (cmdutil.Client, error) { return c, nil },
	}
	return f, out, errOut
}

// stateDirs are the CLI state directories of the running tests.
var stateDirs sync.Map

// stateDir is the test's CLI state directory.
func stateDir(t testing.TB) string {
	if d, ok := stateDirs.Load(t); ok {
		return d.(string)
	}
	d := t.TempDir()
	stateDirs.Store(t, d)
	t.Cleanup(func() { stateDirs.Delete(t) })
	return d
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

// Run executes the command group newCmd makes with args against client c.
func Run(t testing.TB, c cmdutil.Client, newCmd func(*cmdutil.Factory) *cobra.Command, args ...string) Result {
	t.Helper()
	f, _, _ := Factory(t, c)
	return Exec(t, f, newCmd(f), args...)
}

// JSON decodes a result's standard output into v, failing the test if it is not JSON.
func (r Result) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.Stdout), v); err != nil {
		t.Fatalf("stdout is not JSON (%v):\n%s\nstderr: %s", err, r.Stdout, r.Stderr)
	}
}

// OK fails the test when the command failed.
func (r Result) OK(t testing.TB) Result {
	t.Helper()
	if r.Err != nil {
		t.Fatalf("command failed (exit %d): %v\nstderr: %s", r.Code, r.Err, r.Stderr)
	}
	return r
}

// Fails checks that the command failed with exit code code and an error containing want.
func (r Result) Fails(t testing.TB, code cmdutil.ExitCode, want string) {
	t.Helper()
	if r.Code != code || r.Err == nil || !strings.Contains(r.Err.Error(), want) {
		t.Fatalf("exit %d, err %v; want exit %d with %q", r.Code, r.Err, code, want)
	}
}
