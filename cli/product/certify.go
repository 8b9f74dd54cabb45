package product

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/ledgerapi"
)

// CertifyOptions are the inputs of `cxl product certify`.
type CertifyOptions struct {
	IO       *cmdutil.IOStreams
	Ledger   func(context.Context) (cmdutil.Client, error)
	Mutation cmdutil.MutationOptions
	JSON     bool

	GTIN string
	SubjectFlags
	ID, Type string
	// Hash is the document's SHA-256; Document is a file to hash instead.
	Hash, Document string
	ValidFrom      time.Time
	ValidUntil     time.Time
}

// NewCmdCertify returns `cxl product certify`; runF replaces the run function in tests.
func NewCmdCertify(f *cmdutil.Factory, runF func(*CertifyOptions) error) *cobra.Command {
	opts := &CertifyOptions{IO: f.IO, Ledger: f.Ledger}
	var from, until string
	cmd := &cobra.Command{
		Use:   "certify GTIN [--lot LOT | --serial SERIAL] --id ID --type TYPE (--document FILE | --hash SHA256) --valid-until DATE",
		Short: "Record a certificate about a product, lot or item",
		Long: `Record a certificate (an organic or a conformity certificate, say) about a product, a lot or
an item: the document stays off the ledger, which keeps its SHA-256 (--document hashes a
file for you). Auditors certify anything, brands their own products.`,
		Args: cmdutil.ExactArgs("GTIN"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.GTIN = args[0]
			if _, err := opts.subject(opts.GTIN, provenance.KindProduct, provenance.KindLot, provenance.KindItem); err != nil {
				return err
			}
			if err := cmdutil.RequireFlags(cmd, "id", "type", "valid-until"); err != nil {
				return err
			}
			if err := cmdutil.FlagsExclusive(cmd, "hash", "document"); err != nil {
				return err
			}
			if opts.Hash == "" && opts.Document == "" {
				return cmdutil.UsageErrorf("give --document FILE or its --hash")
			}
			var err error
			if from != "" {
				opts.ValidFrom, err = cmdutil.ParseTime("valid-from", from)
			} else {
				opts.ValidFrom, err = opts.Mutation.Now(f)
			}
			if err != nil {
				return err
			}
			if opts.ValidUntil, err = cmdutil.ParseTime("valid-until", until); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return certifyRun(cmd.Context(), opts)
		},
	}
	opts.add(cmd)
	cmd.Flags().StringVar(&opts.ID, "id", "", "the certificate's `ID` (unique for its subject)")
	cmd.Flags().StringVar(&opts.Type, "type", "", "what kind of certificate (organic, ce-conformity)")
	cmd.Flags().StringVar(&opts.Hash, "hash", "", "the document's SHA-256 in hex")
	cmd.Flags().StringVar(&opts.Document, "document", "", "hash the document `FILE`")
	cmd.Flags().StringVar(&from, "valid-from", "", "valid from `DATE` (default now)")
	cmd.Flags().StringVar(&until, "valid-until", "", "valid until `DATE`, exclusive")
	cmdutil.AddMutationFlags(cmd, &opts.Mutation)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, ledgerapi.Committed[provenance.Certificate]{})
	return cmd
}

// hashFile is the hex SHA-256 of a file.
func hashFile(path string) (string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", cmdutil.UsageErrorf("--document: %v", errors.Unwrap(err))
	}
	defer fh.Close()
	h := sha256.New()
	if _, err := io.Copy(h, fh); err != nil {
		return "", cmdutil.UsageErrorf("--document: %v", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func certifyRun(ctx context.Context, opts *CertifyOptions) error {
	s, _ := opts.subject(opts.GTIN, provenance.KindProduct, provenance.KindLot, provenance.KindItem)
	hash := opts.Hash
	if opts.Document != "" {
		var err error
		if hash, err = hashFile(opts.Document); err != nil {
			return err
		}
	}
	req := ledgerapi.IssueCertificateRequest{Subject: s, ID: opts.ID, Type: opts.Type, Hash: hash, ValidFrom: opts.ValidFrom, ValidUntil: opts.ValidUntil}
	return cmdutil.Mutate(ctx, opts.IO, opts.Ledger, &opts.Mutation, opts.JSON, ledgerapi.ProvenanceIssueCertificate, req,
		func(*provenance.Certificate) string {
			return "certified " + name(s) + " (" + opts.Type + " " + opts.ID + ")"
		},
		func(c *provenance.Certificate) error { return printCertificate(opts.IO, c) })
}

func printCertificate(io *cmdutil.IOStreams, c *provenance.Certificate) error {
	revoked := ""
	if c.Revocation != nil {
		revoked = io.Time(c.Revocation.At) + ": " + c.Revocation.Reason
	}
	return cmdutil.PrintFields(io, cmdutil.Field{Label: "ID", Value: c.ID}, cmdutil.Field{Label: "Type", Value: c.Type},
		cmdutil.Field{Label: "Subject", Value: name(ledgerapi.Subject(c.Subject))}, cmdutil.Field{Label: "Issuer", Value: c.Issuer},
		cmdutil.Field{Label: "SHA-256", Value: c.Hash}, cmdutil.Field{Label: "Valid from", Value: io.Time(c.ValidFrom)},
		cmdutil.Field{Label: "Valid until", Value: io.Time(c.ValidUntil)}, cmdutil.Field{Label: "Revoked", Value: revoked})
}

// RevokeCertificateOptions are the inputs of `cxl product revoke-certificate`.
type RevokeCertificateOptions struct {
	IO       *cmdutil.IOStreams
	Ledger   func(context.Context) (cmdutil.Client, error)
	Mutation cmdutil.MutationOptions
	JSON     bool

	GTIN string
	SubjectFlags
	ID, Reason string
}

// NewCmdRevokeCertificate returns `cxl product revoke-certificate`; runF replaces the run
// function in tests.
func NewCmdRevokeCertificate(f *cmdutil.Factory, runF func(*RevokeCertificateOptions) error) *cobra.Command {
	opts := &RevokeCertificateOptions{IO: f.IO, Ledger: f.Ledger}
	cmd := &cobra.Command{
		Use:   "revoke-certificate GTIN [--lot LOT | --serial SERIAL] --id ID --reason TEXT",
		Short: "Revoke a certificate your organisation issued",
		Args:  cmdutil.ExactArgs("GTIN"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.GTIN = args[0]
			if _, err := opts.subject(opts.GTIN, provenance.KindProduct, provenance.KindLot, provenance.KindItem); err != nil {
				return err
			}
			if err := cmdutil.RequireFlags(cmd, "id", "reason"); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return revokeCertificateRun(cmd.Context(), opts)
		},
	}
	opts.add(cmd)
	cmd.Flags().StringVar(&opts.ID, "id", "", "the certificate's `ID`")
	cmd.Flags().StringVar(&opts.Reason, "reason", "", "why it is revoked")
	cmdutil.AddMutationFlags(cmd, &opts.Mutation)
	cmdutil.AddJSONFlag(cmd, &opts.JSON, ledgerapi.Committed[provenance.Certificate]{})
	return cmd
}

func revokeCertificateRun(ctx context.Context, opts *RevokeCertificateOptions) error {
	s, _ := opts.subject(opts.GTIN, provenance.KindProduct, provenance.KindLot, provenance.KindItem)
	req := ledgerapi.RevokeCertificateRequest{Subject: s, ID: opts.ID, Reason: opts.Reason}
	return cmdutil.Mutate(ctx, opts.IO, opts.Ledger, &opts.Mutation, opts.JSON, ledgerapi.ProvenanceRevokeCertificate, req,
		func(*provenance.Certificate) string { return "revoked certificate " + opts.ID + " about " + name(s) },
		func(c *provenance.Certificate) error { return printCertificate(opts.IO, c) })
}
