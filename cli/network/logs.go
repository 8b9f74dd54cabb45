package network

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/network"
)

// LogsOptions are the inputs of `cxl network logs`.
type LogsOptions struct {
	IO     *cmdutil.IOStreams
	Home   func() (network.Home, error)
	Node   string
	Lines  int
	Follow bool
}

// NewCmdLogs returns `cxl network logs`; runF replaces the run function in tests.
func NewCmdLogs(f *cmdutil.Factory, runF func(*LogsOptions) error) *cobra.Command {
	opts := &LogsOptions{IO: f.IO, Home: network.HomeAt(f.Home)}
	cmd := &cobra.Command{
		Use:   "logs [node]",
		Short: "Show the logs of one process, or list the processes that have logs",
		Long: `Show the last lines of one process's log, or list the processes that have logs. For a
Docker network these are the Compose services and their container logs.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Node = args[0]
			}
			if opts.Lines < 0 {
				return cmdutil.UsageErrorf("--lines must not be negative")
			}
			if runF != nil {
				return runF(opts)
			}
			return logsRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().IntVarP(&opts.Lines, "lines", "n", 50, "show the last `N` lines")
	cmd.Flags().BoolVarP(&opts.Follow, "follow", "f", false, "keep printing new lines")
	return cmd
}

func logsRun(ctx context.Context, opts *LogsOptions) error {
	home, err := opts.Home()
	if err != nil {
		return err
	}
	if t, ok, err := network.LoadHomeTopology(home); err != nil {
		return err
	} else if ok && t.Runtime == network.Docker {
		return composeLogsRun(ctx, opts, home, t)
	}
	entries, err := os.ReadDir(home.Logs())
	if err != nil {
		return fmt.Errorf("no logs in %s: %w", home.Logs(), err)
	}
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".log"); ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	if opts.Node == "" {
		for _, n := range names {
			fmt.Fprintln(opts.IO.Out, n)
		}
		return nil
	}
	if !contains(names, opts.Node) {
		return &cmdutil.ExitError{Code: cmdutil.ExitNotFound, Err: fmt.Errorf("no log for %q; known: %s", opts.Node, strings.Join(names, ", "))}
	}
	f, err := os.Open(filepath.Join(home.Logs(), opts.Node+".log"))
	if err != nil {
		return fmt.Errorf("open log: %w", err)
	}
	defer f.Close()
	if err := tail(f, opts.IO.Out, opts.Lines); err != nil {
		return err
	}
	for opts.Follow {
		if _, err := io.Copy(opts.IO.Out, f); err != nil {
			return fmt.Errorf("follow log: %w", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(200 * time.Millisecond):
		}
	}
	return nil
}

// composeLogsRun lists the services of a Docker network, or shows one's container log.
func composeLogsRun(ctx context.Context, opts *LogsOptions, home network.Home, t network.Topology) error {
	services := t.Services()
	if opts.Node == "" {
		for _, s := range services {
			fmt.Fprintln(opts.IO.Out, s)
		}
		return nil
	}
	if !contains(services, opts.Node) {
		return &cmdutil.ExitError{Code: cmdutil.ExitNotFound, Err: fmt.Errorf("no service %q; known: %s", opts.Node, strings.Join(services, ", "))}
	}
	return network.ComposeLogs(ctx, home, opts.Node, opts.Lines, opts.Follow, opts.IO.Out)
}

// tail writes the last n lines of r.
func tail(r io.Reader, w io.Writer, n int) error {
	ring := make([]string, 0, n)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		if n == 0 {
			continue
		}
		if len(ring) == n {
			ring = ring[1:]
		}
		ring = append(ring, sc.Text())
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read log: %w", err)
	}
	for _, l := range ring {
		fmt.Fprintln(w, l)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
