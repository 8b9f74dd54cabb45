package care

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cxlerr"
)

// Limits on reviews.
const (
	minRating = 1
	maxRating = 5
	// maxReviewText is the longest review or reply, in bytes.
	maxReviewText = 4000
)

// Pseudonym is how a reviewer appears at a merchant: "reviewer-" and the
// first 8 bytes, in hex, of HMAC-SHA256 keyed with the merchant's
// pseudonym salt over the reviewer's account. Each merchant has its own
// salt, so one account's pseudonyms at two merchants are unrelated to
// anyone without both salts, and nobody can compute a pseudonym from an
// account without the merchant's salt.
func Pseudonym(salt []byte, account string) string {
	mac := hmac.New(sha256.New, salt)
	mac.Write([]byte(account))
	return "reviewer-" + hex.EncodeToString(mac.Sum(nil)[:8])
}

// PostReviewArgs is the argument of PostReview.
type PostReviewArgs struct {
	OrderID string `json:"orderId"`
	Rating  int    `json:"rating"`
	Text    string `json:"text"`
}

// Validate checks the order ID, the rating and the text.
func (a PostReviewArgs) Validate() error {
	if err := ledgertypes.ValidateID("orderId", a.OrderID); err != nil {
		return err
	}
	return validateReview(a.Rating, a.Text)
}

func validateReview(rating int, text string) error {
	if rating < minRating || rating > maxRating {
		return cxlerr.Errorf(cxlerr.Invalid, "rating: must be %d to %d, got %d", minRating, maxRating, rating)
	}
	return checkText("text", text, maxReviewText, true)
}

// EditReviewArgs is the argument of EditReview.
type EditReviewArgs struct {
	ID     string `json:"id"`
	Rating int    `json:"rating"`
	Text   string `json:"text"`
}

// Validate checks the review ID, the rating and the text.
func (a EditReviewArgs) Validate() error {
	if err := ledgertypes.ValidateID("id", a.ID); err != nil {
		return err
	}
	return validateReview(a.Rating, a.Text)
}

// ReplyToReviewArgs is the argument of ReplyToReview.
type ReplyToReviewArgs struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

// Validate checks the review ID and the text.
func (a ReplyToReviewArgs) Validate() error {
	if err := ledgertypes.ValidateID("id", a.ID); err != nil {
		return err
	}
	return checkText("text", a.Text, maxReviewText, true)
}

// ListReviewsArgs is the argument of ListReviews.
type ListReviewsArgs struct {
	Merchant string `json:"merchant"`
	PageSize int    `json:"pageSize,omitempty" metadata:",optional"`
	Bookmark string `json:"bookmark,omitempty" metadata:",optional"`
}

// Validate checks the merchant.
func (a ListReviewsArgs) Validate() error {
	return ledgertypes.ValidateMSP("merchant", a.Merchant)
}
