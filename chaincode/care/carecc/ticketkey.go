package carecc

import (
	"github.com/cxledger/cxledger/chaincode/care"
	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cxlerr"
)

func ticketKeyKey(tx *ledger.Tx, merchant, id string) (string, error) {
	return ledger.Key(tx, ticketKeyType, merchant, id)
}

func keyStatusKey(tx *ledger.Tx, k care.TicketKey) (string, error) {
	return ledger.Key(tx, keyStatusType, k.Merchant, k.Status, k.ID)
}

// publishTicketKeys publishes public ticket keys of the caller's organisation, which must
// hold the merchant role. An ID the merchant used before is a CONFLICT.
func publishTicketKeys(tx *ledger.Tx, a care.PublishTicketKeysArgs) (*care.TicketKeysPublished, error) {
	if err := ledger.RequireRole(tx, ledgertypes.Merchant); err != nil {
		return nil, err
	}
	merchant := tx.Caller().MSP
	out := &care.TicketKeysPublished{Merchant: merchant, Keys: []string{}}
	for _, nk := range a.Keys {
		key, err := ticketKeyKey(tx, merchant, nk.ID)
		if err != nil {
			return nil, err
		}
		var existing care.TicketKey
		found, err := ledger.GetJSON(tx, key, &existing)
		if err != nil {
			return nil, err
		}
		if found {
			return nil, cxlerr.Errorf(cxlerr.Conflict, "ticket key %s of %s already exists", nk.ID, merchant)
		}
		k := care.TicketKey{Merchant: merchant, ID: nk.ID, PublicKey: nk.PublicKey, Status: care.KeyUnused,
			Published: tx.Time(), PublishedTx: tx.ID(), Updated: tx.Time()}
		if err := saveTicketKey(tx, nil, k); err != nil {
			return nil, err
		}
		out.Keys = append(out.Keys, k.ID)
	}
	err := ledger.Emit(tx, ledger.Event{Contract: care.Name, Type: "TicketKeysPublished", Keys: map[string]string{"merchant": merchant}, Data: out})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// saveTicketKey writes k and moves its status index entry from old's (nil: none).
func saveTicketKey(tx *ledger.Tx, old *care.TicketKey, k care.TicketKey) error {
	if old != nil {
		key, err := keyStatusKey(tx, *old)
		if err != nil {
			return err
		}
		if err := ledger.Delete(tx, key); err != nil {
			return err
		}
	}
	key, err := keyStatusKey(tx, k)
	if err != nil {
		return err
	}
	if err := ledger.PutJSON(tx, key, struct{}{}); err != nil {
		return err
	}
	key, err = ticketKeyKey(tx, k.Merchant, k.ID)
	if err != nil {
		return err
	}
	return ledger.PutJSON(tx, key, k)
}

// readTicketKey reads a merchant's ticket key; NOT_FOUND when there is none.
func readTicketKey(tx *ledger.Tx, merchant, id string) (care.TicketKey, error) {
	key, err := ticketKeyKey(tx, merchant, id)
	if err != nil {
		return care.TicketKey{}, err
	}
	var k care.TicketKey
	if err := ledger.MustGetJSON(tx, key, &k); err != nil {
		return care.TicketKey{}, err
	}
	return k, nil
}

// useKey makes sure the ticket next has a key its personal data is sealed to: the key id
// the client sealed to must be the ticket's, or, for a ticket without one (new, or erased),
// an unused key of the merchant, which the ticket claims. A claimed key is a CONFLICT: the
// client picks another.
func useKey(tx *ledger.Tx, next *care.Ticket, id string) error {
	if next.Key != "" {
		if id != next.Key {
			return cxlerr.Errorf(cxlerr.Conflict, "ticket %s seals its personal data to key %s, not %s; read the ticket again", next.ID, next.Key, id)
		}
		return nil
	}
	k, err := readTicketKey(tx, next.Merchant, id)
	if cxlerr.CodeOf(err) == cxlerr.NotFound {
		return cxlerr.Errorf(cxlerr.Conflict, "merchant %s published no ticket key %s", next.Merchant, id)
	}
	if err != nil {
		return err
	}
	if k.Status != care.KeyUnused {
		return cxlerr.Errorf(cxlerr.Conflict, "ticket key %s of %s is %s; pick another unused key", id, next.Merchant, k.Status)
	}
	old := k
	k.Status, k.Ticket, k.Updated = care.KeyClaimed, next.ID, tx.Time()
	if err := saveTicketKey(tx, &old, k); err != nil {
		return err
	}
	next.Key, next.PublicKey = k.ID, k.PublicKey
	return nil
}

// eraseKey marks a ticket's key erased: nothing is sealed to it any more, and its
// merchant destroys the private half.
func eraseKey(tx *ledger.Tx, merchant, id string) error {
	k, err := readTicketKey(tx, merchant, id)
	if err != nil {
		return err
	}
	old := k
	k.Status, k.Updated = care.KeyErased, tx.Time()
	return saveTicketKey(tx, &old, k)
}

// ticketKeys lists one page of a merchant's ticket keys in a state, by ID. Public keys
// are public: any caller may list them.
func ticketKeys(tx *ledger.Tx, a care.TicketKeysArgs) (*care.TicketKeyPage, error) {
	status := a.Status
	if status == "" {
		status = care.KeyUnused
	}
	rows, next, err := ledger.Page(tx, keyStatusType, []string{a.Merchant, status}, a.PageSize, a.Bookmark)
	if err != nil {
		return nil, err
	}
	page := &care.TicketKeyPage{Keys: make([]care.TicketKey, 0, len(rows)), Next: next}
	for _, kv := range rows {
		k, err := readTicketKey(tx, a.Merchant, kv.Parts[len(kv.Parts)-1])
		if err != nil {
			return nil, err
		}
		page.Keys = append(page.Keys, k)
	}
	return page, nil
}
