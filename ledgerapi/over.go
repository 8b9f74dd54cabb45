package ledgerapi

// Over is the ledger reached through t: every contract's methods run their operation's
// descriptor, so an adapter implements Transport once instead of every method.
func Over(t Transport) Ledger { return over{t} }

type over struct{ t Transport }

func (l over) Health() Health             { return healthOver{l.t} }
func (l over) Consortium() Consortium     { return consortiumOver{l.t} }
func (l over) Provenance() Provenance     { return provenanceOver{l.t} }
func (l over) Orders() Orders             { return ordersOver{l.t} }
func (l over) Loyalty() Loyalty           { return loyaltyOver{l.t} }
func (l over) Care() Care                 { return careOver{l.t} }
func (l over) Epcis() EPCIS               { return epcisOver{l.t} }
func (l over) Transactions() Transactions { return l.t.Transactions() }
func (l over) Events() Events             { return l.t.Events() }
