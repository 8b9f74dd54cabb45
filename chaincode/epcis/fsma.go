package epcis

import (
	"encoding/csv"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gs1/epcis"
)

// FSMAMaxEvents is the most events one FSMA 204 sheet holds.
const FSMAMaxEvents = 10000

// FSMAColumns are the columns of the FSMA 204 sheet: the critical tracking event (CTE), its
// key data elements (KDEs), and where the ledger holds it.
var FSMAColumns = []string{
	"Traceability Lot Code", "Critical Tracking Event", "Event Type", "Business Step", "Event Date-Time (UTC)",
	"Event Time Zone Offset", "Product (GTIN)", "Quantity", "Unit of Measure", "Location", "Read Point",
	"Immediate Previous Source", "Immediate Subsequent Recipient", "Reference Documents", "Disposition",
	"Event Hash", "Transaction ID", "Captured By", "Record Time (UTC)", "Error Declaration",
}

// TraceabilityLot reads a traceability lot code, an LGTIN EPC URN or a Digital Link URI
// with GTIN and lot, as the canonical Digital Link URI events are indexed by; INVALID for
// anything else.
func TraceabilityLot(tlc string) (string, error) {
	lot, err := epcis.CanonicalEPC(tlc)
	if err != nil {
		return "", err
	}
	if !strings.Contains(lot, "/10/") || strings.Contains(lot, "/21/") {
		return "", cxlerr.Errorf(cxlerr.Invalid, "a traceability lot code is a GTIN with a lot (urn:epc:class:lgtin:... or /01/{gtin}/10/{lot}), not %s", lot)
	}
	return lot, nil
}

// WriteFSMA204 writes the FSMA 204 sortable spreadsheet of lot (as TraceabilityLot returns
// it) as CSV: a header row, then one row per event, oldest first. Every cell is a value the
// event was validated with (a URI, a vocabulary word, a number, a time or an offset), so none
// is free text a spreadsheet could take for a formula.
func WriteFSMA204(w io.Writer, lot string, events []StoredEvent) error {
	events = slices.Clone(events)
	slices.SortStableFunc(events, func(x, y StoredEvent) int { return x.EventTime.Compare(y.EventTime) })
	cw := csv.NewWriter(w)
	if err := cw.Write(FSMAColumns); err != nil {
		return err
	}
	for _, se := range events {
		row, err := fsmaRow(lot, se)
		if err != nil {
			return err
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// fsmaRow is one event's row.
func fsmaRow(lot string, se StoredEvent) ([]string, error) {
	e, err := epcis.ParseEvent(se.Event, epcis.Namespaces(se.Namespaces), "event "+se.Hash)
	if err != nil {
		return nil, cxlerr.Errorf(cxlerr.Internal, "stored event: %w", err)
	}
	qty, uom := "", ""
	for _, l := range [][]epcis.Quantity{e.QuantityList, e.ChildQuantityList, e.InputQuantityList, e.OutputQuantityList} {
		for _, q := range l {
			if q.EPCClass == lot {
				qty, uom = q.Quantity, q.UOM
			}
		}
	}
	gtin, _, _ := strings.Cut(strings.TrimPrefix(lot, "https://id.gs1.org/01/"), "/")
	var docs []string
	for _, bt := range e.BizTransactions {
		docs = append(docs, strings.TrimSpace(strings.TrimPrefix(bt.Type, "https://ref.gs1.org/cbv/BTT-")+" "+bt.ID))
	}
	declared := ""
	if d := se.ErrorDeclaration; d != nil {
		declared = d.DeclarationTime.UTC().Format(time.RFC3339) + " " + strings.TrimPrefix(d.Reason, "https://ref.gs1.org/cbv/ER-") + " by " + d.Declarer + " (tx " + d.TxID + ")"
	}
	row := []string{
		lot, cteOf(e, lot), e.Type, strings.TrimPrefix(e.BizStep, "https://ref.gs1.org/cbv/BizStep-"),
		e.EventTime.UTC().Format(time.RFC3339Nano), e.EventTimeZoneOffset, gtin, qty, uom, e.BizLocation, e.ReadPoint,
		parties(e.Sources), parties(e.Destinations), strings.Join(docs, "; "),
		strings.TrimPrefix(e.Disposition, "https://ref.gs1.org/cbv/Disp-"), se.Hash, se.TxID, se.Capturer,
		se.RecordTime.UTC().Format(time.RFC3339Nano), declared,
	}
	return row, nil
}

// cteOf names the FSMA 204 critical tracking event an EPCIS event records for lot.
func cteOf(e *epcis.Event, lot string) string {
	if e.Type == epcis.TransformationEvent {
		for _, q := range e.OutputQuantityList {
			if q.EPCClass == lot {
				return "Transformation"
			}
		}
		return "Transformation (input)"
	}
	step := strings.TrimPrefix(e.BizStep, "https://ref.gs1.org/cbv/BizStep-")
	switch step {
	case "commissioning":
		return "Initial Packing"
	case "shipping", "departing":
		return "Shipping"
	case "receiving", "arriving", "accepting":
		return "Receiving"
	case "packing", "repackaging":
		return "Packing"
	case "":
		return "Other"
	}
	return "Other (" + step + ")"
}

func parties(ps []epcis.Party) string {
	var out []string
	for _, p := range ps {
		out = append(out, strings.TrimPrefix(p.Type, "https://ref.gs1.org/cbv/SDT-")+" "+p.ID)
	}
	return strings.Join(out, "; ")
}
