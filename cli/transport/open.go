package transport

import (
	"context"
	"sort"

	"github.com/cxledger/cxledger/cli/cmdutil"
)

// Open connects to the ledger that Resolve chooses. Nothing is contacted yet: a gateway
// service or peer that is down is reported by the first call.
func Open(ctx context.Context, f *cmdutil.Factory) (cmdutil.Client, error) {
	r, err := Resolve(f, Getenv)
	if err != nil {
		return nil, err
	}
	if r.Profile.Customer() {
		return NewCustomer(r.Profile)
	}
	if r.Profile.Transport() == cmdutil.TransportGateway {
		return NewGateway(r.Profile.Gateway, r.Profile.APIKey, r.Profile.GatewayCA)
	}
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	return NewFabric(ctx, r.Profile, JournalDir(cfg))
}

func sorted(s []string) []string {
	sort.Strings(s)
	return s
}
