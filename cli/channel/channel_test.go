package channel

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/cxlerr"
)

func testFactory(home string) *cmdutil.Factory {
	return &cmdutil.Factory{
		IO:   &cmdutil.IOStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}},
		Home: func() (string, error) { return home, nil },
	}
}

func execute(cmd *cobra.Command, args ...string) error {
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	return cmd.Execute()
}

func TestFlags(t *testing.T) {
	f := testFactory(t.TempDir())
	var sign *SignOptions
	var update *UpdateOptions
	if err := execute(NewCmdSign(f, func(o *SignOptions) error { sign = o; return nil }), "u.pb", "--msp", "Org2MSP", "-o", "org2.sig"); err != nil ||
		sign.Update != "u.pb" || sign.MSP != "Org2MSP" || sign.Output != "org2.sig" {
		t.Fatalf("sign: %+v %v", sign, err)
	}
	if err := execute(NewCmdUpdate(f, func(o *UpdateOptions) error { update = o; return nil }), "u.pb", "--msp", "Org1MSP", "--signature", "a.sig", "--signature", "b,c.sig"); err != nil ||
		strings.Join(update.Signatures, "|") != "a.sig|b,c.sig" {
		t.Fatalf("update: %+v %v", update, err)
	}
	for _, c := range []struct {
		name string
		cmd  *cobra.Command
		args []string
		want string
	}{
		{"sign without --msp", NewCmdSign(f, nil), []string{"u.pb", "-o", "s"}, "msp"},
		{"sign without --output", NewCmdSign(f, nil), []string{"u.pb", "--msp", "Org1MSP"}, "output"},
		{"sign with --cert alone", NewCmdSign(f, nil), []string{"u.pb", "--msp", "Org1MSP", "-o", "s", "--cert", "c.pem"}, "--cert and --key"},
		{"update without the update", NewCmdUpdate(f, nil), []string{"--msp", "Org1MSP"}, "arg"},
		{"add-org without --output", NewCmdAddOrg(f, nil), []string{"d.json", "--msp", "Org1MSP"}, "output"},
		{"config with an argument", NewCmdConfig(f, nil), []string{"x", "--msp", "Org1MSP"}, "unknown command"},
	} {
		if err := execute(c.cmd, c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

// The files are checked before any network is reached: the state directory here is empty.
func TestFilesCheckedFirst(t *testing.T) {
	dir := t.TempDir()
	f := testFactory(dir)
	key := filepath.Join(dir, "org3.json")
	os.WriteFile(key, []byte(`{"mspId":"Org3MSP","rootCerts":["-----BEGIN EC PRIVATE KEY-----"]}`), 0o600)
	garbage := filepath.Join(dir, "garbage.pb")
	os.WriteFile(garbage, []byte("\xff\xfe"), 0o600)
	big := filepath.Join(dir, "big.pb")
	os.WriteFile(big, make([]byte, maxFile+1), 0o600)
	for _, c := range []struct {
		name string
		cmd  *cobra.Command
		args []string
		code cxlerr.Code
	}{
		{"a definition holding a key", NewCmdAddOrg(f, nil), []string{key, "--msp", "Org1MSP", "-o", filepath.Join(dir, "u")}, cxlerr.Invalid},
		{"a missing definition", NewCmdAddOrg(f, nil), []string{filepath.Join(dir, "none.json"), "--msp", "Org1MSP", "-o", filepath.Join(dir, "u")}, cxlerr.NotFound},
		{"signing what is no update", NewCmdSign(f, nil), []string{garbage, "--msp", "Org1MSP", "-o", filepath.Join(dir, "s"), "--cert", key, "--key", key}, cxlerr.Invalid},
		{"an oversized update", NewCmdUpdate(f, nil), []string{big, "--msp", "Org1MSP"}, cxlerr.TooLarge},
		{"a missing signature", NewCmdUpdate(f, nil), []string{garbage, "--msp", "Org1MSP", "--signature", filepath.Join(dir, "none.sig")}, cxlerr.NotFound},
		{"no network", NewCmdUpdate(f, nil), []string{garbage, "--msp", "Org1MSP"}, cxlerr.NotFound},
	} {
		if err := execute(c.cmd, c.args...); cxlerr.CodeOf(err) != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "s")); err == nil {
		t.Error("a signature file was written for what is no update")
	}
}
