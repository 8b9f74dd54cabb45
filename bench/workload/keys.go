package workload

import (
	"fmt"
	"strconv"
	"time"
)

// Keys makes the identifiers a workload writes under. Every key carries the run (one `cxl
// bench` invocation) and the round (one measured run of one workload), so keys never
// collide with an earlier invocation or another round on the same network, and a worker's
// keys never collide with another worker's: collisions, and the conflicts they cause, are
// never an artefact of the benchmark.
type Keys struct {
	// Run identifies the invocation: base 36 of its start in nanoseconds.
	Run string
	// Seed is the invocation's start in milliseconds, the digits of its GTINs.
	Seed int64
	// Round counts the measured runs within the invocation.
	Round int
}

// NewKeys returns the keys of an invocation that starts at t.
func NewKeys(t time.Time) Keys {
	return Keys{Run: strconv.FormatInt(t.UnixNano(), 36), Seed: t.UnixMilli()}
}

// ID is a unique identifier for worker's seq-th operation: prefix-run-round-worker-seq,
// made of letters, digits and '-' (valid as an order ID, earn ID, nonce or ledger key),
// at most 64 bytes for a prefix of up to 8 bytes.
func (k Keys) ID(prefix string, worker, seq int) string {
	return fmt.Sprintf("%s-%s-%d-%d-%d", prefix, k.Run, k.Round, worker, seq)
}

// Serial is a GS1 serial number (AI 21: at most 20 characters) unique within the
// invocation's products: R<round>W<worker>S<seq>.
func (k Keys) Serial(worker, seq int) string {
	return fmt.Sprintf("R%dW%dS%d", k.Round, worker, seq)
}

// Lot is a GS1 lot number unique within the invocation's products, one per round.
func (k Keys) Lot() string { return fmt.Sprintf("BENCH%d", k.Round) }

// GTIN is the n-th (0 to 99) product of the invocation: a GTIN-14 with a valid check
// digit, made of the last 10 digits of Seed and n.
func (k Keys) GTIN(n int) string {
	digits := fmt.Sprintf("%010d%02d", k.Seed%10_000_000_000, n%100)
	return "0" + digits + checkDigit(digits)
}

// checkDigit is the GS1 check digit of the digits before it: weights 3 and 1 alternating
// from the right.
func checkDigit(digits string) string {
	sum := 0
	for i := range len(digits) {
		w := 1
		if (len(digits)-i)%2 == 1 {
			w = 3
		}
		sum += w * int(digits[i]-'0')
	}
	return strconv.Itoa((10 - sum%10) % 10)
}

// Account is a ledger account (<MSP ID>/<name>) that belongs to the invocation.
func (k Keys) Account(mspID, name string) string {
	return mspID + "/bench-" + name + "-" + k.Run
}
