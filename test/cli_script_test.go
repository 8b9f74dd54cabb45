//go:build integration

package test

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestCLIScripts runs the scripts in testdata/script against the test network, driving it
// only through the cxl binary: `exec cxl ...` with the network in CXL_HOME, the gateway
// service the gateway tests start, and a configuration file of the script's own. Each
// script gets, in its environment:
//
//	GATEWAY            the gateway service's URL
//	KEY_ORG1_USER1 ... the API key of each identity (org1-admin, org2-user1, ...)
//	ACCT_ORG1_USER1 .. the account of each identity as the contracts name it (MSP/CN)
//	RUN                a token unique to this run and script, for IDs
//	GTIN1 .. GTIN4     GTIN-14s unique to this run and script
//	CURRENCY           a settlement currency code unique to this run and script
//
// and these commands besides testscript's own:
//
//	exits CODE PROG ARGS...   run PROG and check its exit code (stdout and stderr as exec)
//	json PATH [VALUE]         the JSON on stdout (one value, or NDJSON as an array) has
//	                          VALUE at PATH (a.b.0.c, or len(a.b) for a length); without
//	                          VALUE, that PATH exists; with !, that it does not
//	setjson VAR PATH          set VAR to the value at PATH
//	envsubst FILE...          replace $VARS in files with their values
func TestCLIScripts(t *testing.T) {
	g := gwStart(t)
	bin := t.TempDir()
	if err := os.Symlink(h.cxl, filepath.Join(bin, "cxl")); err != nil {
		t.Fatal(err)
	}
	accounts, err := networkAccounts()
	if err != nil {
		t.Fatal(err)
	}
	base := time.Now().UnixNano()
	var seq atomic.Int64
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			n := seq.Add(1)
			run := fmt.Sprintf("%06d%02d", (base/1e6)%1000000, n%100)
			env.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
			env.Setenv("CXL_HOME", string(h.home))
			env.Setenv("CXL_REPO", h.repo)
			env.Setenv("CXL_CONFIG", filepath.Join(env.WorkDir, "cxl", "config.yaml"))
			// GATEWAY is the first member's; GATEWAY_ORG1, ... each member's, and
			// GATEWAY_CA_ORG1, ... the TLS roots that verify them (empty on plain HTTP).
			env.Setenv("GATEWAY", g.url)
			env.Setenv("GATEWAY_CA", g.members[g.first].TLSRoot)
			for name, m := range g.members {
				env.Setenv("GATEWAY_"+envName(name), m.URL)
				env.Setenv("GATEWAY_CA_"+envName(name), m.TLSRoot)
			}
			env.Setenv("RUN", run)
			for i := 1; i <= 4; i++ {
				env.Setenv(fmt.Sprintf("GTIN%d", i), gwGTIN("77"+run+fmt.Sprintf("%02d", i)))
			}
			env.Setenv("CURRENCY", currencyCode(run))
			for principal, key := range g.keys {
				env.Setenv("KEY_"+envName(principal), key)
			}
			for principal, acct := range accounts {
				env.Setenv("ACCT_"+envName(principal), acct)
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits":    cmdExits,
			"json":     cmdJSON,
			"setjson":  cmdSetJSON,
			"envsubst": cmdEnvsubst,
		},
	})
}

// envName turns a principal ("org1-user1") into an environment name suffix (ORG1_USER1).
func envName(principal string) string {
	return strings.ToUpper(strings.ReplaceAll(principal, "-", "_"))
}

// currencyCode makes three upper-case letters from a run token.
func currencyCode(run string) string {
	n, _ := strconv.ParseInt(run, 10, 64)
	b := []byte{'Q', 'A', 'A'}
	b[1] += byte(n / 26 % 26)
	b[2] += byte(n % 26)
	return string(b)
}

// networkAccounts maps each principal ("org2-user1") to the account the contracts give its
// identity: the MSP ID and the certificate's common name.
func networkAccounts() (map[string]string, error) {
	out := map[string]string{}
	for _, o := range h.profile.Orgs {
		for user, id := range o.Users {
			data, err := os.ReadFile(id.Cert)
			if err != nil {
				return nil, err
			}
			block, _ := pem.Decode(data)
			if block == nil {
				return nil, fmt.Errorf("no PEM in %s", id.Cert)
			}
			cert, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, err
			}
			principal := strings.ToLower(strings.TrimSuffix(o.MSPID, "MSP") + "-" + user)
			out[principal] = o.MSPID + "/" + cert.Subject.CommonName
		}
	}
	return out, nil
}

func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE program [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: %q is not an exit code", args[0])
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("exits: %v", err)
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}

// stdoutJSON decodes stdout: one JSON value, or several (NDJSON) as an array.
func stdoutJSON(ts *testscript.TestScript) any {
	dec := json.NewDecoder(strings.NewReader(ts.ReadFile("stdout")))
	dec.UseNumber()
	var docs []any
	for dec.More() {
		var v any
		if err := dec.Decode(&v); err != nil {
			ts.Fatalf("stdout is not JSON: %v", err)
		}
		docs = append(docs, v)
	}
	switch len(docs) {
	case 0:
		ts.Fatalf("stdout is empty, not JSON")
	case 1:
		return docs[0]
	}
	return docs
}

// lookup follows a dotted path; len(PATH) is the length of the array or object there.
func lookup(v any, path string) (any, bool) {
	if inner, ok := strings.CutPrefix(path, "len("); ok && strings.HasSuffix(inner, ")") {
		v, ok := lookup(v, strings.TrimSuffix(inner, ")"))
		switch x := v.(type) {
		case map[string]any:
			return json.Number(strconv.Itoa(len(x))), ok
		case []any:
			return json.Number(strconv.Itoa(len(x))), ok
		}
		return nil, false
	}
	if path == "." || path == "" {
		return v, true
	}
	for _, part := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[part]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

func render(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case nil:
		return "null"
	}
	data, _ := json.Marshal(v)
	return string(data)
}

func cmdJSON(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: json PATH [VALUE]")
	}
	v, ok := lookup(stdoutJSON(ts), args[0])
	switch {
	case neg && len(args) == 1:
		if ok {
			ts.Fatalf("json: %s is %s, want it absent", args[0], render(v))
		}
	case !ok:
		ts.Fatalf("json: no %s in stdout", args[0])
	case len(args) == 2 && (render(v) == args[1]) == neg:
		ts.Fatalf("json: %s is %s, want %s%s", args[0], render(v), map[bool]string{true: "not ", false: ""}[neg], args[1])
	}
}

func cmdSetJSON(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: setjson VAR PATH")
	}
	v, ok := lookup(stdoutJSON(ts), args[1])
	if !ok {
		ts.Fatalf("setjson: no %s in stdout", args[1])
	}
	ts.Setenv(args[0], render(v))
}

func cmdEnvsubst(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: envsubst FILE...")
	}
	for _, f := range args {
		data := ts.ReadFile(f)
		ts.Check(os.WriteFile(ts.MkAbs(f), []byte(os.Expand(data, ts.Getenv)), 0o644))
	}
}
