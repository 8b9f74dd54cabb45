package store

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"testing"
	"time"
)

// TestInvitations: a secret enrols once, before it expires, with its ID only; a wrong
// secret and an unknown ID are one error; the store file never holds the secret.
func testInvitations(t *testing.T, bk backend) {
	path := bk.fresh(t)
	s, err := bk.openErr(t, path)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	const secret = "s3cret-that-must-not-be-stored"
	for _, id := range []string{"a", "b"} {
		sum := sha256.Sum256([]byte(secret))
		if err := s.AddInvitation(Invitation{ID: id, SecretSHA256: sum[:], Created: now, Expires: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	if s.AddInvitation(Invitation{ID: "a"}) == nil {
		t.Fatal("an ID was invited twice")
	}
	for _, tc := range []struct {
		id, secret string
		at         time.Time
		want       error
	}{
		{"nobody", secret, now, ErrNoInvitation},
		{"a", "wrong", now, ErrNoInvitation},
		{"a", "", now, ErrNoInvitation},
		{"b", secret, now.Add(time.Hour), ErrInvitationExpired},
		{"a", secret, now, nil},
		{"a", secret, now, ErrInvitationUsed},
		{"a", "wrong", now, ErrNoInvitation},
	} {
		_, err := s.UseInvitation(tc.id, tc.secret, tc.at)
		if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Fatalf("%s/%s: %v, want %v", tc.id, tc.secret, err, tc.want)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(bk.contents(t, path), []byte(secret)) {
		t.Fatal("the store file holds the secret")
	}
}
