package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/network"
)

// StatusOptions are the inputs of `cxl gateway status`.
type StatusOptions struct {
	IO   *cmdutil.IOStreams
	Home func() (network.Home, error)
	JSON bool
}

// NewCmdStatus returns `cxl gateway status`; runF replaces the run function in tests.
func NewCmdStatus(f *cmdutil.Factory, runF func(*StatusOptions) error) *cobra.Command {
	opts := &StatusOptions{IO: f.IO, Home: network.HomeAt(f.Home)}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show whether the gateway service runs and is ready",
		Long: `Show where the gateway service runs (its PID, or its container under Docker), its URL and
its readiness (a peer answers a query). Exits with status 1 when it is not running or not
ready.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return statusRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print JSON")
	return cmd
}

// Status is what `cxl gateway status` reports.
type Status struct {
	Running bool            `json:"running"`
	Runtime network.Runtime `json:"runtime,omitempty"`
	PID     int             `json:"pid,omitempty"`
	URL     string          `json:"url,omitempty"`
	Ready   bool            `json:"ready"`
	Detail  string          `json:"detail,omitempty"`
	Config  string          `json:"config"`
}

func statusRun(ctx context.Context, opts *StatusOptions) error {
	home, err := opts.Home()
	if err != nil {
		return err
	}
	st := Status{Config: filesOf(home).config()}
	s, running, pid := find(ctx, home)
	st.Running, st.Runtime, st.PID, st.URL = running, s.runtime, pid, s.url
	switch {
	case !running:
		st.Runtime, st.URL = "", ""
		st.Detail = "not running; start it with `cxl gateway up`"
	case st.URL == "":
		st.Detail = "no valid configuration at " + st.Config
	default:
		st.Ready, st.Detail = ready(ctx, st.URL)
	}
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(st); err != nil {
			return err
		}
	} else {
		how := ""
		switch {
		case st.PID != 0:
			how = fmt.Sprintf(" (pid %d)", st.PID)
		case st.Running:
			how = fmt.Sprintf(" (%s container %s)", st.Runtime, network.GatewayService)
		}
		fmt.Fprintf(opts.IO.Out, "running     %v%s\nurl         %s\nready       %v  %s\nconfig      %s\n", st.Running, how, st.URL, st.Ready, st.Detail, st.Config)
	}
	if !st.Ready {
		return &cmdutil.ExitError{Code: cmdutil.ExitFailure, Err: fmt.Errorf("the gateway service is not ready: %s", st.Detail)}
	}
	return nil
}

// ready asks the service's /readyz.
func ready(ctx context.Context, url string) (bool, string) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/readyz", nil)
	if err != nil {
		return false, err.Error()
	}
	resp, err := http.DefaultClient.Do(req)
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
