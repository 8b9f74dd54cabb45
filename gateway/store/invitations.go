package store

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"time"
)

// Invitation is a member's invitation of a customer: the identity its staff registered with
// the organisation's CA and the one-time secret that enrols it, kept as its SHA-256 only.
type Invitation struct {
	// ID is the identity's enrolment ID with the CA.
	ID string `json:"id"`
	// SecretSHA256 is the SHA-256 of the one-time secret; the secret itself is never stored.
	SecretSHA256 []byte `json:"secretSha256"`
	// InvitedBy is the principal who invited.
	InvitedBy string `json:"invitedBy"`
	// Created and Expires bound when the secret enrols.
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
	// Used is when the secret enrolled, zero while it has not.
	Used time.Time `json:"used,omitzero"`
}

// Errors of UseInvitation.
var (
	// ErrNoInvitation means no invitation has this ID and secret; which of the two is
	// wrong is not said.
	ErrNoInvitation = errors.New("no invitation with this ID and secret")
	// ErrInvitationUsed means the secret enrolled once already.
	ErrInvitationUsed = errors.New("the invitation was used")
	// ErrInvitationExpired means the secret's time ran out.
	ErrInvitationExpired = errors.New("the invitation expired")
)

// AddInvitation records a new invitation with the SHA-256 of its secret; an ID that exists
// is refused.
func (s *Store) AddInvitation(inv Invitation) error { return s.b.AddInvitation(inv) }

// UseInvitation marks invitation id used when secret is its secret, it was not used and it
// has not expired at now; it returns the invitation as it was. The secret is checked first,
// so only its holder learns whether an invitation was used or expired: anyone else gets
// ErrNoInvitation.
func (s *Store) UseInvitation(id, secret string, now time.Time) (*Invitation, error) {
	var found Invitation
	sum := sha256.Sum256([]byte(secret))
	err := s.b.UpdateInvitation(id, func(inv *Invitation) error {
		switch {
		case inv == nil, subtle.ConstantTimeCompare(sum[:], inv.SecretSHA256) != 1:
			return ErrNoInvitation
		case !inv.Used.IsZero():
			return ErrInvitationUsed
		case !now.Before(inv.Expires):
			return ErrInvitationExpired
		}
		found = *inv
		inv.Used = now
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &found, nil
}
