package product

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/cxledger/cxledger/cli/clitest"
	"github.com/cxledger/cxledger/cli/cmdutil"
)

// qrCLI is a factory for `cxl product qr` with no profile selected by the environment and a
// ledger that fails the test when it is opened, and a function running `cxl product` on it.
func qrCLI(t *testing.T) (*cmdutil.Factory, func(args ...string) clitest.Result) {
	t.Helper()
	for _, v := range []string{"CXL_PROFILE", "CXL_GATEWAY", "CXL_API_KEY"} {
		t.Setenv(v, "")
	}
	f, _, _ := clitest.Factory(t, nil)
	f.Ledger = func(context.Context) (cmdutil.Client, error) {
		t.Error("cxl product qr opened the ledger")
		return nil, errors.New("no ledger")
	}
	return f, func(args ...string) clitest.Result {
		return clitest.Exec(t, f, NewCmdProduct(f), append([]string{"qr"}, args...)...)
	}
}

func TestQRWritesCodesThatDecodeToTheURI(t *testing.T) {
	cases := []struct {
		args []string
		uri  string
	}{
		{[]string{gtin}, "https://id.gs1.org/01/" + gtin},
		{[]string{"9506000134352", "--lot", "L1"}, "https://id.gs1.org/01/" + gtin + "/10/L1"},
		{[]string{gtin, "--serial", "S1"}, "https://id.gs1.org/01/" + gtin + "/21/S1"},
		{[]string{gtin, "--lot", `A%&/?"<>x`, "--serial", "S!(*),;=_"},
			"https://id.gs1.org/01/" + gtin + "/10/A%25%26%2F%3F%22%3C%3Ex/21/S%21%28%2A%29%2C%3B%3D_"},
		{[]string{gtin, "--lot", "LOT-2027-0001", "--serial", "12345678901234567890", "--base", "https://resolver.brand.example/dl/"},
			"https://resolver.brand.example/dl/01/" + gtin + "/10/LOT-2027-0001/21/12345678901234567890"},
	}
	for _, size := range []int{512, 333} {
		for _, tc := range cases {
			t.Run(fmt.Sprintf("%d %s", size, tc.uri), func(t *testing.T) {
				_, cx := qrCLI(t)
				dir := t.TempDir()
				pngPath, svgPath := filepath.Join(dir, "code.png"), filepath.Join(dir, "code.svg")
				args := append(tc.args, "--png", pngPath, "--svg", svgPath, "--size", strconv.Itoa(size))
				r := cx(args...).OK(t)
				if r.Stderr != tc.uri+"\n" || r.Stdout != "" {
					t.Fatalf("stdout %q, stderr %q; want the URI %s on stderr", r.Stdout, r.Stderr, tc.uri)
				}
				for _, p := range []string{pngPath, svgPath} {
					if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o644 {
						t.Fatalf("%s: %v, mode %v; want 0644", p, err, fi.Mode())
					}
				}
				fromPNG := pngModules(t, readFile(t, pngPath), size)
				if got, err := decodeQR(fromPNG); err != nil || got != tc.uri {
					t.Fatalf("the PNG decodes to %q, %v; want %q", got, err, tc.uri)
				}
				fromSVG := svgModules(t, readFile(t, svgPath), size)
				if !equalModules(fromSVG, fromPNG) {
					t.Fatal("the SVG's modules are not the PNG's")
				}
				if got, err := decodeQR(fromSVG); err != nil || got != tc.uri {
					t.Fatalf("the SVG decodes to %q, %v; want %q", got, err, tc.uri)
				}
			})
		}
	}
}

func TestQRToStandardOutputAndJSON(t *testing.T) {
	_, cx := qrCLI(t)
	r := cx(gtin, "--lot", "L1", "--png", "-", "--size", "200").OK(t)
	if got, err := decodeQR(pngModules(t, []byte(r.Stdout), 200)); err != nil || got != "https://id.gs1.org/01/"+gtin+"/10/L1" {
		t.Fatalf("the PNG on stdout decodes to %q, %v", got, err)
	}
	dir := t.TempDir()
	svgPath := filepath.Join(dir, "c.svg")
	r = cx(gtin, "--png", "-", "--svg", svgPath).OK(t)
	if !bytes.HasPrefix([]byte(r.Stdout), []byte("\x89PNG")) || readFile(t, svgPath)[0] != '<' {
		t.Fatalf("--png - with --svg FILE: stdout %.8q", r.Stdout)
	}
	pngPath := filepath.Join(dir, "c.png")
	var got QR
	cx(gtin, "--serial", "S1", "--png", pngPath, "--svg", filepath.Join(dir, "d.svg"), "--json").OK(t).JSON(t, &got)
	want := QR{URI: "https://id.gs1.org/01/" + gtin + "/21/S1", PNG: pngPath, SVG: filepath.Join(dir, "d.svg")}
	if got != want {
		t.Fatalf("--json printed %+v, want %+v", got, want)
	}
}

func TestQRBaseFromTheProfile(t *testing.T) {
	dir := t.TempDir()
	uriWith := func(t *testing.T, f *cmdutil.Factory, cx func(...string) clitest.Result, args ...string) clitest.Result {
		t.Helper()
		p := filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+".svg")
		_ = os.Remove(p)
		return cx(append([]string{gtin, "--svg", p}, args...)...)
	}
	t.Run("none", func(t *testing.T) {
		f, cx := qrCLI(t)
		if r := uriWith(t, f, cx).OK(t); r.Stderr != "https://id.gs1.org/01/"+gtin+"\n" {
			t.Fatalf("no profile: %q", r.Stderr)
		}
	})
	t.Run("--gateway", func(t *testing.T) {
		f, cx := qrCLI(t)
		f.Selection.Gateway = "http://127.0.0.1:8080/"
		if r := uriWith(t, f, cx).OK(t); r.Stderr != "http://127.0.0.1:8080/01/"+gtin+"\n" {
			t.Fatalf("--gateway: %q", r.Stderr)
		}
		if r := uriWith(t, f, cx, "--base", "https://id.brand.example").OK(t); r.Stderr != "https://id.brand.example/01/"+gtin+"\n" {
			t.Fatalf("--base over --gateway: %q", r.Stderr)
		}
	})
	t.Run("current profile", func(t *testing.T) {
		f, cx := qrCLI(t)
		cfg, err := f.Config()
		if err != nil {
			t.Fatal(err)
		}
		cfg.Profiles["brand"] = &cmdutil.Profile{Gateway: "https://gw.brand.example", APIKey: "k"}
		cfg.Profiles["direct"] = &cmdutil.Profile{Peer: "peer0:7051", TLSRootCert: "ca.pem", MSPID: "Org1MSP", Cert: "c.pem", Key: "k.pem"}
		cfg.Current = "brand"
		if err := cfg.Save(); err != nil {
			t.Fatal(err)
		}
		if r := uriWith(t, f, cx).OK(t); r.Stderr != "https://gw.brand.example/01/"+gtin+"\n" {
			t.Fatalf("current gateway profile: %q", r.Stderr)
		}
		t.Setenv("CXL_GATEWAY", "https://other.brand.example")
		if r := uriWith(t, f, cx).OK(t); r.Stderr != "https://other.brand.example/01/"+gtin+"\n" {
			t.Fatalf("CXL_GATEWAY replaces the profile's URL: %q", r.Stderr)
		}
		f.Selection.Profile = "direct"
		if r := uriWith(t, f, cx).OK(t); r.Stderr != "https://id.gs1.org/01/"+gtin+"\n" {
			t.Fatalf("a Fabric profile names no gateway: %q", r.Stderr)
		}
		f.Selection.Profile = "nope"
		uriWith(t, f, cx).Fails(t, cmdutil.ExitNotFound, `profile "nope" not found`)
	})
}

func TestQRRefusesBadInput(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"09506000134353"}, `GTIN "09506000134353" has check digit 3, want 2`},
		{[]string{"0950600013435X"}, "must hold only digits"},
		{[]string{"12345"}, "must have 8, 12, 13 or 14 digits"},
		{[]string{"00000000000000"}, "all zeros"},
		{[]string{gtin + "\xff"}, "not valid UTF-8"},
		{[]string{gtin, "--lot", "L\xff1"}, `--lot "L\xff1" is not valid UTF-8`},
		{[]string{gtin, "--serial", "S\xc3"}, "--serial"},
		{[]string{gtin, "--lot", "L 1"}, "outside the GS1 character set 82"},
		{[]string{gtin, "--lot", "Lé"}, "outside the GS1 character set 82"},
		{[]string{gtin, "--serial", "S1\nS2"}, "outside the GS1 character set 82"},
		{[]string{gtin, "--serial", "S#1"}, "outside the GS1 character set 82"},
		{[]string{gtin, "--lot", strings.Repeat("L", 21)}, "1 to 20 characters"},
		{[]string{gtin, "--base", "ftp://id.example.com"}, "want an http:// or https:// URL"},
		{[]string{gtin, "--base", "https://id.example.com/?x=1"}, "no query"},
		{[]string{gtin, "--base", "https://id.example.com/#top"}, "no query"},
		{[]string{gtin, "--base", "https://user:pw@id.example.com"}, "--base"},
		{[]string{gtin, "--base", "https://"}, "--base"},
		{[]string{gtin, "--base", "id.example.com"}, "--base"},
		{[]string{gtin, "--base", "https://id.example.com/a b"}, "--base"},
		{[]string{gtin, "--base", "https://id\xfe.example.com"}, "not valid UTF-8"},
		{[]string{gtin, "--size", "20"}, "give at least 37 pixels"},
		{[]string{gtin, "--size", "0"}, "--size 0"},
		{[]string{gtin, "--size", "5000"}, "--size 5000"},
		{[]string{gtin, "--size", "-512"}, "--size -512"},
		{[]string{gtin, "--size", "big"}, "--size"},
	}
	for _, tc := range cases {
		_, cx := qrCLI(t)
		dir := t.TempDir()
		args := append(tc.args, "--png", filepath.Join(dir, "c.png"), "--svg", filepath.Join(dir, "c.svg"))
		r := cx(args...)
		if r.Code != cmdutil.ExitUsage || !strings.Contains(r.Err.Error(), tc.want) || strings.Contains(r.Err.Error(), "\n") {
			t.Errorf("%q: exit %d, %v; want a one-line usage error with %q", tc.args, r.Code, r.Err, tc.want)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 || r.Stdout != "" {
			t.Errorf("%q: wrote %d files and %d bytes on stdout", tc.args, len(entries), len(r.Stdout))
		}
	}
	flags := []struct {
		args []string
		want string
	}{
		{[]string{gtin}, "give --png FILE, --svg FILE or both"},
		{[]string{gtin, "--png", "-", "--svg", "-"}, "name the same file"},
		{[]string{gtin, "--png", "x", "--svg", "x"}, "name the same file"},
		{[]string{gtin, "--svg", "-", "--json"}, "--json prints to standard output"},
		{[]string{"--png", "x"}, "missing GTIN"},
		{[]string{gtin, gtin, "--png", "x"}, "unexpected argument"},
	}
	for _, tc := range flags {
		_, cx := qrCLI(t)
		if r := cx(tc.args...); r.Code != cmdutil.ExitUsage || !strings.Contains(r.Err.Error(), tc.want) || r.Stdout != "" {
			t.Errorf("%q: exit %d, %v; want a usage error with %q", tc.args, r.Code, r.Err, tc.want)
		}
	}
}

func TestQROverwritesOnlyWithForce(t *testing.T) {
	_, cx := qrCLI(t)
	dir := t.TempDir()
	pngPath, svgPath := filepath.Join(dir, "c.png"), filepath.Join(dir, "c.svg")
	if err := os.WriteFile(pngPath, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := cx(gtin, "--svg", svgPath, "--png", pngPath)
	if r.Code != cmdutil.ExitUsage || !strings.Contains(r.Err.Error(), "--png "+pngPath+": the file exists; pass --force") {
		t.Fatalf("existing PNG: exit %d, %v", r.Code, r.Err)
	}
	if string(readFile(t, pngPath)) != "mine" {
		t.Fatal("the existing file was changed")
	}
	if _, err := os.Stat(svgPath); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the SVG was written although the PNG was refused: %v", err)
	}
	// A symbolic link is refused too, even a dangling one.
	link := filepath.Join(dir, "link.svg")
	if err := os.Symlink(filepath.Join(dir, "target.svg"), link); err != nil {
		t.Fatal(err)
	}
	cx(gtin, "--svg", link).Fails(t, cmdutil.ExitUsage, "the file exists")
	if _, err := os.Lstat(filepath.Join(dir, "target.svg")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("the link's target was written")
	}

	cx(gtin, "--svg", svgPath, "--png", pngPath, "--force").OK(t)
	fi, err := os.Stat(pngPath)
	if err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("overwritten PNG: %v, mode %v; want 0644", err, fi.Mode())
	}
	if got, err := decodeQR(pngModules(t, readFile(t, pngPath), qrDefaultSize)); err != nil || got != "https://id.gs1.org/01/"+gtin {
		t.Fatalf("the overwritten PNG decodes to %q, %v", got, err)
	}
	cx(gtin, "--svg", svgPath).Fails(t, cmdutil.ExitUsage, "--svg "+svgPath+": the file exists")

	// A file that cannot be written is an error, and the one written before it is removed.
	fresh := filepath.Join(dir, "fresh.png")
	r = cx(gtin, "--png", fresh, "--svg", filepath.Join(dir, "no", "such", "dir.svg"))
	if r.Code != cmdutil.ExitFailure || !strings.Contains(r.Err.Error(), "--svg ") {
		t.Fatalf("unwritable SVG: exit %d, %v", r.Code, r.Err)
	}
	if _, err := os.Stat(fresh); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the PNG written before the failure is left: %v", err)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func equalModules(a, b [][]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for y := range a {
		if len(a[y]) != len(b[y]) {
			return false
		}
		for x := range a[y] {
			if a[y][x] != b[y][x] {
				return false
			}
		}
	}
	return true
}

// pngModules decodes a PNG of size×size pixels and reads its QR code's modules the way a
// scanner would, knowing nothing of how it was drawn: the dark pixels' bounding box is the
// symbol, the top-left finder pattern's top edge is 7 modules wide, and every module is
// read at its centre. It checks the quiet zone is at least 4 modules on every side.
func pngModules(t *testing.T, data []byte, size int) [][]bool {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decode the PNG: %v", err)
	}
	if b := img.Bounds(); b != image.Rect(0, 0, size, size) {
		t.Fatalf("the PNG is %v, want %d×%d", b, size, size)
	}
	dark := func(x, y int) bool {
		r, g, b, _ := img.At(x, y).RGBA()
		return r+g+b < 3*0x8000
	}
	x0, y0, x1, y1 := size, size, -1, -1
	for y := range size {
		for x := range size {
			if dark(x, y) {
				x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
			}
		}
	}
	if x1 < 0 || x1-x0 != y1-y0 {
		t.Fatalf("the dark pixels span (%d,%d)-(%d,%d), not a square", x0, y0, x1, y1)
	}
	finder := 0
	for x := x0; x <= x1 && dark(x, y0); x++ {
		finder++
	}
	n := int(math.Round(float64(x1-x0+1) * 7 / float64(finder)))
	if n < 21 || (n-17)%4 != 0 {
		t.Fatalf("the symbol is %d modules wide, not a QR code's", n)
	}
	w := float64(x1-x0+1) / float64(n)
	if quiet := float64(min(x0, y0, size-1-x1, size-1-y1)) / w; quiet < 3.5 {
		t.Fatalf("quiet zone of %.1f modules, want 4", quiet)
	}
	m := make([][]bool, n)
	for r := range n {
		m[r] = make([]bool, n)
		for c := range n {
			m[r][c] = dark(x0+int((float64(c)+0.5)*w), y0+int((float64(r)+0.5)*w))
		}
	}
	return m
}

// svgDoc is the SVG the command writes.
type svgDoc struct {
	XMLName        xml.Name   `xml:"http://www.w3.org/2000/svg svg"`
	Width          string     `xml:"width,attr"`
	Height         string     `xml:"height,attr"`
	ViewBox        string     `xml:"viewBox,attr"`
	ShapeRendering string     `xml:"shape-rendering,attr"`
	Title          string     `xml:"title"`
	Rect           []struct{} `xml:"rect"`
	Paths          []struct {
		D    string `xml:"d,attr"`
		Fill string `xml:"fill,attr"`
	} `xml:"path"`
}

// square is one unit square of the SVG's path.
var square = regexp.MustCompile(`^M(\d+) (\d+)h1v1h-1z`)

// svgModules parses an SVG with encoding/xml, checks its form (viewBox in modules, crisp
// edges, one path, no reference to anything outside it) and returns its modules without
// the quiet zone of 4, which must be light.
func svgModules(t *testing.T, data []byte, size int) [][]bool {
	t.Helper()
	var doc svgDoc
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("parse the SVG: %v", err)
	}
	for _, ref := range []string{"href", "url(", "<image", "<use", "<script", "<style", "@import"} {
		if bytes.Contains(data, []byte(ref)) {
			t.Fatalf("the SVG holds %q", ref)
		}
	}
	var n int
	if _, err := fmt.Sscanf(doc.ViewBox, "0 0 %d %d", &n, &n); err != nil || doc.ViewBox != fmt.Sprintf("0 0 %d %d", n, n) {
		t.Fatalf("viewBox %q: %v", doc.ViewBox, err)
	}
	if doc.Width != strconv.Itoa(size) || doc.Height != strconv.Itoa(size) || doc.ShapeRendering != "crispEdges" ||
		len(doc.Paths) != 1 || len(doc.Rect) != 1 || !strings.HasPrefix(doc.Title, "http") {
		t.Fatalf("SVG %s", data)
	}
	full := make([][]bool, n)
	for i := range full {
		full[i] = make([]bool, n)
	}
	count := 0
	for d := doc.Paths[0].D; d != ""; count++ {
		sq := square.FindStringSubmatch(d)
		if sq == nil {
			t.Fatalf("path data %.40q... is not a unit square", d)
		}
		x, _ := strconv.Atoi(sq[1])
		y, _ := strconv.Atoi(sq[2])
		if x >= n || y >= n || full[y][x] {
			t.Fatalf("square (%d,%d) outside the %d modules or twice", x, y, n)
		}
		full[y][x] = true
		d = d[len(sq[0]):]
	}
	m := make([][]bool, n-8)
	dark := 0
	for y := range n {
		for x := range n {
			inside := x >= 4 && y >= 4 && x < n-4 && y < n-4
			switch {
			case inside:
				if x == 4 {
					m[y-4] = full[y][4 : n-4]
				}
				if full[y][x] {
					dark++
				}
			case full[y][x]:
				t.Fatalf("module (%d,%d) of the quiet zone is dark", x, y)
			}
		}
	}
	if dark != count {
		t.Fatalf("%d squares, %d dark modules", count, dark)
	}
	return m
}

// decodeQR reads a QR code from its modules (no quiet zone) as the standard (ISO/IEC
// 18004) defines it, independently of the encoder: format information (both copies and
// its BCH code), unmasking, the codewords in their zigzag order, de-interleaving, a
// Reed-Solomon syndrome check of every block, and the numeric, alphanumeric and byte
// segments. It reads error correction level M, versions 1 to 10.
func decodeQR(m [][]bool) (string, error) {
	n := len(m)
	v := (n - 17) / 4
	if n < 21 || (n-17)%4 != 0 || v > len(qrBlocksM)-1 {
		return "", fmt.Errorf("%d modules: not a QR code of version 1 to %d", n, len(qrBlocksM)-1)
	}
	bit := func(x, y int) int {
		if m[y][x] {
			return 1
		}
		return 0
	}
	var f1, f2 int
	for i := 0; i <= 5; i++ {
		f1 |= bit(8, i) << i
	}
	f1 |= bit(8, 7)<<6 | bit(8, 8)<<7 | bit(7, 8)<<8
	for i := 9; i < 15; i++ {
		f1 |= bit(14-i, 8) << i
	}
	for i := range 8 {
		f2 |= bit(n-1-i, 8) << i
	}
	for i := 8; i < 15; i++ {
		f2 |= bit(8, n-15+i) << i
	}
	if f1 != f2 || !m[n-8][8] {
		return "", fmt.Errorf("format information %015b and %015b differ, or no dark module", f1, f2)
	}
	format := (f1 ^ 0x5412) >> 10
	rem := format
	for range 10 {
		rem = rem<<1 ^ (rem>>9)*0x537
	}
	if (format<<10|rem)^0x5412 != f1 {
		return "", fmt.Errorf("format information %015b fails its BCH code", f1)
	}
	if level := format >> 3; level != 0 {
		return "", fmt.Errorf("error correction level bits %02b, want M (00)", level)
	}
	mask := format & 7

	// The function patterns: finders with separators and format areas, timing, alignment.
	fn := make([][]bool, n)
	for i := range fn {
		fn[i] = make([]bool, n)
	}
	mark := func(x0, y0, w, h int) {
		for y := y0; y < y0+h; y++ {
			for x := x0; x < x0+w; x++ {
				fn[y][x] = true
			}
		}
	}
	mark(0, 0, 9, 9)
	mark(n-8, 0, 8, 9)
	mark(0, n-8, 9, 8)
	mark(0, 6, n, 1)
	mark(6, 0, 1, n)
	if v > 1 {
		num := v/7 + 2
		step := (v*8 + num*3 + 5) / (num*4 - 4) * 2
		pos := make([]int, num)
		pos[0] = 6
		for i, p := num-1, n-7; i >= 1; i, p = i-1, p-step {
			pos[i] = p
		}
		for i, a := range pos {
			for j, b := range pos {
				if (i == 0 && j == 0) || (i == 0 && j == num-1) || (i == num-1 && j == 0) {
					continue
				}
				mark(a-2, b-2, 5, 5)
			}
		}
	}
	if v >= 7 {
		mark(0, n-11, 6, 3)
		mark(n-11, 0, 3, 6)
	}

	masks := []func(x, y int) bool{
		func(x, y int) bool { return (x+y)%2 == 0 },
		func(x, y int) bool { return y%2 == 0 },
		func(x, y int) bool { return x%3 == 0 },
		func(x, y int) bool { return (x+y)%3 == 0 },
		func(x, y int) bool { return (x/3+y/2)%2 == 0 },
		func(x, y int) bool { return x*y%2+x*y%3 == 0 },
		func(x, y int) bool { return (x*y%2+x*y%3)%2 == 0 },
		func(x, y int) bool { return ((x+y)%2+x*y%3)%2 == 0 },
	}
	var bits []bool
	for right := n - 1; right >= 1; right -= 2 {
		if right == 6 {
			right = 5
		}
		for vert := range n {
			for j := range 2 {
				x, y := right-j, vert
				if (right+1)&2 == 0 {
					y = n - 1 - vert
				}
				if !fn[y][x] {
					bits = append(bits, m[y][x] != masks[mask](x, y))
				}
			}
		}
	}
	raw := (16*v+128)*v + 64
	if v >= 2 {
		num := v/7 + 2
		raw -= (25*num-10)*num - 55
		if v >= 7 {
			raw -= 36
		}
	}
	if len(bits) != raw {
		return "", fmt.Errorf("%d data modules, version %d has %d", len(bits), v, raw)
	}
	codewords := make([]byte, raw/8)
	for i := range codewords {
		for _, b := range bits[8*i : 8*i+8] {
			codewords[i] <<= 1
			if b {
				codewords[i] |= 1
			}
		}
	}

	nb, ecc := qrBlocksM[v], qrECCM[v]
	short, shortLen := nb-len(codewords)%nb, len(codewords)/nb
	blocks := make([][]byte, nb)
	k := 0
	for i := 0; i <= shortLen-ecc; i++ {
		for b := range nb {
			if i < shortLen-ecc || b >= short {
				blocks[b] = append(blocks[b], codewords[k])
				k++
			}
		}
	}
	for range ecc {
		for b := range nb {
			blocks[b] = append(blocks[b], codewords[k])
			k++
		}
	}
	var data []byte
	for b, block := range blocks {
		alpha := byte(1)
		for i := range ecc {
			var s byte
			for _, c := range block {
				s = gfMul(s, alpha) ^ c
			}
			if s != 0 {
				return "", fmt.Errorf("block %d: Reed-Solomon syndrome %d is %d", b, i, s)
			}
			alpha = gfMul(alpha, 2)
		}
		data = append(data, block[:len(block)-ecc]...)
	}

	r := bitReader{data: data}
	countBits := func(small, medium, large int) int {
		switch {
		case v <= 9:
			return small
		case v <= 26:
			return medium
		}
		return large
	}
	const alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
	var out strings.Builder
	for r.left() >= 4 {
		switch mode := r.read(4); mode {
		case 0:
			return out.String(), r.err
		case 1:
			count := r.read(countBits(10, 12, 14))
			for ; count >= 3; count -= 3 {
				fmt.Fprintf(&out, "%03d", r.read(10))
			}
			switch count {
			case 2:
				fmt.Fprintf(&out, "%02d", r.read(7))
			case 1:
				fmt.Fprintf(&out, "%d", r.read(4))
			}
		case 2:
			count := r.read(countBits(9, 11, 13))
			for ; count >= 2; count -= 2 {
				pair := r.read(11)
				if pair >= 45*45 {
					return "", fmt.Errorf("alphanumeric pair %d", pair)
				}
				out.WriteByte(alnum[pair/45])
				out.WriteByte(alnum[pair%45])
			}
			if count == 1 {
				c := r.read(6)
				if c >= 45 {
					return "", fmt.Errorf("alphanumeric character %d", c)
				}
				out.WriteByte(alnum[c])
			}
		case 4:
			for count := r.read(countBits(8, 16, 16)); count > 0; count-- {
				out.WriteByte(byte(r.read(8)))
			}
		default:
			return "", fmt.Errorf("segment mode %04b", mode)
		}
		if r.err != nil {
			return "", r.err
		}
	}
	return out.String(), r.err
}

// qrBlocksM and qrECCM are the error correction blocks of level M and the error correction
// codewords of each, by version (ISO/IEC 18004 table 9), for versions 1 to 10.
var (
	qrBlocksM = []int{0, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5}
	qrECCM    = []int{0, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26}
)

// gfMul multiplies in GF(256) modulo x^8+x^4+x^3+x^2+1, the field of QR codes.
func gfMul(a, b byte) byte {
	var p byte
	for ; b > 0; b >>= 1 {
		if b&1 != 0 {
			p ^= a
		}
		carry := a & 0x80
		a <<= 1
		if carry != 0 {
			a ^= 0x1d
		}
	}
	return p
}

// bitReader reads big-endian bit fields from data.
type bitReader struct {
	data []byte
	pos  int
	err  error
}

func (r *bitReader) left() int { return 8*len(r.data) - r.pos }

func (r *bitReader) read(n int) int {
	if n > r.left() {
		r.err = fmt.Errorf("a %d-bit field at bit %d runs past the %d data bits", n, r.pos, 8*len(r.data))
		r.pos = 8 * len(r.data)
		return 0
	}
	v := 0
	for range n {
		v = v<<1 | int(r.data[r.pos/8]>>(7-r.pos%8)&1)
		r.pos++
	}
	return v
}
