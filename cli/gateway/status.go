package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/gateway/config"
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
	opts := &StatusOptions{IO: f.IO, Home: f.Home}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show whether the gateway service runs and is ready",
		Long: `Show the gateway service's PID, URL and readiness (a peer answers a query). Exits with
status 1 when it is not running or not ready.`,
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
	Running bool   `json:"running"`
	PID     int    `json:"pid,omitempty"`
	URL     string `json:"url,omitempty"`
	Ready   bool   `json:"ready"`
	Detail  string `json:"detail,omitempty"`
	Config  string `json:"config"`
}

func statusRun(ctx context.Context, opts *StatusOptions) error {
	home, err := opts.Home()
	if err != nil {
		return err
	}
	f := filesOf(home)
	st := Status{Config: f.config()}
	p, running := network.Running(home, processName)
	st.Running, st.PID = running, p.PID
	if cfg, err := config.Load(f.config(), func(string) string { return "" }); err == nil {
		st.URL = "http://" + cfg.Listen
	}
	switch {
	case !running:
		st.Detail = "not running; start it with `cxl gateway up`"
	case st.URL == "":
		st.Detail = "no valid configuration at " + f.config()
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
		pid := ""
		if st.Running {
			pid = fmt.Sprintf(" (pid %d)", st.PID)
		}
		fmt.Fprintf(opts.IO.Out, "running     %v%s\nurl         %s\nready       %v  %s\nconfig      %s\n", st.Running, pid, st.URL, st.Ready, st.Detail, st.Config)
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
