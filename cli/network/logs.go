package network

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/network"
)

// LogsOptions are the inputs of `cxl network logs`.
type LogsOptions struct {
	IO   *cmdutil.IOStreams
	Home func() (network.Home, error)
	// Nodes are the processes or Compose services whose logs to show.
	Nodes []string
	// Org selects every process or service of one member (its name or MSP ID; the
	// orderers' is OrdererMSP).
	Org    string
	Lines  int
	Follow bool
}

// NewCmdLogs returns `cxl network logs`; runF replaces the run function in tests.
func NewCmdLogs(f *cmdutil.Factory, runF func(*LogsOptions) error) *cobra.Command {
	opts := &LogsOptions{IO: f.IO, Home: network.HomeAt(f.Home)}
	cmd := &cobra.Command{
		Use:   "logs [node...]",
		Short: "Show the logs of processes, or of a member's hosts, or list what has logs",
		Long: `Show the last lines of the logs of the named processes, or of every process of one member
(--org), or list the processes that have logs with the member each belongs to. For a
Docker network these are the Compose services that have a container, and their container
logs (docker logs), whichever host each runs on; natively the log files under
CXL_HOME/logs. With more than
one log each line starts with its process's name.`,
		Example: `  cxl network logs
  cxl network logs peer0.org1.example.com -n 100
  cxl network logs --org Org2 --follow
  cxl network logs --org OrdererMSP`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Nodes = args
			if opts.Lines < 0 {
				return cmdutil.UsageErrorf("--lines must not be negative")
			}
			if runF != nil {
				return runF(opts)
			}
			return logsRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Org, "org", "", "show every process of this member (`name` or MSP ID; OrdererMSP for the orderers)")
	cmd.Flags().IntVarP(&opts.Lines, "lines", "n", 50, "show the last `N` lines")
	cmd.Flags().BoolVarP(&opts.Follow, "follow", "f", false, "keep printing new lines")
	return cmd
}

// logSource is one log: a process's file natively, a Compose service's container under
// Docker, and the member it belongs to ("" when the topology does not say).
type logSource struct {
	name, member string
}

func logsRun(ctx context.Context, opts *LogsOptions) error {
	home, err := opts.Home()
	if err != nil {
		return err
	}
	t, ok, err := network.LoadHomeTopology(home)
	if err != nil {
		return err
	}
	docker := ok && t.Runtime == network.Docker
	var known []logSource
	if docker {
		have, err := network.ComposeServices(ctx, home)
		if err != nil {
			return err
		}
		for _, s := range t.Services() {
			if slices.Contains(have, s) {
				h, _ := t.DockerHostOf(s)
				known = append(known, logSource{name: s, member: h.MSPID})
			}
		}
	} else {
		entries, err := os.ReadDir(home.Logs())
		if err != nil {
			return fmt.Errorf("no logs in %s: %w", home.Logs(), err)
		}
		for _, e := range entries {
			if n, isLog := strings.CutSuffix(e.Name(), ".log"); isLog {
				known = append(known, logSource{name: n, member: memberOf(t, ok, n)})
			}
		}
		sort.Slice(known, func(i, j int) bool { return known[i].name < known[j].name })
	}
	if len(opts.Nodes) == 0 && opts.Org == "" {
		for _, s := range known {
			if s.member != "" {
				fmt.Fprintf(opts.IO.Out, "%s\t%s\n", s.name, s.member)
			} else {
				fmt.Fprintln(opts.IO.Out, s.name)
			}
		}
		return nil
	}
	selected, err := selectLogs(known, t, ok, opts.Nodes, opts.Org)
	if err != nil {
		return err
	}
	show := func(ctx context.Context, name string, w io.Writer) error {
		if docker {
			return network.ComposeLogs(ctx, home, name, opts.Lines, opts.Follow, w)
		}
		return fileLog(ctx, filepath.Join(home.Logs(), name+".log"), opts.Lines, opts.Follow, w)
	}
	if len(selected) == 1 {
		return show(ctx, selected[0], opts.IO.Out)
	}
	var mu sync.Mutex
	width := 0
	for _, n := range selected {
		width = max(width, len(n))
	}
	run := func(name string) error {
		pw := &prefixWriter{mu: &mu, w: opts.IO.Out, prefix: fmt.Sprintf("%-*s | ", width, name)}
		err := show(ctx, name, pw)
		pw.flush()
		return err
	}
	if !opts.Follow {
		for _, n := range selected {
			if err := run(n); err != nil {
				return err
			}
		}
		return nil
	}
	errs := make(chan error, len(selected))
	for _, n := range selected {
		go func() { errs <- run(n) }()
	}
	var first error
	for range selected {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// selectLogs picks the logs of the named processes and of every process of member org
// (a name or MSP ID, in any case; OrdererMSP, or "orderer", for the orderers), in the
// order of known. A name or member that has no log is a not-found error listing what
// has.
func selectLogs(known []logSource, t network.Topology, haveTopology bool, nodes []string, org string) ([]string, error) {
	var names []string
	for _, s := range known {
		names = append(names, s.name)
	}
	want := map[string]bool{}
	for _, n := range nodes {
		if !slices.Contains(names, n) {
			return nil, &cmdutil.ExitError{Code: cmdutil.ExitNotFound, Err: fmt.Errorf("no log for %q; known: %s", n, strings.Join(names, ", "))}
		}
		want[n] = true
	}
	if org != "" {
		msp, err := memberID(t, haveTopology, org)
		if err != nil {
			return nil, err
		}
		found := false
		for _, s := range known {
			if s.member == msp {
				want[s.name], found = true, true
			}
		}
		if !found {
			return nil, &cmdutil.ExitError{Code: cmdutil.ExitNotFound, Err: fmt.Errorf("no log of %s", msp)}
		}
	}
	var selected []string
	for _, n := range names {
		if want[n] {
			selected = append(selected, n)
		}
	}
	return selected, nil
}

// memberID is the MSP ID --org names: an organisation's name or MSP ID in any case, or the
// orderers' (OrdererMSP, "orderer", "orderers").
func memberID(t network.Topology, haveTopology bool, org string) (string, error) {
	var ids []string
	if haveTopology {
		for _, o := range t.PeerOrgs() {
			if strings.EqualFold(org, o.Name) || strings.EqualFold(org, o.MSPID) {
				return o.MSPID, nil
			}
			ids = append(ids, o.MSPID)
		}
		orderer := t.OrdererNodes()[0].MSPID
		for _, alias := range []string{orderer, "orderer", "orderers"} {
			if strings.EqualFold(org, alias) {
				return orderer, nil
			}
		}
		ids = append(ids, orderer)
	}
	return "", &cmdutil.ExitError{Code: cmdutil.ExitNotFound, Err: fmt.Errorf("no member %q; known: %s", org, strings.Join(ids, ", "))}
}

// memberOf is the MSP ID of the native process name: a node's, a member's gateway
// service's, or a chaincode server's (named after its organisation's MSP ID); "" for
// anything else.
func memberOf(t network.Topology, haveTopology bool, name string) string {
	if !haveTopology {
		return ""
	}
	for _, n := range append(t.CANodes(), t.Nodes()...) {
		if n.Name == name {
			return n.MSPID
		}
	}
	for _, org := range t.PeerOrgs() {
		if name == network.GatewayService(org) || strings.Contains(name+"-", "-"+org.MSPID+"-") {
			return org.MSPID
		}
	}
	return ""
}

// fileLog writes the last lines of the log file at path, and with follow keeps copying what
// is appended until ctx ends.
func fileLog(ctx context.Context, path string, lines int, follow bool, w io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open log: %w", err)
	}
	defer f.Close()
	if err := tail(f, w, lines); err != nil {
		return err
	}
	for follow {
		if _, err := io.Copy(w, f); err != nil {
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

// prefixWriter writes each complete line it is given to w after prefix, holding mu for
// the line, so the lines of several logs written at once interleave whole.
type prefixWriter struct {
	mu     *sync.Mutex
	w      io.Writer
	prefix string
	buf    []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		if err := p.line(p.buf[:i]); err != nil {
			return len(b), err
		}
		p.buf = p.buf[i+1:]
	}
}

// flush writes what is left of a last line without its newline.
func (p *prefixWriter) flush() {
	if len(p.buf) > 0 {
		_ = p.line(p.buf)
		p.buf = nil
	}
}

func (p *prefixWriter) line(l []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, err := fmt.Fprintf(p.w, "%s%s\n", p.prefix, l)
	return err
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
