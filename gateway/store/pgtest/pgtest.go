// Package pgtest runs a private PostgreSQL cluster for tests, from Debian's postgresql
// package (make postgres installs it): initdb and the server in a directory of the test's
// own, on a loopback port, password authentication, stopped by the test by its PID. As
// root, the cluster runs as the package's unprivileged postgres user (PostgreSQL refuses to
// run as root).
package pgtest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Cluster is a running private PostgreSQL cluster.
type Cluster struct {
	// DSN reaches the cluster's postgres database as its superuser cxl (with the password).
	DSN string
	// PID is the server's process.
	PID int
	// Dir holds the data directory, the server's log and its socket.
	Dir string
}

// binDir is the directory of Debian's PostgreSQL server programs, the newest version's.
func binDir() (string, error) {
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(found) == 0 {
		if p, err := exec.LookPath("initdb"); err == nil {
			return filepath.Dir(p), nil
		}
		return "", errors.New("PostgreSQL's initdb is not installed (make postgres installs Debian's postgresql)")
	}
	sort.Slice(found, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(found[i]))))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(found[j]))))
		return vi < vj
	})
	return filepath.Dir(found[len(found)-1]), nil
}

// FreePort returns a loopback TCP port nothing listens on now.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Start creates (first time) and starts a cluster in dir listening on 127.0.0.1:port.
func Start(dir string, port int) (*Cluster, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cluster directory: %w", err)
	}
	run := func(name string, args ...string) *exec.Cmd { return exec.Command(filepath.Join(bin, name), args...) }
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root, the cluster needs the postgres user of Debian's package: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, fmt.Errorf("cluster directory: %w", err)
		}
		run = func(name string, args ...string) *exec.Cmd {
			c := exec.Command(filepath.Join(bin, name), args...)
			c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
			c.Env = append(os.Environ(), "HOME="+dir)
			return c
		}
	}
	data, pwFile := filepath.Join(dir, "data"), filepath.Join(dir, "password")
	if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); err != nil {
		pw := make([]byte, 16)
		if _, err := rand.Read(pw); err != nil {
			return nil, err
		}
		if err := os.WriteFile(pwFile, []byte(hex.EncodeToString(pw)+"\n"), 0o600); err != nil {
			return nil, err
		}
		if os.Geteuid() == 0 {
			u, _ := user.Lookup("postgres")
			uid, _ := strconv.Atoi(u.Uid)
			if err := os.Chown(pwFile, uid, -1); err != nil {
				return nil, err
			}
		}
		if out, err := run("initdb", "-D", data, "-U", "cxl", "-E", "UTF8", "--no-sync", "--auth-host=scram-sha-256", "--auth-local=scram-sha-256", "--pwfile="+pwFile).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("initdb: %w: %s", err, out)
		}
	}
	pw, err := os.ReadFile(pwFile)
	if err != nil {
		return nil, fmt.Errorf("cluster password: %w", err)
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=200", port, dir)
	if out, err := run("pg_ctl", "start", "-w", "-t", "60", "-D", data, "-l", filepath.Join(dir, "server.log"), "-o", opts).CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
		return nil, fmt.Errorf("pg_ctl start: %w: %s\n%s", err, out, log)
	}
	pidFile, err := os.ReadFile(filepath.Join(data, "postmaster.pid"))
	if err != nil {
		return nil, fmt.Errorf("server PID: %w", err)
	}
	pid, err := strconv.Atoi(strings.SplitN(string(pidFile), "\n", 2)[0])
	if err != nil {
		return nil, fmt.Errorf("server PID: %w", err)
	}
	dsn := fmt.Sprintf("postgres://cxl:%s@127.0.0.1:%d/postgres?sslmode=disable", strings.TrimSpace(string(pw)), port)
	return &Cluster{DSN: dsn, PID: pid, Dir: dir}, nil
}

// Stop stops the server by its PID (fast shutdown) and waits for it to end.
func (c *Cluster) Stop() error {
	if err := syscall.Kill(c.PID, syscall.SIGINT); err != nil {
		return fmt.Errorf("stop PostgreSQL %d: %w", c.PID, err)
	}
	for range 300 {
		if syscall.Kill(c.PID, 0) != nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("PostgreSQL %d did not stop within 30 s", c.PID)
}
