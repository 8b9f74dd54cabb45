package channel

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/cxlerr"
)

func TestRemoveOrgAndRevokeFlags(t *testing.T) {
	f := testFactory(t.TempDir())
	var remove *RemoveOrgOptions
	if err := execute(NewCmdRemoveOrg(f, func(o *RemoveOrgOptions) error { remove = o; return nil }), "Org3MSP", "--msp", "Org1MSP", "-o", "r.pb"); err != nil ||
		remove.Remove != "Org3MSP" || remove.MSP != "Org1MSP" || remove.Output != "r.pb" {
		t.Fatalf("remove-org: %+v %v", remove, err)
	}
	var revoke *RevokeOptions
	if err := execute(NewCmdRevoke(f, func(o *RevokeOptions) error { revoke = o; return nil }), "--msp", "Org1MSP", "--id", "staff@org1", "--reason", "keycompromise", "-o", "v.pb"); err != nil ||
		revoke.ID != "staff@org1" || revoke.Reason != "keycompromise" || revoke.CRL != "" {
		t.Fatalf("revoke: %+v %v", revoke, err)
	}
	for _, c := range []struct {
		name string
		cmd  *cobra.Command
		args []string
		want string
	}{
		{"remove-org without the organisation", NewCmdRemoveOrg(f, nil), []string{"--msp", "Org1MSP", "-o", "r"}, "arg"},
		{"remove-org of two", NewCmdRemoveOrg(f, nil), []string{"Org2MSP", "Org3MSP", "--msp", "Org1MSP", "-o", "r"}, "arg"},
		{"remove-org without --output", NewCmdRemoveOrg(f, nil), []string{"Org3MSP", "--msp", "Org1MSP"}, "output"},
		{"revoke without --msp", NewCmdRevoke(f, nil), []string{"-o", "v"}, "msp"},
		{"revoke with --id and --crl", NewCmdRevoke(f, nil), []string{"--msp", "Org1MSP", "--id", "a", "--crl", "c.pem", "-o", "v"}, "exclude"},
		{"revoke with a reason and no --id", NewCmdRevoke(f, nil), []string{"--msp", "Org1MSP", "--reason", "keycompromise", "-o", "v"}, "--reason goes with --id"},
		{"revoke with an argument", NewCmdRevoke(f, nil), []string{"x", "--msp", "Org1MSP", "-o", "v"}, "unknown command"},
	} {
		if err := execute(c.cmd, c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

// Files are checked before any network is reached, and without a network nothing is
// written: the state directory here is empty.
func TestRemoveOrgAndRevokeWithoutANetwork(t *testing.T) {
	dir := t.TempDir()
	f := testFactory(dir)
	big := filepath.Join(dir, "big.crl")
	os.WriteFile(big, make([]byte, maxFile+1), 0o600)
	out := filepath.Join(dir, "u.pb")
	for _, c := range []struct {
		name string
		cmd  *cobra.Command
		args []string
		code cxlerr.Code
	}{
		{"remove-org without a network", NewCmdRemoveOrg(f, nil), []string{"Org3MSP", "--msp", "Org1MSP", "-o", out}, cxlerr.NotFound},
		{"remove-org of a name not UTF-8", NewCmdRemoveOrg(f, nil), []string{"Org3\xff", "--msp", "Org1MSP", "-o", out}, cxlerr.NotFound},
		{"revoke a missing CRL", NewCmdRevoke(f, nil), []string{"--msp", "Org1MSP", "--crl", filepath.Join(dir, "none.crl"), "-o", out}, cxlerr.NotFound},
		{"revoke an oversized CRL", NewCmdRevoke(f, nil), []string{"--msp", "Org1MSP", "--crl", big, "-o", out}, cxlerr.TooLarge},
		{"revoke without a network", NewCmdRevoke(f, nil), []string{"--msp", "Org1MSP", "--id", "staff@org1", "-o", out}, cxlerr.NotFound},
	} {
		if err := execute(c.cmd, c.args...); cxlerr.CodeOf(err) != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("an update was written without a network")
	}
}
