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
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/gateway/config"
	"github.com/cxledger/cxledger/network"
)

// UpOptions are the inputs of `cxl gateway up`.
type UpOptions struct {
	IO   *cmdutil.IOStreams
	Home func() (network.Home, error)
	Repo func() (string, error)
	// Runtime is native or docker; "" runs the service the way the network runs.
	Runtime string
	Listen  string
	JSON    bool
	Timeout time.Duration
}

// NewCmdUp returns `cxl gateway up`; runF replaces the run function in tests.
func NewCmdUp(f *cmdutil.Factory, runF func(*UpOptions) error) *cobra.Command {
	opts := &UpOptions{IO: f.IO, Home: network.HomeAt(f.Home), Repo: f.Repo}
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Configure and start the gateway service in front of the network",
		Long: `Write the configuration of cxl-gateway for the network in CXL_HOME (every peer as a gateway
peer to fail over between, every organisation user as a signing identity, one API key per
identity, and the CXL_GATEWAY_* settings of this environment), start it and wait until it is
ready. Prints the URL and, the first time, a demo API key: all keys are in
CXL_HOME/gateway/api-keys.json (readable by you only); the configuration holds only their
SHA-256.

The service runs the way the network runs, unless --runtime says otherwise: natively as a
process under the supervisor (run/cxl-gateway.pid, logs/cxl-gateway.log) listening on
127.0.0.1:8080 plus the network's port offset, or --listen; under Docker as the gateway
container of the network's Compose project (image cxledger/gateway), which reaches the peers
by their names in the project's network, mounts CXL_HOME/gateway (configuration and store)
and the crypto material, and publishes 127.0.0.1:8080 plus the offset (CXL_GATEWAY_PORT).
On a service that is already up it says so and changes nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Listen != "" {
				if _, _, err := net.SplitHostPort(opts.Listen); err != nil {
					return cmdutil.UsageErrorf("--listen %q: want host:port", opts.Listen)
				}
			}
			switch network.Runtime(opts.Runtime) {
			case "", network.Native:
			case network.Docker:
				if opts.Listen != "" {
					return cmdutil.UsageErrorf("--listen applies to a native service; the container publishes CXL_GATEWAY_PORT")
				}
			default:
				return cmdutil.UsageErrorf("--runtime %q: want native or docker", opts.Runtime)
			}
			if runF != nil {
				return runF(opts)
			}
			return upRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Runtime, "runtime", "", "run the service as a `native` process or a `docker` container (default: as the network runs)")
	cmd.Flags().StringVar(&opts.Listen, "listen", "", "listen on `host:port` (native; default 127.0.0.1:8080 + the port offset)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the URL, PID and file locations as JSON")
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", 2*time.Minute, "give up after `duration`")
	return cmd
}

// upResult is what up reports.
type upResult struct {
	URL     string          `json:"url"`
	Runtime network.Runtime `json:"runtime"`
	// PID is the native process's.
	PID      int    `json:"pid,omitempty"`
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
	topo, _, err := network.LoadHomeTopology(home)
	if err != nil {
		return err
	}
	s, err := siteFor(home, topo, network.Runtime(opts.Runtime), opts.Listen)
	if err != nil {
		return err
	}
	f := filesOf(home)
	res := &upResult{URL: s.url, Runtime: s.runtime, Config: f.config(), KeysFile: f.keys(), Log: s.log(home)}
	if at, running, pid := find(ctx, home); running {
		if at.runtime != s.runtime {
			return fmt.Errorf("the gateway service in %s already runs %s; stop it with `cxl gateway down` first", home, at.runtime)
		}
		res.URL, res.PID, res.Already = at.url, pid, true
		fmt.Fprintf(opts.IO.ErrOut, "the gateway service in %s is already up; nothing changed\n", home)
		return printUp(opts, res)
	}
	keys, created, err := loadOrCreateKeys(f, prof)
	if err != nil {
		return err
	}
	cfg, err := buildConfig(s, prof, keys, os.Getenv)
	if err != nil {
		return err
	}
	local, err := buildConfig(s.onHost(home), prof, keys, os.Getenv)
	if err != nil {
		return err
	}
	if err := local.Validate(); err != nil {
		return fmt.Errorf("configuration for the network in %s:\n%w", home, err)
	}
	if err := cfg.Save(f.config()); err != nil {
		return err
	}
	if err := network.CheckPortsFree([]int{port(s.url)}); err != nil {
		return err
	}
	start := time.Now()
	if res.PID, err = s.start(ctx, opts, home); err != nil {
		return err
	}
	running := func() bool { ok, _ := s.running(ctx, home); return ok }
	if err := WaitReady(ctx, s.url, running, res.Log); err != nil {
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

// siteFor is where up runs the service: runtime, or the network's.
func siteFor(home network.Home, topo network.Topology, runtime network.Runtime, listen string) (site, error) {
	if runtime == "" {
		runtime = topo.Runtime
	}
	if runtime == network.Docker {
		if topo.Runtime != network.Docker {
			return site{}, fmt.Errorf("the network in %s runs natively; the gateway container needs the Docker network (`cxl network up --docker`)", home)
		}
		return dockerSite(home, topo), nil
	}
	if listen == "" {
		listen = fmt.Sprintf("127.0.0.1:%d", network.GatewayPort+topo.PortOffset)
	}
	return nativeSite(home, listen), nil
}

// start starts the service at s: natively, it builds cxl-gateway and starts it under the
// supervisor, returning its PID; under Docker, it starts the gateway container.
func (s site) start(ctx context.Context, opts *UpOptions, home network.Home) (int, error) {
	if s.runtime == network.Docker {
		return 0, network.StartService(ctx, home, network.GatewayService)
	}
	repo, err := opts.Repo()
	if err != nil {
		return 0, err
	}
	fmt.Fprintln(opts.IO.ErrOut, "building cxl-gateway")
	if err := build(ctx, repo, home); err != nil {
		return 0, err
	}
	p, err := network.Start(home, processName, processName, []string{"-config", filesOf(home).config()}, nil)
	return p.PID, err
}

// running reports whether the service runs at s, and its PID natively.
func (s site) running(ctx context.Context, home network.Home) (bool, int) {
	if s.runtime == network.Docker {
		sup, err := network.OpenSupervisor(home)
		if err != nil {
			return false, 0
		}
		ok, err := sup.Running(ctx, network.GatewayService)
		return ok && err == nil, 0
	}
	p, ok := network.Running(home, processName)
	return ok, p.PID
}

// log says where the service's log is.
func (s site) log(home network.Home) string {
	if s.runtime == network.Docker {
		return "cxl network logs " + network.GatewayService
	}
	return filepath.Join(home.Logs(), processName+".log")
}

// find returns where the service of home runs, if it does: as a native process (its
// address from the configuration), or as the Docker network's gateway container.
func find(ctx context.Context, home network.Home) (s site, running bool, pid int) {
	if p, ok := network.Running(home, processName); ok {
		listen := ""
		if cfg, err := config.Load(filesOf(home).config(), func(string) string { return "" }); err == nil {
			listen = cfg.Listen
		}
		return nativeSite(home, listen), true, p.PID
	}
	if topo, ok, err := network.LoadHomeTopology(home); err == nil && ok && topo.Runtime == network.Docker {
		s := dockerSite(home, topo)
		running, _ := s.running(ctx, home)
		return s, running, 0
	}
	return site{}, false, 0
}

func port(url string) int {
	_, p, _ := net.SplitHostPort(strings.TrimPrefix(url, "http://"))
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

// WaitReady polls url's /readyz until it answers 200. It fails early, pointing at log,
// when running says the service is no longer running, and when ctx ends.
func WaitReady(ctx context.Context, url string, running func() bool, log string) error {
	client := &http.Client{Timeout: 5 * time.Second}
	for {
		resp, err := client.Get(url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if !running() {
			return fmt.Errorf("cxl-gateway exited during start-up; see %s", log)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cxl-gateway not ready at %s/readyz: %w; see %s", url, errors.Join(ctx.Err(), err), log)
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
	if res.PID != 0 {
		fmt.Fprintf(out, "gateway     %s  (pid %d)\n", res.URL, res.PID)
	} else {
		fmt.Fprintf(out, "gateway     %s  (%s container %s)\n", res.URL, res.Runtime, network.GatewayService)
	}
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
