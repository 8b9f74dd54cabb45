package httpapi_test

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/cxledger/cxledger/cli/clitest"
	"github.com/cxledger/cxledger/gateway/store"
)

// epcisServer is the service over the real contracts in process, with Org1MSP a brand.
func epcisServer(t *testing.T) string {
	l := clitest.New(t)
	l.Grant(t, "Org1MSP", ledgertypes.Brand)
	return clitest.RESTServer(t, l)
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func send(t *testing.T, method, url, body string, headers ...string) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+clitest.APIKey)
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/ld+json")
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(k, strings.TrimSpace(v))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, data}
}

// problemOf checks an answer is the problem of an EPCIS exception with status.
func problemOf(t *testing.T, a answer, status int, exception string) {
	t.Helper()
	var p struct {
		Type   string `json:"type"`
		Status int    `json:"status"`
		Detail string `json:"detail"`
	}
	if a.status != status || a.header.Get("Content-Type") != "application/problem+json" || json.Unmarshal(a.body, &p) != nil ||
		p.Type != "epcisException:"+exception || p.Status != status {
		t.Fatalf("got %d %s %s, want %d %s", a.status, a.header.Get("Content-Type"), a.body, status, exception)
	}
}

// capture posts doc and waits for its job to end.
func capture(t *testing.T, base, doc, key string, headers ...string) store.CaptureJob {
	t.Helper()
	a := send(t, http.MethodPost, base+"/epcis/capture", doc, append(headers, "Idempotency-Key: "+key)...)
	if a.status != http.StatusAccepted || a.header.Get("GS1-EPCIS-Version") != "2.0.0" {
		t.Fatalf("capture: %d %s", a.status, a.body)
	}
	return awaitJob(t, base, a.header.Get("Location"))
}

// awaitJob polls the capture job at loc until it ends. The in-process ledger runs one
// transaction at a time, so a test waits for each capture before sending the next.
func awaitJob(t *testing.T, base, loc string) store.CaptureJob {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		j := send(t, http.MethodGet, base+loc, "")
		var job store.CaptureJob
		if j.status != http.StatusOK || json.Unmarshal(j.body, &job) != nil {
			t.Fatalf("job: %d %s", j.status, j.body)
		}
		if !job.Running {
			return job
		}
	}
	t.Fatal("the capture job did not end")
	return store.CaptureJob{}
}

func testDocument(t *testing.T, extra ...string) string {
	data, err := os.ReadFile("../../gs1/epcis/testdata/all-types.jsonld")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	for _, e := range extra {
		doc = strings.Replace(doc, `"eventList": [`, `"eventList": [`+e+",", 1)
	}
	return doc
}

func events(t *testing.T, base, query string) (list []json.RawMessage, link string) {
	t.Helper()
	a := send(t, http.MethodGet, base+"/epcis/events"+query, "")
	var d struct {
		Type      string `json:"type"`
		EPCISBody struct {
			QueryResults struct {
				ResultsBody struct {
					EventList []json.RawMessage `json:"eventList"`
				} `json:"resultsBody"`
			} `json:"queryResults"`
		} `json:"epcisBody"`
	}
	if a.status != http.StatusOK || json.Unmarshal(a.body, &d) != nil || d.Type != "EPCISQueryDocument" || a.header.Get("GS1-CBV-Version") != "2.0.0" {
		t.Fatalf("events%s: %d %s", query, a.status, a.body)
	}
	return d.EPCISBody.QueryResults.ResultsBody.EventList, a.header.Get("Link")
}

const badEvent = `{"type":"ObjectEvent","eventTime":"2026-03-01T09:00:00Z","eventTimeZoneOffset":"+00:00","epcList":["urn:epc:id:grai:9506000.00001.1"],"action":"OBSERVE"}`
const goodEvent = `{"type":"ObjectEvent","eventTime":"2026-03-03T09:00:00Z","eventTimeZoneOffset":"+00:00","quantityList":[{"epcClass":"urn:epc:class:lgtin:9506000.013435.GREEN1","quantity":10,"uom":"KGM"}],"action":"OBSERVE","bizStep":"receiving","bizLocation":{"id":"urn:epc:id:sgln:9506000.00002.0"}}`

func TestEPCISCaptureWithoutIdempotencyKey(t *testing.T) {
	base := epcisServer(t)
	// A standard EPCIS client sends no Idempotency-Key: the document names its job, so
	// resending it answers that job and captures nothing twice.
	keyless := testDocument(t, strings.Replace(goodEvent, "2026-03-03T09", "2026-03-04T09", 1))
	first := send(t, http.MethodPost, base+"/epcis/capture", keyless)
	loc := first.header.Get("Location")
	if first.status != http.StatusAccepted || loc == "" {
		t.Fatalf("capture without Idempotency-Key: %d %s", first.status, first.body)
	}
	again := send(t, http.MethodPost, base+"/epcis/capture", keyless)
	if again.status != http.StatusAccepted || again.header.Get("Location") != loc {
		t.Fatalf("resent without Idempotency-Key: %d %s at %q, first at %q", again.status, again.body, again.header.Get("Location"), loc)
	}
	if job := awaitJob(t, base, loc); !job.Success || job.Captured != 6 {
		t.Fatalf("keyless capture: %+v", job)
	}
	if job := awaitJob(t, base, send(t, http.MethodPost, base+"/epcis/capture", keyless).header.Get("Location")); job.ID != strings.TrimPrefix(loc, "/epcis/capture/") {
		t.Fatalf("resent after the job ended: job %s, want %s", job.ID, loc)
	}
	other := send(t, http.MethodPost, base+"/epcis/capture", keyless, "GS1-Capture-Error-Behaviour: proceed")
	if other.status != http.StatusAccepted || other.header.Get("Location") == loc {
		t.Fatalf("another error behaviour: %d at %q, the first job at %q", other.status, other.header.Get("Location"), loc)
	}
	if job := awaitJob(t, base, other.header.Get("Location")); !job.Success || job.Captured != 0 || job.Duplicates != 6 {
		t.Fatalf("the same events with proceed: %+v", job)
	}
}

func TestEPCISCaptureAndQuery(t *testing.T) {
	base := epcisServer(t)
	job := capture(t, base, testDocument(t), "k1")
	if !job.Success || job.Captured != 5 || job.Events != 5 || job.TransactionID == "" {
		t.Fatalf("first capture: %+v", job)
	}
	firstTx := job.TransactionID
	// The same key answers the same job; a new key records nothing twice.
	if a := send(t, http.MethodPost, base+"/epcis/capture", testDocument(t), "Idempotency-Key: k1"); a.status != http.StatusAccepted || a.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %s", a.status, a.body)
	}
	if job := capture(t, base, testDocument(t), "k2"); !job.Success || job.Captured != 0 || job.Duplicates != 5 {
		t.Fatalf("duplicate capture: %+v", job)
	}
	// Rollback: one bad event and nothing is captured.
	problemOf(t, send(t, http.MethodPost, base+"/epcis/capture", testDocument(t, goodEvent, badEvent), "Idempotency-Key: k3"), 400, "ValidationException")
	if l, _ := events(t, base, ""); len(l) != 5 {
		t.Fatalf("after a rolled back capture: %d events", len(l))
	}
	// Proceed: the good one is captured, the bad one reported.
	job = capture(t, base, testDocument(t, goodEvent, badEvent), "k4", "GS1-Capture-Error-Behaviour: proceed")
	if !job.Success || job.Captured != 1 || job.Duplicates != 5 || len(job.Errors) != 1 || job.Errors[0].Index != 0 || job.Errors[0].Type != "epcisException:ValidationException" {
		t.Fatalf("proceed: %+v", job)
	}
	for q, want := range map[string]int{
		"":                           6,
		"?EQ_bizStep=packing":        1,
		"?EQ_bizStep=receiving":      1,
		"?EQ_disposition=in_transit": 1,
		"?MATCH_epc=https://id.gs1.org/01/09506000134352/21/S1":          2,
		"?MATCH_parentID=urn:epc:id:sscc:9506000.0000000017":             3,
		"?MATCH_inputEPC=urn:epc:class:lgtin:9506000.013435.GREEN1":      1,
		"?MATCH_outputEPC=urn:epc:class:lgtin:9506000.013435.ROAST1":     1,
		"?EQ_bizLocation=urn:epc:id:sgln:9506000.00002.0":                1,
		"?EQ_bizTransaction_po=urn:epcglobal:cbv:bt:9506000000012:PO-77": 1,
		"?GE_eventTime=2026-03-02T09:00:00Z":                             3,
		"?LT_eventTime=2026-03-01T10:00:00Z":                             2,
	} {
		if l, _ := events(t, base, q); len(l) != want {
			t.Errorf("events%s: %d, want %d", q, len(l), want)
		}
	}
	// Paging with the Link header.
	seen := 0
	next := "?perPage=4"
	for pages := 0; next != ""; pages++ {
		l, link := events(t, base, next)
		seen += len(l)
		next = ""
		if link != "" {
			next = link[strings.Index(link, "?"):strings.Index(link, ">")]
		}
		if pages > 3 {
			t.Fatal("paging does not end")
		}
	}
	if seen != 6 {
		t.Errorf("paged through %d events, want 6", seen)
	}
	// An error declaration: the query shows the event and the declaration.
	l, _ := events(t, base, "?EQ_bizStep=packing")
	var ev map[string]any
	_ = json.Unmarshal(l[0], &ev)
	ev["errorDeclaration"] = map[string]any{"declarationTime": "2026-03-05T00:00:00Z", "reason": "incorrect_data"}
	decl, _ := json.Marshal(ev)
	if job := capture(t, base, testDocument(t, string(decl)), "k5", "GS1-Capture-Error-Behaviour: proceed"); !job.Success || job.Captured != 1 {
		t.Fatalf("error declaration: %+v", job)
	}
	if l, _ := events(t, base, "?EQ_bizStep=packing"); len(l) != 2 || !strings.Contains(string(l[1]), "errorDeclaration") || strings.Contains(string(l[0]), "errorDeclaration") {
		t.Fatalf("declared event: %s", l)
	}
	// FSMA 204: the lot's events, oldest first, each with its transaction.
	a := send(t, http.MethodGet, base+"/epcis/fsma204?tlc=urn:epc:class:lgtin:9506000.013435.GREEN1", "")
	rows, err := csv.NewReader(strings.NewReader(string(a.body))).ReadAll()
	if a.status != 200 || err != nil || len(rows) != 3 {
		t.Fatalf("fsma204: %d %v %q", a.status, err, a.body)
	}
	if rows[1][1] != "Transformation (input)" || rows[2][1] != "Receiving" || rows[2][7] != "10" || rows[1][16] != firstTx || rows[2][16] == "" {
		t.Fatalf("fsma204 rows: %q", rows)
	}
}

func TestEPCISHostile(t *testing.T) {
	base := epcisServer(t)
	for _, c := range []struct {
		name, body string
		headers    []string
		status     int
		exception  string
	}{
		{"invalid UTF-8", "{\"type\":\"\xff\"}", nil, 400, "ValidationException"},
		{"not JSON", "EPCIS", nil, 400, "ValidationException"},
		{"wrong types", `{"@context":"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld","type":"EPCISDocument","schemaVersion":2,"creationDate":"2026-03-01T08:00:00Z","epcisBody":{"eventList":[]}}`, nil, 400, "ValidationException"},
		{"unknown identifier", testDocument(t, badEvent), nil, 400, "ValidationException"},
		{"oversized", `{"x":"` + strings.Repeat("a", 5<<20) + `"}`, nil, 413, "CaptureLimitExceededException"},
		{"too many events", testDocument(t, strings.Repeat(goodEvent+",", 1000)+goodEvent), nil, 413, "CaptureLimitExceededException"},
		{"bad behaviour", testDocument(t), []string{"GS1-Capture-Error-Behaviour: maybe"}, 400, "ValidationException"},
		{"empty idempotency key", testDocument(t), []string{"Idempotency-Key:"}, 400, "ValidationException"},
		{"wrong content type", testDocument(t), []string{"Content-Type: text/plain"}, 400, "ValidationException"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := append([]string{"Idempotency-Key: " + c.name}, c.headers...)
			problemOf(t, send(t, http.MethodPost, base+"/epcis/capture", c.body, h...), c.status, c.exception)
		})
	}
	if l, _ := events(t, base, ""); len(l) != 0 {
		t.Fatalf("hostile captures left %d events", len(l))
	}
	problemOf(t, send(t, http.MethodGet, base+"/epcis/capture/nope", ""), 404, "NoSuchResourceException")
	for _, q := range []string{"?EQ_bizStep=teleporting", "?MATCH_epc=urn:epc:id:grai:1.2.3", "?GE_eventTime=yesterday", "?perPage=0", "?color=red", "?EQ_bizTransaction_purchase=x"} {
		problemOf(t, send(t, http.MethodGet, base+"/epcis/events"+q, ""), 400, "QueryParameterException")
	}
	problemOf(t, send(t, http.MethodGet, base+"/epcis/fsma204?tlc=urn:epc:id:sgtin:9506000.013435.S1", ""), 400, "QueryParameterException")
	req, _ := http.NewRequest(http.MethodGet, base+"/epcis/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 401 {
		t.Fatalf("no credentials: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
}
