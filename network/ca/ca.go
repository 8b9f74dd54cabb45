// Package ca is a small client of the Fabric CA REST API (fabric-ca-server 1.5): register,
// enrol, revoke and remove identities, and read the CA's chain. It is pure Go with no
// dependency on Fabric CA: requests are authenticated as Fabric CA defines it (HTTP basic
// authentication with the enrolment secret for /enroll, a token signed by an enrolled
// identity for everything a registrar does), certificate signing requests are made locally
// so a private key never leaves its caller, and every error the CA answers is mapped to the
// cxlerr vocabulary without ever carrying a secret.
package ca

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cxledger/cxledger/cxlerr"
)

// DefaultTimeout bounds one request to the CA unless WithTimeout says otherwise.
const DefaultTimeout = 30 * time.Second

// maxResponse bounds the body the client reads from the CA.
const maxResponse = 4 << 20

// Client talks to one Fabric CA over TLS. It is safe for concurrent use.
type Client struct {
	base      *url.URL
	http      *http.Client
	registrar *Identity
}

// Option configures a Client.
type Option func(*Client) error

// WithTimeout bounds each request to the CA (DefaultTimeout otherwise).
func WithTimeout(d time.Duration) Option {
	return func(c *Client) error {
		if d <= 0 {
			return fmt.Errorf("timeout %s is not positive", d)
		}
		c.http.Timeout = d
		return nil
	}
}

// WithRegistrar lets Enroll explain a refusal. Fabric CA answers an unknown identity, a wrong
// secret and a secret whose enrolments are used up with the same "Authentication failure";
// with a registrar, Enroll asks the CA whether the identity already holds all the
// certificates it may have and answers CONFLICT "already enrolled" if so.
func WithRegistrar(registrar Identity) Option {
	return func(c *Client) error {
		if _, err := registrar.certificate(); err != nil {
			return fmt.Errorf("registrar: %w", err)
		}
		c.registrar = &registrar
		return nil
	}
}

// New returns a client of the CA at rawURL (https://host:port), trusting only the CA roots
// in tlsRootPEM for its TLS certificate.
func New(rawURL string, tlsRootPEM []byte, opts ...Option) (*Client, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("CA URL: %w", err)
	}
	if u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" ||
		strings.Trim(u.Path, "/") != "" {
		return nil, fmt.Errorf("CA URL %q: want https://host:port", rawURL)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(tlsRootPEM) {
		return nil, errors.New("the CA's TLS root holds no PEM certificate")
	}
	transport := &http.Transport{
		Proxy:               nil,
		TLSClientConfig:     &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout: 10 * time.Second,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     30 * time.Second,
	}
	c := &Client{
		base: &url.URL{Scheme: "https", Host: u.Host, Path: "/api/v1/"},
		http: &http.Client{Transport: transport, Timeout: DefaultTimeout},
	}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Close releases the client's idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// Attribute is a Fabric CA attribute of an identity. With ECert, enrolment puts it in the
// certificate (extension 1.2.3.4.5.6.7.8.1), where the chaincode reads it.
type Attribute struct {
	// Name is the attribute's name, such as "cxl.roles" or "hf.Registrar.Roles".
	Name string `json:"name"`
	// Value is the attribute's value.
	Value string `json:"value"`
	// ECert puts the attribute in enrolment certificates by default.
	ECert bool `json:"ecert,omitempty"`
}

// Registration is an identity a registrar registers.
type Registration struct {
	// ID is the enrolment ID, which becomes the certificate's common name.
	ID string `json:"id"`
	// Secret is the enrolment secret; empty lets the CA choose one.
	Secret string `json:"secret,omitempty"`
	// Type is the identity type ("client", "admin", "peer", "orderer"), which becomes the
	// certificate's NodeOU.
	Type string `json:"type"`
	// Affiliation is the identity's affiliation; empty is the root.
	Affiliation string `json:"affiliation"`
	// MaxEnrollments is how many times the secret may be used: 1 for a one-time secret, 0
	// for the CA's default, -1 for no limit.
	MaxEnrollments int `json:"max_enrollments,omitempty"`
	// Attrs are the identity's attributes.
	Attrs []Attribute `json:"attrs,omitempty"`
}

// EnrollOptions adjust an enrolment.
type EnrollOptions struct {
	// Hosts are the certificate's subject alternative names (DNS names or IP addresses),
	// for a TLS certificate.
	Hosts []string
	// Profile is the CA's signing profile ("tls" for a TLS certificate); empty is the
	// default.
	Profile string
}

// Revocation names what to revoke: every certificate of an identity (ID), or one
// certificate (Serial, hex, and AKI, hex).
type Revocation struct {
	// ID revokes the identity and all its certificates.
	ID string `json:"id,omitempty"`
	// Serial is the hex serial number of one certificate to revoke.
	Serial string `json:"serial,omitempty"`
	// AKI is the hex authority key identifier of that certificate.
	AKI string `json:"aki,omitempty"`
	// Reason is an RFC 5280 reason name such as "keycompromise"; empty is unspecified.
	Reason string `json:"reason,omitempty"`
}

// RevokedCert is a certificate a revocation revoked.
type RevokedCert struct {
	// Serial is its hex serial number.
	Serial string
	// AKI is its hex authority key identifier.
	AKI string
}

// Info is what the CA says of itself.
type Info struct {
	// Name is the CA's name.
	Name string
	// Chain is the CA's certificate chain, PEM encoded, root last.
	Chain []byte
	// Version is the CA server's version.
	Version string
}

// Register registers an identity with registrar's authority and returns its enrolment
// secret (reg.Secret when given). The secret appears in no error.
func (c *Client) Register(ctx context.Context, registrar Identity, reg Registration) (string, error) {
	if err := validateRegistration(reg); err != nil {
		return "", err
	}
	body, err := json.Marshal(reg)
	if err != nil {
		return "", fmt.Errorf("encode registration: %w", err)
	}
	var res struct {
		Secret string `json:"secret"`
	}
	if err := c.call(ctx, http.MethodPost, "register", nil, body, authToken(registrar), &res, reg.Secret); err != nil {
		return "", fmt.Errorf("register %q: %w", reg.ID, err)
	}
	if res.Secret == "" {
		return "", cxlerr.Errorf(cxlerr.Internal, "register %q: the CA answered no secret", reg.ID)
	}
	return res.Secret, nil
}

// Enroll enrols id with its secret: it makes a certificate signing request for key's public
// key locally (common name id, opts.Hosts as its alternative names), and returns the
// certificate the CA issued and the CA's chain, both PEM. The key never leaves the caller;
// the secret appears in no error.
//
// A refusal is UNAUTHENTICATED: Fabric CA answers an unknown identity, a wrong secret and a
// used-up secret alike. With WithRegistrar, an identity that already holds as many
// certificates as it may is CONFLICT "already enrolled".
func (c *Client) Enroll(ctx context.Context, id, secret string, key crypto.Signer, opts EnrollOptions) (cert, chain []byte, err error) {
	if err := validateID(id); err != nil {
		return nil, nil, err
	}
	if secret == "" {
		return nil, nil, cxlerr.New(cxlerr.Invalid, "the enrolment secret is empty")
	}
	if key == nil {
		return nil, nil, cxlerr.New(cxlerr.Invalid, "no key to enrol")
	}
	csr, err := certificateRequest(id, key, opts.Hosts)
	if err != nil {
		return nil, nil, err
	}
	return c.enroll(ctx, id, secret, csr, key.Public(), opts)
}

// enroll sends the PEM certificate request csr for pub to /enroll with id's secret, and
// checks that the CA issued a certificate for pub and id.
func (c *Client) enroll(ctx context.Context, id, secret string, csr []byte, pub crypto.PublicKey, opts EnrollOptions) (cert, chain []byte, err error) {
	hosts := opts.Hosts
	if hosts == nil {
		hosts = []string{}
	}
	body, err := json.Marshal(struct {
		Hosts   []string `json:"hosts"`
		Request string   `json:"certificate_request"`
		Profile string   `json:"profile"`
	}{hosts, string(csr), opts.Profile})
	if err != nil {
		return nil, nil, fmt.Errorf("encode enrolment: %w", err)
	}
	var res struct {
		Cert       string `json:"Cert"`
		ServerInfo struct {
			CAChain string `json:"CAChain"`
		} `json:"ServerInfo"`
	}
	basic := func(r *http.Request) error { r.SetBasicAuth(id, secret); return nil }
	if err := c.call(ctx, http.MethodPost, "enroll", nil, body, basic, &res, secret); err != nil {
		if cxlerr.CodeOf(err) == cxlerr.Unauthenticated && c.registrar != nil && c.usedUp(ctx, id) {
			return nil, nil, cxlerr.Errorf(cxlerr.Conflict, "enrol %q: already enrolled (its secret is used up)", id)
		}
		return nil, nil, fmt.Errorf("enrol %q: %w", id, err)
	}
	cert, err = b64.DecodeString(res.Cert)
	if err != nil {
		return nil, nil, cxlerr.Errorf(cxlerr.Internal, "enrol %q: the CA's certificate is not base64", id)
	}
	chain, err = b64.DecodeString(res.ServerInfo.CAChain)
	if err != nil {
		return nil, nil, cxlerr.Errorf(cxlerr.Internal, "enrol %q: the CA's chain is not base64", id)
	}
	issued, err := parseCertPEM(cert)
	if err != nil {
		return nil, nil, cxlerr.Errorf(cxlerr.Internal, "enrol %q: the CA's answer: %v", id, err)
	}
	if k, ok := issued.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); !ok || !k.Equal(pub) {
		return nil, nil, cxlerr.Errorf(cxlerr.Internal, "enrol %q: the CA issued a certificate for another key", id)
	}
	if issued.Subject.CommonName != id {
		return nil, nil, cxlerr.Errorf(cxlerr.Internal, "enrol %q: the CA issued a certificate for %q", id, issued.Subject.CommonName)
	}
	return cert, chain, nil
}

// usedUp reports whether the registrar sees id as an identity that already holds as many
// certificates as its secret allows. Any failure to tell is false.
func (c *Client) usedUp(ctx context.Context, id string) bool {
	var info struct {
		MaxEnrollments int `json:"max_enrollments"`
	}
	if err := c.call(ctx, http.MethodGet, "identities/"+url.PathEscape(id), nil, nil, authToken(*c.registrar), &info, ""); err != nil {
		return false
	}
	if info.MaxEnrollments <= 0 {
		return false
	}
	var certs struct {
		Certs []json.RawMessage `json:"certs"`
	}
	if err := c.call(ctx, http.MethodGet, "certificates", url.Values{"id": {id}}, nil, authToken(*c.registrar), &certs, ""); err != nil {
		return false
	}
	return len(certs.Certs) >= info.MaxEnrollments
}

// Revoke revokes what r names with registrar's authority (which needs hf.Revoker) and
// returns the certificates it revoked.
func (c *Client) Revoke(ctx context.Context, registrar Identity, r Revocation) ([]RevokedCert, error) {
	if r.ID == "" && (r.Serial == "" || r.AKI == "") {
		return nil, cxlerr.New(cxlerr.Invalid, "revoke: name an identity, or a certificate by serial and AKI")
	}
	if r.ID != "" {
		if err := validateID(r.ID); err != nil {
			return nil, err
		}
	}
	for _, f := range []string{r.Serial, r.AKI} {
		if !isHex(f) {
			return nil, cxlerr.New(cxlerr.Invalid, "revoke: serial and AKI are hexadecimal")
		}
	}
	if !isToken(r.Reason) {
		return nil, cxlerr.New(cxlerr.Invalid, "revoke: the reason is a word such as keycompromise")
	}
	body, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode revocation: %w", err)
	}
	var res struct {
		RevokedCerts []RevokedCert `json:"RevokedCerts"`
	}
	if err := c.call(ctx, http.MethodPost, "revoke", nil, body, authToken(registrar), &res, ""); err != nil {
		return nil, fmt.Errorf("revoke: %w", err)
	}
	return res.RevokedCerts, nil
}

// RemoveIdentity removes identity id from the CA with registrar's authority; its
// certificates are revoked. The CA must allow removal (cfg.identities.allowremove).
func (c *Client) RemoveIdentity(ctx context.Context, registrar Identity, id string) error {
	if err := validateID(id); err != nil {
		return err
	}
	if err := c.call(ctx, http.MethodDelete, "identities/"+url.PathEscape(id), nil, nil, authToken(registrar), nil, ""); err != nil {
		return fmt.Errorf("remove identity %q: %w", id, err)
	}
	return nil
}

// CAInfo returns the CA's name, chain and version; it needs no credentials.
func (c *Client) CAInfo(ctx context.Context) (Info, error) {
	var res struct {
		CAName  string `json:"CAName"`
		CAChain string `json:"CAChain"`
		Version string `json:"Version"`
	}
	if err := c.call(ctx, http.MethodPost, "cainfo", nil, []byte("{}"), nil, &res, ""); err != nil {
		return Info{}, fmt.Errorf("CA info: %w", err)
	}
	chain, err := b64.DecodeString(res.CAChain)
	if err != nil {
		return Info{}, cxlerr.New(cxlerr.Internal, "CA info: the chain is not base64")
	}
	return Info{Name: res.CAName, Chain: chain, Version: res.Version}, nil
}

// authenticator sets a request's credentials.
type authenticator func(*http.Request) error

// authToken authenticates a request with id's token over the method, URI and body.
func authToken(id Identity) authenticator {
	return func(r *http.Request) error {
		var body []byte
		if r.GetBody != nil {
			rc, err := r.GetBody()
			if err != nil {
				return fmt.Errorf("read request body: %w", err)
			}
			defer rc.Close()
			if body, err = io.ReadAll(rc); err != nil {
				return fmt.Errorf("read request body: %w", err)
			}
		}
		tok, err := id.token(r.Method, r.URL.RequestURI(), body)
		if err != nil {
			return cxlerr.Errorf(cxlerr.Invalid, "the registrar identity: %v", err)
		}
		r.Header.Set("Authorization", tok)
		return nil
	}
}

// response is Fabric CA's (cfssl's) answer envelope.
type response struct {
	Success bool            `json:"success"`
	Result  json.RawMessage `json:"result"`
	Errors  []caMessage     `json:"errors"`
}

// caMessage is one error the CA answers.
type caMessage struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// call sends one request and decodes the result into out (when not nil). secret, when not
// empty, is removed from any text of the CA's that an error carries.
func (c *Client) call(ctx context.Context, method, endpoint string, query url.Values, body []byte, auth authenticator, out any, secret string) error {
	u := c.base.JoinPath(endpoint)
	u.RawQuery = query.Encode()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != nil {
		if err := auth(req); err != nil {
			return err
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return unreachable(ctx, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return unreachable(ctx, err)
	}
	if len(data) > maxResponse {
		return cxlerr.Errorf(cxlerr.Internal, "the CA's answer exceeds %d bytes", maxResponse)
	}
	return decode(resp.StatusCode, data, out, secret)
}

// unreachable maps a transport failure: the caller's own cancellation stays what it is,
// anything else is UNAVAILABLE (retryable).
func unreachable(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err // the URL holds no secret, but its text adds nothing either
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return cxlerr.Errorf(cxlerr.Unavailable, "the CA did not answer in time")
	}
	var certErr *tls.CertificateVerificationError
	if errors.As(err, &certErr) {
		return cxlerr.Errorf(cxlerr.Unavailable, "the CA's TLS certificate is not trusted: %v", certErr.Err)
	}
	return cxlerr.Errorf(cxlerr.Unavailable, "the CA is unreachable: %v", err)
}

// decode reads the CA's answer: its errors mapped to codes, or the result into out.
func decode(status int, data []byte, out any, secret string) error {
	var r response
	if err := json.Unmarshal(data, &r); err != nil {
		if status >= 300 {
			return cxlerr.Errorf(codeForStatus(status), "the CA answered HTTP %d", status)
		}
		return cxlerr.Errorf(cxlerr.Internal, "the CA's answer is not JSON (HTTP %d)", status)
	}
	if len(r.Errors) > 0 || status >= 300 || !r.Success {
		return caError(status, r.Errors, secret)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(r.Result, out); err != nil {
		return cxlerr.Errorf(cxlerr.Internal, "the CA's result: %v", err)
	}
	return nil
}

// Fabric CA's error codes (lib/caerrors) that the mapping names.
const (
	caErrRevCertNotFound      = 8
	caErrRevokeIDNotFound     = 10
	caErrNoCertsRevoked       = 14
	caErrCANotFound           = 19
	caErrAuthentication       = 20
	caErrCertNotFound         = 30
	caErrGettingUser          = 49
	caErrDBGet                = 63
	caErrCertAlreadyRevoked   = 66
	caErrAuthorization        = 71
	caErrPasswordAttempts     = 73
	caErrDupIdentityReg       = 74
	caErrInvalidMaxEnroll     = 82
	caErrRegistrarRegAuth     = 76
	caErrRegistrarInvalidType = 54
)

// caError maps the CA's answer to a coded error. Its text is the CA's (never a secret: the
// request's secret is redacted should the CA ever echo it).
func caError(status int, msgs []caMessage, secret string) error {
	code := codeForStatus(status)
	text := fmt.Sprintf("the CA answered HTTP %d", status)
	if len(msgs) > 0 {
		m := msgs[0]
		code = codeFor(status, m.Code)
		text = fmt.Sprintf("the CA refused (code %d): %s", m.Code, sanitize(m.Message, secret))
	}
	if code == cxlerr.Unauthenticated {
		text += " (unknown identity, wrong secret, or a secret already used)"
	}
	return cxlerr.New(code, text)
}

// codeFor maps a Fabric CA error code, with the HTTP status, to a cxlerr code.
func codeFor(status, code int) cxlerr.Code {
	switch code {
	case caErrAuthentication, caErrPasswordAttempts:
		return cxlerr.Unauthenticated
	case caErrAuthorization, caErrRegistrarRegAuth, caErrRegistrarInvalidType:
		return cxlerr.Forbidden
	case caErrDupIdentityReg, caErrCertAlreadyRevoked:
		return cxlerr.Conflict
	case caErrRevCertNotFound, caErrRevokeIDNotFound, caErrNoCertsRevoked, caErrCANotFound, caErrCertNotFound,
		caErrGettingUser, caErrDBGet:
		return cxlerr.NotFound
	case caErrInvalidMaxEnroll:
		return cxlerr.Invalid
	}
	return codeForStatus(status)
}

// codeForStatus maps an HTTP status of the CA's to a cxlerr code.
func codeForStatus(status int) cxlerr.Code {
	switch {
	case status == http.StatusUnauthorized:
		return cxlerr.Unauthenticated
	case status == http.StatusForbidden:
		return cxlerr.Forbidden
	case status == http.StatusNotFound:
		return cxlerr.NotFound
	case status == http.StatusConflict:
		return cxlerr.Conflict
	case status == http.StatusBadRequest:
		return cxlerr.Invalid
	case status == http.StatusTooManyRequests:
		return cxlerr.RateLimited
	case status == http.StatusBadGateway, status == http.StatusServiceUnavailable, status == http.StatusGatewayTimeout:
		return cxlerr.Unavailable
	}
	return cxlerr.Internal
}

// sanitize makes the CA's text safe to show: secret removed, control characters and
// invalid UTF-8 replaced, at most 300 bytes.
func sanitize(s, secret string) string {
	if secret != "" {
		s = strings.ReplaceAll(s, secret, "[redacted]")
	}
	s = strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
	s = strings.TrimSpace(s)
	if len(s) > 300 {
		cut := 300
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}

// certificateRequest makes the PEM CSR for id with key: common name id, hosts as DNS names
// or IP addresses.
func certificateRequest(id string, key crypto.Signer, hosts []string) ([]byte, error) {
	tmpl := &x509.CertificateRequest{Subject: pkix.Name{CommonName: id}}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
			continue
		}
		if !isHostname(h) {
			return nil, cxlerr.Errorf(cxlerr.Invalid, "host %q is neither a DNS name nor an IP address", truncate(h))
		}
		tmpl.DNSNames = append(tmpl.DNSNames, h)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, key)
	if err != nil {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "make the certificate request: %v", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}), nil
}

// maxID is the longest enrolment ID: it becomes the certificate's common name, which
// Fabric CA limits to 64 bytes.
const maxID = 64

// validateID checks an enrolment ID: 1 to 64 bytes of letters, digits and ".-_@+", the first
// a letter or digit (so no ID is a path step such as "..").
func validateID(id string) error {
	if id == "" || len(id) > maxID {
		return cxlerr.Errorf(cxlerr.Invalid, "an enrolment ID has 1 to %d bytes", maxID)
	}
	if !isAlnum(id[0]) {
		return cxlerr.Errorf(cxlerr.Invalid, "enrolment ID %q: it starts with a letter or digit", truncate(id))
	}
	for _, r := range id {
		if !(r < utf8.RuneSelf && (isAlnum(byte(r)) || strings.ContainsRune(".-_@+", r))) {
			return cxlerr.Errorf(cxlerr.Invalid, "enrolment ID %q: only letters, digits and .-_@+", truncate(id))
		}
	}
	return nil
}

// validateRegistration checks a registration before it is sent.
func validateRegistration(reg Registration) error {
	if err := validateID(reg.ID); err != nil {
		return err
	}
	if !isToken(reg.Type) || reg.Type == "" {
		return cxlerr.New(cxlerr.Invalid, "an identity type is a word such as client or admin")
	}
	if reg.MaxEnrollments < -1 {
		return cxlerr.New(cxlerr.Invalid, "max enrolments is -1 (no limit), 0 (the CA's default) or positive")
	}
	if reg.Secret != "" && (len(reg.Secret) > 256 || !printable(reg.Secret)) {
		return cxlerr.New(cxlerr.Invalid, "an enrolment secret is at most 256 printable characters")
	}
	for _, part := range strings.Split(reg.Affiliation, ".") {
		if reg.Affiliation != "" && (part == "" || !isToken(part)) {
			return cxlerr.Errorf(cxlerr.Invalid, "affiliation %q: dot-separated words", truncate(reg.Affiliation))
		}
	}
	seen := map[string]bool{}
	for _, a := range reg.Attrs {
		if a.Name == "" || len(a.Name) > 128 || !isAttrName(a.Name) {
			return cxlerr.Errorf(cxlerr.Invalid, "attribute name %q: letters, digits and .-_", truncate(a.Name))
		}
		if seen[a.Name] {
			return cxlerr.Errorf(cxlerr.Invalid, "attribute %q given twice", a.Name)
		}
		seen[a.Name] = true
		if len(a.Value) > 1024 || !printable(a.Value) {
			return cxlerr.Errorf(cxlerr.Invalid, "attribute %q: the value is at most 1024 printable characters", a.Name)
		}
	}
	return nil
}

func isAlnum(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

// isToken reports whether s is empty or letters, digits, '-' and '_'.
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) && s[i] != '-' && s[i] != '_' {
			return false
		}
	}
	return true
}

func isAttrName(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) && !strings.ContainsRune(".-_", rune(s[i])) {
			return false
		}
	}
	return true
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune("0123456789abcdefABCDEF", rune(s[i])) {
			return false
		}
	}
	return true
}

// isHostname reports whether h is a DNS name (letters, digits, '-', dots; a leading "*."
// for a wildcard).
func isHostname(h string) bool {
	h = strings.TrimPrefix(h, "*.")
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' || !isToken(label) ||
			strings.Contains(label, "_") {
			return false
		}
	}
	return true
}

// printable reports whether s is valid UTF-8 without control characters.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// truncate shortens user input echoed in an error to 64 bytes of valid UTF-8.
func truncate(s string) string {
	s = strings.ToValidUTF8(s, "?")
	if len(s) <= 64 {
		return s
	}
	cut := 64
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
