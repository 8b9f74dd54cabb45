package vault

import (
	"context"
	"crypto/ecdh"
	"encoding/json"

	"github.com/cxledger/cxledger/chaincode/care"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
)

// Wrap returns t with the answer of care:GetTicketPersonalData opened by the vault, in the
// shape the merchant's members read (care.TicketPersonalData); everything else passes
// through.
func (v *Vault) Wrap(t ledgerapi.Transport) ledgerapi.Transport { return opening{Transport: t, v: v} }

type opening struct {
	ledgerapi.Transport
	v *Vault
}

// Evaluate opens personal data; it marks the request as the vault's, without which the
// operation is refused (see ledgerapi.WithVault).
func (o opening) Evaluate(ctx context.Context, op *ledgerapi.Operation, req any) (json.RawMessage, error) {
	if op != &ledgerapi.CareGetTicketPersonalData.Operation {
		return o.Transport.Evaluate(ctx, op, req)
	}
	raw, err := o.Transport.Evaluate(ledgerapi.WithVault(ctx), op, req)
	if err != nil {
		return nil, err
	}
	var sealed care.SealedPersonalData
	if err := json.Unmarshal(raw, &sealed); err != nil {
		return nil, cxlerr.Errorf(cxlerr.Internal, "decode the answer of %s: %w", op.Name(), err)
	}
	pd, err := ledgerapi.OpenPersonalData(&sealed, func(msp, id string) (*ecdh.PrivateKey, error) {
		key, err := o.v.Key(msp, id)
		if cxlerr.CodeOf(err) == cxlerr.NotFound {
			return nil, cxlerr.Errorf(cxlerr.Internal, "%v", err)
		}
		return key, err
	})
	if err != nil {
		return nil, err
	}
	out, err := json.Marshal(pd)
	if err != nil {
		return nil, cxlerr.Errorf(cxlerr.Internal, "encode the personal data: %w", err)
	}
	return out, nil
}
