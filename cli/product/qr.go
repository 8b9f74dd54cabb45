package product

import (
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/skip2/go-qrcode"
	"github.com/spf13/cobra"

	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/cli/transport"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gs1"
)

// The sizes of `cxl product qr --size`, in pixels: the default, and the largest (35 cm at
// 300 dpi).
const (
	qrDefaultSize = 512
	qrMaxSize     = 4096
)

// qrLevel is the error correction of the codes: M, about 15% of the symbol may be lost.
const qrLevel = qrcode.Medium

// QROptions are the inputs of `cxl product qr`.
type QROptions struct {
	IO *cmdutil.IOStreams
	// Factory finds the profile in use, whose gateway service is the default --base.
	Factory *cmdutil.Factory
	JSON    bool

	GTIN, Lot, Serial string
	// Base is --base: the resolver's URL the Digital Link URI is written on.
	Base string
	// PNG and SVG are the files to write ("-": standard output; "": none).
	PNG, SVG string
	// Size is the PNG's width and height in pixels, and the SVG's nominal size.
	Size  int
	Force bool
}

// QR is what `cxl product qr --json` prints: the URI the code carries and the files
// written.
type QR struct {
	URI string `json:"uri"`
	PNG string `json:"png,omitempty"`
	SVG string `json:"svg,omitempty"`
}

// NewCmdQR returns `cxl product qr`; runF replaces the run function in tests.
func NewCmdQR(f *cmdutil.Factory, runF func(*QROptions) error) *cobra.Command {
	opts := &QROptions{IO: f.IO, Factory: f}
	cmd := &cobra.Command{
		Use:   "qr GTIN [--lot LOT] [--serial SERIAL] {--png FILE | --svg FILE}",
		Short: "Write the GS1 Digital Link QR code of a product, lot or item as PNG or SVG",
		Long: `Write the GS1 Digital Link QR code of a product, of a lot of it (--lot) or of an item
(--serial, with --lot too when the label should carry the lot): a PNG (--png FILE), an SVG
(--svg FILE) or both; "-" writes one of them to standard output. The code carries the URI
BASE/01/GTIN[/10/LOT][/21/SERIAL], which a phone opens and the resolver at BASE answers; it
is printed on standard error (with --json: {uri, png, svg} on standard output).

BASE is --base, else the URL of the gateway service of the profile in use (--profile,
--gateway, CXL_PROFILE, CXL_GATEWAY or the current profile), else, when no profile is
configured or it reaches a Fabric peer directly, ` + gs1.DefaultBase + `, GS1's global
resolver, which forwards to the resolver the brand registered with GS1.

No ledger call is made: the code can be printed before the product is registered, and
nothing checks that it is. The GTIN (its check digit), lot and serial (1 to 20 characters of
GS1 character set 82) are checked as the ledger checks them.

The code has error correction level M and a quiet zone of 4 modules, black on white.
--size is the PNG's width and height in pixels (the SVG's nominal size; it scales without
loss) and must be at least the code's width in modules. Files are written with mode 0644;
an existing file is left alone unless --force.`,
		Example: `  cxl product qr 09506000134352 --lot L1 --png lot.png
  cxl product qr 09506000134352 --serial S1 --svg - > item.svg
  cxl product qr 09506000134352 --base https://id.brand.example --png p.png --svg p.svg --json`,
		Args: cmdutil.ExactArgs("GTIN"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.GTIN = args[0]
			if err := opts.checkOutputs(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return qrRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Lot, "lot", "", "the lot `number`")
	cmd.Flags().StringVar(&opts.Serial, "serial", "", "the item's serial `number`")
	cmd.Flags().StringVar(&opts.Base, "base", "", "write the URI for the resolver at `URL` (default: the profile's gateway service, else "+gs1.DefaultBase+")")
	cmd.Flags().StringVar(&opts.PNG, "png", "", "write the code as a PNG to `FILE` (- for standard output)")
	cmd.Flags().StringVar(&opts.SVG, "svg", "", "write the code as an SVG to `FILE` (- for standard output)")
	cmd.Flags().IntVar(&opts.Size, "size", qrDefaultSize, "the PNG's width and height in `pixels`")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "overwrite existing files")
	cmdutil.AddJSONFlag(cmd, &opts.JSON, QR{})
	return cmd
}

// checkOutputs checks the output flags among themselves.
func (o *QROptions) checkOutputs() error {
	switch {
	case o.PNG == "" && o.SVG == "":
		return cmdutil.UsageErrorf("give --png FILE, --svg FILE or both")
	case o.PNG == o.SVG:
		return cmdutil.UsageErrorf("--png and --svg name the same file %q", o.PNG)
	case o.JSON && (o.PNG == "-" || o.SVG == "-"):
		return cmdutil.UsageErrorf("--json prints to standard output: write the image to a file")
	case o.Size < 1 || o.Size > qrMaxSize:
		return cmdutil.UsageErrorf("--size %d: want 1 to %d pixels", o.Size, qrMaxSize)
	}
	return nil
}

// identifier is the product, lot or item the options name, checked by package gs1.
func (o *QROptions) identifier() (gs1.Identifier, error) {
	for _, v := range []struct{ name, value string }{{"GTIN", o.GTIN}, {"--lot", o.Lot}, {"--serial", o.Serial}, {"--base", o.Base}} {
		if !utf8.ValidString(v.value) {
			return gs1.Identifier{}, cmdutil.UsageErrorf("%s %q is not valid UTF-8", v.name, v.value)
		}
	}
	gtin, err := gs1.NormalizeGTIN("GTIN", o.GTIN)
	if err != nil {
		return gs1.Identifier{}, gs1Usage(err)
	}
	id := gs1.Identifier{GTIN: gtin, Lot: o.Lot, Serial: o.Serial}
	if o.Lot != "" {
		if err := gs1.ValidateLotNumber("--lot", o.Lot); err != nil {
			return id, gs1Usage(err)
		}
	}
	if o.Serial != "" {
		if err := gs1.ValidateSerial("--serial", o.Serial); err != nil {
			return id, gs1Usage(err)
		}
	}
	return id, nil
}

// gs1Usage makes an INVALID error of package gs1 a usage error with its message.
func gs1Usage(err error) error {
	if e, ok := cxlerr.As(err); ok {
		return cmdutil.UsageErrorf("%s", e.Message)
	}
	return err
}

// base is the resolver the URI is written for: --base, else the gateway service of the
// profile in use, else gs1.DefaultBase.
func (o *QROptions) base() (base, flag string, err error) {
	if o.Base != "" {
		return o.Base, "--base", nil
	}
	cfg, err := o.Factory.Config()
	if err != nil {
		return "", "", err
	}
	sel := o.Factory.Selection
	if sel == nil {
		sel = &cmdutil.Selection{}
	}
	if sel.Profile == "" && sel.Gateway == "" && transport.Getenv("CXL_PROFILE") == "" &&
		transport.Getenv("CXL_GATEWAY") == "" && cfg.Current == "" {
		return gs1.DefaultBase, "the default base", nil
	}
	r, err := transport.Resolve(o.Factory, transport.Getenv)
	if err != nil {
		return "", "", fmt.Errorf("the profile in use gives the default --base: %w", err)
	}
	if r.Profile.Transport() != cmdutil.TransportGateway {
		return gs1.DefaultBase, "the default base", nil
	}
	return r.Profile.Gateway, "the gateway URL of the profile in use (" + r.Source + ")", nil
}

// digitalLink writes id's Digital Link URI on base, which must be an http(s) URL with a
// host and perhaps a path, and reads it back through gs1.Parse.
func digitalLink(id gs1.Identifier, base, flag string) (string, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		strings.ContainsAny(base, "?#") || strings.IndexFunc(base, notURIChar) >= 0 {
		return "", cmdutil.UsageErrorf("%s %q: want an http:// or https:// URL with a host and perhaps a path, no query", flag, base)
	}
	uri := id.DigitalLink(base)
	back, err := gs1.Parse(uri)
	if err != nil {
		msg := err.Error()
		if e, ok := cxlerr.As(err); ok {
			msg = e.Message
		}
		return "", cmdutil.UsageErrorf("%s %q: %s", flag, base, msg)
	}
	if back.GTIN != id.GTIN || back.Lot != id.Lot || back.Serial != id.Serial {
		return "", cmdutil.UsageErrorf("%s %q: the URI %s does not read back as the same identifier", flag, base, uri)
	}
	return uri, nil
}

// notURIChar reports whether r may not appear in a URI as it is (RFC 3986).
func notURIChar(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return false
	}
	return !strings.ContainsRune("-._~:/?#[]@!$&'()*+,;=%", r)
}

// output is one image to write.
type output struct {
	flag, path string
	data       []byte
}

func qrRun(opts *QROptions) error {
	id, err := opts.identifier()
	if err != nil {
		return err
	}
	base, flag, err := opts.base()
	if err != nil {
		return err
	}
	uri, err := digitalLink(id, base, flag)
	if err != nil {
		return err
	}
	code, err := qrcode.New(uri, qrLevel)
	if err != nil {
		return cmdutil.UsageErrorf("the URI %s does not fit in a QR code: %v", uri, err)
	}
	modules := code.Bitmap()
	if opts.Size < len(modules) {
		return cmdutil.UsageErrorf("--size %d: the code is %d modules wide with its quiet zone; give at least %d pixels", opts.Size, len(modules), len(modules))
	}
	var outs []output
	if opts.PNG != "" {
		data, err := code.PNG(opts.Size)
		if err != nil {
			return fmt.Errorf("encode the PNG: %w", err)
		}
		outs = append(outs, output{"--png", opts.PNG, data})
	}
	if opts.SVG != "" {
		outs = append(outs, output{"--svg", opts.SVG, qrSVG(modules, opts.Size, uri)})
	}
	if err := writeOutputs(opts.IO, outs, opts.Force); err != nil {
		return err
	}
	if opts.JSON {
		return cmdutil.PrintJSON(opts.IO.Out, QR{URI: uri, PNG: opts.PNG, SVG: opts.SVG})
	}
	fmt.Fprintln(opts.IO.ErrOut, uri)
	return nil
}

// writeOutputs writes every image, refusing (before writing any) to overwrite a file
// unless force; files it created are removed again if a later one fails.
func writeOutputs(io *cmdutil.IOStreams, outs []output, force bool) error {
	if !force {
		for _, o := range outs {
			if o.path == "-" {
				continue
			}
			if _, err := os.Lstat(o.path); err == nil {
				return cmdutil.UsageErrorf("%s %s: the file exists; pass --force to overwrite it", o.flag, o.path)
			}
		}
	}
	var created []string
	for _, o := range outs {
		if o.path == "-" {
			if _, err := io.Out.Write(o.data); err != nil {
				return fmt.Errorf("%s -: write standard output: %w", o.flag, err)
			}
			continue
		}
		if err := writeFile(o.path, o.data, force); err != nil {
			for _, p := range created {
				_ = os.Remove(p)
			}
			if errors.Is(err, os.ErrExist) {
				return cmdutil.UsageErrorf("%s %s: the file exists; pass --force to overwrite it", o.flag, o.path)
			}
			return fmt.Errorf("%s %s: %w", o.flag, o.path, err)
		}
		created = append(created, o.path)
	}
	return nil
}

// writeFile writes data to path with mode 0644: a new file, or with force perhaps an
// existing one, truncated.
func writeFile(path string, data []byte, force bool) error {
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		_ = f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// qrSVG draws a QR code's modules (rows of dark/light, quiet zone included) as an SVG
// document: a white square and one black path of unit squares, the viewBox in modules,
// size×size pixels nominally, crisp edges, titled with the URI it carries, with no
// external reference.
func qrSVG(modules [][]bool, size int, title string) []byte {
	n := len(modules)
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
		`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" shape-rendering="crispEdges">`+"\n",
		size, size, n, n)
	b.WriteString("<title>")
	_ = xml.EscapeText(&b, []byte(title)) // a strings.Builder does not fail
	b.WriteString("</title>\n")
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/>`+"\n", n, n)
	b.WriteString(`<path fill="#000" d="`)
	for y, row := range modules {
		for x, dark := range row {
			if dark {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x, y)
			}
		}
	}
	b.WriteString("\"/>\n</svg>\n")
	return []byte(b.String())
}
