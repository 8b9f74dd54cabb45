package httpapi

import (
	"context"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/cxledger/cxledger/chaincode/provenance"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gs1"
	"github.com/cxledger/cxledger/ledgerapi"
)

// The GS1 Digital Link resolver: what a customer's phone opens when it scans the QR code
// of a product, a lot or an item (https://<service>/01/{gtin}[/10/{lot}][/21/{serial}]).
// The same URI answers a browser with a page, a linkset reader with the links of the
// identified thing (RFC 9264), and an API client with the ledger's JSON.

// resolverRoutes are the Digital Link paths the service resolves: a GTIN, qualified by a
// lot, a serial or both, in the order the standard requires.
func resolverRoutes() []Route {
	linkType := Param{Name: "linkType", In: "query", Type: "string",
		Description: "all: the linkset; a GS1 link type (gs1:pip, gs1:verificationService, ...): that link, redirected to when it is elsewhere"}
	gtin := Param{Name: "gtin", In: "path", Type: "string", Required: true, Description: "GTIN-8, -12, -13 or -14"}
	lot := Param{Name: "lot", In: "path", Type: "string", Required: true, Description: "batch/lot number (AI 10), percent-encoded"}
	serial := Param{Name: "serial", In: "path", Type: "string", Required: true, Description: "serial number (AI 21), percent-encoded"}
	const how = ". Accept: text/html gets the page, application/linkset+json (or ?linkType=all) the linkset, application/json the ledger's JSON. Needs no credentials; rate limited per client address"
	routes := []Route{
		{Path: "/01/{gtin}", OperationID: "gs1.Product", Summary: "GS1 Digital Link of a product: the registered product" + how,
			Params: []Param{gtin, linkType}},
		{Path: "/01/{gtin}/10/{lot}", OperationID: "gs1.Lot", Summary: "GS1 Digital Link of a lot: the registered lot and its recall" + how,
			Params: []Param{gtin, lot, linkType}},
		{Path: "/01/{gtin}/21/{serial}", OperationID: "gs1.Item", Summary: "GS1 Digital Link of an item: whether it is genuine, its origin, custody, certificates and recalls (the verification)" + how,
			Params: []Param{gtin, serial, linkType}},
		{Path: "/01/{gtin}/10/{lot}/21/{serial}", OperationID: "gs1.LotItem", Summary: "GS1 Digital Link of an item with its lot: the verification, and whether the lot is the item's" + how,
			Params: []Param{gtin, lot, serial, linkType}},
	}
	for i := range routes {
		routes[i].Method, routes[i].Tag, routes[i].Access, routes[i].ContentType = http.MethodGet, "gs1", AccessPublic, "text/html"
		routes[i].handle, routes[i].fail = (*Server).resolve, (*Server).resolveError
	}
	return routes
}

// The media types the resolver answers in.
type media int

const (
	mediaHTML media = iota
	mediaLinkset
	mediaJSON
)

// contentTypes are the media types by the resolver's preference when the client's are
// equal: the page first, as a GS1 resolver's default link.
var contentTypes = []struct {
	m    media
	name string
}{{mediaHTML, "text/html"}, {mediaLinkset, "application/linkset+json"}, {mediaJSON, "application/json"}}

// negotiate picks the media type the Accept header prefers (by quality, then by the most
// specific range naming it); the page when there is no header or nothing it accepts.
func negotiate(accept string) media {
	if strings.TrimSpace(accept) == "" {
		return mediaHTML
	}
	best, bestQ := mediaHTML, 0.0
	for _, ct := range contentTypes {
		q, spec := 0.0, -1
		for _, rng := range strings.Split(accept, ",") {
			mt, ps, err := mime.ParseMediaType(strings.TrimSpace(rng))
			if err != nil {
				continue
			}
			s := -1
			switch {
			case mt == ct.name:
				s = 2
			case strings.HasSuffix(mt, "/*") && strings.HasPrefix(ct.name, strings.TrimSuffix(mt, "*")):
				s = 1
			case mt == "*/*":
				s = 0
			}
			if s <= spec {
				continue
			}
			spec, q = s, 1
			if v, ok := ps["q"]; ok {
				if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 && f <= 1 {
					q = f
				}
			}
		}
		if q > bestQ {
			best, bestQ = ct.m, q
		}
	}
	return best
}

// resolution is what the ledger says about a scanned identifier.
type resolution struct {
	id gs1.Identifier
	// product is the registered product; always set once resolved.
	product *provenance.Product
	// lot is the registered lot of a lot's URI (nil if the lot is not registered).
	lot *provenance.ProductLot
	// verification is the verification of an item's URI.
	verification *provenance.Verification
}

// lotNumber is the lot the resolution is about: the URI's, or the verified item's.
func (res *resolution) lotNumber() string {
	if v := res.verification; v != nil && v.Lot != nil {
		return v.Lot.Lot
	}
	return res.id.Lot
}

// lotMismatch reports whether the URI names a lot that is not the verified item's.
func (res *resolution) lotMismatch() bool {
	v := res.verification
	return v != nil && v.Genuine && res.id.Lot != "" && v.Lot != nil && v.Lot.Lot != res.id.Lot
}

// resolve answers a Digital Link URI: it reads the identifier with gs1.Parse, asks the
// ledger (provenance Verify for an item, through the verification cache; GetProduct and
// GetLot otherwise), and answers in the negotiated media type or as ?linkType says.
func (s *Server) resolve(w http.ResponseWriter, r *http.Request) {
	w.Header().Add("Vary", "Accept")
	uri := r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		uri += "?" + r.URL.RawQuery
	}
	id, err := gs1.Parse(uri)
	if err != nil {
		s.resolveError(w, r, err)
		return
	}
	res, err := s.lookup(r, id)
	if err != nil {
		s.resolveError(w, r, err)
		return
	}
	anchor := requestBase(r) + gs1.Identifier{GTIN: id.GTIN, Lot: id.Lot, Serial: id.Serial}.Path()
	links := linksOf(res, anchor)
	w.Header().Set("Link", "<"+anchor+"?linkType=all>; rel=\"linkset\"; type=\"application/linkset+json\"")
	m := negotiate(r.Header.Get("Accept"))
	switch lt := r.URL.Query().Get("linkType"); {
	case lt == "all" || lt == "linkset":
		m = mediaLinkset
	case lt != "":
		if l, ok := links.find(lt); ok {
			if !strings.HasPrefix(l.href, anchor) {
				w.Header().Set("Cache-Control", "no-store")
				http.Redirect(w, r, l.href, http.StatusTemporaryRedirect)
				return
			}
			m = mediaHTML
			if l.typ == "application/json" {
				m = mediaJSON
			}
		}
	}
	switch m {
	case mediaLinkset:
		w.Header().Set("Content-Type", "application/linkset+json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		_ = json.NewEncoder(w).Encode(links.linkset(anchor))
	case mediaJSON:
		switch {
		case res.verification != nil:
			writeJSON(w, http.StatusOK, res.verification)
		case res.lot != nil:
			writeJSON(w, http.StatusOK, res.lot)
		case id.Kind() == gs1.Lot:
			s.writeError(w, r, cxlerr.Errorf(cxlerr.NotFound, "lot %s of GTIN %s is not registered", id.Lot, id.GTIN))
		default:
			writeJSON(w, http.StatusOK, res.product)
		}
	default:
		writePage(w, http.StatusOK, pageOf(res, anchor))
	}
}

// lookup asks the ledger about id, as the service's public identity.
func (s *Server) lookup(r *http.Request, id gs1.Identifier) (*resolution, error) {
	t, err := s.transportFor(r, nil)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.RequestTimeout)
	defer cancel()
	res := &resolution{id: id}
	if id.Serial != "" {
		v, err := ledgerapi.ProvenanceVerify.Query(ctx, t, ledgerapi.VerifyRequest{GTIN: id.GTIN, Serial: id.Serial})
		if err != nil {
			return nil, err
		}
		res.verification = v
		if v.Genuine && v.Product != nil {
			res.product = v.Product
			return res, nil
		}
	}
	res.product, err = ledgerapi.ProvenanceGetProduct.Query(ctx, t, provenance.GetProductArgs{GTIN: id.GTIN})
	if err != nil {
		return nil, err
	}
	if id.Serial == "" && id.Lot != "" {
		res.lot, err = ledgerapi.ProvenanceGetLot.Query(ctx, t, provenance.GetLotArgs{GTIN: id.GTIN, Lot: id.Lot})
		if cxlerr.CodeOf(err) == cxlerr.NotFound {
			res.lot, err = nil, nil
		}
		if err != nil {
			return nil, err
		}
	}
	return res, nil
}

// resolveError answers an error of a resolver route in the media type the client asked
// for: the error envelope for JSON and linkset readers, a small page for browsers.
func (s *Server) resolveError(w http.ResponseWriter, r *http.Request, err error) {
	if !slices.Contains(w.Header().Values("Vary"), "Accept") {
		w.Header().Add("Vary", "Accept")
	}
	if negotiate(r.Header.Get("Accept")) != mediaHTML || r.URL.Query().Get("linkType") == "all" {
		s.writeError(w, r, err)
		return
	}
	e, ok := cxlerr.As(err)
	if !ok || e.Code == cxlerr.Internal {
		// The envelope's rules: logged in full, answered without the text.
		rec := &discardWriter{header: http.Header{}}
		s.writeError(rec, r, err)
		e = cxlerr.Errorf(cxlerr.Internal, "internal error (request %s)", infoOf(r.Context()).id)
	}
	e = shorten(e)
	if e.Code == cxlerr.Unavailable || e.Code == cxlerr.Timeout {
		w.Header().Set("Retry-After", "1")
	}
	writePage(w, Status(e.Code), errorPage(e))
}

// discardWriter is a ResponseWriter that keeps nothing: it lets resolveError log an
// internal error the way writeError does without answering with the envelope.
type discardWriter struct{ header http.Header }

func (d *discardWriter) Header() http.Header         { return d.header }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

// requestBase is the scheme and host the request reached the service at.
func requestBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// gs1Voc is the namespace of GS1's link types.
const gs1Voc = "https://gs1.org/voc/"

// link is one typed link of the identified thing.
type link struct {
	rel, href, title, typ string
}

type links []link

// find is the link of a link type, by its compact (gs1:pip) or full name.
func (ls links) find(linkType string) (link, bool) {
	full := linkType
	if rest, ok := strings.CutPrefix(linkType, "gs1:"); ok {
		full = gs1Voc + rest
	}
	for _, l := range ls {
		if l.rel == full {
			return l, true
		}
	}
	return link{}, false
}

// linkTarget is a target in a linkset (RFC 9264 section 4.2).
type linkTarget struct {
	Href  string `json:"href"`
	Title string `json:"title"`
	Type  string `json:"type"`
}

// linkset is the RFC 9264 JSON document of the links of anchor.
func (ls links) linkset(anchor string) map[string]any {
	ctx := map[string]any{"anchor": anchor}
	for _, l := range ls {
		ts, _ := ctx[l.rel].([]linkTarget)
		ctx[l.rel] = append(ts, linkTarget{Href: l.href, Title: l.title, Type: l.typ})
	}
	return map[string]any{"linkset": []any{ctx}}
}

// linksOf are the links of a resolved identifier: the page (the default link), the
// verification service, certificates, recall status, traceability (custody history) and
// the nearest the ledger has to an EPCIS repository (the lot's trace of transformations, or
// the versions of the record). Targets on the resolver's own URI are served by it; others
// are this service's API, those under /v1 beside verify needing an API key.
func linksOf(res *resolution, anchor string) links {
	id := res.id
	base := strings.TrimSuffix(anchor, id.Path())
	g := url.PathEscape(id.GTIN)
	self := func(linkType string) string { return anchor + "?linkType=gs1:" + linkType }
	page := link{href: anchor, title: "Product information: is it genuine, its origin, custody, certificates, recalls", typ: "text/html"}
	ls := links{}
	add := func(rel string, l link) {
		l.rel = gs1Voc + rel
		ls = append(ls, l)
	}
	add("defaultLink", page)
	add("pip", page)
	history := func(kind string, extra url.Values) string {
		q := url.Values{"kind": {kind}, "gtin": {id.GTIN}}
		for k, v := range extra {
			q[k] = v
		}
		return base + "/v1/provenance/history?" + q.Encode()
	}
	lot := res.lotNumber()
	switch {
	case id.Serial != "":
		verify := base + "/v1/provenance/verify/" + g + "/" + url.PathEscape(id.Serial)
		add("verificationService", link{href: verify, title: "Verification of this item (JSON)", typ: "application/json"})
		add("certificationInfo", link{href: verify, title: "Certificates in force for this item, its lot and product (JSON: certificates)", typ: "application/json"})
		add("recallStatus", link{href: verify, title: "Recalls of this item's lot and the lots it was made from (JSON: recalled, recalls)", typ: "application/json"})
		add("traceability", link{href: history(provenance.KindItemCustody, url.Values{"serial": {id.Serial}}), title: "Custody history of this item (API key needed)", typ: "application/json"})
	case id.Lot != "":
		add("verificationService", link{href: self("verificationService"), title: "This lot as registered (JSON)", typ: "application/json"})
		add("certificationInfo", link{href: page.href, title: "Certificates are listed per item: scan an item's code", typ: "text/html"})
		add("recallStatus", link{href: self("recallStatus"), title: "This lot as registered, with its recall if any (JSON: recall)", typ: "application/json"})
		add("traceability", link{href: history(provenance.KindLotCustody, url.Values{"lot": {id.Lot}}), title: "Custody history of this lot (API key needed)", typ: "application/json"})
	default:
		add("verificationService", link{href: self("verificationService"), title: "This product as registered (JSON)", typ: "application/json"})
		add("certificationInfo", link{href: page.href, title: "Certificates are listed per item: scan an item's code", typ: "text/html"})
		add("recallStatus", link{href: page.href, title: "Recalls are per lot: scan a lot's or an item's code", typ: "text/html"})
		add("traceability", link{href: history(provenance.KindProduct, nil), title: "History of this product's record (API key needed)", typ: "application/json"})
	}
	if lot != "" {
		add("epcis", link{href: base + "/v1/provenance/lots/" + g + "/" + url.PathEscape(lot) + "/trace",
			title: "Trace of the lot: the lots it was made from and made into, and their items' holders (API key needed)", typ: "application/json"})
	} else {
		add("epcis", link{href: history(provenance.KindProduct, nil), title: "Versions of this product's record, each a ledger transaction (API key needed)", typ: "application/json"})
	}
	return ls
}
