package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/cxlerr"
)

// pageCSS is the page's only style, inline: the page loads nothing from anywhere, and its
// Content-Security-Policy allows exactly this style by its hash.
const pageCSS = `*{box-sizing:border-box}
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#f4f5f7}
main{max-width:40rem;margin:0 auto;padding:0 0 2rem}
.verdict{padding:1.25rem 1rem 1.1rem;color:#fff}
.verdict h1{margin:0;font-size:1.9rem;line-height:1.15;letter-spacing:.01em}
.verdict p{margin:.4rem 0 0;font-size:1.05rem}
.ok{background:#146c2e}.bad{background:#b3261e}.recall{background:#b3261e;border-bottom:.5rem solid #ffb300}.info{background:#1f4e8c}
.mark{display:inline-block;width:1.3em;text-align:center;margin-right:.25em;font-weight:700}
.recalls{background:#fff4d6;border-left:.4rem solid #ffb300;margin:0;padding:.8rem 1rem}
.recalls h2{font-size:1rem;margin:0 0 .3rem;color:#7a4f00;text-transform:uppercase;letter-spacing:.04em}
.recalls p{margin:.25rem 0}
section{background:#fff;margin:.75rem .5rem 0;padding:.9rem 1rem;border-radius:.6rem;box-shadow:0 1px 2px rgba(0,0,0,.08)}
section h2{font-size:.8rem;margin:0 0 .5rem;color:#555;text-transform:uppercase;letter-spacing:.06em}
.name{font-size:1.25rem;font-weight:600;margin:0 0 .3rem}
dl{margin:0;display:grid;grid-template-columns:max-content 1fr;gap:.25rem .9rem}
dt{color:#555}dd{margin:0;overflow-wrap:anywhere}
ol.timeline{list-style:none;margin:0;padding:0 0 0 .9rem;border-left:2px solid #c9ced6}
ol.timeline li{position:relative;margin:0 0 .7rem .3rem}
ol.timeline li:before{content:"";position:absolute;left:-1.4rem;top:.4rem;width:.7rem;height:.7rem;border-radius:50%;background:#1f4e8c}
ol.timeline li:last-child:before{background:#146c2e}
.when{color:#555;font-size:.9rem}
ul.certs{list-style:none;margin:0;padding:0}
ul.certs li{padding:.5rem 0;border-top:1px solid #eceef1}ul.certs li:first-child{border-top:0}
.badge{display:inline-block;font-size:.8rem;font-weight:600;padding:.05rem .45rem;border-radius:.3rem;background:#dcefe1;color:#146c2e}
.muted{color:#555;font-size:.9rem}
footer{margin:1rem .5rem 0;padding:0 .5rem;color:#666;font-size:.8rem;overflow-wrap:anywhere}
code{font-size:.85em}`

// pageCSP is the page's Content-Security-Policy: nothing but the inline style above.
var pageCSP = func() string {
	sum := sha256.Sum256([]byte(pageCSS))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}()

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{.Title}}</title>
<style>` + pageCSS + `</style></head>
<body><main>
<header class="verdict {{.Class}}"><h1 id="verdict"><span class="mark" aria-hidden="true">{{.Mark}}</span>{{.Heading}}</h1>{{with .Text}}<p>{{.}}</p>{{end}}</header>
{{with .Recalls}}<div class="recalls" role="alert"><h2>Recall</h2>{{range .}}<p><strong>Lot {{.Lot}}</strong> recalled on {{.At}}: {{.Reason}}</p>{{end}}<p>Do not use this product. Follow the brand's instructions or return it to where you bought it.</p></div>{{end}}
{{with .Product}}<section><h2>{{.Heading}}</h2><p class="name">{{.Name}}</p><dl><dt>Brand</dt><dd>{{.Brand}}</dd><dt>GTIN</dt><dd>{{.GTIN}}</dd>{{range .Attributes}}<dt>{{.Name}}</dt><dd>{{.Value}}</dd>{{end}}</dl></section>{{end}}
{{with .Origin}}<section><h2>Origin</h2><dl>{{with .Serial}}<dt>Serial</dt><dd>{{.}}</dd>{{end}}{{with .Lot}}<dt>Lot</dt><dd>{{.}}</dd>{{end}}{{with .Quantity}}<dt>Lot size</dt><dd>{{.}}</dd>{{end}}{{with .Registered}}<dt>Registered</dt><dd>{{.}}</dd>{{end}}{{range .Attributes}}<dt>{{.Name}}</dt><dd>{{.Value}}</dd>{{end}}{{with .Inputs}}<dt>Made from</dt><dd>{{range $i, $l := .}}{{if $i}}, {{end}}lot {{$l}}{{end}}</dd>{{end}}</dl></section>{{end}}
{{with .Custody}}<section><h2>Custody</h2><ol class="timeline">{{range .}}<li><strong>{{.Holder}}</strong>{{with .Location}} · {{.}}{{end}}<br><span class="when">since {{.Since}}</span></li>{{end}}</ol></section>{{end}}
{{if .ShowCerts}}<section id="certificates"><h2>Certificates</h2>{{with .Certificates}}<ul class="certs">{{range .}}<li><strong>{{.Type}}</strong> <span class="badge">valid</span><br><span class="muted">by {{.Issuer}}, {{.From}} to {{.Until}}</span><br><span class="muted">document SHA-256 <code>{{.Hash}}</code></span></li>{{end}}</ul>{{else}}<p class="muted">No certificate in force.</p>{{end}}</section>{{end}}
<footer>{{with .Checked}}<p>Checked {{.}} against the cxledger ledger.</p>{{end}}{{with .Link}}<p>{{.}}</p>{{end}}</footer>
</main></body></html>
`))

// pageView is what the page shows.
type pageView struct {
	Title, Class, Mark, Heading, Text string
	Recalls                           []recallView
	Product                           *productView
	Origin                            *originView
	Custody                           []stepView
	ShowCerts                         bool
	Certificates                      []certView
	Checked, Link                     string
}

type nameValue struct{ Name, Value string }

type recallView struct{ Lot, Reason, At string }

type productView struct {
	Heading, Name, Brand, GTIN string
	Attributes                 []nameValue
}

type originView struct {
	Serial, Lot, Quantity, Registered string
	Attributes                        []nameValue
	Inputs                            []string
}

type stepView struct{ Holder, Location, Since string }

type certView struct{ Type, Issuer, From, Until, Hash string }

// The verdicts' looks.
const (
	classOK     = "ok"
	classBad    = "bad"
	classRecall = "recall"
	classInfo   = "info"
)

// pageOf is the page of a resolution: the verdict first, then the product, its origin,
// custody and certificates.
func pageOf(res *resolution, link string) pageView {
	p := pageView{Link: link}
	if res.product != nil {
		p.Product = &productView{Heading: "Product", Name: res.product.Name, Brand: res.product.Owner, GTIN: res.product.GTIN, Attributes: sortedAttributes(res.product.Attributes)}
	}
	name := "this product"
	if res.product != nil && res.product.Name != "" {
		name = res.product.Name
	}
	v := res.verification
	switch {
	case v != nil && !v.Genuine:
		p.Class, p.Mark, p.Heading = classBad, "✗", "NOT genuine"
		p.Text = "Serial number " + res.id.Serial + " was never registered by the brand of " + name + ". This item is not genuine: do not use it, and tell the seller or the brand."
	case res.lotMismatch():
		p.Class, p.Mark, p.Heading = classBad, "✗", "NOT genuine"
		p.Text = "The code names lot " + res.id.Lot + ", but serial number " + res.id.Serial + " belongs to lot " + v.Lot.Lot + ". The label does not match the item: do not use it, and tell the seller or the brand."
	case v != nil && v.Recalled:
		p.Class, p.Mark, p.Heading = classRecall, "!", "RECALLED"
		p.Text = "A genuine " + name + ", but its lot is recalled. Do not use it."
	case v != nil:
		p.Class, p.Mark, p.Heading = classOK, "✓", "Genuine"
		p.Text = "This " + name + " was registered by its brand, " + res.product.Owner + "."
	case res.id.Lot != "" && res.lot == nil:
		p.Class, p.Mark, p.Heading = classBad, "✗", "NOT genuine"
		p.Text = "Lot " + res.id.Lot + " was never registered by the brand of " + name + ". Do not use this product, and tell the seller or the brand."
	case res.lot != nil && res.lot.Recall != nil:
		p.Class, p.Mark, p.Heading = classRecall, "!", "RECALLED"
		p.Text = "Lot " + res.lot.Lot + " of " + name + " is recalled. Do not use it."
	case res.lot != nil:
		p.Class, p.Mark, p.Heading = classOK, "✓", "Registered lot"
		p.Text = "Lot " + res.lot.Lot + " of " + name + " was registered by its brand, " + res.lot.Owner + ". Scan an item's own code to check that item."
	default:
		p.Class, p.Mark, p.Heading = classInfo, "i", "Registered product"
		p.Text = name + " is registered by its brand, " + res.product.Owner + ". Scan an item's own code to check that item."
	}
	p.Title = p.Heading + " · " + name
	if p.Class == classBad && p.Product != nil {
		p.Product.Heading = "The product this code claims to be"
	}
	switch {
	case v != nil && v.Genuine:
		for _, r := range v.Recalls {
			p.Recalls = append(p.Recalls, recallView{Lot: r.Lot, Reason: r.Reason, At: day(r.At)})
		}
		p.Origin = originOf(v.Lot)
		if p.Origin == nil {
			p.Origin = &originView{}
		}
		p.Origin.Serial = v.Serial
		steps := v.ItemCustody
		if len(steps) == 0 {
			steps = v.LotCustody
		}
		for _, st := range slices.Backward(steps) {
			p.Custody = append(p.Custody, stepView{Holder: st.Holder, Location: st.Location, Since: minute(st.Since)})
		}
		p.ShowCerts = true
		for _, c := range v.Certificates {
			p.Certificates = append(p.Certificates, certView{Type: c.Type, Issuer: c.Issuer, From: day(c.ValidFrom), Until: day(c.ValidUntil), Hash: shortHash(c.Hash)})
		}
		p.Checked = minute(v.CheckedAt)
	case res.lot != nil:
		if r := res.lot.Recall; r != nil {
			p.Recalls = []recallView{{Lot: res.lot.Lot, Reason: r.Reason, At: day(r.At)}}
		}
		p.Origin = originOf(res.lot)
	}
	if v != nil && !v.Genuine {
		p.Checked = minute(v.CheckedAt)
	}
	return p
}

// originOf is the origin section of a lot.
func originOf(l *provenance.ProductLot) *originView {
	if l == nil {
		return nil
	}
	o := &originView{Lot: l.Lot, Registered: day(l.Registered), Attributes: sortedAttributes(l.Attributes)}
	if l.Quantity > 0 {
		o.Quantity = formatQuantity(l.Quantity, l.Unit)
	}
	for _, in := range l.Inputs {
		o.Inputs = append(o.Inputs, in.Lot)
	}
	return o
}

// errorPage is the page of a request the resolver cannot answer.
func errorPage(e *cxlerr.Error) pageView {
	p := pageView{Class: classBad, Mark: "✗", Heading: "Cannot check this code", Text: e.Message}
	switch e.Code {
	case cxlerr.NotFound:
		p.Heading = "Unknown product"
		p.Text = "No brand registered this product on the ledger, so it cannot be shown to be genuine. (" + e.Message + ")"
	case cxlerr.RateLimited:
		p.Class, p.Mark, p.Heading = classInfo, "i", "Too many checks"
		p.Text = "Too many checks from your network. Wait a few seconds and scan again."
	case cxlerr.Unavailable, cxlerr.Timeout, cxlerr.Internal:
		p.Class, p.Mark, p.Heading = classInfo, "i", "Cannot check right now"
		p.Text = "The ledger did not answer. Scan again in a moment. (" + e.Message + ")"
	}
	p.Title = p.Heading
	return p
}

// writePage renders a page with the headers that keep it self-contained.
func writePage(w http.ResponseWriter, status int, p pageView) {
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, p); err != nil {
		// The template and its view are ours: this is a bug, found by the tests.
		panic("render page: " + err.Error())
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func sortedAttributes(m map[string]string) []nameValue {
	var out []nameValue
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, nameValue{Name: k, Value: m[k]})
	}
	return out
}

func formatQuantity(q int64, unit string) string {
	if unit == "" {
		unit = "pieces"
	}
	return strconv.FormatInt(q, 10) + " " + unit
}

// day and minute are times as the page shows them, in UTC.
func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2 Jan 2006")
}

func minute(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2 Jan 2006, 15:04 UTC")
}

// shortHash is the start and end of a hex digest.
func shortHash(h string) string {
	if len(h) <= 16 {
		return h
	}
	return h[:8] + "…" + h[len(h)-8:]
}
