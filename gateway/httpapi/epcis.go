package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cxledger/cxledger/chaincode/epcis"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gateway/store"
	gepcis "github.com/cxledger/cxledger/gs1/epcis"
	"github.com/cxledger/cxledger/ledgerapi"
)

// The versions of GS1's standards the EPCIS routes speak, sent in the GS1-EPCIS-Version and
// GS1-CBV-Version headers of every answer.
const (
	epcisVersion = "2.0.0"
	cbvVersion   = "2.0.0"
)

// epcisLimits bound one capture: 4 MiB and 1,000 events (CaptureLimitExceededException).
var epcisLimits = gepcis.DefaultLimits

// EPCIS exception types (EPCIS 2.0 REST binding), the "type" of the problem answers.
const (
	exValidation   = "epcisException:ValidationException"
	exCaptureLimit = "epcisException:CaptureLimitExceededException"
	exQueryParam   = "epcisException:QueryParameterException"
	exNoSuchRes    = "epcisException:NoSuchResourceException"
	exSecurity     = "epcisException:SecurityException"
	exImpl         = "epcisException:ImplementationException"
	exTooLarge     = "epcisException:QueryTooLargeException"
)

// epcisRoutes are GS1's EPCIS 2.0 REST binding over the epcis contract: capture as a job,
// the job's outcome, events by the standard's query parameters, and the FSMA 204 sheet.
func (s *Server) epcisRoutes() []Route {
	headers := func(ps ...Param) []Param {
		return append(ps, Param{Name: "GS1-EPCIS-Version", In: "header", Type: "string", Description: "2.0.0 (optional; answers say it too)"})
	}
	query := []Param{
		{Name: "EQ_bizStep", In: "query", Type: "string", Description: "CBV business step, bare or URI"},
		{Name: "EQ_disposition", In: "query", Type: "string", Description: "CBV disposition, bare or URI"},
		{Name: "MATCH_epc", In: "query", Type: "string", Description: "an EPC of epcList or childEPCs (EPC URN or Digital Link)"},
		{Name: "MATCH_parentID", In: "query", Type: "string", Description: "the parentID"},
		{Name: "MATCH_inputEPC", In: "query", Type: "string", Description: "an input EPC or class of a transformation"},
		{Name: "MATCH_outputEPC", In: "query", Type: "string", Description: "an output EPC or class of a transformation"},
		{Name: "MATCH_anyEPC", In: "query", Type: "string", Description: "any EPC or class the event names"},
		{Name: "GE_eventTime", In: "query", Type: "string", Format: "date-time", Description: "events at or after"},
		{Name: "LT_eventTime", In: "query", Type: "string", Format: "date-time", Description: "events before"},
		{Name: "EQ_bizLocation", In: "query", Type: "string", Description: "the business location (SGLN URN or Digital Link)"},
		{Name: "EQ_bizTransaction_{type}", In: "query", Type: "string", Description: "a business transaction of a CBV type (po, inv, ...)"},
		{Name: "perPage", In: "query", Type: "integer", Description: "events per page (at most the service's page-size cap)"},
		{Name: "nextPageToken", In: "query", Type: "string", Description: "the token of the previous page's Link header"},
	}
	fail := func(s *Server, w http.ResponseWriter, r *http.Request, err error) {
		s.epcisError(w, r, err, exValidation)
	}
	return []Route{
		{
			Method: http.MethodPost, Path: "/epcis/capture", OperationID: "epcis.capture", Tag: "epcis", Access: AccessPrincipal,
			Summary: "Capture an EPCIS 2.0 document (JSON / JSON-LD) as a job: 202 with its Location. " +
				"GS1-Capture-Error-Behaviour rollback (default: one invalid event captures nothing) or proceed (the valid events are captured). " +
				"The Idempotency-Key, if sent, names the job: the same key and document answer the same job; without one the document names it, so resending it answers the same job",
			Mutation: true, Request: typeOf[captureDocument](), Response: typeOf[store.CaptureJob](),
			Params: headers(Param{Name: "GS1-Capture-Error-Behaviour", In: "header", Type: "string", Description: "rollback (default) or proceed"}),
			handle: (*Server).epcisCapture, fail: fail,
		},
		{
			Method: http.MethodGet, Path: "/epcis/capture/{captureID}", OperationID: "epcis.captureJob", Tag: "epcis", Access: AccessPrincipal,
			Summary:  "A capture job: running, then success or failed with its errors",
			Response: typeOf[store.CaptureJob](),
			Params:   headers(Param{Name: "captureID", In: "path", Type: "string", Required: true}),
			handle:   (*Server).epcisCaptureJob, fail: fail,
		},
		{
			Method: http.MethodGet, Path: "/epcis/events", OperationID: "epcis.events", Tag: "epcis", Access: AccessPrincipal,
			Summary: "EPCIS events by the standard's query parameters, as an EPCISQueryDocument; error declarations follow the events they declare. " +
				"Paged: the Link header (rel=next) holds the next page's nextPageToken",
			Params: headers(query...), handle: (*Server).epcisEvents, fail: fail,
		},
		{
			Method: http.MethodGet, Path: "/epcis/fsma204", OperationID: "epcis.fsma204", Tag: "epcis", Access: AccessPrincipal,
			Summary:     "FSMA 204 sortable spreadsheet (CSV) of the critical tracking events and key data elements of a traceability lot code, one row per event with its transaction ID",
			ContentType: "text/csv",
			Params:      []Param{{Name: "tlc", In: "query", Type: "string", Required: true, Description: "the traceability lot code: an LGTIN EPC URN or a Digital Link URI with GTIN and lot"}},
			handle:      (*Server).fsma204, fail: fail,
		},
	}
}

// captureDocument is the body of a capture: an EPCIS 2.0 document (EPCISDocument or
// EPCISQueryDocument), described here only by its top-level fields.
type captureDocument struct {
	Context       any             `json:"@context"`
	Type          string          `json:"type"`
	SchemaVersion string          `json:"schemaVersion"`
	CreationDate  time.Time       `json:"creationDate"`
	EPCISBody     json.RawMessage `json:"epcisBody"`
}

// problem is an RFC 7807 answer in EPCIS's exception vocabulary.
type problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// Code is the project's error code, as in the error envelope.
	Code cxlerr.Code `json:"code"`
}

// exceptionOf is the EPCIS exception of an error code; Invalid is badInput's (validation of a
// document, or of query parameters).
func exceptionOf(code cxlerr.Code, badInput string) (string, string) {
	switch code {
	case cxlerr.Invalid:
		return badInput, "The request is not valid EPCIS"
	case cxlerr.TooLarge:
		if badInput == exQueryParam {
			return exTooLarge, "The query is too large"
		}
		return exCaptureLimit, "The capture exceeds the limits"
	case cxlerr.NotFound:
		return exNoSuchRes, "No such resource"
	case cxlerr.Forbidden, cxlerr.Unauthenticated:
		return exSecurity, "Not allowed"
	}
	return exImpl, "The repository could not serve the request"
}

// epcisError answers err as problem JSON with the status of its code.
func (s *Server) epcisError(w http.ResponseWriter, r *http.Request, err error, badInput string) {
	e, ok := cxlerr.As(err)
	if !ok {
		id := infoOf(r.Context()).id
		s.log.Error("internal error", "request_id", id, "error", err)
		e = cxlerr.Errorf(cxlerr.Internal, "internal error (request %s); see the service log", id)
	}
	e = shorten(e)
	typ, title := exceptionOf(e.Code, badInput)
	epcisHeaders(w)
	w.Header().Set("Content-Type", "application/problem+json")
	status := Status(e.Code)
	if e.Code == cxlerr.Pending {
		status = http.StatusInternalServerError
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(problem{Type: typ, Title: title, Status: status, Detail: e.Message, Instance: r.URL.Path, Code: e.Code})
}

func epcisHeaders(w http.ResponseWriter) {
	w.Header().Set("GS1-EPCIS-Version", epcisVersion)
	w.Header().Set("GS1-CBV-Version", cbvVersion)
}

// epcisCapture validates a document and starts its capture job.
func (s *Server) epcisCapture(w http.ResponseWriter, r *http.Request) {
	behaviour := strings.ToLower(strings.TrimSpace(r.Header.Get("GS1-Capture-Error-Behaviour")))
	switch behaviour {
	case "":
		behaviour = "rollback"
	case "rollback", "proceed":
	default:
		s.epcisError(w, r, cxlerr.Errorf(cxlerr.Invalid, "GS1-Capture-Error-Behaviour %q: rollback or proceed", shortText(behaviour)), exValidation)
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || (mt != "application/json" && mt != "application/ld+json") {
		s.epcisError(w, r, cxlerr.Errorf(cxlerr.Invalid, "Content-Type: send the EPCIS document as application/ld+json or application/json"), exValidation)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, int64(epcisLimits.MaxBytes)))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		s.epcisError(w, r, cxlerr.Errorf(cxlerr.TooLarge, "document larger than %d bytes", epcisLimits.MaxBytes), exValidation)
		return
	}
	if err != nil {
		s.epcisError(w, r, cxlerr.Errorf(cxlerr.Invalid, "read the document: %v", err), exValidation)
		return
	}
	doc, err := gepcis.ParseDocument(body, epcisLimits)
	if err != nil {
		s.epcisError(w, r, err, exValidation)
		return
	}
	if behaviour == "rollback" && len(doc.Invalid) > 0 {
		first := doc.Invalid[0]
		s.epcisError(w, r, cxlerr.Errorf(cxlerr.Invalid, "%s (%d of %d events invalid; with GS1-Capture-Error-Behaviour: rollback nothing is captured)",
			first.Err.Message, len(doc.Invalid), len(doc.Invalid)+len(doc.Events)), exValidation)
		return
	}
	sum := sha256.Sum256(append([]byte(behaviour+"\n"), body...))
	key, err := captureKey(r, sum)
	if err != nil {
		s.epcisError(w, r, err, exValidation)
		return
	}
	p := principalOf(r.Context())
	idSum := sha256.Sum256([]byte(p.Name + "\x00" + key))
	job := store.CaptureJob{
		ID: hex.EncodeToString(idSum[:16]), Principal: p.Name, ErrorBehaviour: behaviour, CreatedAt: time.Now().UTC(),
		Running: true, Events: len(doc.Events) + len(doc.Invalid),
	}
	for _, bad := range doc.Invalid {
		job.Errors = append(job.Errors, store.CaptureError{Type: exValidation, Title: bad.Err.Message, Index: bad.Index})
	}
	args := epcis.CaptureArgs{Namespaces: doc.Namespaces, Proceed: behaviour == "proceed"}
	for _, e := range doc.Events {
		args.Events = append(args.Events, e.JSON)
	}
	ticket, existing, err := s.opts.Store.Begin(p.Name, "epcis-capture:"+key, hex.EncodeToString(sum[:]), ledgerapi.EpcisCapture.Name())
	switch {
	case errors.Is(err, store.ErrMismatch):
		s.epcisError(w, r, cxlerr.Errorf(cxlerr.IdempotencyMismatch, "this Idempotency-Key was used for a different capture; use a new key"), exValidation)
		return
	case errors.Is(err, store.ErrInFlight), err == nil && existing != nil:
		s.answerJob(w, r, job.ID)
		return
	case err != nil:
		s.epcisError(w, r, fmt.Errorf("begin capture %s: %w", job.ID, err), exValidation)
		return
	}
	var run func(ctx context.Context) (*ledgerapi.Committed[json.RawMessage], error)
	if len(args.Events) == 0 {
		job.Running = false
		job.FinishedAt = job.CreatedAt
		_, _ = ticket.Finish(0, cxlerr.Errorf(cxlerr.Invalid, "no valid event"))
	} else {
		t, err := s.transportFor(r, ticket)
		if err != nil {
			_, _ = ticket.Finish(0, err)
			s.epcisError(w, r, err, exValidation)
			return
		}
		run = func(ctx context.Context) (*ledgerapi.Committed[json.RawMessage], error) {
			c, err := t.Submit(ctx, &ledgerapi.EpcisCapture.Operation, &args)
			var block uint64
			if c != nil {
				block = c.BlockNumber
			}
			if _, ferr := ticket.Finish(block, err); ferr != nil {
				s.log.Error("record capture outcome", "capture", job.ID, "error", ferr)
			}
			return c, err
		}
	}
	if err := s.opts.Store.PutCaptureJob(job); err != nil {
		s.epcisError(w, r, fmt.Errorf("record capture job: %w", err), exValidation)
		return
	}
	if run != nil {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), s.opts.RequestTimeout)
		go func() {
			defer cancel()
			c, err := run(ctx)
			s.finishCapture(job, c, err)
		}()
	}
	epcisHeaders(w)
	w.Header().Set("Location", "/epcis/capture/"+job.ID)
	writeJSON(w, http.StatusAccepted, job)
}

// captureKey is the key that names a capture job: the request's Idempotency-Key when it
// sends one; otherwise, since GS1's capture interface has no such header and standard
// EPCIS clients send none, the digest of the error behaviour and the document, so that a
// client resending the same document after a lost answer gets the same job.
func captureKey(r *http.Request, digest [sha256.Size]byte) (string, error) {
	if _, sent := r.Header["Idempotency-Key"]; !sent {
		return "document:" + hex.EncodeToString(digest[:]), nil
	}
	return idempotencyKey(r)
}

// finishCapture records how a capture's transaction ended.
func (s *Server) finishCapture(job store.CaptureJob, c *ledgerapi.Committed[json.RawMessage], err error) {
	job.FinishedAt = time.Now().UTC()
	job.Running = false
	switch e := cxlerr.From(err); {
	case err == nil:
		var res epcis.CaptureResult
		if derr := json.Unmarshal(c.Result, &res); derr != nil {
			job.Errors = append(job.Errors, store.CaptureError{Type: exImpl, Title: "the ledger's answer is not a capture result", Index: -1})
			break
		}
		job.Success, job.TransactionID = true, c.TransactionID
		job.Captured, job.Duplicates = len(res.Captured)+len(res.Declared), len(res.Duplicates)
		for _, rej := range res.Rejected {
			typ, _ := exceptionOf(cxlerr.Code(rej.Code), exValidation)
			job.Errors = append(job.Errors, store.CaptureError{Type: typ, Title: rej.Message, Index: rej.Index})
		}
		for _, m := range res.Mapped {
			job.Mapped = append(job.Mapped, store.CaptureMapping{Index: m.Index, Hash: m.Hash, Records: m.Records})
		}
		for _, d := range res.Deliveries {
			job.Deliveries = append(job.Deliveries, store.CaptureDelivery{Index: d.Index, Hash: d.Hash, Order: d.Order,
				Released: d.Released, Amount: int64(d.Amount), Currency: d.Currency, Reason: d.Reason})
		}
	case e.Code == cxlerr.Pending:
		// Committed or not is not known yet: the job runs until a read resolves it.
		job.Running, job.TransactionID = true, e.TransactionID
		job.FinishedAt = time.Time{}
	default:
		typ, _ := exceptionOf(e.Code, exValidation)
		job.TransactionID = e.TransactionID
		job.Errors = append(job.Errors, store.CaptureError{Type: typ, Title: e.Message, Index: -1})
	}
	if perr := s.opts.Store.PutCaptureJob(job); perr != nil {
		s.log.Error("record capture job", "capture", job.ID, "error", perr)
	}
}

// answerJob answers 202 with a capture job that exists already (a repeated capture).
func (s *Server) answerJob(w http.ResponseWriter, r *http.Request, id string) {
	job, err := s.opts.Store.CaptureJob(principalOf(r.Context()).Name, id)
	if err != nil || job == nil {
		e := cxlerr.Errorf(cxlerr.Conflict, "a capture with this Idempotency-Key is still being accepted; retry")
		e.Retryable = true
		s.epcisError(w, r, e, exValidation)
		return
	}
	w.Header().Set("Idempotent-Replayed", "true")
	epcisHeaders(w)
	w.Header().Set("Location", "/epcis/capture/"+job.ID)
	writeJSON(w, http.StatusAccepted, job)
}

// epcisCaptureJob answers a capture job of the caller's; a job whose commit was unknown is
// resolved from the ledger first.
func (s *Server) epcisCaptureJob(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r.Context())
	id := r.PathValue("captureID")
	job, err := s.opts.Store.CaptureJob(p.Name, id)
	if err != nil {
		s.epcisError(w, r, fmt.Errorf("read capture job: %w", err), exValidation)
		return
	}
	if job == nil {
		s.epcisError(w, r, cxlerr.Errorf(cxlerr.NotFound, "no capture job %q", shortText(id)), exValidation)
		return
	}
	if job.Running && job.TransactionID != "" {
		if st, err := s.opts.Backend.Lookup(r.Context(), job.TransactionID); err == nil && st != nil && st.State != ledgerapi.TxPending {
			job.Running, job.FinishedAt = false, time.Now().UTC()
			job.Success = st.State == ledgerapi.TxCommitted
			if !job.Success {
				job.Errors = append(job.Errors, store.CaptureError{Type: exImpl, Title: "the transaction failed: " + st.ValidationCode, Index: -1})
			}
			if perr := s.opts.Store.PutCaptureJob(*job); perr != nil {
				s.log.Error("record capture job", "capture", job.ID, "error", perr)
			}
		}
	}
	epcisHeaders(w)
	writeJSON(w, http.StatusOK, job)
}

// queryDocument is the answer of /epcis/events: an EPCISQueryDocument.
type queryDocument struct {
	Context       []any     `json:"@context"`
	Type          string    `json:"type"`
	SchemaVersion string    `json:"schemaVersion"`
	CreationDate  time.Time `json:"creationDate"`
	EPCISBody     struct {
		QueryResults struct {
			QueryName   string `json:"queryName"`
			ResultsBody struct {
				EventList []json.RawMessage `json:"eventList"`
			} `json:"resultsBody"`
		} `json:"queryResults"`
	} `json:"epcisBody"`
}

// eventQueryArgs reads the query parameters of /epcis/events.
func (s *Server) eventQueryArgs(r *http.Request) (epcis.QueryArgs, error) {
	var a epcis.QueryArgs
	q := r.URL.Query()
	for name, values := range q {
		if len(values) != 1 {
			return a, cxlerr.Errorf(cxlerr.Invalid, "query parameter %s given %d times", shortText(name), len(values))
		}
		v := values[0]
		var err error
		switch {
		case name == "EQ_bizStep":
			a.EQBizStep = v
		case name == "EQ_disposition":
			a.EQDisposition = v
		case name == "MATCH_epc":
			a.MatchEPC = v
		case name == "MATCH_parentID":
			a.MatchParentID = v
		case name == "MATCH_inputEPC":
			a.MatchInputEPC = v
		case name == "MATCH_outputEPC":
			a.MatchOutputEPC = v
		case name == "MATCH_anyEPC":
			a.MatchAnyEPC = v
		case name == "EQ_bizLocation":
			a.EQBizLocation = v
		case name == "GE_eventTime":
			a.GEEventTime, err = time.Parse(time.RFC3339Nano, v)
		case name == "LT_eventTime":
			a.LTEventTime, err = time.Parse(time.RFC3339Nano, v)
		case strings.HasPrefix(name, "EQ_bizTransaction_"):
			if a.BizTransaction != "" {
				return a, cxlerr.Errorf(cxlerr.Invalid, "one EQ_bizTransaction_<type> parameter per query")
			}
			a.BizTransactionType, a.BizTransaction = strings.TrimPrefix(name, "EQ_bizTransaction_"), v
		case name == "perPage":
			n, perr := strconv.Atoi(v)
			if perr != nil || n < 1 || n > s.opts.Limits.MaxPageSize {
				return a, cxlerr.Errorf(cxlerr.Invalid, "perPage %q: 1 to %d", shortText(v), s.opts.Limits.MaxPageSize)
			}
			a.PageSize = n
		case name == "nextPageToken":
			a.Bookmark = v
		default:
			return a, cxlerr.Errorf(cxlerr.Invalid, "query parameter %s is not one this repository answers", shortText(name))
		}
		if err != nil {
			return a, cxlerr.Errorf(cxlerr.Invalid, "%s %q: want an RFC 3339 date-time with time zone", name, shortText(v))
		}
		if v == "" {
			return a, cxlerr.Errorf(cxlerr.Invalid, "query parameter %s is empty", shortText(name))
		}
	}
	return a, nil
}

// queryEvents runs one page of a query as the request's principal.
func (s *Server) queryEvents(r *http.Request, a epcis.QueryArgs) (*epcis.QueryResult, error) {
	t, err := s.transportFor(r, nil)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.RequestTimeout)
	defer cancel()
	return ledgerapi.Over(t).Epcis().Query(ctx, a)
}

// epcisEvents answers a page of events as an EPCISQueryDocument.
func (s *Server) epcisEvents(w http.ResponseWriter, r *http.Request) {
	a, err := s.eventQueryArgs(r)
	if err != nil {
		s.epcisError(w, r, err, exQueryParam)
		return
	}
	res, err := s.queryEvents(r, a)
	if err != nil {
		s.epcisError(w, r, err, exQueryParam)
		return
	}
	var d queryDocument
	d.Context = []any{"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"}
	d.Type, d.SchemaVersion, d.CreationDate = gepcis.TypeQueryDocument, "2.0", time.Now().UTC()
	d.EPCISBody.QueryResults.QueryName = "SimpleEventQuery"
	list := []json.RawMessage{}
	ns := map[string]string{}
	for _, e := range res.Events {
		list = append(list, e.Event)
		if e.ErrorDeclaration != nil {
			list = append(list, e.ErrorDeclaration.Event)
		}
		for k, v := range e.Namespaces {
			ns[k] = v
		}
	}
	if len(ns) > 0 {
		d.Context = append(d.Context, ns)
	}
	d.EPCISBody.QueryResults.ResultsBody.EventList = list
	if res.Bookmark != "" {
		next := *r.URL
		q := next.Query()
		q.Set("nextPageToken", res.Bookmark)
		next.RawQuery = q.Encode()
		w.Header().Set("Link", fmt.Sprintf("<%s>; rel=\"next\"", (&url.URL{Path: next.Path, RawQuery: next.RawQuery}).String()))
	}
	epcisHeaders(w)
	w.Header().Set("Content-Type", "application/ld+json")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(d)
}

// shortText cuts what a message echoes of the caller's input.
func shortText(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
