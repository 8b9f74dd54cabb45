// Package identity holds `cxl identity`: a member's staff invite a customer (a one-time
// enrolment secret from the member's gateway service), and the customer enrols with it,
// making its key here; the key never leaves the customer's profile.
package identity

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/cli/transport"
	"github.com/cxledger/cxledger/gateway/client"
)

// NewCmdIdentity returns `cxl identity` with its subcommands.
func NewCmdIdentity(f *cmdutil.Factory) *cobra.Command {
	cmd := cmdutil.Group(&cobra.Command{
		Use:   "identity <command>",
		Short: "Invite customers and enrol them with their own keys",
		Long: `A member's staff invite a customer through the member's gateway service (cxl identity invite,
with a staff API key): the service registers a client identity without roles with the
member's CA and answers a one-time secret. The customer enrols with it (cxl identity enroll):
the key is made here and stays in the customer's profile (readable by its owner only); the
service sees only a certificate request. A customer profile signs every transaction itself
through the gateway service (prepare, sign, submit).`,
		Example: `  cxl identity invite --profile org1-staff --expires 72h
  cxl identity enroll --gateway https://127.0.0.1:8080 --gateway-ca org1-tlsca.pem --id c-AbC --secret-stdin < secret.txt
  cxl order place --profile customer-c-AbC ...`,
	})
	cmd.AddCommand(NewCmdInvite(f, nil), NewCmdEnroll(f, nil))
	return cmd
}

// InviteOptions are the inputs of `cxl identity invite`.
type InviteOptions struct {
	IO      *cmdutil.IOStreams
	Ledger  func(context.Context) (cmdutil.Client, error)
	JSON    bool
	Expires time.Duration
}

// NewCmdInvite returns `cxl identity invite`; runF replaces the run function in tests.
func NewCmdInvite(f *cmdutil.Factory, runF func(*InviteOptions) error) *cobra.Command {
	opts := &InviteOptions{IO: f.IO, Ledger: f.Ledger}
	cmd := &cobra.Command{
		Use:   "invite",
		Short: "Invite a customer: a one-time enrolment secret from your member's gateway service",
		Args:  cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Expires < 0 {
				return cmdutil.UsageErrorf("--expires %s: want a positive duration", opts.Expires)
			}
			if runF != nil {
				return runF(opts)
			}
			return inviteRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().DurationVar(&opts.Expires, "expires", 0, "how long the secret enrols (default: the service's, 72h)")
	cmdutil.AddJSONFlag(cmd, &opts.JSON, client.Invitation{})
	return cmd
}

// inviter is a transport that can invite: the gateway service with a staff API key.
type inviter interface {
	Invite(ctx context.Context, expiresIn time.Duration) (*client.Invitation, error)
}

func inviteRun(ctx context.Context, opts *InviteOptions) error {
	c, err := opts.Ledger(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	inv, ok := c.(inviter)
	if !ok || strings.Contains(c.Target(), "signing as the customer") {
		return cmdutil.UsageErrorf("%s cannot invite: invitations go through your member's gateway service with a staff API key (--profile or --gateway with CXL_API_KEY)", c.Target())
	}
	got, err := inv.Invite(ctx, opts.Expires)
	if err != nil {
		return err
	}
	if opts.JSON {
		return cmdutil.PrintJSON(opts.IO.Out, got)
	}
	fmt.Fprintf(opts.IO.Out, "id:      %s\nsecret:  %s\nexpires: %s\nenrol:   %s\n", got.ID, got.Secret, opts.IO.Time(got.ExpiresAt), got.EnrolURL)
	opts.IO.Success("invited %s: give the customer the ID and the secret (once; the service keeps only its hash); they enrol with `cxl identity enroll --gateway URL --id %s --secret-stdin`", got.ID, got.ID)
	return nil
}

// EnrollOptions are the inputs of `cxl identity enroll`.
type EnrollOptions struct {
	IO        *cmdutil.IOStreams
	Config    func() (*cmdutil.Config, error)
	Selection *cmdutil.Selection
	JSON      bool

	ID, Secret string
	// SecretStdin reads the secret from standard input.
	SecretStdin bool
	// Name is the profile to write; default "customer-<ID>".
	Name string
	// Use makes the profile the current one.
	Use bool
}

// Enrolled is what `cxl identity enroll` prints with --json.
type Enrolled struct {
	Profile string `json:"profile"`
	Gateway string `json:"gateway"`
	Cert    string `json:"cert"`
	Chain   string `json:"chain"`
	Key     string `json:"key"`
}

// NewCmdEnroll returns `cxl identity enroll`; runF replaces the run function in tests.
func NewCmdEnroll(f *cmdutil.Factory, runF func(*EnrollOptions) error) *cobra.Command {
	opts := &EnrollOptions{IO: f.IO, Config: f.Config, Selection: f.Selection}
	cmd := &cobra.Command{
		Use:   "enroll --gateway URL --id ID (--secret SECRET | --secret-stdin)",
		Short: "Enrol as an invited customer: make your key here and save a customer profile",
		Long: `Make a new P-256 key, send a certificate request for it with the invitation's ID and
one-time secret to the member's gateway service (--gateway, and --gateway-ca for https),
and save the certificate, the CA chain and the key (mode 0600) beside the configuration file,
in identities/NAME/, with a customer profile NAME that signs every transaction itself.`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case opts.Selection == nil || opts.Selection.Gateway == "":
				return cmdutil.UsageErrorf("--gateway URL: the gateway service of the member that invited you")
			case opts.ID == "":
				return cmdutil.UsageErrorf("--id: the invitation's ID")
			case (opts.Secret == "") == !opts.SecretStdin:
				return cmdutil.UsageErrorf("--secret or --secret-stdin: one of them")
			}
			if opts.Name == "" {
				opts.Name = "customer-" + opts.ID
			}
			if err := cmdutil.ValidateProfileName(opts.Name); err != nil {
				return err
			}
			if opts.SecretStdin {
				line, err := bufio.NewReader(opts.IO.In).ReadString('\n')
				if opts.Secret = strings.TrimSpace(line); opts.Secret == "" {
					return cmdutil.UsageErrorf("--secret-stdin: no secret on standard input (%v)", err)
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return enrollRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.ID, "id", "", "the invitation's `ID`")
	fl.StringVar(&opts.Secret, "secret", "", "the invitation's one-time `secret` (--secret-stdin keeps it out of the shell's history)")
	fl.BoolVar(&opts.SecretStdin, "secret-stdin", false, "read the secret from standard input")
	fl.StringVar(&opts.Name, "name", "", "the profile's `name` (default customer-ID)")
	fl.BoolVar(&opts.Use, "use", false, "make it the current profile")
	cmdutil.AddJSONFlag(cmd, &opts.JSON, Enrolled{})
	return cmd
}

func enrollRun(ctx context.Context, opts *EnrollOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	if _, taken := cfg.Profiles[opts.Name]; taken {
		return cmdutil.UsageErrorf("profile %s exists: choose another with --name", opts.Name)
	}
	url := strings.TrimSuffix(opts.Selection.Gateway, "/")
	ca := opts.Selection.GatewayCA
	if ca != "" {
		if ca, err = filepath.Abs(ca); err != nil {
			return cmdutil.UsageErrorf("--gateway-ca: %v", err)
		}
	}
	hc, err := transport.HTTPClient(ca)
	if err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("make a key: %w", err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: opts.ID}}, key)
	if err != nil {
		return fmt.Errorf("make the certificate request: %w", err)
	}
	csr := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
	enr, err := client.New(url, "", client.WithHTTPClient(hc)).Enroll(ctx, opts.ID, opts.Secret, csr)
	if err != nil {
		return err
	}
	dir := filepath.Join(filepath.Dir(cfg.Path()), "identities", opts.Name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("encode the key: %w", err)
	}
	out := Enrolled{Profile: opts.Name, Gateway: url, Cert: filepath.Join(dir, "cert.pem"), Chain: filepath.Join(dir, "chain.pem"), Key: filepath.Join(dir, "key.pem")}
	for _, w := range []struct {
		path string
		data []byte
		mode os.FileMode
	}{{out.Key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600}, {out.Cert, []byte(enr.Certificate), 0o644}, {out.Chain, []byte(enr.Chain), 0o644}} {
		if err := os.WriteFile(w.path, w.data, w.mode); err != nil {
			return fmt.Errorf("write %s: %w", w.path, err)
		}
	}
	cfg.Profiles[opts.Name] = &cmdutil.Profile{Gateway: url, GatewayCA: ca, Cert: out.Cert, Key: out.Key}
	if opts.Use || cfg.Current == "" {
		cfg.Current = opts.Name
	}
	if err := cfg.Save(); err != nil {
		return err
	}
	if opts.JSON {
		return cmdutil.PrintJSON(opts.IO.Out, out)
	}
	opts.IO.Success("enrolled %s: profile %s signs as you through %s; your key is %s (only you may read it)", opts.ID, opts.Name, url, out.Key)
	return nil
}
