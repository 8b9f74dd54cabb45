package httpapi

import (
	"bytes"
	"net/http"

	"github.com/cxledger/cxledger/chaincode/epcis"
	"github.com/cxledger/cxledger/cxlerr"
)

// fsma204 answers the FSMA 204 sortable spreadsheet of a traceability lot code: every event
// the caller may read that names the lot, oldest first, one row each (epcis.WriteFSMA204).
func (s *Server) fsma204(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	tlc := q.Get("tlc")
	if len(q) != 1 || len(q["tlc"]) != 1 || tlc == "" {
		s.epcisError(w, r, cxlerr.Errorf(cxlerr.Invalid, "give the traceability lot code as tlc, once, and nothing else"), exQueryParam)
		return
	}
	lot, err := epcis.TraceabilityLot(tlc)
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
		if len(events) > epcis.FSMAMaxEvents {
			s.epcisError(w, r, cxlerr.Errorf(cxlerr.TooLarge, "more than %d events name %s", epcis.FSMAMaxEvents, shortText(tlc)), exQueryParam)
			return
		}
		if res.Bookmark == "" {
			break
		}
		a.Bookmark = res.Bookmark
	}
	var buf bytes.Buffer
	if err := epcis.WriteFSMA204(&buf, lot, events); err != nil {
		s.epcisError(w, r, err, exQueryParam)
		return
	}
	epcisHeaders(w)
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="fsma204.csv"`)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}
