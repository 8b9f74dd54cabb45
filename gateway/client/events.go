package client

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
)

type eventsClient struct{ c *Client }

// reconnectDelay is the wait before a broken event stream is opened again.
const reconnectDelay = time.Second

// Subscribe reads GET /v1/events. When the stream breaks it opens it again with
// Last-Event-ID set to the last event delivered, so nothing is missed and nothing delivered
// twice. Only the first connection's refusal (credentials, limits, a bad query) is returned
// as an error; later failures are retried until ctx ends.
func (e eventsClient) Subscribe(ctx context.Context, q ledgerapi.EventQuery) (<-chan ledgerapi.Event, error) {
	query := url.Values{}
	if q.Contract != "" {
		query.Set("contract", q.Contract)
	}
	if len(q.Types) > 0 {
		query.Set("type", strings.Join(q.Types, ","))
	}
	if q.After != nil {
		query.Set("after", q.After.String())
	}
	resp, err := e.open(ctx, query, "")
	if err != nil {
		return nil, err
	}
	out := make(chan ledgerapi.Event)
	go func() {
		defer close(out)
		last := ""
		for {
			last = e.read(ctx, resp, last, out)
			if ctx.Err() != nil {
				return
			}
			for {
				select {
				case <-ctx.Done():
					return
				case <-time.After(reconnectDelay):
				}
				if resp, err = e.open(ctx, query, last); err == nil {
					break
				}
			}
		}
	}()
	return out, nil
}

// open opens the stream, resuming after lastID when set.
func (e eventsClient) open(ctx context.Context, query url.Values, lastID string) (*http.Response, error) {
	req, err := e.c.newRequest(ctx, http.MethodGet, "/v1/events", query, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/event-stream")
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	// A stream lasts as long as its context, not as the client's request timeout.
	hc := *e.c.http
	hc.Timeout = 0
	resp, err := hc.Do(req)
	if err != nil {
		return nil, &cxlerr.Error{Code: cxlerr.Unavailable, Message: fmt.Sprintf("reach the gateway service: %v", err), Retryable: true}
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		var e cxlerr.Error
		if json.NewDecoder(resp.Body).Decode(&e) == nil && e.Code != "" {
			return nil, &e
		}
		return nil, cxlerr.Errorf(cxlerr.Unavailable, "event stream answered %d", resp.StatusCode)
	}
	return resp, nil
}

// read delivers the events of one connection and returns the ID of the last one delivered
// (last if none).
func (e eventsClient) read(ctx context.Context, resp *http.Response, last string, out chan<- ledgerapi.Event) string {
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	var data string
	for sc.Scan() {
		line := sc.Text()
		if d, ok := strings.CutPrefix(line, "data: "); ok {
			data = d
			continue
		}
		if line != "" || data == "" {
			continue
		}
		var ev ledgerapi.Event
		err := json.Unmarshal([]byte(data), &ev)
		data = ""
		if err != nil {
			continue
		}
		if ev.Position, err = ledgerapi.ParsePosition(ev.ID); err != nil {
			continue
		}
		select {
		case out <- ev:
			last = ev.ID
		case <-ctx.Done():
			return last
		}
	}
	return last
}
