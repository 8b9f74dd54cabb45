// Package pgserver runs a private PostgreSQL server from Debian's postgresql package (`make
// postgres` installs it) for the replicas of one member's gateway service, and for tests:
// initdb the first time, then the server on a loopback port with password authentication
// only, detached in its own session so that it outlives the command that started it and is
// stopped by its PID.
//
// A server's directory holds:
//
//	data/     the cluster (PGDATA), the server's own
//	pgpass    the generated password of its superuser cxl, as a libpq password file
//	          readable by its owner only; connection strings name the file, never the password
//
// PostgreSQL refuses to run as root: as root, the server runs as the package's unprivileged
// postgres user, the data directory is that user's and the server's directory is
// traversable by its group only (mode 0710, group postgres).
package pgserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cxledger/cxledger/cxlerr"
)

// Superuser is the role initdb creates and connection strings name.
const Superuser = "cxl"

// Database is the database connection strings name (the one initdb creates).
const Database = "postgres"

// installGlob finds Debian's PostgreSQL server programs, one directory per major version.
var installGlob = "/usr/lib/postgresql/*/bin/postgres"

// BinDir is the directory of the newest installed PostgreSQL server programs (initdb,
// postgres). Without them, the error is NOT_FOUND and says to run `make postgres`.
func BinDir() (string, error) {
	found, _ := filepath.Glob(installGlob)
	sort.Slice(found, func(i, j int) bool { return version(found[i]) < version(found[j]) })
	for i := len(found) - 1; i >= 0; i-- {
		dir := filepath.Dir(found[i])
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
	}
	return "", cxlerr.New(cxlerr.NotFound, "PostgreSQL's server programs (initdb, postgres under /usr/lib/postgresql) are not installed: run `make postgres` (Debian's postgresql package)")
}

// version is the major version in a path /usr/lib/postgresql/<version>/bin/postgres.
func version(path string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(path))))
	return v
}

// Server is a private PostgreSQL server: its directory and the loopback port it listens on.
type Server struct {
	Dir  string
	Port int
}

// DataDir is the cluster's data directory.
func (s Server) DataDir() string { return filepath.Join(s.Dir, "data") }

// PassFile is the libpq password file holding the superuser's password.
func (s Server) PassFile() string { return filepath.Join(s.Dir, "pgpass") }

// DSN is the connection string of the server's database as its superuser: it names the
// password file, not the password, so it may be logged and passed in the environment.
func (s Server) DSN() string {
	q := url.Values{"sslmode": {"disable"}, "passfile": {s.PassFile()}}
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?%s", Superuser, s.Port, Database, q.Encode())
}

// Initialized reports whether the server's cluster exists.
func (s Server) Initialized() bool {
	_, err := os.Stat(filepath.Join(s.DataDir(), "PG_VERSION"))
	return err == nil
}

// account is who runs the server's programs: the postgres user when we are root.
type account struct {
	root     bool
	uid, gid int
}

func serverAccount() (account, error) {
	if os.Geteuid() != 0 {
		return account{uid: os.Geteuid(), gid: os.Getegid()}, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return account{}, fmt.Errorf("as root, PostgreSQL runs as the postgres user of Debian's package (`make postgres`): %w", err)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return account{}, fmt.Errorf("postgres user's ID %q: %w", u.Uid, err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return account{}, fmt.Errorf("postgres user's group %q: %w", u.Gid, err)
	}
	return account{root: true, uid: uid, gid: gid}, nil
}

// command runs program of bin as the account.
func (a account) command(bin, program string, args ...string) *exec.Cmd {
	c := exec.Command(filepath.Join(bin, program), args...)
	c.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if a.root {
		c.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(a.uid), Gid: uint32(a.gid)}
	}
	// Only what the programs need: no variable of ours (a password among them) reaches them.
	c.Env = []string{"PATH=/usr/bin:/bin", "LANG=C.UTF-8", "LC_ALL=C.UTF-8"}
	return c
}

// AllowTraverse lets the server's account pass through dir and the directories above it
// up to top (both included), directories of ours: as root, each one the postgres user
// cannot pass through becomes group postgres with the group's search bit (mode 0710 for a
// directory of mode 0700: the group may pass through it, not list it); otherwise nothing
// changes.
func AllowTraverse(top, dir string) error {
	a, err := serverAccount()
	if err != nil || !a.root {
		return err
	}
	top, dir = filepath.Clean(top), filepath.Clean(dir)
	if rel, err := filepath.Rel(top, dir); err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return fmt.Errorf("let PostgreSQL reach %s: it is not below %s", dir, top)
	}
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("let PostgreSQL reach %s: %w", dir, err)
		}
		if !a.passes(fi) {
			if err := os.Chown(d, -1, a.gid); err != nil {
				return fmt.Errorf("let PostgreSQL reach %s: %w", d, err)
			}
			if err := os.Chmod(d, fi.Mode().Perm()|0o010); err != nil {
				return fmt.Errorf("let PostgreSQL reach %s: %w", d, err)
			}
		}
		if d == top || d == filepath.Dir(d) {
			return nil
		}
	}
}

// passes reports whether the account may pass through directory fi.
func (a account) passes(fi os.FileInfo) bool {
	mode := fi.Mode().Perm()
	st, ok := fi.Sys().(*syscall.Stat_t)
	return !ok || mode&0o001 != 0 || int(st.Gid) == a.gid && mode&0o010 != 0 || int(st.Uid) == a.uid && mode&0o100 != 0
}

// canReach checks that the account may pass through dir and every directory above it.
func (a account) canReach(dir string) error {
	if !a.root {
		return nil
	}
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("PostgreSQL directory: %w", err)
		}
		if !a.passes(fi) {
			return fmt.Errorf("PostgreSQL runs as the postgres user, which cannot pass through %s (mode %04o): give it a directory it can reach", d, fi.Mode().Perm())
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

// Init creates the server's cluster the first time (initdb with a generated password for
// the superuser, kept in the password file); it leaves an existing one as it is.
func (s Server) Init(ctx context.Context) error {
	bin, err := BinDir()
	if err != nil {
		return err
	}
	a, err := serverAccount()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return fmt.Errorf("PostgreSQL directory: %w", err)
	}
	if err := AllowTraverse(s.Dir, s.Dir); err != nil {
		return err
	}
	if err := a.canReach(s.Dir); err != nil {
		return err
	}
	if s.Initialized() {
		if _, err := os.Stat(s.PassFile()); err != nil {
			return fmt.Errorf("the PostgreSQL cluster in %s has no password file: %w", s.DataDir(), err)
		}
		return nil
	}
	pw := make([]byte, 24)
	if _, err := rand.Read(pw); err != nil {
		return fmt.Errorf("generate the PostgreSQL password: %w", err)
	}
	password := hex.EncodeToString(pw)
	// initdb reads the password from a file of its own account, removed once it is done.
	pwFile := filepath.Join(s.Dir, "initdb-password")
	if err := os.WriteFile(pwFile, []byte(password+"\n"), 0o600); err != nil {
		return fmt.Errorf("PostgreSQL password for initdb: %w", err)
	}
	defer os.Remove(pwFile)
	data := s.DataDir()
	if err := os.RemoveAll(data); err != nil {
		return fmt.Errorf("remove the half-made cluster %s: %w", data, err)
	}
	if err := os.Mkdir(data, 0o700); err != nil {
		return fmt.Errorf("PostgreSQL data directory: %w", err)
	}
	for _, p := range []string{pwFile, data} {
		if err := os.Chown(p, a.uid, a.gid); err != nil {
			return fmt.Errorf("give %s to PostgreSQL's account: %w", p, err)
		}
	}
	cmd := a.command(bin, "initdb", "-D", data, "-U", Superuser, "-E", "UTF8", "--no-sync",
		"--auth-host=scram-sha-256", "--auth-local=scram-sha-256", "--pwfile="+pwFile)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb %s: %w: %s", data, err, out)
	}
	// The cluster's files are on disk once: initdb --no-sync skips the sync it would do.
	syscall.Sync()
	line := fmt.Sprintf("127.0.0.1:*:*:%s:%s\n", Superuser, password)
	if err := os.WriteFile(s.PassFile(), []byte(line), 0o600); err != nil {
		return fmt.Errorf("PostgreSQL password file: %w", err)
	}
	return ctx.Err()
}

// Start starts the initialised server detached, its output appended to the file log, and
// waits until it accepts the superuser's connections. It returns the server's PID; it
// fails early, pointing at log, when the server exits during start-up.
func (s Server) Start(ctx context.Context, log string) (int, error) {
	bin, err := BinDir()
	if err != nil {
		return 0, err
	}
	a, err := serverAccount()
	if err != nil {
		return 0, err
	}
	if !s.Initialized() {
		return 0, fmt.Errorf("no PostgreSQL cluster in %s", s.DataDir())
	}
	out, err := os.OpenFile(log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return 0, fmt.Errorf("PostgreSQL log: %w", err)
	}
	defer out.Close()
	// The server writes its log through the descriptor it inherits; unix sockets are off:
	// clients connect over the loopback with the password.
	cmd := a.command(bin, "postgres", "-D", s.DataDir(), "-p", strconv.Itoa(s.Port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "max_connections=200")
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start PostgreSQL: %w", err)
	}
	pid := cmd.Process.Pid
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	if err := s.waitReady(ctx, exited); err != nil {
		_ = Stop(pid, 10*time.Second)
		return 0, fmt.Errorf("PostgreSQL in %s: %w; see %s", s.DataDir(), err, log)
	}
	return pid, nil
}

// waitReady connects as the superuser until the server answers, exited closes or ctx ends.
func (s Server) waitReady(ctx context.Context, exited <-chan struct{}) error {
	var last error
	for {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		conn, err := pgx.Connect(cctx, s.DSN())
		if err == nil {
			err = conn.Ping(cctx)
			conn.Close(cctx)
		}
		cancel()
		if err == nil {
			return nil
		}
		last = err
		select {
		case <-exited:
			return errors.New("the server exited during start-up")
		case <-ctx.Done():
			return fmt.Errorf("not ready: %w", errors.Join(ctx.Err(), last))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Stop stops the server pid by a fast shutdown (SIGINT: sessions are ended, nothing is
// lost) and waits up to grace for it to end. A server that is not running is not an error.
func Stop(pid int, grace time.Duration) error {
	if err := syscall.Kill(pid, syscall.SIGINT); err != nil {
		if errors.Is(err, syscall.ESRCH) {
			return nil
		}
		return fmt.Errorf("stop PostgreSQL %d: %w", pid, err)
	}
	for deadline := time.Now().Add(grace); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if !alive(pid) {
			return nil
		}
	}
	return fmt.Errorf("PostgreSQL %d did not stop within %s", pid, grace)
}

// alive reports whether pid runs (a zombie does not).
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	s := string(stat)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z'
	}
	return true
}

// FreePort returns a loopback TCP port nothing listens on now.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
