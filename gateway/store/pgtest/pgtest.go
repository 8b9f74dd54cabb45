// Package pgtest runs a private PostgreSQL cluster for tests: a pgserver.Server (Debian's
// postgresql package, which make postgres installs) in a directory of the test's own, on a
// loopback port, stopped by the test by its PID.
package pgtest

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/cxledger/cxledger/gateway/store/pgserver"
)

// Cluster is a running private PostgreSQL cluster.
type Cluster struct {
	// DSN reaches the cluster's postgres database as its superuser cxl (through the
	// cluster's password file).
	DSN string
	// PID is the server's process.
	PID int
	// Dir holds the data directory, the password file and the server's log.
	Dir string
}

// FreePort returns a loopback TCP port nothing listens on now.
func FreePort() (int, error) { return pgserver.FreePort() }

// Start creates (first time) and starts a cluster in dir listening on 127.0.0.1:port; its
// log is dir/server.log.
func Start(dir string, port int) (*Cluster, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s := pgserver.Server{Dir: dir, Port: port}
	if err := s.Init(ctx); err != nil {
		return nil, err
	}
	pid, err := s.Start(ctx, filepath.Join(dir, "server.log"))
	if err != nil {
		return nil, err
	}
	return &Cluster{DSN: s.DSN(), PID: pid, Dir: dir}, nil
}

// Stop stops the server by its PID (fast shutdown) and waits for it to end.
func (c *Cluster) Stop() error {
	if err := pgserver.Stop(c.PID, 30*time.Second); err != nil {
		return fmt.Errorf("test cluster in %s: %w", c.Dir, err)
	}
	return nil
}
