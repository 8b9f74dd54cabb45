package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/network"
)

// StatusOptions are the inputs of `cxl gateway status`.
type StatusOptions struct {
	IO   *cmdutil.IOStreams
	Home func() (network.Home, error)
	// Org names the one member whose service to show ("": every member's).
	Org  string
	JSON bool
}

// NewCmdStatus returns `cxl gateway status`; runF replaces the run function in tests.
func NewCmdStatus(f *cmdutil.Factory, runF func(*StatusOptions) error) *cobra.Command {
	opts := &StatusOptions{IO: f.IO, Home: network.HomeAt(f.Home)}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show whether each member's gateway service runs and is ready",
		Long: `Show, for every member (or only --org), where its gateway service runs (its PID, or its
container under Docker), its URL and its readiness (a peer answers a query), asked over
HTTPS verified with the organisation's TLS root when it serves TLS. Exits with status 1
when one is not running or not ready.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return statusRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Org, "org", "", "show only this organisation's service (`name` or MSP ID)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print JSON")
	return cmd
}

// Status is what `cxl gateway status` reports of one member's service.
type Status struct {
	Org     string          `json:"org"`
	MSPID   string          `json:"mspId"`
	Running bool            `json:"running"`
	Runtime network.Runtime `json:"runtime,omitempty"`
	PID     int             `json:"pid,omitempty"`
	URL     string          `json:"url,omitempty"`
	// TLSRoot verifies the service's HTTPS; empty on plain HTTP.
	TLSRoot string `json:"tlsRoot,omitempty"`
	Ready   bool   `json:"ready"`
	Detail  string `json:"detail,omitempty"`
	Config  string `json:"config"`
	// Replicas are the processes of a service run in replicas (cxl gateway up --replicas):
	// it runs while one does and is ready when each is and their PostgreSQL server runs.
	Replicas []ReplicaStatus `json:"replicas,omitempty"`
	// Store is the PostgreSQL server the replicas share.
	Store *StoreStatus `json:"store,omitempty"`
}

// ReplicaStatus is one replica of a member's service.
type ReplicaStatus struct {
	Replica int    `json:"replica"`
	Running bool   `json:"running"`
	PID     int    `json:"pid,omitempty"`
	URL     string `json:"url"`
	Ready   bool   `json:"ready"`
	Detail  string `json:"detail,omitempty"`
}

// StoreStatus is the PostgreSQL server of a member's replicas.
type StoreStatus struct {
	Running bool   `json:"running"`
	PID     int    `json:"pid,omitempty"`
	Address string `json:"address"`
	Data    string `json:"data"`
}

func statusRun(ctx context.Context, opts *StatusOptions) error {
	home, err := opts.Home()
	if err != nil {
		return err
	}
	var all []Status
	ms, topo, err := homeMembers(home, opts.Org)
	if err != nil {
		all = append(all, Status{Detail: "no network: " + oneLine(err)})
	}
	for _, m := range ms {
		st := Status{Org: m.org.Name, MSPID: m.org.MSPID, Config: m.config()}
		if ok, err := replicasStatus(ctx, home, topo, m, &st); err != nil || ok {
			if err != nil {
				return err
			}
			all = append(all, st)
			continue
		}
		s, running, pid := find(ctx, home, topo, m)
		st.Running, st.Runtime, st.PID, st.URL = running, s.runtime, pid, s.url
		if s.tls != nil {
			st.TLSRoot = m.tlsRoot(home)
		}
		switch {
		case !running:
			st.Runtime, st.URL, st.TLSRoot = "", "", ""
			st.Detail = "not running; start it with `cxl gateway up`"
		case st.URL == "":
			st.Detail = "no valid configuration at " + st.Config
		default:
			st.Ready, st.Detail = ready(ctx, s, home, m)
		}
		all = append(all, st)
	}
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(all); err != nil {
			return err
		}
	} else {
		for i, st := range all {
			if i > 0 {
				fmt.Fprintln(opts.IO.Out)
			}
			how := ""
			switch {
			case st.PID != 0:
				how = fmt.Sprintf(" (pid %d)", st.PID)
			case st.Running:
				how = fmt.Sprintf(" (%s container cxl-gateway-%s)", st.Runtime, strings.ToLower(st.Org))
			}
			if len(st.Replicas) > 0 {
				how = fmt.Sprintf(" (%d replicas)", len(st.Replicas))
			}
			fmt.Fprintf(opts.IO.Out, "%-11s running %v%s\n  url       %s\n  ready     %v  %s\n  config    %s\n", st.Org, st.Running, how, st.URL, st.Ready, st.Detail, st.Config)
			for _, r := range st.Replicas {
				fmt.Fprintf(opts.IO.Out, "  replica %d %s  running %v (pid %d)  ready %v  %s\n", r.Replica, r.URL, r.Running, r.PID, r.Ready, r.Detail)
			}
			if pg := st.Store; pg != nil {
				fmt.Fprintf(opts.IO.Out, "  store     PostgreSQL on %s  running %v (pid %d)  data %s\n", pg.Address, pg.Running, pg.PID, pg.Data)
			}
			if st.TLSRoot != "" {
				fmt.Fprintf(opts.IO.Out, "  tls root  %s\n", st.TLSRoot)
			}
		}
	}
	var down []string
	for _, st := range all {
		switch {
		case st.Ready:
		case st.Org == "":
			down = append(down, st.Detail)
		default:
			down = append(down, st.Org)
		}
	}
	if len(down) > 0 {
		return &cmdutil.ExitError{Code: cmdutil.ExitFailure, Err: fmt.Errorf("gateway service not ready: %s", strings.Join(down, ", "))}
	}
	return nil
}

// ready asks m's service's /readyz, verifying its TLS certificate when it serves TLS.
func ready(ctx context.Context, s site, home network.Home, m member) (bool, string) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	client, err := s.client(home, m, 10*time.Second)
	if err != nil {
		return false, err.Error()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/readyz", nil)
	if err != nil {
		return false, err.Error()
	}
	resp, err := client.Do(req)
	if err != nil {
		return false, err.Error()
	}
	defer resp.Body.Close()
	var body struct {
		Status  string `json:"status"`
		Message string `json:"message"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Sprintf("%d %s", resp.StatusCode, body.Message)
	}
	return true, body.Status
}

func oneLine(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }
