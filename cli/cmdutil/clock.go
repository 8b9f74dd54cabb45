package cmdutil

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// RequestRetention is how long Now remembers the time of an idempotency key's first run.
const RequestRetention = 30 * 24 * time.Hour

// requestRecord is what Now keeps per idempotency key: the command line it first ran (as a
// hash, so no argument is written to disk) and the time it resolved against.
type requestRecord struct {
	Line string    `json:"line"`
	Now  time.Time `json:"now"`
}

// Now is the time the mutation resolves what it computes from the clock (a relative
// deadline such as 7d, a validity that starts now), fixed once per idempotency key: the
// first run of a key records the clock in the requests directory beside the configuration
// file, and a repeat of the same command line with the same key reads that time back, so
// it sends the same request and gets the first outcome instead of IDEMPOTENCY_MISMATCH. A
// key that first ran another command line keeps its record; this one resolves against the
// clock. It makes up (and prints) the key when the user gave none, as Key does.
func (m *MutationOptions) Now(f *Factory) (time.Time, error) {
	key := m.Key(f.IO)
	now := time.Now
	if f.Now != nil {
		now = f.Now
	}
	cfg, err := f.Config()
	if err != nil {
		return time.Time{}, err
	}
	dir := filepath.Join(filepath.Dir(cfg.Path()), "requests")
	sum := sha256.Sum256([]byte(key))
	path := filepath.Join(dir, hex.EncodeToString(sum[:16])+".json")
	if rec, err := readRecord(path); err != nil {
		return time.Time{}, err
	} else if rec != nil {
		if rec.Line == m.line {
			return rec.Now, nil
		}
		return now().UTC().Truncate(time.Second), nil
	}
	rec := requestRecord{Line: m.line, Now: now().UTC().Truncate(time.Second)}
	kept, err := writeRecord(dir, path, rec)
	if err != nil {
		return time.Time{}, fmt.Errorf("remember the time of idempotency key %s (so that repeating the command repeats its request): %w", key, err)
	}
	if kept.Line != m.line {
		return rec.Now, nil
	}
	return kept.Now, nil
}

// readRecord reads a request record; nil when there is none.
func readRecord(path string) (*requestRecord, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the request record of the idempotency key: %w", err)
	}
	var rec requestRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("request record %s: %w", path, err)
	}
	return &rec, nil
}

// writeRecord stores rec at path unless a record is there already (another process of the
// same key got there first): it returns the record that is kept. Records older than
// RequestRetention are removed on the way.
func writeRecord(dir, path string, rec requestRecord) (*requestRecord, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	prune(dir, time.Now().Add(-RequestRetention))
	data, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("encode the request record: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".record-*")
	if err != nil {
		return nil, fmt.Errorf("write the request record: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("write the request record: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("write the request record: %w", err)
	}
	// A hard link never replaces a file: the first process to link its record wins.
	if err := os.Link(tmp.Name(), path); err != nil {
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("write the request record: %w", err)
		}
		kept, err := readRecord(path)
		if err != nil || kept == nil {
			return nil, fmt.Errorf("read the request record another command wrote: %w", err)
		}
		return kept, nil
	}
	return &rec, nil
}

// prune removes the records of dir last written before cutoff (a wall-clock time, as file
// times are); it is housekeeping, so failures are ignored.
func prune(dir string, cutoff time.Time) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if info, err := e.Info(); err == nil && info.Mode().IsRegular() && info.ModTime().Before(cutoff) {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// transientFlags change how a command runs or prints, never what it asks the ledger: they
// are not part of its command line for Now.
var transientFlags = []string{"idempotency-key", "wait", "no-wait", "timeout", "json"}

// commandLine identifies what a command was asked to do: its path, its arguments and the
// flags given, but transientFlags, as a hash.
func commandLine(cmd *cobra.Command, args []string) string {
	parts := append([]string{cmd.CommandPath()}, args...)
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if !slices.Contains(transientFlags, f.Name) {
			parts = append(parts, "--"+f.Name+"="+f.Value.String())
		}
	})
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:])
}
