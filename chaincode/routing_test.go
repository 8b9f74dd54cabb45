package chaincode

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/cxledger/cxledger/chaincode/ledger/ledgertest"
	"github.com/cxledger/cxledger/cxlerr"
)

// txMetadata is what the tests read of a transaction function in the metadata.
type txMetadata struct {
	Name       string   `json:"name"`
	Tags       []string `json:"tag"`
	Parameters []struct {
		Name   string         `json:"name"`
		Schema map[string]any `json:"schema"`
	} `json:"parameters"`
}

// chaincodeMetadata is what the tests read of the chaincode's metadata.
type chaincodeMetadata struct {
	Info struct {
		Title       string `json:"title"`
		Version     string `json:"version"`
		Description string `json:"description"`
	} `json:"info"`
	Contracts map[string]struct {
		Transactions []txMetadata `json:"transactions"`
	} `json:"contracts"`
	Components struct {
		Schemas map[string]json.RawMessage `json:"schemas"`
	} `json:"components"`
}

// readMetadata assembles the chaincode and decodes its GetMetadata answer.
func readMetadata(t *testing.T) (*Chaincode, chaincodeMetadata) {
	t.Helper()
	cc, err := New("1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	resp := cc.Invoke(ledgertest.New().SetArgs("org.hyperledger.fabric:GetMetadata"))
	if resp.Status != 200 {
		t.Fatalf("GetMetadata: %d %s", resp.Status, resp.Message)
	}
	var md chaincodeMetadata
	if err := json.Unmarshal(resp.Payload, &md); err != nil {
		t.Fatal(err)
	}
	return cc, md
}

// contractNames are the cxledger contracts, without contractapi's system contract.
var contractNames = []string{"health", "consortium", "provenance", "orders", "loyalty", "care"}

// TestMetadataDescribesTypedArguments: the metadata names the chaincode, and every function
// takes at most one argument described by the schema of its type, an object, except health's
// Ping, whose nonce is a string.
func TestMetadataDescribesTypedArguments(t *testing.T) {
	_, md := readMetadata(t)
	if md.Info.Title != "cxledger" || md.Info.Version != "1.2.3" || md.Info.Description == "" {
		t.Fatalf("info %+v", md.Info)
	}
	for _, contract := range contractNames {
		c, ok := md.Contracts[contract]
		if !ok {
			t.Fatalf("contract %s missing", contract)
		}
		for _, tx := range c.Transactions {
			name := contract + ":" + tx.Name
			if len(tx.Parameters) > 1 {
				t.Errorf("%s takes %d parameters", name, len(tx.Parameters))
				continue
			}
			for _, p := range tx.Parameters {
				ref, _ := p.Schema["$ref"].(string)
				typ, _ := p.Schema["type"].(string)
				switch {
				case name == "health:Ping":
					if typ != "string" {
						t.Errorf("%s: nonce schema %v, want a string", name, p.Schema)
					}
				case strings.HasPrefix(ref, "#/components/schemas/"):
					if _, ok := md.Components.Schemas[strings.TrimPrefix(ref, "#/components/schemas/")]; !ok {
						t.Errorf("%s: schema %s missing from components", name, ref)
					}
				case typ == "object":
				default:
					t.Errorf("%s: parameter schema %v, want an object", name, p.Schema)
				}
			}
		}
	}
	for _, fn := range []string{"GetProduct", "GetLot", "GetItem"} {
		found := false
		for _, tx := range md.Contracts["provenance"].Transactions {
			if tx.Name == fn {
				found = slices.Contains(tx.Tags, "EVALUATE")
			}
		}
		if !found {
			t.Errorf("provenance:%s missing or not evaluate", fn)
		}
	}
}

// assertCoded fails unless resp is an error that cxlerr.Parse reads as code.
func assertCoded(t *testing.T, what string, status int32, message string, code cxlerr.Code) {
	t.Helper()
	e, ok := cxlerr.Parse(message)
	if status == 200 || !ok || e.Code != code {
		t.Errorf("%s: %d %q, want %s", what, status, message, code)
	}
}

// TestRoutingErrorsAreCoded: what contractapi refuses in plain text comes back coded.
func TestRoutingErrorsAreCoded(t *testing.T) {
	cc, err := New("test")
	if err != nil {
		t.Fatal(err)
	}
	stub := ledgertest.New().As("Org1MSP", "alice", "client")
	for _, tt := range []struct {
		args []string
		code cxlerr.Code
		want string
	}{
		{[]string{"nosuch:Ping", "n"}, cxlerr.NotFound, "Contract not found with name nosuch"},
		{[]string{"health:Nosuch"}, cxlerr.NotFound, "Function Nosuch not found in contract health"},
		{[]string{"health:"}, cxlerr.Invalid, "Blank function name"},
		{[]string{"health:Ping"}, cxlerr.Invalid, "health:Ping takes one argument, got 0"},
		{[]string{"health:Ping", "a", "b"}, cxlerr.Invalid, "health:Ping takes one argument, got 2"},
		{[]string{"health:Version", "x"}, cxlerr.Invalid, "health:Version takes no argument, got 1"},
		{[]string{"org.hyperledger.fabric:GetMetadata", "x"}, cxlerr.Invalid, "GetMetadata takes no argument, got 1"},
		{[]string{"provenance:GetProduct", `{"gtin":"1"}`, `{"gtin":"2"}`}, cxlerr.Invalid, "takes one argument, got 2"},
		{[]string{"provenance:GetProduct", `{"gtin":`}, cxlerr.Invalid, "arguments: JSON ends early"},
		{[]string{"provenance:GetProduct", `{"gtin":"09506000134352","gtin":"09506000134352"}`}, cxlerr.Invalid, `duplicate key "gtin"`},
	} {
		resp := cc.Invoke(stub.SetArgs(tt.args...))
		assertCoded(t, strings.Join(tt.args, " "), resp.Status, resp.Message, tt.code)
		if !strings.Contains(resp.Message, tt.want) {
			t.Errorf("%v: %q, want it to contain %q", tt.args, resp.Message, tt.want)
		}
		stub.Begin()
	}
	// The default contract and a lower-case function name route as contractapi routes them.
	if resp := cc.Invoke(stub.SetArgs("version")); resp.Status != 200 || string(resp.Payload) != `{"version":"test"}` {
		t.Errorf("version: %d %s %s", resp.Status, resp.Message, resp.Payload)
	}
	if resp := cc.Init(stub.SetArgs()); resp.Status != 200 {
		t.Errorf("Init without function: %d %s", resp.Status, resp.Message)
	}
	if resp := cc.Init(stub.SetArgs("health:Version", "x")); resp.Status == 200 {
		t.Errorf("Init with a stray argument succeeded")
	}
}

func TestRoutingCode(t *testing.T) {
	for message, code := range map[string]cxlerr.Code{
		"Contract not found with name x":                     cxlerr.NotFound,
		"Function F not found in contract c":                 cxlerr.NotFound,
		"Blank function name passed":                         cxlerr.Invalid,
		"incorrect number of params. Expected 1, received 0": cxlerr.Invalid,
		"error managing parameter param0. conversion error":  cxlerr.Invalid,
		"error handling success response. boom":              cxlerr.Internal,
		"something else":                                     cxlerr.Internal,
	} {
		if got := routingCode(message); got != code {
			t.Errorf("routingCode(%q) = %s, want %s", message, got, code)
		}
	}
}

// TestEveryFunctionRefusesHostileArguments invokes every function of every contract, as the
// metadata lists them, through the assembled chaincode with arguments no function accepts,
// and checks each answer is a coded INVALID error that changed nothing. A function without
// parameter accepts no argument; health's Ping takes any text as its nonce but invalid
// UTF-8.
func TestEveryFunctionRefusesHostileArguments(t *testing.T) {
	cc, md := readMetadata(t)
	stub := ledgertest.New().As("Org1MSP", "alice", "client")
	hostile := []struct {
		name string
		args []string
	}{
		{"no argument", nil},
		{"two arguments", []string{`{}`, `{}`}},
		{"unknown field", []string{`{"unknownField":1}`}},
		{"duplicate key", []string{`{"a":1,"a":2}`}},
		{"invalid UTF-8", []string{"{\"id\":\"\xff\xfe\"}"}},
	}
	n := 0
	for _, contract := range contractNames {
		for _, tx := range md.Contracts[contract].Transactions {
			name := contract + ":" + tx.Name
			for _, h := range hostile {
				switch {
				case len(tx.Parameters) == 0 && len(h.args) == 0,
					name == "health:Ping" && (h.name == "unknown field" || h.name == "duplicate key"):
					continue // a valid call
				}
				resp := cc.Invoke(stub.SetArgs(append([]string{name}, h.args...)...))
				assertCoded(t, name+" with "+h.name, resp.Status, resp.Message, cxlerr.Invalid)
				if w := stub.Writes(); len(w) != 0 || stub.Event() != nil {
					t.Errorf("%s with %s wrote %d keys, event %v", name, h.name, len(w), stub.Event())
				}
				stub.Begin()
				n++
			}
		}
	}
	if n < 200 {
		t.Fatalf("only %d hostile calls: the metadata lists too few functions", n)
	}
	if keys := stub.Keys(); len(keys) != 0 {
		t.Fatalf("state changed: %q", keys)
	}
}
