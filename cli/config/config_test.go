package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cxledger/cxledger/cli/clitest"
	"github.com/cxledger/cxledger/cli/cmdutil"
)

func TestProfiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cxl", "config.yaml")
	t.Setenv("CXL_GATEWAY", "")
	t.Setenv("CXL_API_KEY", "")
	t.Setenv("CXL_PROFILE", "")
	f, out, errOut := clitest.Factory(t, nil)
	f.Config = func() (*cmdutil.Config, error) { return cmdutil.LoadConfig(path) }
	run := func(stdin string, args ...string) clitest.Result {
		f.IO.In = strings.NewReader(stdin)
		return clitest.Exec(t, f, NewCmdConfig(f), args...)
	}
	_, _ = out, errOut

	run("", "list").OK(t)
	r := run("cxl_secret_key_123\n", "set", "local", "--gateway", "http://127.0.0.1:8080/", "--with-api-key")
	r.OK(t)
	if !strings.Contains(r.Stderr, "saved profile local (gateway http://127.0.0.1:8080, the current profile)") {
		t.Fatalf("set: %q", r.Stderr)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("config file %v %v", fi, err)
	}
	cert := filepath.Join(t.TempDir(), "user.pem")
	run("", "set", "partner", "--peer", "peer0.partner:7051", "--tls-root-cert", "tls.pem", "--msp-id", "PartnerMSP", "--cert", cert, "--key", "user.key").OK(t)
	var list []Listed
	run("", "list", "--json").OK(t).JSON(t, &list)
	if len(list) != 2 || !list[0].Current || list[0].Name != "local" || list[1].Transport != "fabric" {
		t.Fatalf("list %+v", list)
	}
	var shown Shown
	run("", "show", "partner", "--json").OK(t).JSON(t, &shown)
	if !filepath.IsAbs(shown.Profile.TLSRootCert) || shown.Profile.Cert != cert {
		t.Fatalf("paths are kept absolute: %+v", shown.Profile)
	}
	// show masks the key, and says where it came from.
	r = run("", "show")
	r.OK(t)
	if strings.Contains(r.Stdout, "cxl_secret_key_123") || !strings.Contains(r.Stdout, "api key:\tcxl_se…(18 characters) from profile") {
		t.Fatalf("show:\n%s", r.Stdout)
	}
	t.Setenv("CXL_API_KEY", "env-key-0000")
	run("", "show", "--json").OK(t).JSON(t, &shown)
	if shown.KeySource != "CXL_API_KEY" || shown.Source != "config" || shown.Profile.APIKey == "env-key-0000" {
		t.Fatalf("env key: %+v", shown)
	}
	run("", "use", "partner").OK(t)
	run("", "show", "--json").OK(t).JSON(t, &shown)
	if shown.Name != "partner" || shown.Transport != "fabric" {
		t.Fatalf("after use: %+v", shown)
	}
	// Changing one setting keeps the rest; giving the other transport's replaces it.
	run("", "set", "partner", "--channel", "other").OK(t)
	run("", "show", "partner", "--json").OK(t).JSON(t, &shown)
	if shown.Profile.Channel != "other" || shown.Profile.MSPID != "PartnerMSP" {
		t.Fatalf("partial change: %+v", shown.Profile)
	}
	// A profile's other peers stay with its peer, and go when the peer changes.
	cfg, err := cmdutil.LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Profiles["partner"].OtherPeers = []cmdutil.PeerEndpoint{{Address: "peer1.partner:7051", TLSRootCert: "/tls.pem"}}
	if err := cfg.Save(); err != nil {
		t.Fatal(err)
	}
	run("", "set", "partner", "--chaincode", "cc2").OK(t)
	if r := run("", "show", "partner"); !strings.Contains(r.OK(t).Stdout, "peer1.partner:7051") {
		t.Fatalf("other peers not shown or not kept:\n%s", r.Stdout)
	}
	run("", "set", "partner", "--peer", "peer0.other:7051").OK(t)
	run("", "show", "partner", "--json").OK(t).JSON(t, &shown)
	if shown.Profile.Peer != "peer0.other:7051" || len(shown.Profile.OtherPeers) != 0 {
		t.Fatalf("a new peer keeps the old one's other peers: %+v", shown.Profile)
	}
	run("", "set", "partner", "--gateway", "http://gw:1").OK(t)
	var switched Shown
	run("", "show", "partner", "--json").OK(t).JSON(t, &switched)
	if switched.Transport != "gateway" || switched.Profile.MSPID != "" || switched.Profile.Peer != "" {
		t.Fatalf("transport change: %+v", switched.Profile)
	}
	// A member's https gateway is verified with its organisation's TLS root, kept as an
	// absolute path; a later key leaves it alone.
	run("", "set", "partner", "--gateway", "https://gw:8081", "--gateway-ca", "org2-tlsca.pem").OK(t)
	run("k2\n", "set", "partner", "--with-api-key").OK(t)
	run("", "show", "partner", "--json").OK(t).JSON(t, &switched)
	if switched.Profile.Gateway != "https://gw:8081" || !filepath.IsAbs(switched.Profile.GatewayCA) || filepath.Base(switched.Profile.GatewayCA) != "org2-tlsca.pem" {
		t.Fatalf("gateway CA: %+v", switched.Profile)
	}
	if r := run("", "show", "partner"); !strings.Contains(r.Stdout, "org2-tlsca.pem") {
		t.Fatalf("show without the gateway CA:\n%s", r.Stdout)
	}

	for _, tc := range []struct {
		stdin string
		args  []string
		code  cmdutil.ExitCode
		want  string
	}{
		{"", []string{"use", "nobody"}, cmdutil.ExitNotFound, "profiles: local, partner"},
		{"", []string{"show", "nobody"}, cmdutil.ExitNotFound, "no profile"},
		{"", []string{"remove", "nobody"}, cmdutil.ExitNotFound, "no profile"},
		{"", []string{"set", "x", "--peer", "p:1"}, cmdutil.ExitUsage, "needs --tls-root-cert, --msp-id, --cert, --key"},
		{"", []string{"set", "x", "--gateway", "http://a", "--peer", "p:1"}, cmdutil.ExitUsage, "one transport"},
		{"", []string{"set", "x", "--gateway", "localhost:1"}, cmdutil.ExitUsage, "http://"},
		{"", []string{"set", "x", "--gateway", "http://a", "--gateway-ca", "ca.pem"}, cmdutil.ExitUsage, "plain HTTP"},
		{"", []string{"set", "x", "--gateway-ca", "ca.pem", "--peer", "p:1"}, cmdutil.ExitUsage, "one transport"},
		{"", []string{"set", "x", "--gateway", "http://a", "--with-api-key"}, cmdutil.ExitUsage, "no key on standard input"},
		{"", []string{"set", "bad name!", "--gateway", "http://a"}, cmdutil.ExitUsage, "profile name"},
		{"", []string{"set", "x", "--network-user", "Org1MSP"}, cmdutil.ExitUsage, "MSP/USER"},
		{"", []string{"set", "x", "--network-user", "Org1MSP/User1", "--peer", "p:1"}, cmdutil.ExitUsage, "choose one"},
	} {
		run(tc.stdin, tc.args...).Fails(t, tc.code, tc.want)
	}
	run("", "remove", "partner").OK(t)
	run("", "list", "--json").OK(t).JSON(t, &list)
	if len(list) != 1 {
		t.Fatalf("after remove: %+v", list)
	}
}
