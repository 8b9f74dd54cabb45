package carecc

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/cxledger/cxledger/chaincode/care"
	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/cxlerr"
)

// reviewable reports whether an order in state s was received by its
// customer, so it may be reviewed: delivered, being returned, or returned.
func reviewable(s orders.State) bool {
	return s == orders.StateDelivered || s == orders.StateReturning || s == orders.StateReturned
}

// pseudonymSalt is a merchant's pseudonym key, stored under
// care.reviewsalt (merchant) and never returned by any function.
type pseudonymSalt struct {
	Merchant  string    `json:"merchant"`
	Salt      string    `json:"salt"`
	Created   time.Time `json:"created"`
	CreatedTx string    `json:"createdTx"`
}

// readSalt returns a merchant's pseudonym salt. When the merchant has none
// yet and seed is not nil, it creates one from seed (random bytes the
// reviewer's client supplied as transient data) and writes it. With no
// salt and no seed, it returns nil.
func readSalt(tx *ledger.Tx, merchant string, seed []byte) ([]byte, error) {
	key, err := ledger.Key(tx, saltType, merchant)
	if err != nil {
		return nil, err
	}
	var s pseudonymSalt
	found, err := ledger.GetJSON(tx, key, &s)
	if err != nil {
		return nil, err
	}
	if found {
		salt, err := hex.DecodeString(s.Salt)
		if err != nil {
			return nil, cxlerr.Errorf(cxlerr.Internal, "decode pseudonym salt of %s: %w", merchant, err)
		}
		return salt, nil
	}
	if seed == nil {
		return nil, nil
	}
	sum := sha256.Sum256([]byte("cxledger.care.pseudonym-salt.v1\x00" + merchant + "\x00" + string(seed)))
	s = pseudonymSalt{Merchant: merchant, Salt: hex.EncodeToString(sum[:]), Created: tx.Time(), CreatedTx: tx.ID()}
	if err := ledger.PutJSON(tx, key, s); err != nil {
		return nil, err
	}
	return sum[:], nil
}

// reviewedMarker records, under care.orderreview (order), that an order
// was reviewed. It does not name the review: the review must not lead back
// to the order and so to the customer's account.
type reviewedMarker struct {
	Merchant string    `json:"merchant"`
	Time     time.Time `json:"time"`
}

// postReview posts the caller's review of an order they bought and
// received. One review per order; the review names the reviewer by their
// pseudonym at the order's merchant and does not name the order.
func (c *Contract) postReview(tx *ledger.Tx, a care.PostReviewArgs) (*care.Review, error) {
	seed, err := readSeed(tx)
	if err != nil {
		return nil, err
	}
	o, err := c.readOrder(tx, a.OrderID)
	if err != nil {
		return nil, err
	}
	if o.Customer != tx.Caller().Account {
		return nil, cxlerr.Errorf(cxlerr.Forbidden, "only the buyer of order %s may review it", a.OrderID)
	}
	if !reviewable(o.State) {
		return nil, cxlerr.Errorf(cxlerr.Conflict, "order %s is %s; only a delivered or returned order can be reviewed", o.ID, o.State)
	}
	markerKey, err := ledger.Key(tx, orderReviewType, o.ID)
	if err != nil {
		return nil, err
	}
	var marker reviewedMarker
	found, err := ledger.GetJSON(tx, markerKey, &marker)
	if err != nil {
		return nil, err
	}
	if found {
		return nil, cxlerr.Errorf(cxlerr.Forbidden, "order %s was already reviewed, at %s; edit that review instead", o.ID, marker.Time.Format(time.RFC3339))
	}
	salt, err := readSalt(tx, o.Merchant, seed)
	if err != nil {
		return nil, err
	}
	if salt == nil {
		return nil, cxlerr.Errorf(cxlerr.Conflict, "transient %s: required for the first review of merchant %s, to seed its pseudonym salt", care.TransientSalt, o.Merchant)
	}
	now := tx.Time()
	r := care.Review{
		ID: tx.ID(), Merchant: o.Merchant, Reviewer: care.Pseudonym(salt, tx.Caller().Account), Purchase: string(o.State),
		Rating: a.Rating, Text: a.Text, Version: 1, Created: now, Updated: now, Entries: 1,
	}
	if err := ledger.PutJSON(tx, markerKey, reviewedMarker{Merchant: o.Merchant, Time: now}); err != nil {
		return nil, err
	}
	indexKey, err := ledger.Key(tx, merchantReviews, r.Merchant, timePart(r.Created), r.ID)
	if err != nil {
		return nil, err
	}
	if err := ledger.PutJSON(tx, indexKey, struct{}{}); err != nil {
		return nil, err
	}
	entry := care.ReviewEntry{Review: r.ID, Seq: 1, Kind: care.EntryReview, By: r.Reviewer, Rating: r.Rating, Text: r.Text, Time: now, Tx: tx.ID()}
	return saveReview(tx, r, entry, "ReviewPosted")
}

// editReview appends a new version of a review; only its author may, as
// recognised by their pseudonym at the review's merchant.
func editReview(tx *ledger.Tx, a care.EditReviewArgs) (*care.Review, error) {
	if _, err := readPersonal(tx); err != nil {
		return nil, err
	}
	r, err := readReview(tx, a.ID)
	if err != nil {
		return nil, err
	}
	salt, err := readSalt(tx, r.Merchant, nil)
	if err != nil {
		return nil, err
	}
	if salt == nil || care.Pseudonym(salt, tx.Caller().Account) != r.Reviewer {
		return nil, cxlerr.Errorf(cxlerr.Forbidden, "only the author of review %s may edit it", r.ID)
	}
	if a.Rating == r.Rating && a.Text == r.Text {
		return nil, cxlerr.Errorf(cxlerr.Conflict, "review %s already reads so (version %d)", r.ID, r.Version)
	}
	r.Rating, r.Text = a.Rating, a.Text
	r.Version++
	r.Updated = tx.Time()
	entry := care.ReviewEntry{Review: r.ID, Kind: care.EntryEdit, By: r.Reviewer, Rating: r.Rating, Text: r.Text, Time: tx.Time(), Tx: tx.ID()}
	return appendEntry(tx, r, entry, "ReviewEdited")
}

// replyToReview appends the merchant's reply to a review of it; the
// review shows the latest reply.
func replyToReview(tx *ledger.Tx, a care.ReplyToReviewArgs) (*care.Review, error) {
	if _, err := readPersonal(tx); err != nil {
		return nil, err
	}
	r, err := readReview(tx, a.ID)
	if err != nil {
		return nil, err
	}
	if tx.Caller().MSP != r.Merchant {
		return nil, cxlerr.Errorf(cxlerr.Forbidden, "review %s is of merchant %s; only it may reply", r.ID, r.Merchant)
	}
	if err := ledger.ActsFor(tx, r.Merchant, ledgertypes.Merchant); err != nil {
		return nil, err
	}
	r.Reply, r.Replied = a.Text, tx.Time()
	entry := care.ReviewEntry{Review: r.ID, Kind: care.EntryReply, By: r.Merchant, Text: a.Text, Time: tx.Time(), Tx: tx.ID()}
	return appendEntry(tx, r, entry, "ReviewReplied")
}

// appendEntry numbers entry as r's next and saves both.
func appendEntry(tx *ledger.Tx, r care.Review, entry care.ReviewEntry, event string) (*care.Review, error) {
	if r.Entries >= care.MaxReviewEntries {
		return nil, cxlerr.Errorf(cxlerr.Conflict, "review %s has %d entries, the most it may record", r.ID, care.MaxReviewEntries)
	}
	r.Entries++
	entry.Seq = r.Entries
	return saveReview(tx, r, entry, event)
}

// saveReview writes the review and its new entry, written once, and emits
// the event, which carries the review: reviews are public.
func saveReview(tx *ledger.Tx, r care.Review, entry care.ReviewEntry, event string) (*care.Review, error) {
	key, err := reviewKey(tx, r.ID)
	if err != nil {
		return nil, err
	}
	if err := ledger.PutJSON(tx, key, r); err != nil {
		return nil, err
	}
	key, err = entryKey(tx, r.ID, entry.Seq)
	if err != nil {
		return nil, err
	}
	if err := ledger.PutJSON(tx, key, entry); err != nil {
		return nil, err
	}
	err = ledger.Emit(tx, ledger.Event{
		Contract: care.Name,
		Type:     event,
		Keys:     map[string]string{"review": r.ID, "merchant": r.Merchant},
		Data:     map[string]any{"review": r, "entry": entry},
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// readReview reads a committed review; NOT_FOUND when there is none.
func readReview(tx *ledger.Tx, id string) (care.Review, error) {
	key, err := reviewKey(tx, id)
	if err != nil {
		return care.Review{}, err
	}
	var r care.Review
	if err := ledger.MustGetJSON(tx, key, &r); err != nil {
		return care.Review{}, err
	}
	return r, nil
}

// getReview returns a review with every version and reply, oldest first.
// Reviews are public: anyone may read them.
func getReview(tx *ledger.Tx, a care.IDArgs) (*care.ReviewDetail, error) {
	r, err := readReview(tx, a.ID)
	if err != nil {
		return nil, err
	}
	entries := []care.ReviewEntry{}
	_, err = ledger.Scan(tx, entryType, []string{r.ID}, care.MaxReviewEntries, func(kv ledger.KV) error {
		var e care.ReviewEntry
		if err := json.Unmarshal(kv.Value, &e); err != nil {
			return cxlerr.Errorf(cxlerr.Internal, "decode %s: %w", ledger.DescribeKey(kv.Key), err)
		}
		entries = append(entries, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &care.ReviewDetail{Review: r, Entries: entries}, nil
}

// listReviews lists one page of a merchant's reviews, oldest first.
func listReviews(tx *ledger.Tx, a care.ListReviewsArgs) (*care.ReviewPage, error) {
	rows, next, err := ledger.Page(tx, merchantReviews, []string{a.Merchant}, a.PageSize, a.Bookmark)
	if err != nil {
		return nil, err
	}
	page := &care.ReviewPage{Reviews: make([]care.Review, 0, len(rows)), Next: next}
	for _, kv := range rows {
		r, err := readReview(tx, kv.Parts[len(kv.Parts)-1])
		if err != nil {
			return nil, err
		}
		page.Reviews = append(page.Reviews, r)
	}
	return page, nil
}
