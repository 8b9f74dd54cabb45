package pgserver

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cxledger/cxledger/cxlerr"
)

// TestNotInstalled: without PostgreSQL's server programs the error is NOT_FOUND and names
// `make postgres`; Init and Start give the same.
func TestNotInstalled(t *testing.T) {
	saved := installGlob
	t.Cleanup(func() { installGlob = saved })
	installGlob = filepath.Join(t.TempDir(), "*", "bin", "postgres")
	for name, f := range map[string]func() error{
		"BinDir": func() error { _, err := BinDir(); return err },
		"Init":   func() error { return Server{Dir: t.TempDir(), Port: 1}.Init(context.Background()) },
		"Start": func() error {
			_, err := Server{Dir: t.TempDir(), Port: 1}.Start(context.Background(), filepath.Join(t.TempDir(), "log"))
			return err
		},
	} {
		err := f()
		if cxlerr.CodeOf(err) != cxlerr.NotFound || !strings.Contains(err.Error(), "make postgres") {
			t.Errorf("%s without PostgreSQL: %v", name, err)
		}
	}
	// A directory of a version without initdb is not an installation.
	dir := t.TempDir()
	bin := filepath.Join(dir, "16", "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "postgres"), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	installGlob = filepath.Join(dir, "*", "bin", "postgres")
	if _, err := BinDir(); cxlerr.CodeOf(err) != cxlerr.NotFound {
		t.Fatalf("postgres without initdb: %v", err)
	}
	if err := os.WriteFile(filepath.Join(bin, "initdb"), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	older := filepath.Join(dir, "9", "bin")
	if err := os.MkdirAll(older, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"postgres", "initdb"} {
		if err := os.WriteFile(filepath.Join(older, p), nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := BinDir(); err != nil || got != bin {
		t.Fatalf("BinDir = %q, %v; want the newest version's, %s", got, err, bin)
	}
}

// TestDSN: the connection string names the password file and the loopback port, never a
// password.
func TestDSN(t *testing.T) {
	s := Server{Dir: "/var/lib/x y", Port: 8090}
	cfg, err := pgx.ParseConfig(strings.Replace(s.DSN(), "passfile=", "passfile=/nonexistent", 1))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != "127.0.0.1" || cfg.Port != 8090 || cfg.User != Superuser || cfg.Database != Database || cfg.Password != "" {
		t.Fatalf("DSN %s: %+v", s.DSN(), cfg)
	}
	if !strings.Contains(s.DSN(), "passfile=%2Fvar%2Flib%2Fx+y%2Fpgpass") {
		t.Fatalf("DSN %s does not name the password file", s.DSN())
	}
}

// TestServer starts a real server: the password file is its owner's only, the password is
// in no log and no connection string, a wrong password is refused, Init again keeps the
// cluster and its password, Start on a port in use fails pointing at the log, and Stop ends
// it.
func TestServer(t *testing.T) {
	if _, err := BinDir(); err != nil {
		t.Skipf("no PostgreSQL here: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// t.TempDir's parent is not the postgres user's to pass through: a directory of /tmp is.
	top, err := os.MkdirTemp("", "cxl-pgserver-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(top) })
	if err := AllowTraverse(top, top); err != nil {
		t.Fatal(err)
	}
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		if err := (Server{Dir: filepath.Join(t.TempDir(), "pg"), Port: port}).Init(ctx); err == nil || !strings.Contains(err.Error(), "cannot pass through") {
			t.Fatalf("a directory the postgres user cannot reach: %v", err)
		}
	}
	s := Server{Dir: filepath.Join(top, "pg"), Port: port}
	if err := s.Init(ctx); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(s.PassFile())
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("password file: %v %v", fi, err)
	}
	data, err := os.ReadFile(s.PassFile())
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Split(strings.TrimSpace(string(data)), ":")
	password := fields[len(fields)-1]
	if len(fields) != 5 || len(password) < 32 {
		t.Fatalf("password file holds %d fields", len(fields))
	}
	if _, err := os.Stat(filepath.Join(s.Dir, "initdb-password")); !os.IsNotExist(err) {
		t.Fatalf("initdb's password file is left: %v", err)
	}
	log := filepath.Join(top, "pg.log")
	pid, err := s.Start(ctx, log)
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = Stop(pid, 30*time.Second)
		}
	})
	conn, err := pgx.Connect(ctx, s.DSN())
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := conn.QueryRow(ctx, "SELECT 41 + 1").Scan(&n); err != nil || n != 42 {
		t.Fatalf("query: %d %v", n, err)
	}
	conn.Close(ctx)
	wrong := strings.Replace(s.DSN(), Superuser+"@", Superuser+":not-the-password@", 1)
	if c, err := pgx.Connect(ctx, wrong); err == nil {
		c.Close(ctx)
		t.Fatal("a wrong password was accepted")
	}
	// A second server on the same port cannot start; the error points at its log.
	other := Server{Dir: filepath.Join(top, "pg2"), Port: port}
	if err := other.Init(ctx); err != nil {
		t.Fatal(err)
	}
	short, cancelShort := context.WithTimeout(ctx, 20*time.Second)
	if _, err := other.Start(short, filepath.Join(top, "pg2.log")); err == nil || !strings.Contains(err.Error(), "pg2.log") {
		t.Fatalf("second server on port %d: %v", port, err)
	}
	cancelShort()
	if err := s.Init(ctx); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(s.PassFile()); string(again) != string(data) {
		t.Fatal("Init of an existing cluster changed its password")
	}
	if err := Stop(pid, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	stopped = true
	if alive(pid) {
		t.Fatalf("PostgreSQL %d still runs", pid)
	}
	if err := Stop(pid, time.Second); err != nil {
		t.Fatalf("Stop of a stopped server: %v", err)
	}
	for _, f := range []string{log, filepath.Join(top, "pg2.log")} {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(text), password) {
			t.Fatalf("%s holds the password", f)
		}
	}
	// A restart reuses the cluster and its password.
	pid, err = s.Start(ctx, log)
	if err != nil {
		t.Fatal(err)
	}
	stopped = false
	if err := Stop(pid, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	stopped = true
}

// TestAllowTraverse: as root, the directories from dir up to top that the postgres user
// cannot pass through get the postgres group's search bit and nothing more; others and
// the directories above top are left as they are; a dir outside top is refused.
func TestAllowTraverse(t *testing.T) {
	a, err := serverAccount()
	if err != nil || !a.root {
		t.Skipf("not root (%v): nothing to change", err)
	}
	top := t.TempDir()
	open := filepath.Join(top, "open")
	dir := filepath.Join(open, "member", "postgres")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{top, filepath.Join(open, "member"), dir} {
		if err := os.Chmod(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(open, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := AllowTraverse(open, dir); err != nil {
		t.Fatal(err)
	}
	for d, want := range map[string]os.FileMode{top: 0o700, open: 0o755, filepath.Join(open, "member"): 0o710, dir: 0o710} {
		fi, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %04o, want %04o", d, fi.Mode().Perm(), want)
		}
	}
	if err := a.canReach(dir); err == nil || !strings.Contains(err.Error(), top) {
		t.Fatalf("%s is 0700 above: %v", top, err)
	}
	if err := AllowTraverse(dir, open); err == nil || !strings.Contains(err.Error(), "not below") {
		t.Fatalf("a directory outside top: %v", err)
	}
}
