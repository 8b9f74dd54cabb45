package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
)

// heartbeat is how often an idle event stream sends a comment, so that proxies and clients
// see the connection is alive.
const heartbeat = 15 * time.Second

func (s *Server) eventRoutes() []Route {
	return []Route{{
		Method: http.MethodGet, Path: "/v1/events", OperationID: "events.Stream", Tag: "events", Stream: true,
		Summary: "Chaincode events of committed VALID transactions as Server-Sent Events, in ledger order, at least once. " +
			"Each event's id is its position <block>:<txIndex>: deduplicate on it, and resume after it with the Last-Event-ID header (or the after parameter). " +
			"Without a position the stream starts at the next block; after=0:0 replays the channel from the start.",
		Response: typeOf[ledgerapi.Event](),
		Params: []Param{
			{Name: "contract", In: "query", Type: "string", Description: "only events of this contract (e.g. provenance)"},
			{Name: "type", In: "query", Type: "string", Description: "only events of these types, comma-separated (e.g. LotRecalled)"},
			{Name: "after", In: "query", Type: "string", Description: "resume after this position, <block>:<txIndex>; Last-Event-ID takes precedence"},
			{Name: "Last-Event-ID", In: "header", Type: "string", Description: "the id of the last event received; the stream resumes after it"},
		},
		handle: (*Server).events,
	}}
}

// eventQuery reads the filters and the resume position of an event request: the position
// of Last-Event-ID, else of the after parameter.
func eventQuery(r *http.Request) (ledgerapi.EventQuery, error) {
	q := ledgerapi.EventQuery{Contract: r.URL.Query().Get("contract")}
	for _, t := range strings.Split(r.URL.Query().Get("type"), ",") {
		if t = strings.TrimSpace(t); t != "" {
			q.Types = append(q.Types, t)
		}
	}
	after := r.Header.Get("Last-Event-ID")
	if after == "" {
		after = r.URL.Query().Get("after")
	}
	if after != "" {
		p, err := ledgerapi.ParsePosition(after)
		if err != nil {
			return q, err
		}
		q.After = &p
	}
	return q, nil
}

// events streams chaincode events until the client leaves.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	q, err := eventQuery(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p := principalOf(r.Context())
	if !s.openStream(p.Name) {
		w.Header().Set("Retry-After", "5")
		s.writeError(w, r, cxlerr.Errorf(cxlerr.RateLimited, "at most %d event streams per client", s.opts.Limits.EventStreams))
		return
	}
	defer s.closeStream(p.Name)
	t, err := s.transportFor(r, nil)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	events, err := t.Events().Subscribe(r.Context(), q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	// Reconnect soon after a break; the client resumes with Last-Event-ID.
	if _, err := fmt.Fprint(w, "retry: 1000\n\n"); err != nil {
		return
	}
	if rc.Flush() != nil {
		return
	}
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		case e, ok := <-events:
			if !ok {
				return
			}
			data, err := json.Marshal(e)
			if err != nil {
				s.log.Error("encode event", "event", e.ID, "error", err)
				continue
			}
			if _, err := fmt.Fprintf(w, "id: %s\nevent: %s.%s\ndata: %s\n\n", e.ID, e.Contract, e.Type, data); err != nil || rc.Flush() != nil {
				return
			}
		}
	}
}

func (s *Server) openStream(principal string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.streams[principal] >= s.opts.Limits.EventStreams {
		return false
	}
	s.streams[principal]++
	s.opts.Metrics.StreamOpened()
	return true
}

func (s *Server) closeStream(principal string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.streams[principal]--
	s.opts.Metrics.StreamClosed()
}
