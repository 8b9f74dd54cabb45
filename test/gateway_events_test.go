//go:build integration

package test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cxledger/cxledger/ledgerapi"
)

// gwEvent is one Server-Sent Event.
type gwEvent struct {
	id, name string
	event    ledgerapi.Event
}

// gwSubscribe opens GET /v1/events?query as principal, resuming after lastID if set, and
// delivers the events until stop is called or the stream ends.
func gwSubscribe(t *testing.T, g *gwService, principal, query, lastID string) (<-chan gwEvent, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	m := g.member(principal)
	req, err := http.NewRequestWithContext(ctx, "GET", m.URL+"/v1/events?"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-API-Key", g.keys[principal])
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	// A stream lasts as long as the test wants it: no client timeout.
	resp, err := (&http.Client{Transport: m.http.Transport}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("event stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	out := make(chan gwEvent)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(out)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var cur gwEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if cur.id != "" {
					select {
					case out <- cur:
					case <-ctx.Done():
						return
					}
				}
				cur = gwEvent{}
			case strings.HasPrefix(line, "id: "):
				cur.id = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "event: "):
				cur.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &cur.event); err != nil {
					t.Errorf("event data %q: %v", line, err)
				}
			}
		}
	}()
	return out, func() { cancel(); wg.Wait() }
}

// gwPings submits n pings with nonces prefix-<from>..prefix-<from+n-1> at once.
func gwPings(t *testing.T, g *gwService, prefix string, from, n int) {
	t.Helper()
	var wg sync.WaitGroup
	for i := from; i < from+n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nonce := fmt.Sprintf("%s-%d", prefix, i)
			r, err := g.call("POST", "/v1/health/pings", "org2-user1", nonce, map[string]string{"nonce": nonce})
			if err != nil || r.status != 200 {
				t.Errorf("ping %s: %v %d %s", nonce, err, r.status, r.body)
			}
		}()
	}
	wg.Wait()
}

// TestGatewayEventsResume reads chaincode events as SSE, disconnects halfway, lets more
// transactions commit, and resumes with Last-Event-ID: every event arrives, none twice,
// in ledger order, and the filters hold.
func TestGatewayEventsResume(t *testing.T) {
	g := gwStart(t)
	prefix := fmt.Sprintf("gw-sse-%d", time.Now().UnixNano())
	marker := g.post(t, "/v1/health/pings", "org1-user1", map[string]string{"nonce": prefix + "-marker"}, 200).committed(t)
	start := fmt.Sprintf("%d:%d", marker.BlockNumber-1, 1<<30)

	seen := map[string]string{} // nonce -> event ID
	var last ledgerapi.Position
	take := func(ev gwEvent, session int) {
		pos, err := ledgerapi.ParsePosition(ev.id)
		if err != nil {
			t.Fatalf("event ID %q: %v", ev.id, err)
		}
		if !last.Before(pos) {
			t.Fatalf("session %d: event %s does not come after %s", session, ev.id, last)
		}
		last = pos
		if ev.name != "health.Pinged" || ev.event.Contract != "health" || ev.event.ID != ev.id {
			t.Fatalf("filtered stream delivered %s %+v", ev.name, ev.event)
		}
		var p struct {
			Nonce string `json:"nonce"`
		}
		if err := json.Unmarshal(ev.event.Payload, &p); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(p.Nonce, prefix+"-") {
			return
		}
		if id, dup := seen[p.Nonce]; dup {
			t.Fatalf("session %d: nonce %s delivered twice (%s and %s)", session, p.Nonce, id, ev.id)
		}
		seen[p.Nonce] = ev.id
	}

	events, stop := gwSubscribe(t, g, "org1-user2", "contract=health&type=Pinged&after="+start, "")
	gwPings(t, g, prefix, 0, 10)
	timeout := time.After(60 * time.Second)
	for len(seen) < 6 { // the marker and five pings
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatal("stream ended")
			}
			take(ev, 1)
		case <-timeout:
			t.Fatalf("first session: %d events", len(seen))
		}
	}
	stop()
	lastID := last.String()
	firstSession := len(seen)

	gwPings(t, g, prefix, 10, 10)
	events, stop = gwSubscribe(t, g, "org1-user2", "contract=health&type=Pinged", lastID)
	defer stop()
	for len(seen) < 21 {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatal("stream ended")
			}
			take(ev, 2)
		case <-timeout:
			t.Fatalf("after resuming at %s: %d of 21 events", lastID, len(seen))
		}
	}
	t.Logf("SSE: %d events before the disconnect (last %s), %d after resuming, none missed or repeated", firstSession, lastID, len(seen)-firstSession)

	// A consortium filter sees none of them.
	other, stopOther := gwSubscribe(t, g, "org1-user3", "contract=consortium&after="+start, "")
	defer stopOther()
	select {
	case ev := <-other:
		if ev.event.Contract != "consortium" {
			t.Fatalf("consortium stream delivered %+v", ev.event)
		}
	case <-time.After(2 * time.Second):
	}
}
