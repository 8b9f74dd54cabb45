package transport

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/cxledger/cxledger/cli/cmdutil"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gateway/client"
)

// Gateway reaches the ledger through the gateway service: the REST client is the
// transport. The service keeps the idempotency keys; the client sends the context's key.
type Gateway struct {
	*client.Client
	url string
}

var _ cmdutil.Client = (*Gateway)(nil)

// NewGateway returns a client of the service at url presenting apiKey ("" reaches only the
// public endpoints). An https service's certificate is verified against the CA
// certificates of the PEM file ca (a member's gateway: its organisation's TLS root), or
// the system's roots when ca is empty; never accepted unverified.
func NewGateway(url, apiKey, ca string) (*Gateway, error) {
	next, err := caTransport(ca)
	if err != nil {
		return nil, err
	}
	rt := &explain{next: next, url: strings.TrimSuffix(url, "/"), keyless: apiKey == ""}
	return &Gateway{Client: client.New(url, apiKey, client.WithHTTPClient(&http.Client{Transport: rt})), url: url}, nil
}

// caTransport is the HTTP transport to a gateway service: it verifies an https service
// against the CA certificates of the PEM file ca, or the system's roots when ca is empty
// (http.DefaultTransport).
func caTransport(ca string) (http.RoundTripper, error) {
	if ca == "" {
		return http.DefaultTransport, nil
	}
	data, err := os.ReadFile(ca)
	if err != nil {
		return nil, cmdutil.UsageErrorf("gateway CA: %v", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(data) {
		return nil, cmdutil.UsageErrorf("gateway CA: %s holds no PEM certificate", ca)
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	return t, nil
}

// Target names the service.
func (g *Gateway) Target() string { return "gateway service " + g.url }

// Close does nothing: connections are pooled per process.
func (g *Gateway) Close() error { return nil }

// explain rewrites two answers so that they tell a CLI user what to do: a service that
// cannot be reached, and a 401 (no or an unknown API key).
type explain struct {
	next    http.RoundTripper
	url     string
	keyless bool
}

func (e *explain) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := e.next.RoundTrip(req)
	if err != nil {
		if req.Context().Err() != nil {
			return nil, err
		}
		var unknown x509.UnknownAuthorityError
		var hostname x509.HostnameError
		if errors.As(err, &unknown) || errors.As(err, &hostname) {
			// Trying again cannot help: the answer is UNAUTHENTICATED, as for a key the
			// service does not know, and names what to fix.
			return refusal(req, fmt.Sprintf("the gateway service at %s is not verified by the TLS CA given (--gateway-ca, CXL_GATEWAY_CA or the profile's gatewayCa: its organisation's TLS root, which `cxl gateway up` prints): %v", e.url, err)), nil
		}
		return nil, fmt.Errorf("the gateway service at %s does not answer (is it running? `cxl gateway status`): %w", e.url, err)
	}
	if resp.StatusCode != http.StatusUnauthorized {
		return resp, nil
	}
	msg := "the gateway service at " + e.url + " does not know this API key; set CXL_API_KEY or the profile's key (`cxl config set NAME --gateway URL --with-api-key`)"
	if e.keyless {
		msg = "no API key for the gateway service at " + e.url + ": set CXL_API_KEY, or save a profile with a key (`cxl config set NAME --gateway URL --with-api-key`)"
	}
	resp.Body.Close()
	return refusal(req, msg), nil
}

// refusal is a 401 answer to req carrying an UNAUTHENTICATED envelope with msg.
func refusal(req *http.Request, msg string) *http.Response {
	body, _ := json.Marshal(cxlerr.Errorf(cxlerr.Unauthenticated, "%s", msg))
	return &http.Response{
		Status: "401 Unauthorized", StatusCode: http.StatusUnauthorized, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)), Request: req,
	}
}
