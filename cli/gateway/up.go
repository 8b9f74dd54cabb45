package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/network"
)

// UpOptions are the inputs of `cxl gateway up`.
type UpOptions struct {
	IO      *cmdutil.IOStreams
	Home    func() (network.Home, error)
	Repo    func() (string, error)
	Listen  string
	JSON    bool
	Timeout time.Duration
}

// NewCmdUp returns `cxl gateway up`; runF replaces the run function in tests.
func NewCmdUp(f *cmdutil.Factory, runF func(*UpOptions) error) *cobra.Command {
	opts := &UpOptions{IO: f.IO, Home: f.Home, Repo: f.Repo}
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Configure and start the gateway service in front of the network",
		Long: `Build cxl-gateway, write its configuration for the network in CXL_HOME (every peer as a
gateway peer to fail over between, every organisation user as a signing identity, one API
key per identity), start it under the supervisor and wait until it is ready. Prints the URL
and, the first time, a demo API key: all keys are in CXL_HOME/gateway/api-keys.json
(readable by you only); the configuration holds only their SHA-256.

The service listens on 127.0.0.1:8080 plus the network's port offset unless --listen says
otherwise. On a service that is already up it says so and changes nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Listen != "" {
				if _, _, err := net.SplitHostPort(opts.Listen); err != nil {
					return cmdutil.UsageErrorf("--listen %q: want host:port", opts.Listen)
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return upRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Listen, "listen", "", "listen on `host:port` (default 127.0.0.1:8080 + the port offset)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the URL, PID and file locations as JSON")
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", 2*time.Minute, "give up after `duration`")
	return cmd
}

// upResult is what up reports.
type upResult struct {
	URL      string `json:"url"`
	PID      int    `json:"pid"`
	Config   string `json:"config"`
	KeysFile string `json:"keysFile"`
	Log      string `json:"log"`
	// DemoKey is shown only when the keys were created by this run.
	DemoKey *APIKey `json:"demoKey,omitempty"`
	Already bool    `json:"alreadyUp"`
}

func upRun(ctx context.Context, opts *UpOptions) error {
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	home, err := opts.Home()
	if err != nil {
		return err
	}
	prof, err := network.LoadProfile(home)
	if err != nil {
		return err
	}
	listen := opts.Listen
	if listen == "" {
		topo, _, err := network.LoadHomeTopology(home)
		if err != nil {
			return err
		}
		listen = "127.0.0.1:" + strconv.Itoa(basePort+topo.PortOffset)
	}
	f := filesOf(home)
	res := &upResult{URL: "http://" + listen, Config: f.config(), KeysFile: f.keys(), Log: filepath.Join(home.Logs(), processName+".log")}
	if p, ok := network.Running(home, processName); ok {
		res.PID, res.Already = p.PID, true
		fmt.Fprintf(opts.IO.ErrOut, "the gateway service in %s is already up; nothing changed\n", home)
		return printUp(opts, res)
	}
	keys, created, err := loadOrCreateKeys(f, prof)
	if err != nil {
		return err
	}
	cfg := buildConfig(f, prof, keys, listen)
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("configuration for the network in %s:\n%w", home, err)
	}
	if err := cfg.Save(f.config()); err != nil {
		return err
	}
	repo, err := opts.Repo()
	if err != nil {
		return err
	}
	fmt.Fprintln(opts.IO.ErrOut, "building cxl-gateway")
	if err := build(ctx, repo, home); err != nil {
		return err
	}
	if err := network.CheckPortsFree([]int{port(listen)}); err != nil {
		return err
	}
	start := time.Now()
	p, err := network.Start(home, processName, processName, []string{"-config", f.config()}, nil)
	if err != nil {
		return err
	}
	res.PID = p.PID
	if err := waitReady(ctx, home, res); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "gateway service ready in %s\n", time.Since(start).Round(10*time.Millisecond))
	if created {
		for i, k := range keys {
			if k.User == "User1" || i == len(keys)-1 {
				res.DemoKey = &keys[i]
				break
			}
		}
	}
	return printUp(opts, res)
}

func port(listen string) int {
	_, p, _ := net.SplitHostPort(listen)
	n, _ := strconv.Atoi(p)
	return n
}

// build compiles cxl-gateway into the state directory's bin, next to the network's binaries.
func build(ctx context.Context, repo string, home network.Home) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", filepath.Join(home.Bin(), processName), "./cmd/cxl-gateway")
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build cxl-gateway: %w\n%s", err, out.String())
	}
	return nil
}

// waitReady polls /readyz until it answers 200; it fails early, pointing at the log, when
// the process exits.
func waitReady(ctx context.Context, home network.Home, res *upResult) error {
	client := &http.Client{Timeout: 5 * time.Second}
	for {
		resp, err := client.Get(res.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if _, ok := network.Running(home, processName); !ok {
			return fmt.Errorf("cxl-gateway exited during start-up; see %s", res.Log)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cxl-gateway not ready at %s/readyz: %w; see %s", res.URL, errors.Join(ctx.Err(), err), res.Log)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func printUp(opts *UpOptions, res *upResult) error {
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	out := opts.IO.Out
	fmt.Fprintf(out, "gateway     %s  (pid %d)\n", res.URL, res.PID)
	fmt.Fprintf(out, "api         %s/openapi.json\n", res.URL)
	if res.DemoKey != nil {
		k := res.DemoKey
		fmt.Fprintf(out, "demo key    %s  (%s: %s %s; shown once)\n", k.Key, k.Principal, k.MSPID, k.User)
		fmt.Fprintf(out, "try         curl -H 'X-API-Key: %s' %s/v1/health/version\n", k.Key, res.URL)
	}
	fmt.Fprintf(out, "api keys    %s (one per identity, readable by you only)\n", res.KeysFile)
	fmt.Fprintf(out, "log         %s\n", res.Log)
	return nil
}
