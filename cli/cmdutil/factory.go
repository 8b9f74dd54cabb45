// Package cmdutil holds what every cxl command shares: the I/O streams and how output is
// printed (tables, records, JSON), the Factory that finds the state directory, the
// configuration and the ledger, the flags and the submission of mutations, and the one
// place exit codes come from.
package cmdutil

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"time"
)

// IOStreams are the streams a command reads and writes: data to Out, progress and errors
// to ErrOut.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// OutTTY and ErrTTY say whether Out and ErrOut are terminals: tables are aligned with
	// headers and progress is animated only for a person.
	OutTTY, ErrTTY bool
}

// SystemIO returns the process's standard streams.
func SystemIO() *IOStreams {
	return &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		OutTTY: isTerminal(os.Stdout), ErrTTY: isTerminal(os.Stderr)}
}

// Factory gives commands their dependencies, so tests can replace them.
type Factory struct {
	IO *IOStreams
	// Home returns the path of the state directory (CXL_HOME, default .cxl at the
	// repository root); network.HomeAt makes it a network.Home.
	Home func() (string, error)
	// Repo returns the repository root the binaries are built from (CXL_REPO, or the
	// repository around the working directory).
	Repo func() (string, error)
	// Config returns the configuration file's contents (CXL_CONFIG, default
	// ~/.config/cxl/config.yaml).
	Config func() (*Config, error)
	// Selection holds the global flags that choose the ledger (--profile, --gateway).
	Selection *Selection
	// Ledger connects to the ledger the selection, the environment and the configuration
	// name; the caller closes it.
	Ledger func(ctx context.Context) (Client, error)
	// Now is the clock of the commands that resolve relative times (nil: time.Now);
	// MutationOptions.Now fixes it once per idempotency key.
	Now func() time.Time
}

// NewFactory returns the Factory of the real program.
func NewFactory() *Factory {
	f := &Factory{IO: SystemIO(), Selection: &Selection{}}
	f.Config = func() (*Config, error) {
		path, err := DefaultConfigPath()
		if err != nil {
			return nil, err
		}
		return LoadConfig(path)
	}
	f.Repo = func() (string, error) {
		if r := os.Getenv("CXL_REPO"); r != "" {
			return filepath.Abs(r)
		}
		return FindRepo(".")
	}
	f.Home = func() (string, error) {
		if h := os.Getenv("CXL_HOME"); h != "" {
			return filepath.Abs(h)
		}
		repo, err := f.Repo()
		if err != nil {
			return "", err
		}
		return filepath.Join(repo, ".cxl"), nil
	}
	return f
}
