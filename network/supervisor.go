package network

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Process is one supervised process of the network, recorded by a PID file under the state
// directory so that a later command (`cxl network down`) finds it again.
type Process struct {
	// Name identifies the process, e.g. "peer0.org1.example.com" or "chaincode.Org1MSP.2".
	Name string
	// PID is the process ID while it runs, 0 otherwise.
	PID int
}

// Start launches a binary from the bin directory as a detached process in its own session,
// writing its output to logs/<name>.log and its PID to run/<name>.pid.
func Start(home Home, name, binary string, args, env []string) (Process, error) {
	if p, ok := Running(home, name); ok {
		return p, nil
	}
	for _, dir := range []string{home.Logs(), home.Run()} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return Process{}, fmt.Errorf("create %s: %w", dir, err)
		}
	}
	logFile, err := os.OpenFile(filepath.Join(home.Logs(), name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return Process{}, fmt.Errorf("open log for %s: %w", name, err)
	}
	defer logFile.Close()
	cmd, err := hostCommand(home, name, filepath.Join(home.Bin(), binary), args)
	if err != nil {
		return Process{}, err
	}
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return Process{}, fmt.Errorf("start %s: %w", name, err)
	}
	pid := cmd.Process.Pid
	// The process outlives this command; release it so no zombie is left behind when it
	// exits while we still run.
	go func() { _ = cmd.Wait() }()
	if err := os.WriteFile(pidFile(home, name), []byte(strconv.Itoa(pid)), 0o644); err != nil {
		return Process{}, fmt.Errorf("record PID of %s: %w", name, err)
	}
	return Process{Name: name, PID: pid}, nil
}

func pidFile(home Home, name string) string { return filepath.Join(home.Run(), name+".pid") }

// Running reports whether the process recorded under name is alive.
func Running(home Home, name string) (Process, bool) {
	data, err := os.ReadFile(pidFile(home, name))
	if err != nil {
		return Process{Name: name}, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return Process{Name: name}, false
	}
	if !alive(pid) {
		return Process{Name: name}, false
	}
	return Process{Name: name, PID: pid}, true
}

// alive reports whether pid is a live process (not a zombie).
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// The state is the field after the parenthesised command name.
	s := string(stat)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z'
	}
	return true
}

// Processes lists every process with a PID file, alive or not.
func Processes(home Home) ([]Process, error) {
	entries, err := os.ReadDir(home.Run())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list PID files: %w", err)
	}
	var procs []Process
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".pid")
		if !ok {
			continue
		}
		p, _ := Running(home, name)
		procs = append(procs, p)
	}
	return procs, nil
}

// Stop ends the process recorded under name: SIGTERM, then SIGKILL after the grace period.
// Its PID file is removed. Stopping a process that is not running is not an error.
func Stop(home Home, name string, grace time.Duration) error {
	p, ok := Running(home, name)
	defer os.Remove(pidFile(home, name))
	if !ok {
		return nil
	}
	return terminate(p.PID, grace)
}

// Kill sends SIGKILL to the process recorded under name and leaves its PID file, the way a
// crash would; fault tests use it.
func Kill(home Home, name string) error {
	p, ok := Running(home, name)
	if !ok {
		return fmt.Errorf("%s is not running", name)
	}
	if err := syscall.Kill(p.PID, syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill %s (pid %d): %w", name, p.PID, err)
	}
	for deadline := time.Now().Add(5 * time.Second); alive(p.PID) && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

func terminate(pid int, grace time.Duration) error {
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signal pid %d: %w", pid, err)
	}
	deadline := time.Now().Add(grace)
	for alive(pid) {
		if time.Now().After(deadline) {
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
				return fmt.Errorf("kill pid %d: %w", pid, err)
			}
			for kdl := time.Now().Add(5 * time.Second); alive(pid) && time.Now().Before(kdl); {
				time.Sleep(20 * time.Millisecond)
			}
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// CheckPortsFree returns an error naming the first port that something already listens on.
func CheckPortsFree(ports []int) error {
	for _, p := range ports {
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			return fmt.Errorf("port %d is already in use (stop what holds it, or set portOffset / --port-offset)", p)
		}
		l.Close()
	}
	return nil
}

// WaitHealthy polls a node's operations /healthz until it answers 200 and its service port
// accepts connections, or ctx ends. It fails early when the process dies, pointing at its
// log.
func WaitHealthy(ctx context.Context, home Home, n Node) error {
	alive := func() bool { _, ok := Running(home, n.Name); return ok }
	return waitHealthy(ctx, n, alive, filepath.Join(home.Logs(), n.Name+".log"))
}

// waitHealthy polls n's operations /healthz and ports on its host every 50 ms, and asks
// alive every half second whether it is still running; logHint says where its log is.
func waitHealthy(ctx context.Context, n Node, alive func() bool, logHint string) error {
	url := fmt.Sprintf("http://%s/healthz", n.at(n.OperationsPort))
	client := &http.Client{Timeout: time.Second}
	for i := 0; ; i++ {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && servingTLS(n.Address()) &&
				(n.AdminPort == 0 || servingTLS(n.at(n.AdminPort))) {
				return nil
			}
		}
		if i%10 == 0 && !alive() {
			return fmt.Errorf("%s exited during start-up; see %s", n.Name, logHint)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not healthy at %s: %w", n.Name, url, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// servingTLS reports whether a TLS server completes a handshake at addr. A bare TCP connect
// is not enough under Docker: the port publisher accepts connections before the node in the
// container listens.
func servingTLS(addr string) bool {
	dialer := &net.Dialer{Timeout: time.Second}
	// Only liveness is checked here; the clients that use the node verify its certificate.
	c, err := tls.DialWithDialer(dialer, "tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		return false
	}
	c.Close()
	return true
}
