package ledgerapi

import "github.com/cxledger/cxledger/cxlerr"

// Validate runs the Validate method of the request req points to, if it has one, and
// returns its error as a *cxlerr.Error. Pass a pointer: the contracts' argument types validate
// with pointer or value receivers. It is what every adapter runs before any ledger call.
func Validate(req any) error {
	v, ok := req.(Validator)
	if !ok {
		return nil
	}
	if err := v.Validate(); err != nil {
		return cxlerr.From(err)
	}
	return nil
}
