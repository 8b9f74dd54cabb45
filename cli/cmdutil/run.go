package cmdutil

import (
	"context"
	"time"

	"github.com/cxledger/cxledger/ledgerapi"
)

// Mutate connects to the ledger, submits op with req under the command's mutation flags
// (Submit) and prints it (PrintCommitted): done(result) is the line said on ErrOut and
// fields(result), if set, prints the record.
func Mutate[Req, Res any](ctx context.Context, io *IOStreams, open func(context.Context) (Client, error), m *MutationOptions, asJSON bool,
	op *ledgerapi.Op[Req, Res], req Req, done func(*Res) string, fields func(*Res) error) error {
	return WithClient(ctx, open, m.Timeout, func(ctx context.Context, c Client) error {
		res, err := Submit(ctx, io, c, m, op, req)
		if err != nil {
			return err
		}
		var print func() error
		if fields != nil {
			print = func() error { return fields(&res.Result) }
		}
		return PrintCommitted(io, asJSON, res, done(&res.Result), print)
	})
}

// Query connects to the ledger, fetches one answer and prints it: as JSON with asJSON,
// with text otherwise.
func Query[T any](ctx context.Context, io *IOStreams, open func(context.Context) (Client, error), timeout time.Duration, asJSON bool,
	fetch func(context.Context, Client) (T, error), text func(T) error) error {
	return WithClient(ctx, open, timeout, func(ctx context.Context, c Client) error {
		v, err := fetch(ctx, c)
		if err != nil {
			return err
		}
		if asJSON {
			return PrintJSON(io.Out, v)
		}
		return text(v)
	})
}

// MaxPage is the largest page a listing asks for: the gateway service's cap.
const MaxPage = 100

// Paginate collects up to limit items from fetch, a page of at most MaxPage at a time,
// starting at bookmark. It returns the items (never nil) and the bookmark of what is left,
// "" when nothing is.
func Paginate[T any](limit int, bookmark string, fetch func(size int, bookmark string) ([]T, string, error)) ([]T, string, error) {
	all := []T{}
	for {
		page, next, err := fetch(min(limit-len(all), MaxPage), bookmark)
		if err != nil {
			return nil, "", err
		}
		all = append(all, page...)
		if next == "" || len(all) >= limit || len(page) == 0 {
			return all, next, nil
		}
		bookmark = next
	}
}

// Connected is an open function for a client that is already connected, for a command that
// needs the client before it submits (to find the caller's own account); its owner closes
// it.
func Connected(c Client) func(context.Context) (Client, error) {
	return func(context.Context) (Client, error) { return noClose{c}, nil }
}

type noClose struct{ Client }

func (noClose) Close() error { return nil }
