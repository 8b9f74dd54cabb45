package network

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
)

// composeCommand is the Docker Compose command cxl runs: CXL_COMPOSE when set (e.g.
// "docker compose" for Compose v2), else docker-compose when it is installed, else
// `docker compose`.
func composeCommand() []string {
	if c := strings.Fields(os.Getenv("CXL_COMPOSE")); len(c) > 0 {
		return c
	}
	if _, err := exec.LookPath("docker-compose"); err == nil {
		return []string{"docker-compose"}
	}
	return []string{"docker", "compose"}
}

// hostGateway is the Docker host's address as the containers reach it: CXL_HOST_GATEWAY
// when set (an IPv4 address), else the IPv4 address of Docker's default bridge, docker0
// (what Docker's own "host-gateway" names), else DefaultHostGateway (a remote Docker
// daemon). The other hosts' published ports are published there and dialled there.
func hostGateway() (string, error) {
	if v := os.Getenv("CXL_HOST_GATEWAY"); v != "" {
		ip := net.ParseIP(v)
		if ip == nil || ip.To4() == nil || ip.IsUnspecified() {
			return "", fmt.Errorf("CXL_HOST_GATEWAY=%q: want an IPv4 address of the Docker host that containers reach", v)
		}
		return ip.String(), nil
	}
	iface, err := net.InterfaceByName("docker0")
	if err != nil {
		return DefaultHostGateway, nil
	}
	addrs, err := iface.Addrs()
	if err != nil {
		return DefaultHostGateway, nil
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil {
			return n.IP.String(), nil
		}
	}
	return DefaultHostGateway, nil
}

// composeRunner runs a Docker network: one Compose service per node and per
// organisation's chaincode server, in the project recorded in compose.env.
type composeRunner struct {
	home    Home
	t       Topology
	project composeProject
}

// compose runs a Compose subcommand on the project.
func (r *composeRunner) compose(ctx context.Context, args ...string) ([]byte, error) {
	c := composeCommand()
	full := append(append(append(c[1:len(c):len(c)], "--project-name", r.project.name), r.project.fileArgs()...),
		append([]string{"--env-file", r.project.envFile}, args...)...)
	cmd := exec.CommandContext(ctx, c[0], full...)
	env, err := r.environ()
	if err != nil {
		return nil, err
	}
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s %s: %w: %s", strings.Join(c, " "), strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

func (r *composeRunner) Running(ctx context.Context, node string) (bool, error) {
	states, err := r.states(ctx)
	if err != nil {
		return false, err
	}
	return states[node].running, nil
}

func (r *composeRunner) Kill(ctx context.Context, node string) error {
	return r.act(ctx, "kill", node)
}

func (r *composeRunner) Stop(ctx context.Context, node string) error {
	return r.act(ctx, "stop", "--timeout", "10", node)
}

func (r *composeRunner) Start(ctx context.Context, node string) error {
	return r.act(ctx, "start", node)
}

func (r *composeRunner) Pause(ctx context.Context, node string) error {
	return r.act(ctx, "pause", node)
}

func (r *composeRunner) Resume(ctx context.Context, node string) error {
	return r.act(ctx, "unpause", node)
}

// act runs a Compose subcommand on one node's service, or a member's gateway service's.
func (r *composeRunner) act(ctx context.Context, args ...string) error {
	node := args[len(args)-1]
	if _, _, ok := r.t.nodeNamed(node); !ok && !slices.Contains(r.t.GatewayServices(), node) {
		return fmt.Errorf("no node %s in the network", node)
	}
	_, err := r.compose(ctx, args...)
	return err
}

// StartService creates and starts, or starts again, one service of the Docker network in
// home (docker compose up --detach --no-deps): a member's gateway service, once `cxl gateway
// up` wrote its configuration.
func StartService(ctx context.Context, home Home, service string) error {
	r, err := OpenSupervisor(home)
	if err != nil {
		return err
	}
	c, ok := r.(*composeRunner)
	if !ok {
		return fmt.Errorf("no Docker network in %s", home)
	}
	_, err = c.compose(ctx, "up", "--detach", "--no-deps", service)
	return err
}

// states asks Docker for every container of the project, by service.
func (r *composeRunner) states(ctx context.Context) (map[string]procState, error) {
	containers, err := projectContainers(ctx, r.project.name)
	if err != nil {
		return nil, err
	}
	states := map[string]procState{}
	for _, c := range containers {
		states[c.Service] = procState{running: c.State == "running" || c.State == "paused", container: c.ID}
	}
	return states, nil
}

func (r *composeRunner) startNodes(ctx context.Context, nodes []Node) error {
	args := []string{"up", "--detach", "--no-deps"}
	for _, n := range nodes {
		args = append(args, n.Name)
	}
	_, err := r.compose(ctx, args...)
	return err
}

// serve records d's version in compose.env and brings the chaincode services up with it:
// Compose recreates a running server whose version changed. The package ID does not change
// between definitions under Docker, so the peers reconnect to the new container as they
// did to the old one.
//
// The baseline's servers have their own services, whose package IDs compose.env carries
// from the start and which report no version: they are only brought up.
func (r *composeRunner) serve(ctx context.Context, d Deployment) error {
	if d.isBaseline() {
		_, err := r.compose(ctx, append([]string{"up", "--detach", "--no-deps"}, r.servers(d)...)...)
		return err
	}
	if err := writeComposeEnv(r.home, r.t, r.project, d.Version); err != nil {
		return err
	}
	_, err := r.compose(ctx, append([]string{"up", "--detach", "--no-deps"}, r.servers(d)...)...)
	return err
}

// retire has nothing to stop: one container per organisation serves every definition.
func (r *composeRunner) retire(context.Context, Deployment) error { return nil }

func (r *composeRunner) servers(d Deployment) []string {
	var names []string
	for _, org := range r.t.PeerOrgs() {
		if d.isBaseline() {
			names = append(names, baselineService(org))
		} else {
			names = append(names, chaincodeService(org))
		}
	}
	return names
}

// down removes the project's containers and network, and with purge its volumes, then
// checks that Docker holds nothing of the project any more.
func (r *composeRunner) down(ctx context.Context, purge bool) error {
	args := []string{"down", "--remove-orphans", "--timeout", "10"}
	if purge {
		args = append(args, "--volumes")
	}
	if _, err := r.compose(ctx, args...); err != nil {
		return err
	}
	left, err := projectResources(ctx, r.project.name, purge)
	if err != nil {
		return err
	}
	if len(left) > 0 {
		return fmt.Errorf("docker compose down left %s behind", strings.Join(left, ", "))
	}
	return nil
}

func (r *composeRunner) logHint(name string) string {
	return fmt.Sprintf("`cxl network logs %s`", name)
}

// environ is cxl's environment without the variables compose.env sets: Compose would let
// them override the file (a CXL_HOME exported for cxl, say, would move every mount).
func (r *composeRunner) environ() ([]string, error) {
	data, err := os.ReadFile(r.project.envFile)
	if err != nil {
		return nil, fmt.Errorf("read compose env: %w", err)
	}
	set := map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		if name, _, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(name, "#") {
			set[name] = true
		}
	}
	var env []string
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); !set[name] {
			env = append(env, kv)
		}
	}
	return env, nil
}

// ComposeLogs writes the last lines of the log of one Compose service of the Docker network
// in home (a node's host name, chaincode.<org domain>, cxl-gateway-<org>, ...), and keeps
// following it with follow until ctx ends: `docker logs` of the service's container,
// whichever host it runs on. A container cut off from its network still has its log.
func ComposeLogs(ctx context.Context, home Home, service string, lines int, follow bool, w io.Writer) error {
	p, err := loadCompose(home)
	if err != nil {
		return err
	}
	containers, err := projectContainers(ctx, p.name)
	if err != nil {
		return err
	}
	id := ""
	for _, c := range containers {
		if c.Service == service {
			id = c.ID
		}
	}
	if id == "" {
		return fmt.Errorf("no container of %s in Compose project %s", service, p.name)
	}
	args := []string{"logs", "--tail", strconv.Itoa(lines)}
	if follow {
		args = append(args, "--follow")
	}
	cmd := exec.CommandContext(ctx, "docker", append(args, id)...)
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Run(); err != nil && ctx.Err() == nil {
		return fmt.Errorf("logs of %s: %w", service, err)
	}
	return nil
}

// ComposeServices lists the Compose services of the Docker network in home that have a
// container, running or not: those with a log.
func ComposeServices(ctx context.Context, home Home) ([]string, error) {
	p, err := loadCompose(home)
	if err != nil {
		return nil, err
	}
	containers, err := projectContainers(ctx, p.name)
	if err != nil {
		return nil, err
	}
	var services []string
	for _, c := range containers {
		if !slices.Contains(services, c.Service) {
			services = append(services, c.Service)
		}
	}
	slices.Sort(services)
	return services, nil
}

// container is one line of `docker ps --format '{{json .}}'`, reduced to what cxl reads.
type container struct {
	ID      string
	Service string
	State   string
}

// projectContainers lists every container, running or not, of a Compose project.
func projectContainers(ctx context.Context, project string) ([]container, error) {
	out, err := dockerLines(ctx, "ps", "--all", "--no-trunc", "--filter", "label=com.docker.compose.project="+project,
		"--format", `{"ID":"{{.ID}}","Service":"{{.Label "com.docker.compose.service"}}","State":"{{.State}}"}`)
	if err != nil {
		return nil, err
	}
	var cs []container
	for _, line := range out {
		var c container
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			return nil, fmt.Errorf("parse docker ps: %w", err)
		}
		c.ID = c.ID[:min(12, len(c.ID))]
		cs = append(cs, c)
	}
	return cs, nil
}

// projectResources lists what Docker still holds of a Compose project: its containers and
// networks, and with volumes its volumes. An empty list means the project is gone.
func projectResources(ctx context.Context, project string, volumes bool) ([]string, error) {
	filter := "label=com.docker.compose.project=" + project
	kinds := [][]string{
		{"container", "ps", "--all", "--filter", filter, "--format", "{{.Names}}"},
		{"network", "network", "ls", "--filter", filter, "--format", "{{.Name}}"},
	}
	if volumes {
		kinds = append(kinds, []string{"volume", "volume", "ls", "--filter", filter, "--format", "{{.Name}}"})
	}
	var left []string
	for _, k := range kinds {
		names, err := dockerLines(ctx, k[1:]...)
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			left = append(left, k[0]+" "+n)
		}
	}
	return left, nil
}

// dockerLines runs the docker CLI and returns the non-empty lines it prints.
func dockerLines(ctx context.Context, args ...string) ([]string, error) {
	cmd := exec.CommandContext(ctx, "docker", args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("docker %s: %w: %s", strings.Join(args[:min(2, len(args))], " "), err, strings.TrimSpace(stderr.String()))
	}
	var lines []string
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			lines = append(lines, l)
		}
	}
	return lines, nil
}

// ContainerProcesses lists the main process of every running container of the Docker
// network in home, named by its Compose service, with its PID as the host sees it: what a
// caller reads from /proc to account for the containers' CPU.
func ContainerProcesses(ctx context.Context, home Home) ([]Process, error) {
	p, err := loadCompose(home)
	if err != nil {
		return nil, err
	}
	containers, err := projectContainers(ctx, p.name)
	if err != nil {
		return nil, err
	}
	service := map[string]string{}
	args := []string{"inspect", "--format", "{{.Id}} {{.State.Pid}}"}
	for _, c := range containers {
		if c.State == "running" {
			service[c.ID] = c.Service
			args = append(args, c.ID)
		}
	}
	if len(service) == 0 {
		return nil, nil
	}
	lines, err := dockerLines(ctx, args...)
	if err != nil {
		return nil, err
	}
	var procs []Process
	for _, line := range lines {
		id, pid, ok := strings.Cut(line, " ")
		n, err := strconv.Atoi(pid)
		if !ok || err != nil || n <= 0 {
			continue
		}
		procs = append(procs, Process{Name: service[id[:min(12, len(id))]], PID: n})
	}
	return procs, nil
}
