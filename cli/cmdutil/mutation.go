package cmdutil

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
)

// MutationOptions are the flags every mutating command takes.
type MutationOptions struct {
	// IdempotencyKey is --idempotency-key; a fresh key is made (and printed) when empty.
	IdempotencyKey string
	// Wait is --wait (default) or --no-wait: whether to follow a transaction whose commit is
	// not known when the ledger first answers.
	Wait bool
	// Timeout bounds the whole command.
	Timeout time.Duration

	// line identifies the command line (command, arguments, flags but the mutation's and
	// the output's own) for Now.
	line string
}

// DefaultTimeout bounds a command that reaches the ledger.
const DefaultTimeout = 2 * time.Minute

// AddMutationFlags adds --idempotency-key, --wait, --no-wait and --timeout to cmd, and
// checks them before the command runs.
func AddMutationFlags(cmd *cobra.Command, m *MutationOptions) {
	var noWait bool
	m.Wait = true
	cmd.Flags().StringVar(&m.IdempotencyKey, "idempotency-key", "", "run the operation at most once under this `key`: repeating the command with it returns the first outcome (made up and printed when absent)")
	cmd.Flags().BoolVar(&m.Wait, "wait", true, "when the commit is not known at once, follow the transaction until it commits or --timeout passes")
	cmd.Flags().BoolVar(&noWait, "no-wait", false, "when the commit is not known at once, print the transaction ID and exit 8 (pending) instead of following it")
	cmd.Flags().DurationVar(&m.Timeout, "timeout", DefaultTimeout, "give up after `duration`")
	chain(cmd, func(cmd *cobra.Command, args []string) error {
		m.line = commandLine(cmd, args)
		if noWait {
			if cmd.Flags().Changed("wait") && m.Wait {
				return UsageErrorf("--wait and --no-wait: choose one")
			}
			m.Wait = false
		}
		if m.IdempotencyKey != "" {
			if len(m.IdempotencyKey) > 128 {
				return UsageErrorf("--idempotency-key: at most 128 characters")
			}
			for _, c := range m.IdempotencyKey {
				if c < 0x21 || c > 0x7e {
					return UsageErrorf("--idempotency-key: printable ASCII without spaces")
				}
			}
		}
		if m.Timeout <= 0 {
			return UsageErrorf("--timeout: must be positive")
		}
		return nil
	})
}

// AddTimeoutFlag adds --timeout to a command that only reads.
func AddTimeoutFlag(cmd *cobra.Command, d *time.Duration) {
	cmd.Flags().DurationVar(d, "timeout", DefaultTimeout, "give up after `duration`")
}

// AddLimitFlag adds --limit (-L) to a listing: at most that many entries, at least 1.
func AddLimitFlag(cmd *cobra.Command, limit *int, def int, what string) {
	cmd.Flags().IntVarP(limit, "limit", "L", def, "list at most `N` "+what)
	chain(cmd, func(*cobra.Command, []string) error {
		if *limit < 1 {
			return UsageErrorf("--limit: must be at least 1")
		}
		return nil
	})
}

// chain runs check before the command's PreRunE (if any).
func chain(cmd *cobra.Command, check func(*cobra.Command, []string) error) {
	prev := cmd.PreRunE
	cmd.PreRunE = func(c *cobra.Command, args []string) error {
		if err := check(c, args); err != nil {
			return err
		}
		if prev != nil {
			return prev(c, args)
		}
		return nil
	}
}

// NewIdempotencyKey returns a random key in UUID form.
func NewIdempotencyKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Key returns the mutation's idempotency key, making one up and printing it to ErrOut when
// the user gave none, so that a script can repeat the command safely.
func (m *MutationOptions) Key(io *IOStreams) string {
	if m.IdempotencyKey == "" {
		m.IdempotencyKey = NewIdempotencyKey()
		fmt.Fprintf(io.ErrOut, "idempotency key %s (repeat the command with --idempotency-key %s to retry it safely)\n", m.IdempotencyKey, m.IdempotencyKey)
	}
	return m.IdempotencyKey
}

// Submit runs one mutation, op with req, through c under the mutation's idempotency key
// and decodes the contract's result. While it runs a progress indicator shows on a
// terminal. When the commit is not known at once it follows the transaction (Follow) unless
// --no-wait.
func Submit[Req, Res any](ctx context.Context, io *IOStreams, c Client, m *MutationOptions, op *ledgerapi.Op[Req, Res], req Req) (*ledgerapi.Committed[Res], error) {
	key := m.Key(io)
	p := io.StartProgress("submitting " + op.Name())
	defer p.Stop()
	return SubmitKey(ctx, c, key, m.Wait, op, req, func(txID string) {
		p.Update("waiting for transaction " + txID + " to commit")
	})
}

// SubmitKey is Submit with the key given and nothing shown: it runs op with req under key,
// follows a pending transaction when wait (telling following, if set, its ID) and decodes
// the result.
func SubmitKey[Req, Res any](ctx context.Context, c Client, key string, wait bool, op *ledgerapi.Op[Req, Res], req Req, following func(txID string)) (*ledgerapi.Committed[Res], error) {
	ctx = ledgerapi.WithIdempotencyKey(ctx, key)
	res, err := op.Run(ctx, c, req)
	e := pendingError(err)
	if e == nil || !wait || e.TransactionID == "" {
		return res, err
	}
	if following != nil {
		following(e.TransactionID)
	}
	raw, err := Follow(ctx, c, e.TransactionID)
	if err != nil {
		return nil, err
	}
	out := &ledgerapi.Committed[Res]{TransactionID: raw.TransactionID, BlockNumber: raw.BlockNumber}
	if len(raw.Result) > 0 && string(raw.Result) != "null" {
		if err := json.Unmarshal(raw.Result, &out.Result); err != nil {
			return nil, fmt.Errorf("decode the result of %s: %w", op.Name(), err)
		}
	}
	return out, nil
}

// pendingError returns err's ledger error when it is PENDING.
func pendingError(err error) *cxlerr.Error {
	var e *cxlerr.Error
	if errors.As(err, &e) && e.Code == cxlerr.Pending {
		return e
	}
	return nil
}

// FollowInterval is the wait between two status checks of a pending transaction.
var FollowInterval = 500 * time.Millisecond

// Follow asks for the status of transaction txID until it committed (its result, as far as
// the ledger tells it to this caller) or failed (its error), or ctx ends (a PENDING error).
func Follow(ctx context.Context, c Client, txID string) (*RawCommitted, error) {
	pending := cxlerr.Errorf(cxlerr.Pending, "transaction %s was submitted and its commit is not known yet; follow it with `cxl tx status %s`", txID, txID).WithTransaction(txID)
	for {
		st, err := c.Transactions().Status(ctx, txID)
		switch {
		case err == nil && st.State == ledgerapi.TxCommitted:
			return &RawCommitted{TransactionID: txID, BlockNumber: st.BlockNumber, Result: st.Result}, nil
		case err == nil && st.State == ledgerapi.TxFailed:
			if st.Error != nil {
				return nil, st.Error
			}
			return nil, cxlerr.Errorf(cxlerr.Internal, "transaction %s failed validation (%s)", txID, st.ValidationCode).WithTransaction(txID)
		case err != nil && ctx.Err() == nil:
			code := cxlerr.CodeOf(err)
			if code != cxlerr.NotFound && !cxlerr.From(err).Retryable {
				return nil, err
			}
		}
		select {
		case <-ctx.Done():
			return nil, pending
		case <-time.After(FollowInterval):
		}
	}
}

// PrintCommitted shows a committed mutation: with asJSON the envelope {transactionId,
// blockNumber, result} on Out; otherwise "✓ done" with the transaction on ErrOut and the
// record (printed by fields) on Out.
func PrintCommitted[T any](io *IOStreams, asJSON bool, c *ledgerapi.Committed[T], done string, fields func() error) error {
	if asJSON {
		return PrintJSON(io.Out, c)
	}
	io.Success("%s (transaction %s, block %d)", done, c.TransactionID, c.BlockNumber)
	if fields == nil {
		return nil
	}
	return fields()
}
