package store

import (
	"strings"
	"testing"
	"time"
)

// testSessionOwners: a prepared transaction's owner is found until its session expires,
// replaced by a later owner, forgotten when deleted, after a restart still there, and
// expired owners go with Expire; transaction IDs with NUL bytes, invalid UTF-8 or SQL are
// IDs like any other.
func testSessionOwners(t *testing.T, bk backend) {
	loc := bk.fresh(t)
	s := bk.open(t, loc)
	now := time.Now().Truncate(time.Millisecond)
	if owner, err := s.SessionOwner("never", now); err != nil || owner != "" {
		t.Fatalf("no owner yet: %q %v", owner, err)
	}
	ids := []string{"tx1", "a\x00b", "\xff\xfe", "'); DROP TABLE customer_sessions; --", strings.Repeat("t", 128)}
	for i, id := range ids {
		if err := s.PutSessionOwner(id, "http://127.0.0.1:810"+string(rune('0'+i)), now.Add(time.Minute)); err != nil {
			t.Fatalf("put %q: %v", id, err)
		}
	}
	for i, id := range ids {
		if owner, err := s.SessionOwner(id, now); err != nil || owner != "http://127.0.0.1:810"+string(rune('0'+i)) {
			t.Fatalf("owner of %q: %q %v", id, owner, err)
		}
	}
	if owner, err := s.SessionOwner("tx1", now.Add(time.Minute)); err != nil || owner != "" {
		t.Fatalf("expired session: %q %v", owner, err)
	}
	if err := s.PutSessionOwner("tx1", "http://b", now.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if owner, _ := s.SessionOwner("tx1", now.Add(time.Minute)); owner != "http://b" {
		t.Fatalf("replaced owner: %q", owner)
	}
	if err := s.DeleteSessionOwner(ids[1]); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSessionOwner("never"); err != nil {
		t.Fatalf("delete of no owner: %v", err)
	}
	if owner, _ := s.SessionOwner(ids[1], now); owner != "" {
		t.Fatalf("deleted owner: %q", owner)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = bk.open(t, loc)
	defer s.Close()
	if owner, _ := s.SessionOwner(ids[2], now); owner != "http://127.0.0.1:8102" {
		t.Fatalf("after a restart: %q", owner)
	}
	// Expire forgets the owners of sessions that ended before its cutoff only.
	if _, err := s.Expire(now.Add(90 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if owner, _ := s.SessionOwner(ids[2], now); owner != "" {
		t.Fatalf("expired owner kept: %q", owner)
	}
	if owner, _ := s.SessionOwner("tx1", now); owner != "http://b" {
		t.Fatalf("owner of a live session expired: %q", owner)
	}
}
