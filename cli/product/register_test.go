package product

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/cli/clitest"
	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/ledgerapi"
)

const gtin = "09506000134352"

func TestNewCmdRegister(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		want    RegisterOptions
		what    string
		wantErr string
	}{
		{name: "product", args: []string{gtin, "--name", "Beans", "--attr", "origin=ET", "--attr", "grade=1"},
			want: RegisterOptions{GTIN: gtin, Name: "Beans", Attributes: map[string]string{"origin": "ET", "grade": "1"}}, what: "product"},
		{name: "lot", args: []string{gtin, "--lot", "L1", "--quantity", "120", "--unit", "kg", "--input", "0950600013435/L0", "--location", "Addis"},
			want: RegisterOptions{GTIN: gtin, Lot: "L1", Quantity: 120, Unit: "kg", Location: "Addis",
				Inputs: []provenance.LotRef{{GTIN: "0950600013435", Lot: "L0"}}}, what: "lot"},
		{name: "items", args: []string{gtin, "--lot", "L1", "--serial", "S1", "--serial", "S2"},
			want: RegisterOptions{GTIN: gtin, Lot: "L1", Serials: []string{"S1", "S2"}}, what: "items"},
		{name: "file", args: []string{"--file", "items.csv", "--parallel", "2", "--idempotency-key", "imp-1"},
			want: RegisterOptions{File: "items.csv", Parallel: 2}, what: "file"},
		{name: "nothing", args: nil, wantErr: "give a GTIN, or --file"},
		{name: "product without name", args: []string{gtin}, wantErr: "--name"},
		{name: "lot without quantity", args: []string{gtin, "--lot", "L1"}, wantErr: "--quantity"},
		{name: "serial without lot", args: []string{gtin, "--serial", "S1"}, wantErr: "--lot"},
		{name: "items with a name", args: []string{gtin, "--lot", "L1", "--serial", "S1", "--name", "x"}, wantErr: "--name"},
		{name: "file and GTIN", args: []string{gtin, "--file", "x.csv"}, wantErr: "choose one"},
		{name: "file with fields", args: []string{"--file", "x.csv", "--lot", "L1"}, wantErr: "belong in the file"},
		{name: "bad attr", args: []string{gtin, "--name", "x", "--attr", "novalue"}, wantErr: "key=value"},
		{name: "bad input", args: []string{gtin, "--lot", "L", "--quantity", "1", "--input", "L0"}, wantErr: "GTIN/LOT"},
		{name: "bad quantity", args: []string{gtin, "--lot", "L", "--quantity", "many"}, wantErr: "invalid argument"},
		{name: "two GTINs", args: []string{gtin, gtin, "--name", "x"}, wantErr: "at most one GTIN"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, _, _ := clitest.Factory(t, nil)
			var got *RegisterOptions
			r := clitest.Exec(t, f, NewCmdRegister(f, func(o *RegisterOptions) error { got = o; return nil }), tc.args...)
			if tc.wantErr != "" {
				if r.Err == nil || !strings.Contains(r.Err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", r.Err, tc.wantErr)
				}
				if r.Code != cmdutil.ExitUsage {
					t.Fatalf("exit %d, want %d", r.Code, cmdutil.ExitUsage)
				}
				return
			}
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			if got.What() != tc.what || got.GTIN != tc.want.GTIN || got.Name != tc.want.Name || got.Lot != tc.want.Lot ||
				got.Quantity != tc.want.Quantity || got.Unit != tc.want.Unit || got.Location != tc.want.Location ||
				got.File != tc.want.File || !reflect.DeepEqual(got.Attributes, tc.want.Attributes) ||
				!reflect.DeepEqual(got.Inputs, tc.want.Inputs) || !reflect.DeepEqual(got.Serials, tc.want.Serials) {
				t.Fatalf("options = %+v, want %+v (%s)", *got, tc.want, tc.what)
			}
			if tc.what == "file" && (got.Parallel != 2 || got.Mutation.IdempotencyKey != "imp-1" || !got.Mutation.Wait) {
				t.Fatalf("file options = %+v", *got)
			}
		})
	}
}

// run executes a product command against a transport over l.
func run(t *testing.T, tr clitest.Transport, l *clitest.Ledger, args ...string) clitest.Result {
	t.Helper()
	f, _, _ := clitest.Factory(t, tr.Open(t, l))
	return clitest.Exec(t, f, NewCmdProduct(f), args...)
}

func TestRegisterRun(t *testing.T) {
	for _, tr := range clitest.Transports() {
		t.Run(tr.Name, func(t *testing.T) {
			l := members(t)
			r := run(t, tr, l, "register", gtin, "--name", "Beans", "--idempotency-key", "p1")
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			if !strings.Contains(r.Stdout, "name:\tBeans") || !strings.Contains(r.Stderr, "registered product "+gtin) {
				t.Fatalf("stdout %q stderr %q", r.Stdout, r.Stderr)
			}
			// The same key and request again: the first outcome, nothing registered twice.
			again := run(t, tr, l, "register", gtin, "--name", "Beans", "--idempotency-key", "p1", "--json")
			if again.Err != nil {
				t.Fatalf("retry with the same key: %v", again.Err)
			}
			if n := len(l.CallsOf(&ledgerapi.ProvenanceRegisterProduct.Operation)); n != 1 {
				t.Fatalf("RegisterProduct ran %d times, want once", n)
			}
			var c ledgerapi.Committed[provenance.Product]
			if err := json.Unmarshal([]byte(again.Stdout), &c); err != nil || c.Result.GTIN != gtin || c.TransactionID == "" {
				t.Fatalf("replayed JSON %q: %v", again.Stdout, err)
			}
			// A new key: the ledger refuses a second registration.
			dup := run(t, tr, l, "register", gtin, "--name", "Beans")
			if dup.Code != cmdutil.ExitConflict || !strings.Contains(dup.Err.Error(), "CONFLICT") {
				t.Fatalf("duplicate: exit %d, %v", dup.Code, dup.Err)
			}
			if !strings.Contains(dup.Stderr, "idempotency key ") {
				t.Fatalf("a generated key is printed: %q", dup.Stderr)
			}
			// The same key with another request is refused.
			mismatch := run(t, tr, l, "register", gtin, "--name", "Other", "--idempotency-key", "p1")
			if mismatch.Code != cmdutil.ExitConflict || !strings.Contains(mismatch.Err.Error(), "IDEMPOTENCY_MISMATCH") {
				t.Fatalf("key reused: exit %d, %v", mismatch.Code, mismatch.Err)
			}

			lot := run(t, tr, l, "register", gtin, "--lot", "L1", "--quantity", "10", "--unit", "kg", "--json")
			if lot.Err != nil {
				t.Fatal(lot.Err)
			}
			var lc ledgerapi.Committed[provenance.ProductLot]
			if err := json.Unmarshal([]byte(lot.Stdout), &lc); err != nil || lc.Result.Quantity != 10 || lc.Result.Unit != "kg" {
				t.Fatalf("lot JSON %q: %v", lot.Stdout, err)
			}
			items := run(t, tr, l, "register", gtin, "--lot", "L1", "--serial", "S1", "--serial", "S2")
			if items.Err != nil || !strings.Contains(items.Stdout, gtin+"\tL1\tS2\tOrg1MSP") {
				t.Fatalf("items: %v\n%s", items.Err, items.Stdout)
			}
			missing := run(t, tr, l, "register", "09506000134369", "--lot", "L1", "--quantity", "1")
			if missing.Code != cmdutil.ExitNotFound {
				t.Fatalf("lot of an unknown product: exit %d, %v", missing.Code, missing.Err)
			}
			invalid := run(t, tr, l, "register", "12345", "--name", "x")
			if invalid.Code != cmdutil.ExitUsage || !strings.Contains(invalid.Err.Error(), "INVALID") {
				t.Fatalf("bad GTIN: exit %d, %v", invalid.Code, invalid.Err)
			}
		})
	}
}

func TestRegisterFollowsAPendingCommit(t *testing.T) {
	for _, tr := range clitest.Transports() {
		t.Run(tr.Name, func(t *testing.T) {
			l := members(t)
			l.Pending(&ledgerapi.ProvenanceRegisterProduct.Operation)
			r := run(t, tr, l, "register", gtin, "--name", "Beans", "--json")
			if r.Err != nil {
				t.Fatalf("--wait follows the transaction to its commit: %v", r.Err)
			}
			var c ledgerapi.Committed[provenance.Product]
			if err := json.Unmarshal([]byte(r.Stdout), &c); err != nil || c.Result.Name != "Beans" || c.BlockNumber == 0 {
				t.Fatalf("JSON %q: %v", r.Stdout, err)
			}
			r = run(t, tr, l, "register", "09506000134369", "--name", "Tea", "--no-wait")
			if r.Code != cmdutil.ExitPending || !strings.Contains(r.Err.Error(), "PENDING") {
				t.Fatalf("--no-wait: exit %d, %v", r.Code, r.Err)
			}
		})
	}
}

func TestBulkRegister(t *testing.T) {
	dir := t.TempDir()
	csvFile := filepath.Join(dir, "items.csv")
	os.WriteFile(csvFile, []byte(strings.Join([]string{
		"gtin,name,lot,quantity,unit,serial,attr.origin",
		gtin + ",Beans,,,,,ET",
		gtin + ",,L1,100,kg,,",
		gtin + ",,L1,,,S1,",
		gtin + ",,L1,,,S2,",
		gtin + ",,L1,,,S1,",   // a duplicate serial: its batch is retried line by line
		"12345,Bad,,,,,",      // an invalid GTIN
		gtin + ",,L9,,,S3,",   // an item of an unknown lot
		gtin + ",,L2,lots,,,", // not a number
	}, "\n")+"\n"), 0o644)
	for _, tr := range clitest.Transports() {
		t.Run(tr.Name, func(t *testing.T) {
			l := members(t)
			r := run(t, tr, l, "register", "--file", csvFile, "--idempotency-key", "imp", "--json")
			if r.Code != cmdutil.ExitFailure {
				t.Fatalf("mixed failures: exit %d, want 1: %v", r.Code, r.Err)
			}
			var results []LineResult
			for _, line := range strings.Split(strings.TrimSpace(r.Stdout), "\n") {
				var lr LineResult
				if err := json.Unmarshal([]byte(line), &lr); err != nil {
					t.Fatalf("NDJSON line %q: %v", line, err)
				}
				results = append(results, lr)
			}
			status := map[int]string{}
			for _, lr := range results {
				status[lr.Line] = lr.Status
				if lr.Error != nil {
					status[lr.Line] += " " + string(lr.Error.Code)
				}
			}
			want := map[int]string{2: "registered", 3: "registered", 4: "registered", 5: "registered", 6: "failed CONFLICT",
				7: "failed INVALID", 8: "failed NOT_FOUND", 9: "failed INVALID"}
			if !reflect.DeepEqual(status, want) {
				t.Fatalf("line results %v, want %v", status, want)
			}
			for _, n := range []string{":6: CONFLICT", ":7: INVALID", ":8: NOT_FOUND", ":9: INVALID"} {
				if !strings.Contains(r.Stderr, csvFile+n) {
					t.Errorf("the error report lacks %s:\n%s", n, r.Stderr)
				}
			}
			registered := len(l.CallsOf(&ledgerapi.ProvenanceRegisterItems.Operation))
			// Running the file again with the same key applies nothing again.
			again := run(t, tr, l, "register", "--file", csvFile, "--idempotency-key", "imp")
			if again.Code != cmdutil.ExitFailure {
				t.Fatalf("second run: exit %d", again.Code)
			}
			if n := len(l.CallsOf(&ledgerapi.ProvenanceRegisterProduct.Operation)); n != 1 {
				t.Errorf("the product was registered %d times", n)
			}
			if len(l.CallsOf(&ledgerapi.ProvenanceRegisterLot.Operation)) != 1 {
				t.Errorf("the lot was registered twice")
			}
			// Only the lines that failed with a conflict-free retry could run again; none did.
			if n := len(l.CallsOf(&ledgerapi.ProvenanceRegisterItems.Operation)); n != registered {
				t.Errorf("items: %d calls after the rerun, %d before", n, registered)
			}
		})
	}
}

func TestBulkJSONLines(t *testing.T) {
	file := filepath.Join(t.TempDir(), "items.jsonl")
	os.WriteFile(file, []byte(`{"gtin":"`+gtin+`","name":"Beans","attributes":{"origin":"ET"}}
{"gtin":"`+gtin+`","lot":"L1","quantity":5}

{"gtin":"`+gtin+`","lot":"L1","serial":"S1"}
{"gtin":"`+gtin+`","lot":"L1","serail":"S2"}
`), 0o644)
	l := members(t)
	r := run(t, clitest.Transports()[0], l, "register", "--file", file)
	if r.Code != cmdutil.ExitUsage || !strings.Contains(r.Stderr, file+":5: INVALID") || !strings.Contains(r.Stderr, "serail") {
		t.Fatalf("one bad line: exit %d, stderr %q", r.Code, r.Stderr)
	}
	if !strings.Contains(r.Stdout, "4\tregistered\titem\t"+gtin+"\tL1\tS1") {
		t.Fatalf("results table:\n%s", r.Stdout)
	}
}

func TestBulkBadFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		return p
	}
	cases := []struct {
		file, want string
	}{
		{filepath.Join(dir, "missing.csv"), "no such file"},
		{write("empty.csv", ""), "empty file"},
		{write("cols.csv", "gtin,colour\n1,red\n"), `unknown column "colour"`},
		{write("nogtin.csv", "name\nx\n"), "no gtin column"},
		{write("items.txt", "gtin\n"), "cannot tell the format"},
		{write("header.csv", "gtin,name\n"), "no lines"},
	}
	for _, tc := range cases {
		l := clitest.New(t)
		r := run(t, clitest.Transports()[0], l, "register", "--file", tc.file)
		if r.Code != cmdutil.ExitUsage || !strings.Contains(r.Err.Error(), tc.want) || strings.Contains(r.Err.Error(), "\n") {
			t.Errorf("%s: exit %d, %v; want one usage line with %q", filepath.Base(tc.file), r.Code, r.Err, tc.want)
		}
		if len(l.Calls()) != 0 {
			t.Errorf("%s: the ledger was called", tc.file)
		}
	}
}

// The per-line report of a file is what scripts read: its fields are pinned.
func TestLineResultFields(t *testing.T) {
	got := strings.Join(cmdutil.JSONFields(reflect.TypeOf(LineResult{})), ",")
	if got != "blockNumber,error,gtin,kind,line,lot,serial,status,transactionId" {
		t.Fatalf("LineResult JSON fields: %s", got)
	}
}
