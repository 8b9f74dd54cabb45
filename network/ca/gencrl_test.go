package ca

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/cxledger/cxledger/cxlerr"
)

func TestGenCRLSignsItsRequestAndChecksTheAnswer(t *testing.T) {
	ca := newTestCA(t)
	registrar := ca.identity(t, "registrar")
	crl := "-----BEGIN X509 CRL-----\nMAo=\n-----END X509 CRL-----\n"
	for _, c := range []struct {
		name   string
		status int
		result any
		errs   []caMessage
		want   cxlerr.Code
	}{
		{"a PEM CRL", http.StatusOK, map[string]string{"CRL": base64.StdEncoding.EncodeToString([]byte(crl))}, nil, ""},
		{"not base64", http.StatusOK, map[string]string{"CRL": "!!"}, nil, cxlerr.Internal},
		{"a certificate instead", http.StatusOK, map[string]string{"CRL": base64.StdEncoding.EncodeToString(ca.pem)}, nil, cxlerr.Internal},
		{"nothing", http.StatusOK, map[string]string{}, nil, cxlerr.Internal},
		{"no hf.GenCRL", http.StatusUnauthorized, nil, []caMessage{{Code: 71, Message: "The identity 'x' does not have authority to generate a CRL"}}, cxlerr.Forbidden},
	} {
		t.Run(c.name, func(t *testing.T) {
			cl := server(t, func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				verifyToken(t, r, body)
				if r.Method != http.MethodPost || r.URL.Path != "/api/v1/gencrl" || string(body) != "{}" {
					t.Errorf("%s %s %s", r.Method, r.URL.Path, body)
				}
				answer(w, c.status, c.result, c.errs...)
			})
			got, err := cl.GenCRL(context.Background(), registrar)
			if cxlerr.CodeOf(err) != c.want {
				t.Fatalf("GenCRL: %v, want %q", err, c.want)
			}
			if c.want == "" && !strings.Contains(string(got), "BEGIN X509 CRL") {
				t.Fatalf("GenCRL = %q", got)
			}
		})
	}
}
