package provenancecc

import (
	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/cxlerr"
)

// maxContainer is the longest container identifier, in bytes.
const maxContainer = 256

// maxItemsPerPack is the most lots and items Contents reads of one container.
const maxItemsPerPack = 1000

// PackPlan is a packing of lots and items into a container, or their unpacking, checked
// against the custody rules and ready to write; PlanPack and PlanUnpack make one.
//
// Packing is recorded on the subjects' custody records (Custody.PackedInto, so custody
// history, Trace and Verify show it, and a custody move keeps it: the contents travel with
// their container) and in the index provenance.content, container -> contents.
type PackPlan struct {
	container string
	pack      bool
	subjects  []packed
}

// packed is one subject of a PackPlan with its custody key and record.
type packed struct {
	key string
	c   provenance.Custody
}

// PlanPack checks the packing of subjects into container: each lot or item registered
// (NOT_FOUND), held by the caller (its organisation, or its own account: FORBIDDEN
// otherwise), with no custody offer pending (CONFLICT: the receiver's peers would have to
// endorse) and not packed into another container (CONFLICT: unpack it first). A subject
// already packed into container is packed again as it is. Only committed state is read;
// nothing is written.
func PlanPack(tx *ledger.Tx, container string, subjects []provenance.SubjectArgs) (*PackPlan, error) {
	p := &PackPlan{container: container, pack: true}
	if err := p.plan(tx, subjects); err != nil {
		return nil, err
	}
	return p, nil
}

// PlanUnpack checks the unpacking of subjects from container, or of everything the ledger
// records in container when subjects is empty: each held by the caller, with no offer
// pending, and packed into container (CONFLICT otherwise). Only committed state is read;
// nothing is written.
func PlanUnpack(tx *ledger.Tx, container string, subjects []provenance.SubjectArgs) (*PackPlan, error) {
	if err := validateContainer(container); err != nil {
		return nil, err
	}
	if len(subjects) == 0 {
		var err error
		if subjects, err = Contents(tx, container); err != nil {
			return nil, err
		}
	}
	p := &PackPlan{container: container}
	if err := p.plan(tx, subjects); err != nil {
		return nil, err
	}
	return p, nil
}

// Len is how many lots and items the plan packs or unpacks.
func (p *PackPlan) Len() int { return len(p.subjects) }

func (p *PackPlan) plan(tx *ledger.Tx, subjects []provenance.SubjectArgs) error {
	if err := validateContainer(p.container); err != nil {
		return err
	}
	for _, s := range subjects {
		a := provenance.CustodyArgs{SubjectArgs: s}
		if err := a.Validate(); err != nil {
			return err
		}
		key, c, err := readCustody(tx, s)
		if err != nil {
			return err
		}
		what := "pack"
		if !p.pack {
			what = "unpack"
		}
		if !tx.Caller().ActsForParty(c.Holder) {
			return cxlerr.Errorf(cxlerr.Forbidden, "%s is held by %s; %s cannot %s it", s.Describe(), c.Holder, tx.Caller().Account, what)
		}
		if c.Offer != nil {
			return cxlerr.Errorf(cxlerr.Conflict, "%s is offered to %s; %s it before offering it or after the offer is settled", s.Describe(), c.Offer.To, what)
		}
		switch {
		case p.pack && c.PackedInto != "" && c.PackedInto != p.container:
			return cxlerr.Errorf(cxlerr.Conflict, "%s is packed into %s; unpack it first", s.Describe(), c.PackedInto)
		case !p.pack && c.PackedInto != p.container:
			return cxlerr.Errorf(cxlerr.Conflict, "%s is not packed into %s", s.Describe(), p.container)
		}
		p.subjects = append(p.subjects, packed{key: key, c: c})
	}
	return nil
}

// Write records the planned packing or unpacking. It keeps the custody keys' endorsement
// policies: the holder's organisation, which endorses as the caller's.
func (p *PackPlan) Write(tx *ledger.Tx) error {
	for _, s := range p.subjects {
		c := s.c
		c.PackedInto = ""
		if p.pack {
			c.PackedInto = p.container
		}
		if err := writeCustody(tx, s.key, c); err != nil {
			return err
		}
		key, err := contentKey(tx, p.container, c)
		if err != nil {
			return err
		}
		if p.pack {
			err = tx.Stub().PutState(key, []byte{'1'})
		} else {
			err = tx.Stub().DelState(key)
		}
		if err != nil {
			return cxlerr.Errorf(cxlerr.Internal, "write %s: %w", ledger.DescribeKey(key), err)
		}
	}
	return nil
}

// Contents returns the lots and items the ledger records packed into container (at most
// maxItemsPerPack), items then lots, each by GTIN and serial or lot number. Other contracts call it in their transactions.
func Contents(tx *ledger.Tx, container string) ([]provenance.SubjectArgs, error) {
	if err := validateContainer(container); err != nil {
		return nil, err
	}
	var out []provenance.SubjectArgs
	more, err := ledger.Scan(tx, contentType, []string{container}, maxItemsPerPack, func(kv ledger.KV) error {
		s := provenance.SubjectArgs{Kind: kv.Parts[1], GTIN: kv.Parts[2]}
		if s.Kind == provenance.KindItem {
			s.Serial = kv.Parts[3]
		} else {
			s.Lot = kv.Parts[3]
		}
		out = append(out, s)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if more {
		return nil, cxlerr.Errorf(cxlerr.TooLarge, "container %s holds more than %d lots and items", container, maxItemsPerPack)
	}
	return out, nil
}

// contentKey is the index row of c in container.
func contentKey(tx *ledger.Tx, container string, c provenance.Custody) (string, error) {
	if c.Kind == provenance.KindItem {
		return ledger.Key(tx, contentType, container, c.Kind, c.GTIN, c.Serial)
	}
	return ledger.Key(tx, contentType, container, c.Kind, c.GTIN, c.Lot)
}

func validateContainer(container string) error {
	if container == "" {
		return cxlerr.Errorf(cxlerr.Invalid, "container: required")
	}
	return ledgertypes.ValidateText("container", container, maxContainer)
}
