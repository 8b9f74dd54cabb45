package root

import (
	"bytes"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/cli/clitest"
	"github.com/cxledger/cxledger/cli/cmdutil"
)

func tree(t *testing.T) *cobra.Command {
	t.Helper()
	f, _, _ := clitest.Factory(t, clitest.InProcess(t, clitest.New(t)))
	return NewCmdRoot(f)
}

func walk(c *cobra.Command, fn func(*cobra.Command)) {
	fn(c)
	for _, s := range c.Commands() {
		walk(s, fn)
	}
}

// jsonFields pins the top-level JSON fields every command prints with --json: changing
// what a script reads must change this table too.
var jsonFields = map[string]string{
	"cxl balance consolidate":        "blockNumber,result,transactionId",
	"cxl balance currencies":         "code,issuer,outstanding,registered,registeredTx",
	"cxl balance deposit":            "blockNumber,result,transactionId",
	"cxl balance register-currency":  "blockNumber,result,transactionId",
	"cxl balance show":               "account,balance,currency,lots",
	"cxl balance withdraw":           "blockNumber,result,transactionId",
	"cxl config list":                "current,name,target,transport",
	"cxl config show":                "configFile,keySource,name,profile,source,transport",
	"cxl events tail":                "contract,id,payload,transactionId,type",
	"cxl loyalty balance":            "account,available,debt,expired,expiringSoon,lots,nextExpiry,program,soonUntil,time,unexpired,unit",
	"cxl loyalty earn":               "blockNumber,result,transactionId",
	"cxl loyalty expire":             "blockNumber,result,transactionId",
	"cxl loyalty history":            "account,bookmark,entries,program",
	"cxl loyalty order-points":       "earn,order,redemptions,reversals",
	"cxl loyalty program accept":     "blockNumber,result,transactionId",
	"cxl loyalty program create":     "blockNumber,result,transactionId",
	"cxl loyalty program list":       "bookmark,programs",
	"cxl loyalty program show":       "created,createdTx,currency,earn,earnOnOrders,expiryDays,id,merchant,name,partners,transferable,unit",
	"cxl loyalty redeem":             "blockNumber,result,transactionId",
	"cxl loyalty statement":          "bookmark,counterparty,entries,from,merchant,to,totals",
	"cxl loyalty transfer":           "blockNumber,result,transactionId",
	"cxl order confirm-delivery":     "blockNumber,result,transactionId",
	"cxl order dispute":              "blockNumber,result,transactionId",
	"cxl order list":                 "bookmark,orders",
	"cxl order place":                "blockNumber,result,transactionId",
	"cxl order receive-return":       "blockNumber,result,transactionId",
	"cxl order refund":               "blockNumber,result,transactionId",
	"cxl order resolve":              "blockNumber,result,transactionId",
	"cxl order return":               "blockNumber,result,transactionId",
	"cxl order show":                 "amount,arbiter,carrier,currency,customer,deadline,delivered,deliveredBy,dispute,id,items,merchant,placed,placedTx,refunded,refunds,releaseLot,released,returnBy,returnDays,shipment,state,updated,updatedTx",
	"cxl order sweep":                "more,refunded,remaining,transactions",
	"cxl product accept":             "blockNumber,result,transactionId",
	"cxl product certify":            "blockNumber,result,transactionId",
	"cxl product handover":           "blockNumber,result,transactionId",
	"cxl product history":            "bookmark,versions",
	"cxl product recall":             "blockNumber,result,transactionId",
	"cxl product qr":                 "png,svg,uri",
	"cxl product register":           "blockNumber,result,transactionId",
	"cxl product reject":             "blockNumber,result,transactionId",
	"cxl product revoke-certificate": "blockNumber,result,transactionId",
	"cxl product show":               "custody,item,lot,product",
	"cxl product trace":              "bookmark,downstream,items,lot,upstream",
	"cxl product verify":             "certificates,checkedAt,custody,genuine,gtin,itemCustody,lot,lotCustody,product,recalled,recalls,serial,upstream",
	"cxl product withdraw":           "blockNumber,result,transactionId",
	"cxl review edit":                "blockNumber,result,transactionId",
	"cxl review list":                "next,reviews",
	"cxl review post":                "blockNumber,result,transactionId",
	"cxl review reply":               "blockNumber,result,transactionId",
	"cxl review show":                "entries,review",
	"cxl role approve":               "blockNumber,result,transactionId",
	"cxl role list":                  "grantedBy,msp,proposedBy,role,status,updated,updatedTx",
	"cxl role propose":               "blockNumber,result,transactionId",
	"cxl role revoke":                "blockNumber,result,transactionId",
	"cxl ticket assign":              "blockNumber,result,transactionId",
	"cxl ticket confirm":             "blockNumber,result,transactionId",
	"cxl ticket erase":               "blockNumber,result,transactionId",
	"cxl ticket list":                "next,tickets",
	"cxl ticket open":                "blockNumber,result,transactionId",
	"cxl ticket reopen":              "blockNumber,result,transactionId",
	"cxl ticket resolve":             "blockNumber,result,transactionId",
	"cxl ticket respond":             "blockNumber,result,transactionId",
	"cxl ticket show":                "overdue,personal,steps,ticket",
	"cxl ticket sla breaches":        "breaches,merchant,next",
	"cxl ticket sla set":             "blockNumber,result,transactionId",
	"cxl ticket sla show":            "default,high,low,merchant,normal,updated,updatedTx,urgent",
	"cxl ticket sla sweep":           "blockNumber,result,transactionId",
	"cxl tx status":                  "blockNumber,error,result,state,transactionId,validationCode",
	"cxl identity enroll":            "cert,chain,gateway,key,profile",
	"cxl identity invite":            "enrolUrl,expiresAt,id,secret",
	"cxl epcis capture":              "blockNumber,result,transactionId",
	"cxl epcis events":               "bookmark,events",
}

// ledgerGroups are the command groups that reach the ledger: every leaf in them prints JSON.
var ledgerGroups = []string{"balance", "events", "loyalty", "order", "product", "review", "role", "ticket", "tx"}

func TestJSONFieldsArePinned(t *testing.T) {
	got := map[string]string{}
	walk(tree(t), func(c *cobra.Command) {
		if f, ok := c.Annotations[cmdutil.JSONFieldsAnnotation]; ok {
			got[c.CommandPath()] = f
			if !strings.Contains(c.Long, "JSON fields: ") {
				t.Errorf("%s: --help does not list the JSON fields", c.CommandPath())
			}
		}
		if !c.HasSubCommands() && c.Runnable() {
			for _, g := range ledgerGroups {
				if strings.HasPrefix(c.CommandPath(), "cxl "+g+" ") && c.Flags().Lookup("json") == nil {
					t.Errorf("%s has no --json", c.CommandPath())
				}
			}
		}
	})
	for path, want := range jsonFields {
		if got[path] != want {
			t.Errorf("%s: JSON fields\n  %s\nwant\n  %s", path, got[path], want)
		}
	}
	for path := range got {
		if _, ok := jsonFields[path]; !ok && !strings.HasPrefix(path, "cxl network") && !strings.HasPrefix(path, "cxl gateway") {
			t.Errorf("%s prints JSON fields %s that no test pins", path, got[path])
		}
	}
}

// Every mutating command takes the same flags.
func TestMutationsTakeIdempotencyKeyAndWait(t *testing.T) {
	n := 0
	walk(tree(t), func(c *cobra.Command) {
		if c.Annotations[cmdutil.JSONFieldsAnnotation] != "blockNumber,result,transactionId" {
			return
		}
		n++
		for _, flag := range []string{"idempotency-key", "wait", "no-wait", "timeout"} {
			if c.Flags().Lookup(flag) == nil {
				t.Errorf("%s: no --%s", c.CommandPath(), flag)
			}
		}
	})
	if n < 30 {
		t.Fatalf("found only %d mutating commands", n)
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	cases := [][]string{
		{"frobnicate"},
		{"product", "frob"},
		{"product", "show"},
		{"product", "show", "1", "2"},
		{"product", "show", "1", "--bogus"},
		{"order", "place", "o1"},
		{"order", "list", "--customer", "a", "--merchant", "b"},
		{"loyalty", "program", "nope"},
		{"role", "propose", "Org1MSP", "wizard"},
		{"tx", "status"},
		{"events", "tail", "--after", "x"},
		{"network", "status", "extra"},
	}
	for _, args := range cases {
		root := tree(t)
		var out, errOut bytes.Buffer
		root.SetArgs(args)
		root.SetOut(&out)
		root.SetErr(&errOut)
		err := root.Execute()
		if cmdutil.CodeOf(err) != cmdutil.ExitUsage || strings.Contains(err.Error(), "\n") {
			t.Errorf("cxl %s: %v (exit %d), want one usage line and exit 2", strings.Join(args, " "), err, cmdutil.CodeOf(err))
		}
	}
}

func TestHelpExitCodesListsEveryCode(t *testing.T) {
	f, out, _ := clitest.Factory(t, nil)
	root := NewCmdRoot(f)
	root.SetArgs([]string{"help", "exit-codes"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	for _, c := range cmdutil.ExitCodes {
		if !strings.Contains(out.String(), "\n  "+string(rune('0'+c.Code))+" "+c.Name+":") {
			t.Errorf("exit code %d is not documented:\n%s", c.Code, out.String())
		}
	}
}

func TestCommandTree(t *testing.T) {
	var leaves []string
	walk(tree(t), func(c *cobra.Command) {
		if !c.HasSubCommands() && !c.Hidden {
			leaves = append(leaves, c.CommandPath())
		}
	})
	sort.Strings(leaves)
	all := strings.Join(leaves, "\n")
	for _, want := range []string{
		"cxl product register", "cxl product show", "cxl product history", "cxl product handover", "cxl product accept",
		"cxl product reject", "cxl product certify", "cxl product recall", "cxl product trace", "cxl product verify",
		"cxl order place", "cxl order confirm-delivery", "cxl order return", "cxl order receive-return", "cxl order refund",
		"cxl order dispute", "cxl order resolve", "cxl order sweep", "cxl order show", "cxl order list",
		"cxl balance deposit", "cxl balance show", "cxl balance withdraw",
		"cxl loyalty program create", "cxl loyalty program show", "cxl loyalty program list",
		"cxl loyalty earn", "cxl loyalty redeem", "cxl loyalty transfer", "cxl loyalty balance", "cxl loyalty history", "cxl loyalty statement",
		"cxl ticket open", "cxl ticket assign", "cxl ticket respond", "cxl ticket resolve", "cxl ticket reopen", "cxl ticket confirm",
		"cxl ticket show", "cxl ticket list", "cxl ticket erase",
		"cxl review post", "cxl review edit", "cxl review reply", "cxl review show", "cxl review list",
		"cxl role propose", "cxl role approve", "cxl role revoke", "cxl role list",
		"cxl tx status", "cxl events tail", "cxl config use", "cxl config show", "cxl config set",
	} {
		if !strings.Contains(all+"\n", want+"\n") {
			t.Errorf("missing %s", want)
		}
	}
}
