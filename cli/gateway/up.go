package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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
	// Org names the one member whose service to start ("": every member's).
	Org string
	// Runtime is native or docker; "" runs the services the way the network runs.
	Runtime string
	Listen  string
	// Replicas, when not 0, runs Org's service as that many processes sharing a private
	// PostgreSQL server (natively; at least 2).
	Replicas int
	JSON     bool
	Timeout  time.Duration
}

// NewCmdUp returns `cxl gateway up`; runF replaces the run function in tests.
func NewCmdUp(f *cmdutil.Factory, runF func(*UpOptions) error) *cobra.Command {
	opts := &UpOptions{IO: f.IO, Home: network.HomeAt(f.Home), Repo: f.Repo}
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Configure and start each member's gateway service in front of the network",
		Long: `Write the configuration of one cxl-gateway per organisation of the network in CXL_HOME
(or only --org's), start them and wait until each is ready. A member's service holds only
its own organisation's identities (its Admin and users) and API keys, submits through its
own organisation's peers, and lives in CXL_HOME/gateway/<org> (gateway.yaml, the store,
api-keys.json readable by you only, the vault, tls/). Prints each URL and, the first time, a
demo API key: the configuration holds only the keys' SHA-256.

Member i of the topology listens on 8080+i plus the network's port offset. The services run
the way the network runs, unless --runtime says otherwise: natively as processes under the
supervisor (run/cxl-gateway-<org>.pid, logs/cxl-gateway-<org>.log) on 127.0.0.1, or --listen
with --org; under Docker as the Compose services cxl-gateway-<org>, which mount only their
own state directory, their organisation's users and the peers' public TLS roots, and are
published on 127.0.0.1. A service that listens beyond the loopback (always under Docker)
serves HTTPS with a certificate signed by its organisation's TLS CA: clients verify it
with that CA's certificate (--gateway-ca).

With --replicas N (2 to 10, with --org, natively) the member's service runs as N processes
sharing its idempotency records and pending transactions in a private PostgreSQL server of
Debian's package ('make postgres' installs it; without it up fails with NOT_FOUND and
changes nothing): its data in CXL_HOME/gateway/<org>/postgres with a generated password in
the password file pgpass there (readable by you only; it is in no log, no argument and no
environment), listening on 127.0.0.1:8090+i (plus the offset) under the supervisor
(run/postgres-<org>.pid, logs/postgres-<org>.log; as root it runs as the postgres user).
Replica r listens on 127.0.0.1:8100+10i+r-1 (plus the offset) as
run/cxl-gateway-<org>-replica<r>.pid with CXL_GATEWAY_STORE_URL naming the server. A member
runs either one process or replicas: stop one with 'cxl gateway down --org <org>' before
starting the other. 'cxl network down --purge' removes the server's data.

State of the single gateway service of earlier versions (CXL_HOME/gateway/gateway.yaml and
its keys) is not carried over. On a service that is already up it says so and changes
nothing.`,
		Example: `  cxl gateway up
  cxl gateway up --org Org2
  cxl gateway up --org Org1 --listen 0.0.0.0:8443
  cxl gateway up --org Org1 --replicas 3`,
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
					return cmdutil.UsageErrorf("--listen applies to a native service; each container publishes its member's port")
				}
			default:
				return cmdutil.UsageErrorf("--runtime %q: want native or docker", opts.Runtime)
			}
			if opts.Listen != "" && opts.Org == "" {
				return cmdutil.UsageErrorf("--listen needs --org: every member's service has its own address")
			}
			if err := checkReplicas(cmd, opts); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return upRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Org, "org", "", "start only this organisation's service (`name` or MSP ID)")
	cmd.Flags().StringVar(&opts.Runtime, "runtime", "", "run the services as `native` processes or docker containers (default: as the network runs)")
	cmd.Flags().StringVar(&opts.Listen, "listen", "", "listen on `host:port` (native, with --org; beyond the loopback with TLS)")
	cmd.Flags().IntVar(&opts.Replicas, "replicas", 0, "run --org's service as `N` processes (2-10) sharing a private PostgreSQL server (native)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print each service's URL, PID and file locations as JSON")
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", 2*time.Minute, "give up after `duration`")
	return cmd
}

// upResult is what up reports of one member's service.
type upResult struct {
	Org     string          `json:"org"`
	MSPID   string          `json:"mspId"`
	URL     string          `json:"url"`
	Runtime network.Runtime `json:"runtime"`
	// PID is the native process's; Service the Compose service under Docker.
	PID     int    `json:"pid,omitempty"`
	Service string `json:"service,omitempty"`
	Config  string `json:"config"`
	// KeysFile holds the member's API keys; TLSRoot verifies its HTTPS (none on plain
	// HTTP).
	KeysFile string `json:"keysFile"`
	TLSRoot  string `json:"tlsRoot,omitempty"`
	Log      string `json:"log"`
	// DemoKey is shown only when the keys were created by this run.
	DemoKey *APIKey `json:"demoKey,omitempty"`
	Already bool    `json:"alreadyUp"`
	// Replicas are the processes of a service run in replicas (URL is the first's), and
	// Store the PostgreSQL server they share.
	Replicas []*replicaResult `json:"replicas,omitempty"`
	Store    *storeResult     `json:"store,omitempty"`
}

// replicaResult is one replica of a member's service.
type replicaResult struct {
	Replica int    `json:"replica"`
	URL     string `json:"url"`
	PID     int    `json:"pid"`
	Log     string `json:"log"`
	Already bool   `json:"alreadyUp"`
}

// storeResult is the PostgreSQL server a member's replicas share.
type storeResult struct {
	// URL is the connection string the replicas get: it names the password file, never the
	// password.
	URL      string `json:"url"`
	PID      int    `json:"pid"`
	Data     string `json:"data"`
	PassFile string `json:"passFile"`
	Log      string `json:"log"`
}

// upReport is what up prints with --json.
type upReport struct {
	Gateways []*upResult `json:"gateways"`
}

// startup is a member's service up has started and waits for.
type startup struct {
	m   member
	s   site
	res *upResult
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
	ms, err := members(home, topo, prof, opts.Org)
	if err != nil {
		return err
	}
	if p, ok := network.Running(home, legacyProcess); ok {
		return fmt.Errorf("the single gateway service of every organisation of an earlier version runs in %s (pid %d); stop it with `cxl gateway down` first", home, p.PID)
	}
	if _, err := os.Stat(home.Path("gateway", "gateway.yaml")); err == nil {
		fmt.Fprintf(opts.IO.ErrOut, "note: %s and its API keys belong to the single gateway service of earlier versions and are not used; each member's service has its own under %s/<org>\n",
			home.Path("gateway", "gateway.yaml"), home.Path("gateway"))
	}
	if opts.Replicas > 0 {
		res, err := upReplicas(ctx, opts, home, topo, prof, ms[0])
		if err != nil {
			return err
		}
		return printUp(opts, upReport{Gateways: []*upResult{res}})
	}
	var report upReport
	var started []startup
	built := false
	for _, m := range ms {
		if res, err := replicasUp(home, topo, m); err != nil || res != nil {
			if err != nil {
				return err
			}
			up := 0
			for _, r := range res.Replicas {
				if r.Already {
					up++
				}
			}
			fmt.Fprintf(opts.IO.ErrOut, "the gateway service of %s runs in replicas (%d of %d running); nothing changed (`cxl gateway up --org %s --replicas %d` starts the stopped ones)\n",
				m.org.Name, up, len(res.Replicas), m.org.Name, len(res.Replicas))
			report.Gateways = append(report.Gateways, res)
			continue
		}
		s, err := siteFor(home, topo, m, network.Runtime(opts.Runtime), opts.Listen)
		if err != nil {
			return err
		}
		res := &upResult{Org: m.org.Name, MSPID: m.org.MSPID, URL: s.url, Runtime: s.runtime, Config: m.config(), KeysFile: m.keys(), Log: s.log(home, m)}
		if s.tls != nil {
			res.TLSRoot = m.tlsRoot(home)
		}
		if s.runtime == network.Docker {
			res.Service = network.GatewayService(m.org)
		}
		report.Gateways = append(report.Gateways, res)
		if at, running, pid := find(ctx, home, topo, m); running {
			if at.runtime != s.runtime {
				return fmt.Errorf("the gateway service of %s in %s already runs %s; stop it with `cxl gateway down --org %s` first", m.org.Name, home, at.runtime, m.org.Name)
			}
			res.URL, res.PID, res.Already = at.url, pid, true
			if at.tls == nil {
				res.TLSRoot = ""
			}
			fmt.Fprintf(opts.IO.ErrOut, "the gateway service of %s is already up; nothing changed\n", m.org.Name)
			continue
		}
		keys, created, err := loadOrCreateKeys(m)
		if err != nil {
			return err
		}
		if s.tls != nil {
			if _, err := ensureCert(home, m, tlsHosts(s, m), time.Now()); err != nil {
				return err
			}
		}
		cfg, err := buildConfig(s, m, prof, keys, os.Getenv)
		if err != nil {
			return err
		}
		local, err := buildConfig(s.onHost(m), m, prof, keys, os.Getenv)
		if err != nil {
			return err
		}
		if err := local.Validate(); err != nil {
			return fmt.Errorf("configuration of %s's gateway service for the network in %s:\n%w", m.org.Name, home, err)
		}
		if err := cfg.Save(m.config()); err != nil {
			return err
		}
		if err := network.CheckPortsFree([]int{port(s.url)}); err != nil {
			return err
		}
		if s.runtime == network.Native && !built {
			if err := buildGateway(ctx, opts, home); err != nil {
				return err
			}
			built = true
		}
		if res.PID, err = s.start(ctx, home, m); err != nil {
			return err
		}
		if created {
			for i, k := range keys {
				if k.User == "User1" || i == len(keys)-1 {
					res.DemoKey = &keys[i]
					break
				}
			}
		}
		started = append(started, startup{m: m, s: s, res: res})
	}
	begin := time.Now()
	for _, st := range started {
		client, err := st.s.client(home, st.m, 5*time.Second)
		if err != nil {
			return err
		}
		running := func() bool { ok, _ := st.s.running(ctx, home, st.m); return ok }
		if err := waitReady(ctx, client, st.s.url, running, st.res.Log); err != nil {
			return fmt.Errorf("the gateway service of %s: %w", st.m.org.Name, err)
		}
	}
	if len(started) > 0 {
		fmt.Fprintf(opts.IO.ErrOut, "%d gateway service(s) ready in %s\n", len(started), time.Since(begin).Round(10*time.Millisecond))
	}
	return printUp(opts, report)
}

// siteFor is where up runs m's service: runtime, or the network's.
func siteFor(home network.Home, topo network.Topology, m member, runtime network.Runtime, listen string) (site, error) {
	if runtime == "" {
		runtime = topo.Runtime
	}
	if runtime == network.Docker {
		if topo.Runtime != network.Docker {
			return site{}, fmt.Errorf("the network in %s runs natively; the gateway containers need the Docker network (`cxl network up --docker`)", home)
		}
		return dockerSite(home, topo, m), nil
	}
	if listen == "" {
		listen = fmt.Sprintf("127.0.0.1:%d", topo.GatewayHostPort(m.org))
	}
	return nativeSite(m, listen), nil
}

// start starts m's service at s: natively under the supervisor, returning its PID; under
// Docker, its gateway container.
func (s site) start(ctx context.Context, home network.Home, m member) (int, error) {
	if s.runtime == network.Docker {
		return 0, network.StartService(ctx, home, network.GatewayService(m.org))
	}
	p, err := network.Start(home, m.process(), "cxl-gateway", []string{"-config", m.config()}, nil)
	return p.PID, err
}

// client is an HTTP client of m's service at s: it verifies HTTPS against the
// organisation's TLS root only.
func (s site) client(home network.Home, m member, timeout time.Duration) (*http.Client, error) {
	if s.tls == nil {
		return &http.Client{Timeout: timeout}, nil
	}
	return httpClient(m.tlsRoot(home), timeout)
}

// running reports whether m's service runs at s, and its PID natively.
func (s site) running(ctx context.Context, home network.Home, m member) (bool, int) {
	if s.runtime == network.Docker {
		sup, err := network.OpenSupervisor(home)
		if err != nil {
			return false, 0
		}
		ok, err := sup.Running(ctx, network.GatewayService(m.org))
		return ok && err == nil, 0
	}
	p, ok := network.Running(home, m.process())
	return ok, p.PID
}

// log says where m's service's log is.
func (s site) log(home network.Home, m member) string {
	if s.runtime == network.Docker {
		return "cxl network logs " + network.GatewayService(m.org)
	}
	return filepath.Join(home.Logs(), m.process()+".log")
}

// find returns where m's service runs, if it does: as a native process (its address from
// its configuration), or as its gateway container of the Docker network.
func find(ctx context.Context, home network.Home, topo network.Topology, m member) (s site, running bool, pid int) {
	if p, ok := network.Running(home, m.process()); ok {
		listen := ""
		if cfg, err := config.Load(m.config(), func(string) string { return "" }); err == nil {
			listen = cfg.Listen
		}
		return nativeSite(m, listen), true, p.PID
	}
	if topo.Runtime == network.Docker {
		s := dockerSite(home, topo, m)
		running, _ := s.running(ctx, home, m)
		return s, running, 0
	}
	return site{}, false, 0
}

func port(u string) int {
	parsed, err := url.Parse(u)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(parsed.Port())
	return n
}

// buildGateway compiles cxl-gateway into the state directory's bin, next to the network's
// binaries.
func buildGateway(ctx context.Context, opts *UpOptions, home network.Home) error {
	repo, err := opts.Repo()
	if err != nil {
		return err
	}
	fmt.Fprintln(opts.IO.ErrOut, "building cxl-gateway")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", filepath.Join(home.Bin(), "cxl-gateway"), "./cmd/cxl-gateway")
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build cxl-gateway: %w\n%s", err, out.String())
	}
	return nil
}

// WaitReady polls url's /readyz over plain HTTP until it answers 200. It fails early,
// pointing at log, when running says the service is no longer running, and when ctx ends.
func WaitReady(ctx context.Context, url string, running func() bool, log string) error {
	return waitReady(ctx, &http.Client{Timeout: 5 * time.Second}, url, running, log)
}

// waitReady is WaitReady through client.
func waitReady(ctx context.Context, client *http.Client, url string, running func() bool, log string) error {
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

func printUp(opts *UpOptions, report upReport) error {
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(report)
	}
	out := opts.IO.Out
	for i, res := range report.Gateways {
		if i > 0 {
			fmt.Fprintln(out)
		}
		how := fmt.Sprintf("%s container %s", res.Runtime, res.Service)
		switch {
		case len(res.Replicas) > 0:
			how = fmt.Sprintf("%d replicas", len(res.Replicas))
		case res.PID != 0:
			how = fmt.Sprintf("pid %d", res.PID)
		}
		fmt.Fprintf(out, "%-11s %s  (%s)\n", res.Org, res.URL, how)
		for _, r := range res.Replicas {
			fmt.Fprintf(out, "  replica %d %s  (pid %d, log %s)\n", r.Replica, r.URL, r.PID, r.Log)
		}
		if st := res.Store; st != nil {
			fmt.Fprintf(out, "  store     PostgreSQL pid %d, data %s, password file %s (readable by you only)\n", st.PID, st.Data, st.PassFile)
		}
		fmt.Fprintf(out, "  api       %s/openapi.json\n", res.URL)
		fmt.Fprintf(out, "  api keys  %s (one per identity of %s, readable by you only)\n", res.KeysFile, res.MSPID)
		cacert := ""
		if res.TLSRoot != "" {
			fmt.Fprintf(out, "  tls root  %s (verify the service with it: cxl --gateway-ca, curl --cacert)\n", res.TLSRoot)
			cacert = " --cacert " + res.TLSRoot
		}
		if k := res.DemoKey; k != nil {
			fmt.Fprintf(out, "  demo key  %s  (%s: %s %s; shown once)\n", k.Key, k.Principal, k.MSPID, k.User)
			fmt.Fprintf(out, "  try       curl%s -H 'X-API-Key: %s' %s/v1/health/version\n", cacert, k.Key, res.URL)
		}
		fmt.Fprintf(out, "  log       %s\n", res.Log)
	}
	return nil
}
