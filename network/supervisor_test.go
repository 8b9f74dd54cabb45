package network

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sleeperHome is a state directory whose bin holds a link to sleep(1), standing in for a
// Fabric binary.
func sleeperHome(t *testing.T) Home {
	t.Helper()
	home := Home(t.TempDir())
	if err := os.MkdirAll(home.Bin(), 0o755); err != nil {
		t.Fatal(err)
	}
	sleep, err := filepathLookPath("sleep")
	if err != nil {
		t.Skip("no sleep binary")
	}
	if err := os.Symlink(sleep, filepath.Join(home.Bin(), "sleeper")); err != nil {
		t.Fatal(err)
	}
	return home
}

func TestStartRunningStop(t *testing.T) {
	home := sleeperHome(t)
	p, err := Start(home, "node-a", "sleeper", []string{"60"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Start(home, "node-a", "sleeper", []string{"60"}, nil)
	if err != nil || again.PID != p.PID {
		t.Fatalf("second Start = %v, %v; want the running process %d", again, err, p.PID)
	}
	if got, ok := Running(home, "node-a"); !ok || got.PID != p.PID {
		t.Fatalf("Running = %v %v", got, ok)
	}
	procs, err := Processes(home)
	if err != nil || len(procs) != 1 || procs[0].Name != "node-a" {
		t.Fatalf("Processes = %v, %v", procs, err)
	}
	if err := Stop(home, "node-a", 2*time.Second); err != nil {
		t.Fatal(err)
	}
	if alive(p.PID) {
		t.Fatalf("pid %d still alive after Stop", p.PID)
	}
	if _, err := os.Stat(pidFile(home, "node-a")); !os.IsNotExist(err) {
		t.Fatalf("PID file left behind: %v", err)
	}
	if err := Stop(home, "node-a", time.Second); err != nil {
		t.Fatalf("stopping a stopped process: %v", err)
	}
}

func TestKillLeavesPIDFileAndDownCleansUp(t *testing.T) {
	home := sleeperHome(t)
	p, err := Start(home, "node-b", "sleeper", []string{"60"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := Kill(home, "node-b"); err != nil {
		t.Fatal(err)
	}
	if alive(p.PID) {
		t.Fatal("process alive after Kill")
	}
	if _, ok := Running(home, "node-b"); ok {
		t.Fatal("Running reports a killed process")
	}
	if err := Kill(home, "node-b"); err == nil || !strings.Contains(err.Error(), "not running") {
		t.Fatalf("second Kill = %v", err)
	}
	if _, err := Start(home, "node-c", "sleeper", []string{"60"}, nil); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(home.Path("data"), 0o755)
	if err := Down(home, true); err != nil {
		t.Fatal(err)
	}
	if procs, _ := Processes(home); len(procs) != 0 {
		t.Fatalf("processes after Down: %v", procs)
	}
	if _, err := os.Stat(home.Path("data")); !os.IsNotExist(err) {
		t.Fatal("purge kept the data directory")
	}
	if _, err := os.Stat(home.Bin()); err != nil {
		t.Fatal("purge removed the binaries")
	}
}

func TestRunningIgnoresGarbagePIDFile(t *testing.T) {
	home := Home(t.TempDir())
	os.MkdirAll(home.Run(), 0o755)
	os.WriteFile(pidFile(home, "x"), []byte("not a pid"), 0o644)
	if _, ok := Running(home, "x"); ok {
		t.Fatal("garbage PID file reported as running")
	}
	os.WriteFile(pidFile(home, "y"), []byte(strconv.Itoa(1<<22+12345)), 0o644)
	if _, ok := Running(home, "y"); ok {
		t.Fatal("PID of no process reported as running")
	}
}

func TestCheckPortsFreeNamesTheTakenPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	err = CheckPortsFree([]int{port})
	if err == nil || !strings.Contains(err.Error(), strconv.Itoa(port)) {
		t.Fatalf("CheckPortsFree = %v, want an error naming port %d", err, port)
	}
}

func filepathLookPath(name string) (string, error) {
	for _, dir := range []string{"/usr/bin", "/bin"} {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", os.ErrNotExist
}
