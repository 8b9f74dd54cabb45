// Package config holds `cxl config`: the profiles of the configuration file, each one way
// to reach the ledger (the gateway service with an API key, or a Fabric peer with a signing
// identity), and which one is in use.
package config

import (
	"bufio"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/cli/transport"
)

// NewCmdConfig returns `cxl config` with its subcommands.
func NewCmdConfig(f *cmdutil.Factory) *cobra.Command {
	cmd := cmdutil.Group(&cobra.Command{
		Use:   "config <command>",
		Short: "Manage profiles: how cxl reaches the ledger, and as whom",
		Long: `A profile is one way to reach the ledger: through the gateway service (a URL and an API
key), or directly through a Fabric peer with your own identity (peer endpoint, TLS root
certificate, MSP ID, certificate and key). Profiles live in the configuration file
(CXL_CONFIG, default ~/.config/cxl/config.yaml, readable by you only).

Which ledger a command reaches, first match wins: --profile NAME; --gateway URL;
CXL_PROFILE; CXL_GATEWAY; the current profile (cxl config use). NAME may also be a user
of the network in CXL_HOME, written Org1MSP/User1, which submits directly as that user.
CXL_GATEWAY replaces the URL of a gateway profile and CXL_API_KEY its key.`,
		Example: `  cxl config set local --gateway http://127.0.0.1:8080 --with-api-key < key.txt
  cxl config set org2 --gateway https://127.0.0.1:8081 --gateway-ca org2-tlsca.pem --with-api-key < key.txt
  cxl config set org2 --network-user Org2MSP/User1
  cxl config set partner --peer peer0.partner.example:7051 --tls-root-cert tls-ca.pem \
      --msp-id PartnerMSP --cert user.pem --key user.key
  cxl config use local
  cxl config show`,
	})
	cmd.AddCommand(NewCmdSet(f, nil), NewCmdUse(f, nil), NewCmdShow(f, nil), NewCmdList(f, nil), NewCmdRemove(f, nil))
	return cmd
}

// completeProfiles completes profile names from the configuration file.
func completeProfiles(f *cmdutil.Factory) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		cfg, err := f.Config()
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		return cfg.Names(), cobra.ShellCompDirectiveNoFileComp
	}
}

// SetOptions are the inputs of `cxl config set`.
type SetOptions struct {
	IO      *cmdutil.IOStreams
	Config  func() (*cmdutil.Config, error)
	Factory *cmdutil.Factory

	Name string
	// Profile holds the fields given by flags; Changed names them.
	Profile cmdutil.Profile
	Changed map[string]bool
	// NetworkUser fills in a Fabric profile from the network in CXL_HOME.
	NetworkUser string
	// WithAPIKey reads the API key from standard input.
	WithAPIKey bool
	// Use makes the profile the current one.
	Use bool
}

// NewCmdSet returns `cxl config set`; runF replaces the run function in tests.
func NewCmdSet(f *cmdutil.Factory, runF func(*SetOptions) error) *cobra.Command {
	opts := &SetOptions{IO: f.IO, Config: f.Config, Factory: f}
	cmd := &cobra.Command{
		Use:   "set NAME [flags]",
		Short: "Create or change a profile",
		Long: `Create the profile NAME, or change the settings given of an existing one. A gateway profile
has --gateway and an API key (--with-api-key reads it from standard input, so it stays out
of the shell's history and the process list), and for an https:// gateway --gateway-ca, the
TLS root of the member whose gateway it is (the system's roots otherwise; the service's
certificate is always verified); a Fabric profile has --peer, --tls-root-cert,
--msp-id, --cert and --key, or takes them from a user of the network in CXL_HOME with
--network-user Org1MSP/User1, which also lists the network's other peers (to fail over to,
and to wait for after a commit; --peer drops them). Giving the settings of the other transport replaces the
profile's transport. The first profile becomes the current one; --use makes any one current.`,
		Args:              cmdutil.ExactArgs("NAME"),
		ValidArgsFunction: completeProfiles(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if err := cmdutil.ValidateProfileName(opts.Name); err != nil {
				return err
			}
			opts.Changed = map[string]bool{}
			cmd.Flags().Visit(func(fl *pflag.Flag) { opts.Changed[fl.Name] = true })
			if opts.NetworkUser != "" {
				for _, n := range fabricFlags {
					if opts.Changed[n] {
						return cmdutil.UsageErrorf("--network-user and --%s: choose one", n)
					}
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return setRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Profile.Gateway, "gateway", "", "the gateway service's `URL`")
	fl.StringVar(&opts.Profile.GatewayCA, "gateway-ca", "", "the PEM `file` of the TLS CA that verifies an https gateway (its organisation's TLS root, which `cxl gateway up` prints)")
	fl.BoolVar(&opts.WithAPIKey, "with-api-key", false, "read the gateway service's API key from standard input")
	fl.StringVar(&opts.NetworkUser, "network-user", "", "a Fabric profile for `MSP/USER` of the network in CXL_HOME")
	fl.StringVar(&opts.Profile.Peer, "peer", "", "the peer's gateway endpoint `host:port`")
	fl.StringVar(&opts.Profile.TLSRootCert, "tls-root-cert", "", "the PEM `file` of the peer organisation's TLS CA")
	fl.StringVar(&opts.Profile.ServerName, "server-name", "", "the peer's TLS server `name`, when the endpoint's host is not in its certificate")
	fl.StringVar(&opts.Profile.MSPID, "msp-id", "", "your organisation's MSP `ID`")
	fl.StringVar(&opts.Profile.Cert, "cert", "", "your certificate's PEM `file`")
	fl.StringVar(&opts.Profile.Key, "key", "", "your private key's PEM `file`")
	fl.StringVar(&opts.Profile.Channel, "channel", "", "the channel (default cxledger)")
	fl.StringVar(&opts.Profile.Chaincode, "chaincode", "", "the chaincode (default cxledger)")
	fl.BoolVar(&opts.Use, "use", false, "make it the current profile")
	for _, n := range []string{"tls-root-cert", "gateway-ca", "cert", "key"} {
		_ = cmd.MarkFlagFilename(n, "pem", "crt", "key")
	}
	return cmd
}

var fabricFlags = []string{"peer", "tls-root-cert", "server-name", "msp-id", "cert", "key"}

func setRun(opts *SetOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	p := &cmdutil.Profile{}
	if old, ok := cfg.Profiles[opts.Name]; ok {
		c := *old
		p = &c
	}
	fabricGiven := opts.NetworkUser != ""
	for _, n := range fabricFlags {
		fabricGiven = fabricGiven || opts.Changed[n]
	}
	gatewayGiven := opts.Changed["gateway"] || opts.Changed["gateway-ca"] || opts.WithAPIKey
	switch {
	case gatewayGiven && fabricGiven:
		return cmdutil.UsageErrorf("gateway settings (--gateway, --gateway-ca, --with-api-key) and Fabric settings: a profile uses one transport")
	case gatewayGiven:
		*p = cmdutil.Profile{Gateway: p.Gateway, APIKey: p.APIKey, GatewayCA: p.GatewayCA, Channel: p.Channel, Chaincode: p.Chaincode}
	case fabricGiven:
		p.Gateway, p.APIKey = "", ""
	}
	if opts.Changed["peer"] {
		// The other peers belonged with the old one.
		p.OtherPeers = nil
	}
	if opts.NetworkUser != "" {
		msp, user, ok := strings.Cut(opts.NetworkUser, "/")
		if !ok {
			return cmdutil.UsageErrorf("--network-user %q: want MSP/USER, like Org1MSP/User1", opts.NetworkUser)
		}
		nu, err := transport.NetworkUser(opts.Factory, msp, user)
		if err != nil {
			return err
		}
		*p = *nu
	}
	set := func(flag string, dst *string, v string, path bool) error {
		if !opts.Changed[flag] {
			return nil
		}
		if path && v != "" {
			abs, err := filepath.Abs(v)
			if err != nil {
				return cmdutil.UsageErrorf("--%s: %v", flag, err)
			}
			v = abs
		}
		*dst = v
		return nil
	}
	g := opts.Profile
	for _, s := range []struct {
		flag string
		dst  *string
		v    string
		path bool
	}{{"gateway", &p.Gateway, strings.TrimSuffix(g.Gateway, "/"), false}, {"gateway-ca", &p.GatewayCA, g.GatewayCA, true}, {"peer", &p.Peer, g.Peer, false},
		{"tls-root-cert", &p.TLSRootCert, g.TLSRootCert, true}, {"server-name", &p.ServerName, g.ServerName, false},
		{"msp-id", &p.MSPID, g.MSPID, false}, {"cert", &p.Cert, g.Cert, true}, {"key", &p.Key, g.Key, true},
		{"channel", &p.Channel, g.Channel, false}, {"chaincode", &p.Chaincode, g.Chaincode, false}} {
		if err := set(s.flag, s.dst, s.v, s.path); err != nil {
			return err
		}
	}
	if opts.WithAPIKey {
		line, err := bufio.NewReader(opts.IO.In).ReadString('\n')
		key := strings.TrimSpace(line)
		if key == "" {
			return cmdutil.UsageErrorf("--with-api-key: no key on standard input (%v)", err)
		}
		p.APIKey = key
	}
	if err := p.Validate(); err != nil {
		return cmdutil.UsageErrorf("profile %s: %v", opts.Name, err)
	}
	cfg.Profiles[opts.Name] = p
	if opts.Use || cfg.Current == "" {
		cfg.Current = opts.Name
	}
	if err := cfg.Save(); err != nil {
		return err
	}
	current := ""
	if cfg.Current == opts.Name {
		current = ", the current profile"
	}
	opts.IO.Success("saved profile %s (%s%s) in %s", opts.Name, describe(p), current, cfg.Path())
	return nil
}

// describe says where a profile leads.
func describe(p *cmdutil.Profile) string {
	if p.Transport() == cmdutil.TransportGateway {
		return "gateway " + p.Gateway
	}
	return fmt.Sprintf("fabric %s as %s", p.Peer, p.MSPID)
}

// mask hides an API key but its first characters.
func mask(key string) string {
	if key == "" {
		return ""
	}
	if len(key) <= 8 {
		return "****"
	}
	return key[:6] + "…(" + fmt.Sprint(len(key)) + " characters)"
}

// UseOptions are the inputs of `cxl config use`.
type UseOptions struct {
	IO     *cmdutil.IOStreams
	Config func() (*cmdutil.Config, error)
	Name   string
}

// NewCmdUse returns `cxl config use`; runF replaces the run function in tests.
func NewCmdUse(f *cmdutil.Factory, runF func(*UseOptions) error) *cobra.Command {
	opts := &UseOptions{IO: f.IO, Config: f.Config}
	return &cobra.Command{
		Use:               "use NAME",
		Short:             "Make a profile the current one",
		Args:              cmdutil.ExactArgs("NAME"),
		ValidArgsFunction: completeProfiles(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(opts)
			}
			return useRun(opts)
		},
	}
}

func notFound(cfg *cmdutil.Config, name string) error {
	known := "no profiles yet; create one with `cxl config set`"
	if n := cfg.Names(); len(n) > 0 {
		known = "profiles: " + strings.Join(n, ", ")
	}
	return cmdutil.NotFoundErrorf("no profile %q in %s (%s)", name, cfg.Path(), known)
}

func useRun(opts *UseOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	if _, ok := cfg.Profiles[opts.Name]; !ok {
		return notFound(cfg, opts.Name)
	}
	cfg.Current = opts.Name
	if err := cfg.Save(); err != nil {
		return err
	}
	opts.IO.Success("now using profile %s (%s)", opts.Name, describe(cfg.Profiles[opts.Name]))
	return nil
}

// ShowOptions are the inputs of `cxl config show`.
type ShowOptions struct {
	IO      *cmdutil.IOStreams
	Factory *cmdutil.Factory
	JSON    bool
	Name    string
}

// Shown is what `cxl config show` prints; the API key is masked.
type Shown struct {
	// Name is the profile's name, "" when the environment or --gateway alone made it.
	Name string `json:"name,omitempty"`
	// Source says what chose it.
	Source string `json:"source"`
	// Transport is gateway or fabric.
	Transport string `json:"transport"`
	// Profile are its settings, the API key masked.
	Profile cmdutil.Profile `json:"profile"`
	// KeySource says where the API key came from.
	KeySource string `json:"keySource,omitempty"`
	// ConfigFile is the configuration file.
	ConfigFile string `json:"configFile"`
}

// NewCmdShow returns `cxl config show`; runF replaces the run function in tests.
func NewCmdShow(f *cmdutil.Factory, runF func(*ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "show [NAME]",
		Short: "Show the profile a command would use now (flags and environment applied), or the one named",
		Args:  cmdutil.RangeArgs(0, 1, "at most one profile NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Name = args[0]
			}
			if runF != nil {
				return runF(opts)
			}
			return showRun(opts)
		},
		ValidArgsFunction: completeProfiles(f),
	}
	cmdutil.AddJSONFlag(cmd, &opts.JSON, Shown{})
	return cmd
}

func showRun(opts *ShowOptions) error {
	cfg, err := opts.Factory.Config()
	if err != nil {
		return err
	}
	var shown Shown
	if opts.Name != "" {
		p, ok := cfg.Profiles[opts.Name]
		if !ok {
			return notFound(cfg, opts.Name)
		}
		shown = Shown{Name: opts.Name, Source: "config", Profile: *p}
		if p.APIKey != "" {
			shown.KeySource = "profile"
		}
	} else {
		r, err := transport.Resolve(opts.Factory, transport.Getenv)
		if err != nil {
			return err
		}
		shown = Shown{Name: r.Name, Source: r.Source, Profile: r.Profile, KeySource: r.KeySource}
	}
	shown.Transport, shown.ConfigFile = shown.Profile.Transport(), cfg.Path()
	shown.Profile.APIKey = mask(shown.Profile.APIKey)
	if opts.JSON {
		return cmdutil.PrintJSON(opts.IO.Out, shown)
	}
	p := shown.Profile
	key := p.APIKey
	if key != "" {
		key += " from " + shown.KeySource
	}
	if p.Transport() == cmdutil.TransportGateway && key == "" {
		key = "none (set CXL_API_KEY or use --with-api-key)"
	}
	fields := []cmdutil.Field{{Label: "Profile", Value: shown.Name}, {Label: "Chosen by", Value: shown.Source}, {Label: "Transport", Value: shown.Transport}}
	if p.Transport() == cmdutil.TransportGateway {
		ca := p.GatewayCA
		if ca == "" && strings.HasPrefix(p.Gateway, "https://") {
			ca = "the system's roots"
		}
		fields = append(fields, cmdutil.Field{Label: "Gateway", Value: p.Gateway}, cmdutil.Field{Label: "Gateway CA", Value: ca}, cmdutil.Field{Label: "API key", Value: key})
	} else {
		var others []string
		for _, o := range p.OtherPeers {
			others = append(others, o.Address)
		}
		fields = append(fields, cmdutil.Field{Label: "Peer", Value: p.Peer}, cmdutil.Field{Label: "Other peers", Value: strings.Join(others, ", ")},
			cmdutil.Field{Label: "TLS root cert", Value: p.TLSRootCert},
			cmdutil.Field{Label: "Server name", Value: p.ServerName}, cmdutil.Field{Label: "MSP ID", Value: p.MSPID},
			cmdutil.Field{Label: "Certificate", Value: p.Cert}, cmdutil.Field{Label: "Key", Value: p.Key},
			cmdutil.Field{Label: "Channel", Value: p.ChannelName()}, cmdutil.Field{Label: "Chaincode", Value: p.ChaincodeName()})
	}
	fields = append(fields, cmdutil.Field{Label: "Config file", Value: shown.ConfigFile})
	return cmdutil.PrintFields(opts.IO, fields...)
}

// ListOptions are the inputs of `cxl config list`.
type ListOptions struct {
	IO     *cmdutil.IOStreams
	Config func() (*cmdutil.Config, error)
	JSON   bool
}

// Listed is one profile in `cxl config list --json`.
type Listed struct {
	Name      string `json:"name"`
	Transport string `json:"transport"`
	Target    string `json:"target"`
	Current   bool   `json:"current"`
}

// NewCmdList returns `cxl config list`; runF replaces the run function in tests.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IO, Config: f.Config}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the profiles",
		Args:  cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return listRun(opts)
		},
	}
	cmdutil.AddJSONFlag(cmd, &opts.JSON, []Listed{})
	return cmd
}

func listRun(opts *ListOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	list := []Listed{}
	for _, n := range cfg.Names() {
		p := cfg.Profiles[n]
		target := p.Gateway
		if p.Transport() == cmdutil.TransportFabric {
			target = p.Peer + " as " + p.MSPID
		}
		list = append(list, Listed{Name: n, Transport: p.Transport(), Target: target, Current: n == cfg.Current})
	}
	if opts.JSON {
		return cmdutil.PrintJSON(opts.IO.Out, list)
	}
	t := cmdutil.NewTable(opts.IO, "CURRENT", "NAME", "TRANSPORT", "TARGET")
	for _, l := range list {
		mark := ""
		if l.Current {
			mark = "*"
		}
		t.Row(mark, l.Name, l.Transport, l.Target)
	}
	if t.Len() == 0 {
		fmt.Fprintf(opts.IO.ErrOut, "no profiles in %s; create one with `cxl config set`\n", cfg.Path())
		return nil
	}
	return t.Render()
}

// RemoveOptions are the inputs of `cxl config remove`.
type RemoveOptions struct {
	IO     *cmdutil.IOStreams
	Config func() (*cmdutil.Config, error)
	Name   string
}

// NewCmdRemove returns `cxl config remove`; runF replaces the run function in tests.
func NewCmdRemove(f *cmdutil.Factory, runF func(*RemoveOptions) error) *cobra.Command {
	opts := &RemoveOptions{IO: f.IO, Config: f.Config}
	return &cobra.Command{
		Use:               "remove NAME",
		Short:             "Remove a profile",
		Args:              cmdutil.ExactArgs("NAME"),
		ValidArgsFunction: completeProfiles(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(opts)
			}
			cfg, err := opts.Config()
			if err != nil {
				return err
			}
			if _, ok := cfg.Profiles[opts.Name]; !ok {
				return notFound(cfg, opts.Name)
			}
			delete(cfg.Profiles, opts.Name)
			if cfg.Current == opts.Name {
				cfg.Current = ""
			}
			if err := cfg.Save(); err != nil {
				return err
			}
			opts.IO.Success("removed profile %s", opts.Name)
			return nil
		},
	}
}
