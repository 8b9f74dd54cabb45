//go:build integration

package test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"

	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/gateway/store"
	"github.com/cxledger/cxledger/network"
)

// epcisDoc is an EPCIS 2.0 document of the five event types about identifiers unique to
// run (serials and lots carry it), so a rerun on the same network captures new events.
func epcisDoc(run string, extra ...string) string {
	events := []string{
		`{"type":"ObjectEvent","eventTime":"2026-03-01T09:00:00.000+01:00","eventTimeZoneOffset":"+01:00",
		  "epcList":["urn:epc:id:sgtin:9506000.013435.A` + run + `","https://id.gs1.org/01/09506000134352/21/B` + run + `"],
		  "action":"ADD","bizStep":"commissioning","disposition":"active","readPoint":{"id":"urn:epc:id:sgln:9506000.00001.0"},
		  "ilmd":{"cxl:harvest":"2026-02-27"}}`,
		`{"type":"AggregationEvent","eventTime":"2026-03-01T10:00:00+01:00","eventTimeZoneOffset":"+01:00",
		  "parentID":"urn:epc:id:sscc:9506000.` + ssccRef(run) + `","childEPCs":["urn:epc:id:sgtin:9506000.013435.A` + run + `","urn:epc:id:sgtin:9506000.013435.B` + run + `"],
		  "action":"ADD","bizStep":"packing"}`,
		`{"type":"TransformationEvent","eventTime":"2026-03-01T11:00:00Z","eventTimeZoneOffset":"+00:00",
		  "inputQuantityList":[{"epcClass":"urn:epc:class:lgtin:9506000.013435.G` + run + `","quantity":60.5,"uom":"KGM"}],
		  "outputQuantityList":[{"epcClass":"https://id.gs1.org/01/09506000134352/10/R` + run + `","quantity":50,"uom":"KGM"}],
		  "bizStep":"commissioning","bizLocation":{"id":"urn:epc:id:sgln:9506000.00001.0"}}`,
		`{"type":"TransactionEvent","eventTime":"2026-03-02T08:00:00-05:00","eventTimeZoneOffset":"-05:00",
		  "bizTransactionList":[{"type":"po","bizTransaction":"urn:epcglobal:cbv:bt:9506000000012:PO-` + run + `"}],
		  "parentID":"urn:epc:id:sscc:9506000.` + ssccRef(run) + `","action":"ADD","bizStep":"shipping","disposition":"in_transit",
		  "quantityList":[{"epcClass":"https://id.gs1.org/01/09506000134352/10/R` + run + `","quantity":50,"uom":"KGM"}],
		  "sourceList":[{"type":"owning_party","source":"urn:epc:id:pgln:9506000.00001"}],
		  "destinationList":[{"type":"owning_party","destination":"urn:epc:id:pgln:9506000.00002"}]}`,
		`{"type":"AssociationEvent","eventTime":"2026-03-02T09:00:00Z","eventTimeZoneOffset":"+00:00",
		  "parentID":"urn:epc:id:sscc:9506000.` + ssccRef(run) + `","childEPCs":["urn:epc:id:sgtin:9506000.013435.C` + run + `"],
		  "action":"ADD","bizStep":"assembling",
		  "sensorElementList":[{"sensorReport":[{"type":"Temperature","value":4.5,"uom":"CEL"}]}]}`,
	}
	events = append(extra, events...)
	return `{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",{"cxl":"https://cxledger.example/epcis/"}],
	  "type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2026-03-01T08:00:00Z",
	  "epcisBody":{"eventList":[` + strings.Join(events, ",") + `]}}`
}

// ssccRef is the serial reference of the run's SSCC: extension digit and 9 digits.
func ssccRef(run string) string {
	n := 0
	for _, c := range run {
		n = (n*31 + int(c)) % 1000000000
	}
	return fmt.Sprintf("0%09d", n)
}

// epcisCall sends a raw request as principal to its organisation's gateway service.
func epcisCall(t *testing.T, g *gwService, method, path, principal, body string, headers ...string) gwResp {
	t.Helper()
	m := g.member(principal)
	req, err := http.NewRequest(method, m.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-API-Key", g.keys[principal])
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/ld+json")
		req.Header.Set("Idempotency-Key", fmt.Sprintf("epcis-%d", time.Now().UnixNano()))
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(k, strings.TrimSpace(v))
	}
	resp, err := m.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return gwResp{status: resp.StatusCode, header: resp.Header, body: data}
}

// epcisCapture captures doc and waits for its job to end.
func epcisCapture(t *testing.T, g *gwService, principal, doc string, headers ...string) store.CaptureJob {
	t.Helper()
	r := epcisCall(t, g, http.MethodPost, "/epcis/capture", principal, doc, headers...)
	r.want(t, http.StatusAccepted, "capture")
	if r.header.Get("GS1-EPCIS-Version") != "2.0.0" {
		t.Fatalf("capture answered without GS1-EPCIS-Version")
	}
	loc := r.header.Get("Location")
	var job store.CaptureJob
	eventually(t, 60*time.Second, "capture job "+loc, func() error {
		j := epcisCall(t, g, http.MethodGet, loc, principal, "")
		if j.status != http.StatusOK {
			return fmt.Errorf("job: %d %s", j.status, j.body)
		}
		if err := json.Unmarshal(j.body, &job); err != nil {
			return err
		}
		if job.Running {
			return fmt.Errorf("still running")
		}
		return nil
	})
	return job
}

// epcisProblem checks a problem answer of an EPCIS exception.
func epcisProblem(t *testing.T, r gwResp, status int, exception string) {
	t.Helper()
	var p struct {
		Type string `json:"type"`
	}
	if r.status != status || json.Unmarshal(r.body, &p) != nil || p.Type != "epcisException:"+exception {
		t.Fatalf("got %d %s, want %d %s", r.status, r.body, status, exception)
	}
}

// epcisEvents returns the events of a query and its Link header.
func epcisEvents(t *testing.T, g *gwService, principal, query string) ([]json.RawMessage, string) {
	t.Helper()
	r := epcisCall(t, g, http.MethodGet, "/epcis/events"+query, principal, "")
	r.want(t, http.StatusOK, "events"+query)
	var d struct {
		EPCISBody struct {
			QueryResults struct {
				ResultsBody struct {
					EventList []json.RawMessage `json:"eventList"`
				} `json:"resultsBody"`
			} `json:"queryResults"`
		} `json:"epcisBody"`
	}
	gwDecode(t, r.body, &d)
	return d.EPCISBody.QueryResults.ResultsBody.EventList, r.header.Get("Link")
}

func TestEPCIS(t *testing.T) {
	g := gwStart(t)
	const brand, auditor = "org1-user1", "org2-user1"
	run := fmt.Sprintf("%08x", time.Now().UnixNano()&0xffffffff)
	parent := "urn:epc:id:sscc:9506000." + ssccRef(run)
	count := func(query string) int {
		l, _ := epcisEvents(t, g, brand, query)
		return len(l)
	}

	job := epcisCapture(t, g, brand, epcisDoc(run))
	if !job.Success || job.Captured != 5 || job.TransactionID == "" {
		t.Fatalf("capture of every event type: %+v", job)
	}
	firstTx := job.TransactionID
	// The same events again are recorded once.
	if job := epcisCapture(t, g, brand, epcisDoc(run)); !job.Success || job.Captured != 0 || job.Duplicates != 5 {
		t.Fatalf("duplicate capture: %+v", job)
	}
	// Rollback: one bad event and nothing is captured.
	good := `{"type":"ObjectEvent","eventTime":"2026-03-03T09:00:00Z","eventTimeZoneOffset":"+00:00","epcList":["urn:epc:id:sgtin:9506000.013435.D` + run + `"],"action":"OBSERVE","bizStep":"receiving","bizLocation":{"id":"urn:epc:id:sgln:9506000.00002.0"},"quantityList":[{"epcClass":"urn:epc:class:lgtin:9506000.013435.R` + run + `","quantity":50,"uom":"KGM"}]}`
	bad := `{"type":"ObjectEvent","eventTime":"2026-03-03T09:00:00Z","eventTimeZoneOffset":"+00:00","epcList":["urn:epc:id:grai:9506000.00001.1"],"action":"OBSERVE"}`
	epcisProblem(t, epcisCall(t, g, http.MethodPost, "/epcis/capture", brand, epcisDoc(run, good, bad)), 400, "ValidationException")
	if n := count("?MATCH_epc=urn:epc:id:sgtin:9506000.013435.D" + run); n != 0 {
		t.Fatalf("a rolled back capture left %d events", n)
	}
	// Proceed keeps the good one.
	job = epcisCapture(t, g, brand, epcisDoc(run, good, bad), "GS1-Capture-Error-Behaviour: proceed")
	if !job.Success || job.Captured != 1 || job.Duplicates != 5 || len(job.Errors) != 1 || job.Errors[0].Index != 1 {
		t.Fatalf("proceed: %+v", job)
	}
	// Every query parameter.
	for q, want := range map[string]int{
		"?MATCH_parentID=" + parent:                                                                              3,
		"?MATCH_parentID=" + parent + "&EQ_bizStep=packing":                                                      1,
		"?MATCH_parentID=" + parent + "&EQ_disposition=in_transit":                                               1,
		"?MATCH_epc=https://id.gs1.org/01/09506000134352/21/A" + run:                                             2,
		"?MATCH_inputEPC=urn:epc:class:lgtin:9506000.013435.G" + run:                                             1,
		"?MATCH_outputEPC=urn:epc:class:lgtin:9506000.013435.R" + run:                                            1,
		"?MATCH_anyEPC=urn:epc:class:lgtin:9506000.013435.R" + run:                                               3,
		"?MATCH_epc=urn:epc:id:sgtin:9506000.013435.D" + run + "&EQ_bizLocation=urn:epc:id:sgln:9506000.00002.0": 1,
		"?EQ_bizTransaction_po=urn:epcglobal:cbv:bt:9506000000012:PO-" + run:                                     1,
		"?MATCH_parentID=" + parent + "&GE_eventTime=2026-03-02T09:00:00Z":                                       2,
		"?MATCH_parentID=" + parent + "&LT_eventTime=2026-03-02T00:00:00Z":                                       1,
	} {
		if n := count(q); n != want {
			t.Errorf("events%s: %d, want %d", q, n, want)
		}
	}
	// Paging with the Link header.
	seen, next := 0, "?MATCH_parentID="+parent+"&perPage=2"
	for pages := 0; next != ""; pages++ {
		l, link := epcisEvents(t, g, brand, next)
		seen += len(l)
		next = ""
		if link != "" {
			next = link[strings.Index(link, "?"):strings.Index(link, ">")]
		}
		if pages > 3 {
			t.Fatal("paging does not end")
		}
	}
	if seen != 3 {
		t.Errorf("paged through %d events, want 3", seen)
	}
	// An error declaration is shown with the event it declares, which stays as it was.
	l, _ := epcisEvents(t, g, brand, "?MATCH_parentID="+parent+"&EQ_bizStep=packing")
	var ev map[string]any
	gwDecode(t, l[0], &ev)
	ev["errorDeclaration"] = map[string]any{"declarationTime": "2026-03-05T00:00:00Z", "reason": "incorrect_data"}
	decl, _ := json.Marshal(ev)
	doc := `{"@context":"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld","type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2026-03-05T00:00:00Z","epcisBody":{"eventList":[` + string(decl) + `]}}`
	if job := epcisCapture(t, g, brand, doc); !job.Success || job.Captured != 1 {
		t.Fatalf("error declaration: %+v", job)
	}
	l, _ = epcisEvents(t, g, brand, "?MATCH_parentID="+parent+"&EQ_bizStep=packing")
	if len(l) != 2 || strings.Contains(string(l[0]), "errorDeclaration") || !strings.Contains(string(l[1]), "errorDeclaration") {
		t.Fatalf("declared event and declaration: %s", l)
	}
	// An auditor reads the events too.
	if l, _ := epcisEvents(t, g, auditor, "?MATCH_parentID="+parent); len(l) != 4 {
		t.Errorf("auditor reads %d entries, want 3 events and 1 declaration", len(l))
	}
	// FSMA 204: the lot's events, oldest first, each with its transaction.
	r := epcisCall(t, g, http.MethodGet, "/epcis/fsma204?tlc=urn:epc:class:lgtin:9506000.013435.R"+run, brand, "")
	r.want(t, http.StatusOK, "fsma204")
	rows, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
	if err != nil || len(rows) != 4 || rows[1][1] != "Transformation" || rows[2][1] != "Shipping" || rows[3][1] != "Receiving" || rows[1][16] != firstTx {
		t.Fatalf("fsma204: %v %q", err, rows)
	}

	// Hostile documents: each the right exception, nothing half-applied.
	before := count("?MATCH_anyEPC=urn:epc:class:lgtin:9506000.013435.R" + run)
	for _, c := range []struct {
		name, body string
		status     int
		exception  string
	}{
		{"invalid UTF-8", strings.Replace(epcisDoc(run, good), "receiving", "recei\xffving", 1), 400, "ValidationException"},
		{"wrong types", strings.Replace(epcisDoc(run, good), `"quantity":50`, `"quantity":"50"`, 1), 400, "ValidationException"},
		{"unknown identifier", epcisDoc(run, strings.Replace(good, "sgtin:9506000.013435.D", "giai:9506000.D", 1)), 400, "ValidationException"},
		{"oversized", epcisDoc(run, `{"type":"ObjectEvent","cxl:pad":"`+strings.Repeat("x", 5<<20)+`"}`), 413, "CaptureLimitExceededException"},
	} {
		t.Run(c.name, func(t *testing.T) {
			epcisProblem(t, epcisCall(t, g, http.MethodPost, "/epcis/capture", brand, c.body), c.status, c.exception)
		})
	}
	if after := count("?MATCH_anyEPC=urn:epc:class:lgtin:9506000.013435.R" + run); after != before {
		t.Fatalf("hostile captures changed the lot's events: %d -> %d", before, after)
	}
	epcisProblem(t, epcisCall(t, g, http.MethodGet, "/epcis/events?EQ_bizStep=teleporting", brand, ""), 400, "QueryParameterException")
	epcisProblem(t, epcisCall(t, g, http.MethodGet, "/epcis/capture/unknown", brand, ""), 404, "NoSuchResourceException")
}

// epcisBenchDoc is a document of n ObjectEvents: each about serial prefix+i, or, with one
// EPC, all about that EPC at successive milliseconds from base.
func epcisBenchDoc(prefix, oneEPC string, base time.Time, n int) string {
	var b strings.Builder
	b.WriteString(`{"@context":"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld","type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2026-04-01T00:00:00Z","epcisBody":{"eventList":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		epc := oneEPC
		if epc == "" {
			epc = fmt.Sprintf("urn:epc:id:sgtin:9506000.013435.%s%d", prefix, i)
		}
		fmt.Fprintf(&b, `{"type":"ObjectEvent","eventTime":"%s","eventTimeZoneOffset":"+00:00","epcList":["%s"],"action":"OBSERVE","bizStep":"shipping","disposition":"in_transit","readPoint":{"id":"urn:epc:id:sgln:9506000.00001.0"}}`,
			base.Add(time.Duration(i)*time.Millisecond).UTC().Format(time.RFC3339Nano), epc)
	}
	b.WriteString(`]}}`)
	return b.String()
}

// epcisCaptureAll captures docs, inFlight at a time, and returns the events committed and
// how long it took.
func epcisCaptureAll(b *testing.B, g *gwService, docs []string, inFlight int) (int, time.Duration) {
	b.Helper()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		captured int
		failed   error
	)
	next := make(chan string)
	start := time.Now()
	for range inFlight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for doc := range next {
				job, err := epcisCaptureErr(g, "org1-user1", doc)
				mu.Lock()
				if err != nil && failed == nil {
					failed = err
				}
				captured += job.Captured
				mu.Unlock()
			}
		}()
	}
	for _, d := range docs {
		next <- d
	}
	close(next)
	wg.Wait()
	if failed != nil {
		b.Fatal(failed)
	}
	return captured, time.Since(start)
}

// epcisCaptureErr is epcisCapture for goroutines: it returns errors instead of failing.
func epcisCaptureErr(g *gwService, principal, doc string) (store.CaptureJob, error) {
	m := g.member(principal)
	do := func(method, path, body string) (gwResp, error) {
		req, err := http.NewRequest(method, m.URL+path, strings.NewReader(body))
		if err != nil {
			return gwResp{}, err
		}
		req.Header.Set("X-API-Key", g.keys[principal])
		if method == http.MethodPost {
			req.Header.Set("Content-Type", "application/ld+json")
			req.Header.Set("Idempotency-Key", fmt.Sprintf("bench-%d", time.Now().UnixNano()))
		}
		resp, err := m.http.Do(req)
		if err != nil {
			return gwResp{}, err
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		return gwResp{status: resp.StatusCode, header: resp.Header, body: data}, err
	}
	r, err := do(http.MethodPost, "/epcis/capture", doc)
	if err != nil || r.status != http.StatusAccepted {
		return store.CaptureJob{}, fmt.Errorf("capture: %v %d %s", err, r.status, r.body)
	}
	// 100 ms between polls: 8 captures in flight stay within the key's rate limit.
	for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		j, err := do(http.MethodGet, r.header.Get("Location"), "")
		if err != nil {
			return store.CaptureJob{}, err
		}
		var job store.CaptureJob
		if err := json.Unmarshal(j.body, &job); err != nil {
			return job, fmt.Errorf("job: %d %s", j.status, j.body)
		}
		if !job.Running {
			if !job.Success {
				return job, fmt.Errorf("capture failed: %+v", job.Errors)
			}
			return job, nil
		}
	}
	return store.CaptureJob{}, fmt.Errorf("capture job did not end")
}

// BenchmarkEPCIS measures capture through Org1's gateway service (committed events per
// second for documents of 100 events, 8 in flight, and of 1,000 events, 2 in flight) and the query of the 10,000 events of
// one EPC (through the service, 100 per page, and directly through fabric-gateway, 200 per
// evaluation), beside the raw-Fabric baseline (blind Puts, 64 in flight) in the same run.
// Run it once: -bench EPCIS -benchtime 1x.
func BenchmarkEPCIS(b *testing.B) {
	g := gwStart(b)
	run := fmt.Sprintf("%06x", time.Now().UnixNano()&0xffffff)
	b.Run("baseline-put", func(b *testing.B) {
		c := h.gateway(b, "Org1MSP", "User1", 0).GetNetwork(h.profile.Channel).GetContract(network.BaselineChaincode)
		const n, inFlight = 1024, 64
		for range b.N {
			var wg sync.WaitGroup
			next := make(chan int)
			var failed atomic.Value
			start := time.Now()
			for range inFlight {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range next {
						if _, err := c.Submit("Put", client.WithArguments(fmt.Sprintf("epcis-bl-%s-%d", run, i), "v")); err != nil {
							failed.Store(err)
						}
					}
				}()
			}
			for i := range n {
				next <- i
			}
			close(next)
			wg.Wait()
			if err, _ := failed.Load().(error); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(n)/time.Since(start).Seconds(), "tx/s")
		}
	})
	for _, c := range []struct {
		name         string
		perDoc, docs int
		inFlight     int
	}{{"capture-100", 100, 64, 8}, {"capture-1000", 1000, 6, 2}} {
		b.Run(c.name, func(b *testing.B) {
			for it := range b.N {
				var docs []string
				for d := range c.docs {
					docs = append(docs, epcisBenchDoc(fmt.Sprintf("%s%s%dx%d-", c.name[8:], run, it, d), "", time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), c.perDoc))
				}
				n, took := epcisCaptureAll(b, g, docs, c.inFlight)
				if n != c.perDoc*c.docs {
					b.Fatalf("captured %d events, want %d", n, c.perDoc*c.docs)
				}
				b.ReportMetric(float64(n)/took.Seconds(), "events/s")
				b.ReportMetric(took.Seconds()/float64(c.docs)*float64(c.inFlight), "s/doc")
			}
		})
	}
	b.Run("query-10000-one-epc", func(b *testing.B) {
		epc := "urn:epc:id:sgtin:9506000.013435.Q" + run
		var docs []string
		for d := range 10 {
			docs = append(docs, epcisBenchDoc("", epc, time.Date(2026, 5, 1, 0, 0, d*10, 0, time.UTC), 1000))
		}
		n, took := epcisCaptureAll(b, g, docs, 2)
		b.Logf("setup: captured %d events about one EPC in %s (%.0f events/s)", n, took.Round(time.Millisecond), float64(n)/took.Seconds())
		direct := h.contract(b, "Org1MSP", "User1", "epcis")
		b.ResetTimer()
		for range b.N {
			start := time.Now()
			seen, next := 0, "?MATCH_epc="+epc+"&perPage=100"
			for next != "" {
				r, err := epcisCallErr(g, "org1-user1", "/epcis/events"+next)
				if err != nil {
					b.Fatal(err)
				}
				var d struct {
					EPCISBody struct {
						QueryResults struct {
							ResultsBody struct {
								EventList []json.RawMessage `json:"eventList"`
							} `json:"resultsBody"`
						} `json:"queryResults"`
					} `json:"epcisBody"`
				}
				if err := json.Unmarshal(r.body, &d); err != nil {
					b.Fatalf("%d %s", r.status, r.body)
				}
				seen += len(d.EPCISBody.QueryResults.ResultsBody.EventList)
				next = ""
				if link := r.header.Get("Link"); link != "" {
					next = link[strings.Index(link, "?"):strings.Index(link, ">")]
				}
			}
			service := time.Since(start)
			start = time.Now()
			directSeen, bookmark := 0, ""
			for {
				args, _ := json.Marshal(map[string]any{"MATCH_epc": epc, "pageSize": 200, "bookmark": bookmark})
				raw, err := direct.EvaluateTransaction("Query", string(args))
				if err != nil {
					b.Fatal(err)
				}
				var res struct {
					Events   []json.RawMessage `json:"events"`
					Bookmark string            `json:"bookmark"`
				}
				if err := json.Unmarshal(raw, &res); err != nil {
					b.Fatal(err)
				}
				directSeen += len(res.Events)
				if res.Bookmark == "" {
					break
				}
				bookmark = res.Bookmark
			}
			directTook := time.Since(start)
			if seen != 10000 || directSeen != 10000 {
				b.Fatalf("read %d events through the service and %d directly, want 10000", seen, directSeen)
			}
			b.ReportMetric(service.Seconds(), "s-service")
			b.ReportMetric(directTook.Seconds(), "s-direct")
		}
	})
}

// epcisCallErr is a GET as principal that returns errors instead of failing.
func epcisCallErr(g *gwService, principal, path string) (gwResp, error) {
	m := g.member(principal)
	req, err := http.NewRequest(http.MethodGet, m.URL+path, nil)
	if err != nil {
		return gwResp{}, err
	}
	req.Header.Set("X-API-Key", g.keys[principal])
	resp, err := m.http.Do(req)
	if err != nil {
		return gwResp{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return gwResp{status: resp.StatusCode, header: resp.Header, body: data}, err
}

// TestEPCISMapsToProvenance captures, as the brand, a document whose commissioning event
// registers items of its lot and whose transformation records a lot made of that lot: the
// items are genuine through the verify endpoint and the Digital Link resolver, the new lot's
// trace shows its input, and the capture job says what each event became.
func TestEPCISMapsToProvenance(t *testing.T) {
	g := gwStart(t)
	const brand = "org1-user1"
	run := fmt.Sprintf("%010d", time.Now().UnixNano()%1e10)
	beans, coffee := gwGTIN(run+"21"), gwGTIN(run+"22")
	lot, roast := "B"+run[4:], "R"+run[4:]
	g.post(t, "/v1/provenance/products", brand, map[string]any{"gtin": beans, "name": "EPCIS beans"}, 200)
	g.post(t, "/v1/provenance/products", brand, map[string]any{"gtin": coffee, "name": "EPCIS roast"}, 200)
	g.post(t, "/v1/provenance/lots", brand, map[string]any{"gtin": beans, "lot": lot, "quantity": 100, "unit": "KGM"}, 200)

	dl := "https://id.gs1.org/01/"
	commissioning := `{"type":"ObjectEvent","eventTime":"2026-03-01T08:00:00Z","eventTimeZoneOffset":"+00:00",
	  "epcList":["` + dl + beans + `/21/S1","` + dl + beans + `/21/S2"],"action":"ADD","bizStep":"commissioning",
	  "ilmd":{"cbvmda:lotNumber":"` + lot + `"}}`
	transformation := `{"type":"TransformationEvent","eventTime":"2026-03-01T09:00:00Z","eventTimeZoneOffset":"+00:00",
	  "inputQuantityList":[{"epcClass":"` + dl + beans + `/10/` + lot + `","quantity":50,"uom":"KGM"}],
	  "outputQuantityList":[{"epcClass":"` + dl + coffee + `/10/` + roast + `","quantity":40,"uom":"KGM"}],
	  "bizStep":"commissioning","bizLocation":{"id":"urn:epc:id:sgln:9506000.00001.0"}}`
	shipping := `{"type":"ObjectEvent","eventTime":"2026-03-01T10:00:00Z","eventTimeZoneOffset":"+00:00",
	  "epcList":["` + dl + beans + `/21/S1"],"action":"OBSERVE","bizStep":"shipping"}`
	doc := `{"@context":"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld","type":"EPCISDocument","schemaVersion":"2.0",
	  "creationDate":"2026-03-01T08:00:00Z","epcisBody":{"eventList":[` + commissioning + `,` + transformation + `,` + shipping + `]}}`

	job := epcisCapture(t, g, brand, doc)
	if !job.Success || job.Captured != 3 || len(job.Mapped) != 2 ||
		job.Mapped[0].Index != 0 || strings.Join(job.Mapped[0].Records, ",") != "items:2" ||
		job.Mapped[1].Index != 1 || strings.Join(job.Mapped[1].Records, ",") != "lineage" {
		t.Fatalf("capture: %+v", job)
	}
	// The commissioned items are genuine, through the API and the resolver.
	var v provenance.Verification
	gwDecode(t, g.get(t, "/v1/provenance/verify/"+beans+"/S2", "", 200).body, &v)
	if !v.Genuine {
		t.Fatalf("verify of a commissioned item: %+v", v)
	}
	if status, body := resolverGet(t, g.url+"/01/"+beans+"/21/S1", "application/json"); status != 200 || json.Unmarshal(body, &v) != nil || !v.Genuine {
		t.Fatalf("resolver of a commissioned item: %d %s", status, body)
	}
	// The transformation is the roast lot's lineage.
	var trace provenance.LotTrace
	gwDecode(t, g.get(t, "/v1/provenance/lots/"+coffee+"/"+roast+"/trace", brand, 200).body, &trace)
	if trace.Lot.Quantity != 40 || len(trace.Upstream) != 1 || trace.Upstream[0].GTIN != beans || trace.Upstream[0].Lot != lot {
		t.Fatalf("trace of the roast lot: %+v", trace)
	}
	// The same document again is recorded and mapped once.
	if job := epcisCapture(t, g, brand, doc); !job.Success || job.Captured != 0 || job.Duplicates != 3 || len(job.Mapped) != 0 {
		t.Fatalf("second capture: %+v", job)
	}
	// Commissioning items of a lot not registered is refused, naming the event, and
	// nothing of the document is captured.
	bad := strings.Replace(strings.Replace(doc, "/21/S", "/21/T", 2), `lotNumber":"`+lot, `lotNumber":"NO`+lot, 1)
	job = epcisCapture(t, g, brand, bad)
	if job.Success || len(job.Errors) != 1 || job.Errors[0].Type != "epcisException:NoSuchResourceException" || !strings.Contains(job.Errors[0].Title, "events[0]") {
		t.Fatalf("refused capture: %+v", job)
	}
	gwDecode(t, g.get(t, "/v1/provenance/verify/"+beans+"/T1", "", 200).body, &v)
	if v.Genuine {
		t.Fatalf("an item of a refused capture is genuine: %+v", v)
	}
}
