package httpapi

import (
	"encoding/csv"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/cxledger/cxledger/chaincode/epcis"
	"github.com/cxledger/cxledger/cxlerr"
	gepcis "github.com/cxledger/cxledger/gs1/epcis"
)

// fsmaMaxEvents is the most events one FSMA 204 sheet holds.
const fsmaMaxEvents = 10000

// fsmaColumns are the columns of the FSMA 204 sheet: the critical tracking event, its key
// data elements, and where the ledger holds it.
var fsmaColumns = []string{
	"Traceability Lot Code", "Critical Tracking Event", "Event Type", "Business Step", "Event Date-Time (UTC)",
	"Event Time Zone Offset", "Product (GTIN)", "Quantity", "Unit of Measure", "Location", "Read Point",
	"Immediate Previous Source", "Immediate Subsequent Recipient", "Reference Documents", "Disposition",
	"Event Hash", "Transaction ID", "Captured By", "Record Time (UTC)", "Error Declaration",
}

// fsma204 answers the FSMA 204 sortable spreadsheet of a traceability lot code: every event
// the caller may read that names the lot, oldest first, one row each.
func (s *Server) fsma204(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	tlc := q.Get("tlc")
	if len(q) != 1 || len(q["tlc"]) != 1 || tlc == "" {
		s.epcisError(w, r, cxlerr.Errorf(cxlerr.Invalid, "give the traceability lot code as tlc, once, and nothing else"), exQueryParam)
		return
	}
	lot, err := gepcis.CanonicalEPC(tlc)
	if err == nil && !strings.Contains(lot, "/10/") {
		err = cxlerr.Errorf(cxlerr.Invalid, "%s names no lot: a traceability lot code is a GTIN with a lot (urn:epc:class:lgtin:... or /01/{gtin}/10/{lot})", shortText(tlc))
	}
	if err != nil {
		s.epcisError(w, r, err, exQueryParam)
		return
	}
	var events []epcis.StoredEvent
	a := epcis.QueryArgs{MatchAnyEPC: lot, PageSize: s.opts.Limits.MaxPageSize}
	for {
		res, err := s.queryEvents(r, a)
		if err != nil {
			s.epcisError(w, r, err, exQueryParam)
			return
		}
		events = append(events, res.Events...)
		if len(events) > fsmaMaxEvents {
			s.epcisError(w, r, cxlerr.Errorf(cxlerr.TooLarge, "more than %d events name %s", fsmaMaxEvents, shortText(tlc)), exQueryParam)
			return
		}
		if res.Bookmark == "" {
			break
		}
		a.Bookmark = res.Bookmark
	}
	slices.SortStableFunc(events, func(x, y epcis.StoredEvent) int { return x.EventTime.Compare(y.EventTime) })
	epcisHeaders(w)
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="fsma204.csv"`)
	w.WriteHeader(http.StatusOK)
	cw := csv.NewWriter(w)
	_ = cw.Write(fsmaColumns)
	for _, se := range events {
		row, err := fsmaRow(lot, se)
		if err != nil {
			s.log.Error("fsma204 row", "event", se.Hash, "error", err)
			continue
		}
		_ = cw.Write(row)
	}
	cw.Flush()
}

// fsmaRow is one event's row.
func fsmaRow(lot string, se epcis.StoredEvent) ([]string, error) {
	e, err := gepcis.ParseEvent(se.Event, gepcis.Namespaces(se.Namespaces), "stored")
	if err != nil {
		return nil, err
	}
	qty, uom := "", ""
	for _, l := range [][]gepcis.Quantity{e.QuantityList, e.ChildQuantityList, e.InputQuantityList, e.OutputQuantityList} {
		for _, q := range l {
			if q.EPCClass == lot {
				qty, uom = q.Quantity, q.UOM
			}
		}
	}
	gtin := strings.TrimPrefix(lot, "https://id.gs1.org/01/")
	gtin, _, _ = strings.Cut(gtin, "/")
	var docs []string
	for _, bt := range e.BizTransactions {
		docs = append(docs, strings.TrimPrefix(bt.Type, "https://ref.gs1.org/cbv/BTT-")+" "+bt.ID)
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
	for i, c := range row {
		row[i] = spreadsheetSafe(c)
	}
	return row, nil
}

// cteOf names the FSMA 204 critical tracking event an EPCIS event records for lot.
func cteOf(e *gepcis.Event, lot string) string {
	step := strings.TrimPrefix(e.BizStep, "https://ref.gs1.org/cbv/BizStep-")
	if e.Type == gepcis.TransformationEvent {
		for _, q := range e.OutputQuantityList {
			if q.EPCClass == lot {
				return "Transformation"
			}
		}
		return "Transformation (input)"
	}
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

func parties(ps []gepcis.Party) string {
	var out []string
	for _, p := range ps {
		out = append(out, strings.TrimPrefix(p.Type, "https://ref.gs1.org/cbv/SDT-")+" "+p.ID)
	}
	return strings.Join(out, "; ")
}

// spreadsheetSafe keeps a cell from being read as a formula by a spreadsheet.
func spreadsheetSafe(c string) string {
	if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
		return "'" + c
	}
	return c
}
