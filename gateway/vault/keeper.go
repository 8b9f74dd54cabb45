package vault

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/cxledger/cxledger/carecrypt"
	"github.com/cxledger/cxledger/chaincode/care"
	"github.com/cxledger/cxledger/chaincode/consortium"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
)

// Keeper keeps the vault in step with the ledger for the organisations whose identities
// the gateway service holds: each one's pool of unused ticket keys topped up, and the key
// of every erased ticket destroyed.
type Keeper struct {
	// Vault holds the private halves.
	Vault *Vault
	// Orgs is the transport of one identity of each organisation (MSP ID) the vault
	// serves; an organisation without the merchant role is skipped until it has it.
	Orgs map[string]ledgerapi.Transport
	// Events is the chaincode event stream the keeper follows.
	Events ledgerapi.Events
	// Pool is how many unused keys each organisation keeps published; when fewer than
	// Threshold are left, new ones are made.
	Pool, Threshold int
	// Interval is the time between full passes (reconcile and top up) besides the ones
	// care events trigger.
	Interval time.Duration
	// Log receives what the keeper does; nil discards it.
	Log *slog.Logger

	once  sync.Once
	first chan struct{}
}

// passed is closed once Run made its first pass.
func (k *Keeper) passed() chan struct{} {
	k.once.Do(func() { k.first = make(chan struct{}) })
	return k.first
}

// Ready reports whether Run made its first pass over every organisation, so that the
// merchants' pools are published before the service takes requests: UNAVAILABLE until
// then.
func (k *Keeper) Ready() error {
	select {
	case <-k.passed():
		return nil
	default:
		return cxlerr.Errorf(cxlerr.Unavailable, "the vault is publishing the merchants' ticket keys")
	}
}

// Run follows the care events (destroying the key of an erased ticket, topping up the
// pool when a ticket used a key) and the consortium's (an organisation may just have been
// granted the merchant role: every pool is topped up) until ctx ends; each time it starts following, and on the
// interval, it reconciles and tops up every organisation, which covers any event it missed.
func (k *Keeper) Run(ctx context.Context) {
	tick := time.NewTicker(k.Interval)
	defer tick.Stop()
	for ctx.Err() == nil {
		stream, err := k.Events.Subscribe(ctx, ledgerapi.EventQuery{})
		if err != nil {
			k.log().Warn("vault: cannot follow care events; reconciling on the interval", "error", err)
			stream = nil
		}
		k.passAll(ctx)
		select {
		case <-k.passed():
		default:
			close(k.passed())
		}
	follow:
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				k.passAll(ctx)
				if stream == nil {
					break follow
				}
			case e, ok := <-stream:
				if !ok {
					break follow
				}
				k.handle(ctx, e)
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// passAll reconciles and tops up every organisation.
func (k *Keeper) passAll(ctx context.Context) {
	for _, msp := range k.orgs() {
		if err := k.Reconcile(ctx, msp); err != nil {
			k.report(msp, "reconcile the vault with the ledger", err)
			continue
		}
		if err := k.TopUp(ctx, msp); err != nil {
			k.report(msp, "publish ticket keys", err)
		}
	}
}

// report logs a failed pass: quietly for an organisation that is no merchant.
func (k *Keeper) report(msp, what string, err error) {
	if cxlerr.CodeOf(err) == cxlerr.Forbidden {
		k.log().Debug("vault: "+what+": not a merchant", "org", msp, "error", err)
		return
	}
	k.log().Warn("vault: cannot "+what, "org", msp, "error", err)
}

// event is what the keeper reads of a care event.
type event struct {
	Keys map[string]string `json:"keys"`
	Data struct {
		Detail struct {
			Key string `json:"key"`
		} `json:"detail"`
	} `json:"data"`
}

// handle acts on one event: a care erasure destroys the ticket's key; any other care event
// of an organisation the vault serves tops its pool up when it runs low; a consortium
// event tops up every pool (roles may have changed).
func (k *Keeper) handle(ctx context.Context, e ledgerapi.Event) {
	switch e.Contract {
	case consortium.Name:
		for _, msp := range k.orgs() {
			if err := k.TopUp(ctx, msp); err != nil {
				k.report(msp, "publish ticket keys", err)
			}
		}
		return
	case care.Name:
	default:
		return
	}
	var ev event
	if err := json.Unmarshal(e.Payload, &ev); err != nil {
		k.log().Warn("vault: undecodable care event", "event", e.ID, "error", err)
		return
	}
	msp := ev.Keys["merchant"]
	if _, ok := k.Orgs[msp]; !ok {
		return
	}
	switch e.Type {
	case "TicketDataErased":
		if id := ev.Data.Detail.Key; id != "" {
			if err := k.Vault.Destroy(msp, id); err != nil {
				k.log().Error("vault: cannot destroy the key of an erased ticket; the next pass tries again", "org", msp, "key", id, "error", err)
				return
			}
			k.log().Info("vault: destroyed the key of an erased ticket", "org", msp, "key", id, "ticket", ev.Keys["ticket"])
		}
	case "TicketKeysPublished":
	default:
		if err := k.TopUp(ctx, msp); err != nil {
			k.report(msp, "publish ticket keys", err)
		}
	}
}

// keys lists every key of msp in a state on the ledger.
func keys(ctx context.Context, t ledgerapi.Transport, msp, status string) ([]care.TicketKey, error) {
	var out []care.TicketKey
	for bookmark := ""; ; {
		page, err := ledgerapi.CareTicketKeys.Query(ctx, t, ledgerapi.TicketKeysRequest{Merchant: msp, Status: status, PageSize: 200, Bookmark: bookmark})
		if err != nil {
			return nil, fmt.Errorf("list the %s ticket keys of %s: %w", status, msp, err)
		}
		out = append(out, page.Keys...)
		if bookmark = page.Next; bookmark == "" {
			return out, nil
		}
	}
}

// Reconcile destroys every key of msp in the vault whose ticket's data the ledger says
// was erased, and publishes the keys the vault holds that the ledger does not know (made
// before a publication that did not commit).
func (k *Keeper) Reconcile(ctx context.Context, msp string) error {
	t := k.Orgs[msp]
	held, err := k.Vault.List(msp)
	if err != nil || len(held) == 0 {
		return err
	}
	known := map[string]bool{}
	for _, status := range []string{care.KeyErased, care.KeyUnused, care.KeyClaimed} {
		list, err := keys(ctx, t, msp, status)
		if err != nil {
			return err
		}
		for _, key := range list {
			known[key.ID] = true
			if status == care.KeyErased && slices.Contains(held, key.ID) {
				if err := k.Vault.Destroy(msp, key.ID); err != nil {
					return err
				}
				k.log().Info("vault: destroyed the key of an erased ticket", "org", msp, "key", key.ID, "ticket", key.Ticket)
			}
		}
	}
	var unpublished []string
	for _, id := range held {
		if !known[id] {
			unpublished = append(unpublished, id)
		}
	}
	return k.publish(ctx, msp, unpublished)
}

// TopUp makes and publishes keys of msp when fewer than Threshold are unused: the private
// halves are stored durably first, then the public halves published, so that no published
// key lacks its private half.
func (k *Keeper) TopUp(ctx context.Context, msp string) error {
	t := k.Orgs[msp]
	page, err := ledgerapi.CareTicketKeys.Query(ctx, t, ledgerapi.TicketKeysRequest{Merchant: msp, PageSize: k.Pool})
	if err != nil {
		return fmt.Errorf("count the unused ticket keys of %s: %w", msp, err)
	}
	if len(page.Keys) >= k.Threshold {
		return nil
	}
	var ids []string
	for range k.Pool - len(page.Keys) {
		priv, err := carecrypt.GenerateKey()
		if err != nil {
			return err
		}
		id, err := newID()
		if err != nil {
			return err
		}
		if err := k.Vault.Put(msp, id, priv); err != nil {
			return err
		}
		ids = append(ids, id)
	}
	return k.publish(ctx, msp, ids)
}

// publish publishes the public halves of stored keys, at most MaxTicketKeysPerCall a
// transaction.
func (k *Keeper) publish(ctx context.Context, msp string, ids []string) error {
	for batch := range slices.Chunk(ids, care.MaxTicketKeysPerCall) {
		req := ledgerapi.PublishTicketKeysRequest{}
		for _, id := range batch {
			priv, err := k.Vault.Key(msp, id)
			if err != nil {
				return err
			}
			req.Keys = append(req.Keys, care.NewTicketKey{ID: id, PublicKey: carecrypt.EncodePublicKey(priv.PublicKey())})
		}
		if _, err := ledgerapi.CarePublishTicketKeys.Run(ctx, k.Orgs[msp], req); err != nil {
			return fmt.Errorf("publish %d ticket keys of %s: %w", len(batch), msp, err)
		}
		k.log().Info("vault: published ticket keys", "org", msp, "keys", len(batch))
	}
	return nil
}

// newID is a random key ID: "k" and 24 hex digits.
func newID() (string, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("make a key ID: %w", err)
	}
	return "k" + hex.EncodeToString(b), nil
}

// orgs are the organisations served, sorted.
func (k *Keeper) orgs() []string {
	var out []string
	for msp := range k.Orgs {
		out = append(out, msp)
	}
	slices.Sort(out)
	return out
}

func (k *Keeper) log() *slog.Logger {
	if k.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return k.Log
}
