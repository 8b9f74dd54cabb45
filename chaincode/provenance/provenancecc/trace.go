package provenancecc

import (
	"encoding/base64"
	"encoding/json"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/cxlerr"
)

// traceBookmark is where the next page of trace items starts: a lot of the
// trace and the kit's bookmark within that lot's items.
type traceBookmark struct {
	GTIN string `json:"gtin"`
	Lot  string `json:"lot"`
	Page string `json:"page,omitempty"`
}

// trace walks the lot graph both ways with composite-key indexes (the lot
// records hold their inputs, provenance.child rows list each lot's
// children) and lists items from the provenance.itemcustody rows, whose key
// starts with the lot and whose value is the holder: one range scan per lot
// instead of a read per item.
func trace(tx *ledger.Tx, a provenance.TraceArgs) (*provenance.LotTrace, error) {
	roots, err := readLots(tx, 0, []provenance.LotRef{{GTIN: a.GTIN, Lot: a.Lot}})
	if err != nil {
		return nil, err
	}
	root := roots[0]
	upstream, err := upstreamOf(tx, root)
	if err != nil {
		return nil, err
	}
	downstream, err := downstreamOf(tx, root)
	if err != nil {
		return nil, err
	}
	items, next, err := traceItems(tx, append([]provenance.TraceLot{root}, downstream...), a.PageSize, a.Bookmark)
	if err != nil {
		return nil, err
	}
	return &provenance.LotTrace{Lot: root, Upstream: upstream, Downstream: downstream, Items: items, Bookmark: next}, nil
}

// upstreamOf returns the inputs of lot, recursively, breadth first.
func upstreamOf(tx *ledger.Tx, lot provenance.TraceLot) ([]provenance.TraceLot, error) {
	visited := map[provenance.LotRef]bool{{GTIN: lot.GTIN, Lot: lot.Lot}: true}
	out := []provenance.TraceLot{}
	frontier := lot.Inputs
	for depth := 1; len(frontier) > 0; depth++ {
		level := unvisited(visited, frontier)
		if len(out)+len(level) > maxTraceLots {
			return nil, cxlerr.Errorf(cxlerr.Invalid, "lot %s/%s has more than %d upstream lots; too many to trace", lot.GTIN, lot.Lot, maxTraceLots)
		}
		nodes, err := readLots(tx, depth, level)
		if err != nil {
			return nil, err
		}
		out = append(out, nodes...)
		frontier = nil
		for _, n := range nodes {
			frontier = append(frontier, n.Inputs...)
		}
	}
	return out, nil
}

// downstreamOf returns the lots made from lot, recursively, breadth first.
func downstreamOf(tx *ledger.Tx, lot provenance.TraceLot) ([]provenance.TraceLot, error) {
	visited := map[provenance.LotRef]bool{{GTIN: lot.GTIN, Lot: lot.Lot}: true}
	out := []provenance.TraceLot{}
	frontier := []provenance.LotRef{{GTIN: lot.GTIN, Lot: lot.Lot}}
	for depth := 1; len(frontier) > 0; depth++ {
		var children []provenance.LotRef
		for _, parent := range frontier {
			more, err := ledger.Scan(tx, childType, []string{parent.GTIN, parent.Lot}, maxTraceLots, func(kv ledger.KV) error {
				children = append(children, provenance.LotRef{GTIN: kv.Parts[2], Lot: kv.Parts[3]})
				return nil
			})
			if err != nil {
				return nil, err
			}
			if more {
				return nil, cxlerr.Errorf(cxlerr.Invalid, "lot %s/%s has more than %d child lots; too many to trace", parent.GTIN, parent.Lot, maxTraceLots)
			}
		}
		level := unvisited(visited, children)
		if len(out)+len(level) > maxTraceLots {
			return nil, cxlerr.Errorf(cxlerr.Invalid, "lot %s/%s has more than %d downstream lots; too many to trace", lot.GTIN, lot.Lot, maxTraceLots)
		}
		nodes, err := readLots(tx, depth, level)
		if err != nil {
			return nil, err
		}
		out = append(out, nodes...)
		frontier = level
	}
	return out, nil
}

// unvisited returns the refs not yet visited, in order and without
// repeats, and marks them visited.
func unvisited(visited map[provenance.LotRef]bool, refs []provenance.LotRef) []provenance.LotRef {
	var out []provenance.LotRef
	for _, r := range refs {
		if !visited[r] {
			visited[r] = true
			out = append(out, r)
		}
	}
	return out
}

// readLots reads the records and custody of refs with one batched read.
func readLots(tx *ledger.Tx, depth int, refs []provenance.LotRef) ([]provenance.TraceLot, error) {
	keys := make([]string, 0, 2*len(refs))
	for _, r := range refs {
		lotKey, err := ledger.Key(tx, lotType, r.GTIN, r.Lot)
		if err != nil {
			return nil, err
		}
		custodyKey, err := ledger.Key(tx, lotCustodyType, r.GTIN, r.Lot)
		if err != nil {
			return nil, err
		}
		keys = append(keys, lotKey, custodyKey)
	}
	values, err := getMany(tx, keys)
	if err != nil {
		return nil, err
	}
	out := make([]provenance.TraceLot, len(refs))
	for i, r := range refs {
		rawLot, rawCustody := values[2*i], values[2*i+1]
		if rawLot == nil || rawCustody == nil {
			return nil, cxlerr.Errorf(cxlerr.NotFound, "lot %s/%s not found", r.GTIN, r.Lot)
		}
		var lot provenance.ProductLot
		if err := json.Unmarshal(rawLot, &lot); err != nil {
			return nil, cxlerr.Errorf(cxlerr.Internal, "decode %s: %w", ledger.DescribeKey(keys[2*i]), err)
		}
		var c custodyRecord
		if err := json.Unmarshal(rawCustody, &c); err != nil {
			return nil, cxlerr.Errorf(cxlerr.Internal, "decode %s: %w", ledger.DescribeKey(keys[2*i+1]), err)
		}
		out[i] = provenance.TraceLot{
			GTIN: lot.GTIN, Lot: lot.Lot, Owner: lot.Owner, Quantity: lot.Quantity, Unit: lot.Unit,
			Inputs: lot.Inputs, Depth: depth, Holder: c.Holder, PackedInto: c.PackedInto, Recall: lot.Recall,
		}
		if c.Offer != nil {
			out[i].OfferedTo = c.Offer.To
		}
	}
	return out, nil
}

// traceItems returns up to size items of lots, lot by lot, starting where
// bookmark says, and the bookmark of the next page ("" after the last).
func traceItems(tx *ledger.Tx, lots []provenance.TraceLot, size int, bookmark string) ([]provenance.TraceItem, string, error) {
	start, page := 0, ""
	if bookmark != "" {
		raw, err := base64.RawURLEncoding.DecodeString(bookmark)
		var b traceBookmark
		if err != nil || json.Unmarshal(raw, &b) != nil {
			return nil, "", cxlerr.Errorf(cxlerr.Invalid, "bookmark: not a trace bookmark")
		}
		start = -1
		for i, l := range lots {
			if l.GTIN == b.GTIN && l.Lot == b.Lot {
				start = i
				break
			}
		}
		if start < 0 {
			return nil, "", cxlerr.Errorf(cxlerr.Invalid, "bookmark: lot %s/%s is not in this trace", b.GTIN, b.Lot)
		}
		page = b.Page
	}
	items := []provenance.TraceItem{}
	for _, l := range lots[start:] {
		for {
			if len(items) == size {
				next, err := json.Marshal(traceBookmark{GTIN: l.GTIN, Lot: l.Lot, Page: page})
				if err != nil {
					return nil, "", cxlerr.Errorf(cxlerr.Internal, "encode trace bookmark: %w", err)
				}
				return items, base64.RawURLEncoding.EncodeToString(next), nil
			}
			rows, next, err := ledger.Page(tx, itemCustodyType, []string{l.GTIN, l.Lot}, min(size-len(items), ledgertypes.MaxPageSize), page)
			if err != nil {
				return nil, "", err
			}
			for _, row := range rows {
				var c custodyRecord
				if err := json.Unmarshal(row.Value, &c); err != nil {
					return nil, "", cxlerr.Errorf(cxlerr.Internal, "decode %s: %w", ledger.DescribeKey(row.Key), err)
				}
				item := provenance.TraceItem{GTIN: row.Parts[0], Lot: row.Parts[1], Serial: row.Parts[2], Holder: c.Holder, PackedInto: c.PackedInto}
				if c.Offer != nil {
					item.OfferedTo = c.Offer.To
				}
				items = append(items, item)
			}
			page = next
			if next == "" {
				break
			}
		}
	}
	return items, "", nil
}

// Trace limits.
const (
	// maxTraceLots bounds the lots Trace and Verify walk in each direction.
	maxTraceLots = 1000
)
