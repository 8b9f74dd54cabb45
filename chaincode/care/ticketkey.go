package care

import (
	"time"

	"github.com/cxledger/cxledger/carecrypt"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cxlerr"
)

// Ticket key states.
const (
	// KeyUnused: published, not yet claimed by a ticket.
	KeyUnused = "unused"
	// KeyClaimed: a ticket's personal data is sealed to it.
	KeyClaimed = "claimed"
	// KeyErased: the ticket's personal data was erased; the merchant destroys the private
	// half.
	KeyErased = "erased"
)

// MaxTicketKeysPerCall is the most ticket keys one PublishTicketKeys publishes.
const MaxTicketKeysPerCall = 100

// TicketKey is a one-time public key a merchant published: a ticket's personal data is
// sealed to it (see package carecrypt), and only the merchant's vault holds the private
// half, until the data is erased.
type TicketKey struct {
	Merchant string `json:"merchant"`
	ID       string `json:"id"`
	// PublicKey is the X25519 public key, standard base64.
	PublicKey string `json:"publicKey"`
	// Status is unused, claimed or erased (the Key constants).
	Status string `json:"status"`
	// Ticket is the ticket that claimed the key.
	Ticket string `json:"ticket,omitempty" metadata:",optional"`
	// Published and PublishedTx are the time and transaction of publication.
	Published   time.Time `json:"published"`
	PublishedTx string    `json:"publishedTx"`
	// Updated is the time of the last change of status.
	Updated time.Time `json:"updated"`
}

// NewTicketKey is one key to publish.
type NewTicketKey struct {
	ID        string `json:"id"`
	PublicKey string `json:"publicKey"`
}

// PublishTicketKeysArgs is the argument of PublishTicketKeys.
type PublishTicketKeysArgs struct {
	Keys []NewTicketKey `json:"keys"`
}

// Validate checks 1 to MaxTicketKeysPerCall keys with distinct IDs and well-formed X25519
// public keys.
func (a PublishTicketKeysArgs) Validate() error {
	if len(a.Keys) == 0 || len(a.Keys) > MaxTicketKeysPerCall {
		return cxlerr.Errorf(cxlerr.Invalid, "keys: %d, want 1 to %d", len(a.Keys), MaxTicketKeysPerCall)
	}
	seen := map[string]bool{}
	for i, k := range a.Keys {
		if err := ledgertypes.ValidateID("keys.id", k.ID); err != nil {
			return err
		}
		if seen[k.ID] {
			return cxlerr.Errorf(cxlerr.Invalid, "keys[%d].id: %q appears twice", i, k.ID)
		}
		seen[k.ID] = true
		if _, err := carecrypt.ParsePublicKey(k.PublicKey); err != nil {
			return cxlerr.Errorf(cxlerr.Invalid, "keys[%d].publicKey: %v", i, err)
		}
	}
	return nil
}

// TicketKeysPublished is the outcome of PublishTicketKeys.
type TicketKeysPublished struct {
	Merchant string   `json:"merchant"`
	Keys     []string `json:"keys"`
}

// TicketKeysArgs is the argument of TicketKeys.
type TicketKeysArgs struct {
	Merchant string `json:"merchant"`
	// Status lists keys in that state; "" lists unused ones.
	Status   string `json:"status,omitempty" metadata:",optional"`
	PageSize int    `json:"pageSize,omitempty" metadata:",optional"`
	Bookmark string `json:"bookmark,omitempty" metadata:",optional"`
}

// Validate checks the merchant and the status.
func (a TicketKeysArgs) Validate() error {
	if err := ledgertypes.ValidateMSP("merchant", a.Merchant); err != nil {
		return err
	}
	switch a.Status {
	case "", KeyUnused, KeyClaimed, KeyErased:
		return nil
	}
	return cxlerr.Errorf(cxlerr.Invalid, "status %q: want unused, claimed or erased", a.Status)
}

// TicketKeyPage is one page of a merchant's ticket keys, by ID.
type TicketKeyPage struct {
	Keys []TicketKey `json:"keys"`
	// Next is the bookmark of the next page, "" after the last.
	Next string `json:"next,omitempty" metadata:",optional"`
}
