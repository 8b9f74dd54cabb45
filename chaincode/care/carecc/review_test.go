package carecc_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/chaincode/care"
	"github.com/cxledger/cxledger/chaincode/orders"
	"github.com/cxledger/cxledger/cxlerr"
)

// seed is the transient data a review client sends: random bytes that seed
// the merchant's pseudonym salt at its first review.
func seed(n int) map[string][]byte {
	return map[string][]byte{care.TransientSalt: []byte(fmt.Sprintf("review-seed-%08d", n))}
}

func review(order string, rating int, text string) string {
	return fmt.Sprintf(`{"orderId":%q,"rating":%d,"text":%s}`, order, rating, quote(text))
}

// quote renders s as a JSON string.
func quote(s string) string {
	out, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(out)
}

func TestPseudonym(t *testing.T) {
	a := care.Pseudonym([]byte("salt of merchant one"), "Org1MSP/alice")
	if !strings.HasPrefix(a, "reviewer-") || len(a) != len("reviewer-")+16 {
		t.Fatalf("pseudonym %q", a)
	}
	if a != care.Pseudonym([]byte("salt of merchant one"), "Org1MSP/alice") {
		t.Fatal("pseudonym not stable")
	}
	if a == care.Pseudonym([]byte("salt of merchant two"), "Org1MSP/alice") || a == care.Pseudonym([]byte("salt of merchant one"), "Org1MSP/bob") {
		t.Fatal("pseudonym ignores the salt or the account")
	}
}

// TestVerifiedReviews: only the buyer of a received order reviews it, once;
// the review shows a per-merchant pseudonym and neither account nor order.
func TestVerifiedReviews(t *testing.T) {
	e := newEnv(t)
	e.order("O1", alice, "Org2MSP", orders.StateDelivered)
	e.order("O2", alice, "Org2MSP", orders.StateReturned)
	e.order("O3", alice, "Org3MSP", orders.StateReturning)
	e.order("O4", bob, "Org2MSP", orders.StateDelivered)
	e.order("O5", alice, "Org2MSP", orders.StatePlaced)
	e.order("O6", alice, "Org2MSP", orders.StateRefunded)

	fails(e, alice, postReview, review("O1", 5, "Great"), nil, cxlerr.Conflict, "transient salt: required for the first review of merchant Org2MSP")
	if _, err := call(e, alice, postReview, review("O1", 5, "Great beans,\nfast delivery."), seed(1)); err != nil {
		t.Fatal(err)
	}
	name, payload := e.event()
	if name != "care.ReviewPosted" || payload.Keys["merchant"] != "Org2MSP" {
		t.Fatalf("event %s %v", name, payload.Keys)
	}
	for _, w := range e.stub.Writes() {
		objectType, parts, _ := e.stub.SplitCompositeKey(w.Key)
		if objectType == "care.orderreview" {
			continue // the marker is keyed by the order, and names no review
		}
		if strings.Contains(string(w.Value), "alice") || strings.Contains(string(w.Value), `"O1"`) || slices.Contains(parts, "O1") {
			t.Fatalf("%s %v names the reviewer or the order: %s", objectType, parts, w.Value)
		}
	}
	if strings.Contains(string(payload.Data), "alice") || strings.Contains(string(payload.Data), "O1") {
		t.Fatalf("event names the reviewer or the order: %s", payload.Data)
	}
	e.stub.Commit()
	r1 := query(e, stranger, listReviews, `{"merchant":"Org2MSP"}`).Reviews[0]
	if r1.Rating != 5 || r1.Purchase != "delivered" || r1.Version != 1 || r1.Entries != 1 || !strings.HasPrefix(r1.Reviewer, "reviewer-") {
		t.Fatalf("review %+v", r1)
	}

	// The seed is only needed once per merchant; sending it again changes nothing.
	e.at(time.Minute)
	r2 := submit(e, alice, postReview, review("O2", 2, "Had to send it back."), nil)
	if r2.Reviewer != r1.Reviewer || r2.Purchase != "returned" {
		t.Fatalf("second review at the merchant: %+v, first by %s", r2, r1.Reviewer)
	}
	r3 := submit(e, alice, postReview, review("O3", 4, "Nice, but returning it."), seed(2))
	r4 := submit(e, bob, postReview, review("O4", 3, "OK."), seed(3))
	if r3.Reviewer == r1.Reviewer || r4.Reviewer == r1.Reviewer || r3.Merchant != "Org3MSP" || r3.Purchase != "returning" {
		t.Fatalf("pseudonyms: alice@Org2 %s, alice@Org3 %s, bob@Org2 %s", r1.Reviewer, r3.Reviewer, r4.Reviewer)
	}

	fails(e, alice, postReview, review("O1", 1, "Again!"), seed(4), cxlerr.Forbidden, "order O1 was already reviewed")
	// Who may not read the order is refused naming nothing of it; its other
	// readers (the merchant, auditors) get why.
	fails(e, bob, postReview, review("O1", 1, "Never bought it"), seed(4), cxlerr.Forbidden, "Org1MSP/bob may not read this record")
	fails(e, rival, postReview, review("O1", 1, "Competitor"), seed(4), cxlerr.Forbidden, "Org3MSP/clerk may not read this record")
	fails(e, agent, postReview, review("O1", 5, "Our own praise"), seed(4), cxlerr.Forbidden, "only the buyer of order O1 may review it")
	fails(e, auditor, postReview, review("O1", 1, "Audit"), seed(4), cxlerr.Forbidden, "only the buyer of order O1 may review it")
	fails(e, alice, postReview, review("O5", 5, "Not here yet"), seed(4), cxlerr.Conflict, "order O5 is placed; only a delivered or returned order can be reviewed")
	fails(e, alice, postReview, review("O6", 5, "Refunded"), seed(4), cxlerr.Conflict, "order O6 is refunded")
	fails(e, alice, postReview, review("O9", 5, "Ghost"), seed(4), cxlerr.Forbidden, "Org1MSP/alice may not read this record")
	fails(e, auditor, postReview, review("O9", 5, "Ghost"), seed(4), cxlerr.NotFound, "order O9 not found")
	fails(e, alice, postReview, review("O5", 0, "x"), nil, cxlerr.Invalid, "rating: must be 1 to 5, got 0")
	fails(e, alice, postReview, review("O5", 6, "x"), nil, cxlerr.Invalid, "rating: must be 1 to 5, got 6")
	fails(e, alice, postReview, review("O5", 5, ""), nil, cxlerr.Invalid, "text: required")
	fails(e, alice, postReview, review("O5", 5, strings.Repeat("x", 4001)), nil, cxlerr.Invalid, "text: 4001 bytes")
	fails(e, alice, postReview, review("O5", 5, "bell\a"), nil, cxlerr.Invalid, "text: unprintable character U+0007")
	fails(e, alice, postReview, `{"orderId":"O5","rating":5}`, nil, cxlerr.Invalid, "text: required")
	fails(e, alice, postReview, `{"orderId":"O5","rating":"5","text":"x"}`, nil, cxlerr.Invalid, "rating: want an integer")
	fails(e, alice, postReview, review("O5", 5, "x"), map[string][]byte{care.TransientSalt: []byte("short")}, cxlerr.Invalid, "transient salt: 5 bytes")
	fails(e, alice, postReview, review("O5", 5, "x"), e.personal(care.TransientMessage, "hi there!"), cxlerr.Invalid, `transient key "message"`)

	page := query(e, stranger, listReviews, `{"merchant":"Org2MSP"}`)
	var got []string
	for _, r := range page.Reviews {
		got = append(got, r.ID)
	}
	if !slices.Equal(got, []string{r1.ID, r2.ID, r4.ID}) {
		t.Fatalf("Org2MSP's reviews %v", got)
	}
	fails(e, stranger, listReviews, `{"merchant":"nope nope"}`, nil, cxlerr.Invalid, "merchant: MSP ID")
}

// TestReviewVersionsAndReplies: edits append versions, the merchant replies,
// and every entry stays.
func TestReviewVersionsAndReplies(t *testing.T) {
	e := newEnv(t)
	e.order("O1", alice, "Org2MSP", orders.StateDelivered)
	r := submit(e, alice, postReview, review("O1", 2, "Arrived dented."), seed(1))
	edit := func(rating int, text string) string {
		return fmt.Sprintf(`{"id":%q,"rating":%d,"text":%s}`, r.ID, rating, quote(text))
	}
	reply := func(text string) string { return fmt.Sprintf(`{"id":%q,"text":%s}`, r.ID, quote(text)) }

	e.at(time.Hour)
	submit(e, agent, replyToReview, reply("Sorry! A replacement is on its way."), nil)
	e.at(2 * time.Hour)
	if _, err := call(e, alice, editReview, edit(4, "Replacement was perfect."), nil); err != nil {
		t.Fatal(err)
	}
	if name, _ := e.event(); name != "care.ReviewEdited" {
		t.Fatalf("event %s", name)
	}
	e.stub.Commit()
	e.at(3 * time.Hour)
	got := submit(e, agent2, replyToReview, reply("Glad to hear it."), nil)
	if got.Rating != 4 || got.Text != "Replacement was perfect." || got.Version != 2 || got.Entries != 4 ||
		got.Reply != "Glad to hear it." || !got.Replied.Equal(e.start.Add(3*time.Hour)) || !got.Updated.Equal(e.start.Add(2*time.Hour)) || !got.Created.Equal(e.start) {
		t.Fatalf("review %+v", got)
	}

	fails(e, bob, editReview, edit(1, "hijack"), nil, cxlerr.Forbidden, "only the author of review")
	fails(e, agent, editReview, edit(1, "hijack"), nil, cxlerr.Forbidden, "only the author of review")
	fails(e, alice, editReview, edit(4, "Replacement was perfect."), nil, cxlerr.Conflict, "already reads so (version 2)")
	fails(e, alice, editReview, edit(9, "x"), nil, cxlerr.Invalid, "rating")
	fails(e, alice, editReview, `{"id":"nope","rating":3,"text":"x"}`, nil, cxlerr.NotFound, "care.review nope not found")
	fails(e, alice, editReview, edit(3, "x"), seed(9), cxlerr.Invalid, `transient key "salt": this function takes no transient data`)
	fails(e, rival, replyToReview, reply("Ours are better"), nil, cxlerr.Forbidden, "review "+r.ID+" is of merchant Org2MSP; only it may reply")
	fails(e, alice, replyToReview, reply("Replying to myself"), nil, cxlerr.Forbidden, "only it may reply")
	fails(e, agent, replyToReview, reply(""), nil, cxlerr.Invalid, "text: required")

	d := query(e, stranger, getReview, id(r.ID))
	var entries []string
	for _, en := range d.Entries {
		entries = append(entries, fmt.Sprintf("%d %s %s %d %s", en.Seq, en.Kind, en.By, en.Rating, en.Text))
	}
	want := []string{
		"1 review " + r.Reviewer + " 2 Arrived dented.",
		"2 reply Org2MSP 0 Sorry! A replacement is on its way.",
		"3 edit " + r.Reviewer + " 4 Replacement was perfect.",
		"4 reply Org2MSP 0 Glad to hear it.",
	}
	if !slices.Equal(entries, want) {
		t.Fatalf("entries\n%s\nwant\n%s", strings.Join(entries, "\n"), strings.Join(want, "\n"))
	}
	out, err := json.Marshal(d)
	if err != nil || strings.Contains(string(out), "alice") {
		t.Fatalf("review detail names the reviewer: %s", out)
	}
}
