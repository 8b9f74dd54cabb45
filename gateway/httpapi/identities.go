package httpapi

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gateway/store"
	"github.com/cxledger/cxledger/strictjson"
)

// Registrar is the organisation's CA as the identities endpoints use it: it registers a
// customer identity (type client, no role attribute, one enrolment) with the secret the
// service chose, and enrols a certificate request the customer made with its own key.
type Registrar interface {
	RegisterCustomer(ctx context.Context, id, secret string) error
	EnrollCSR(ctx context.Context, id, secret string, csrPEM []byte) (cert, chain []byte, err error)
}

// InvitationRequest is what staff send to invite a customer.
type InvitationRequest struct {
	// ExpiresIn is how long the secret enrols, a Go duration ("72h"); default the service's.
	ExpiresIn string `json:"expiresIn,omitempty"`
}

// Invitation is a customer's invitation: the identity's enrolment ID, the one-time secret
// (shown here only: the service keeps its hash), when it expires, and where to enrol.
type Invitation struct {
	ID        string    `json:"id"`
	Secret    string    `json:"secret"`
	ExpiresAt time.Time `json:"expiresAt"`
	EnrolURL  string    `json:"enrolUrl"`
}

// EnrollmentRequest is what a customer sends to enrol: the invitation's ID and secret and a
// PEM certificate request made with the customer's own key.
type EnrollmentRequest struct {
	ID     string `json:"id"`
	Secret string `json:"secret"`
	CSR    string `json:"csr"`
}

// Enrollment is the customer's certificate and the CA chain, PEM.
type Enrollment struct {
	Certificate string `json:"certificate"`
	Chain       string `json:"chain"`
}

const enrollmentsPath = "/v1/identities/enrollments"

// identityRoutes are the invitation (staff, API key) and enrolment (the invited customer,
// no credentials) endpoints; none without a Registrar.
func (s *Server) identityRoutes() []Route {
	if s.opts.Customers == nil || s.opts.Customers.Registrar == nil {
		return nil
	}
	return []Route{
		{Method: http.MethodPost, Path: "/v1/identities/invitations", OperationID: "identities.Invite", Tag: "identities", Access: AccessPrincipal,
			Summary: "Invite a customer: registers a client identity without roles with the organisation's CA and answers its one-time enrolment secret",
			Request: typeOf[InvitationRequest](), Response: typeOf[Invitation](),
			handle: func(s *Server, w http.ResponseWriter, r *http.Request) { s.invite(w, r) }},
		{Method: http.MethodPost, Path: enrollmentsPath, OperationID: "identities.Enroll", Tag: "identities", Access: AccessPublic,
			Summary: "Enrol an invited customer: the invitation's ID and one-time secret and a certificate request made with the customer's own key; answers the certificate",
			Request: typeOf[EnrollmentRequest](), Response: typeOf[Enrollment](),
			handle: func(s *Server, w http.ResponseWriter, r *http.Request) { s.enroll(w, r) }},
	}
}

// invite registers a new customer identity with the CA and records its invitation.
func (s *Server) invite(w http.ResponseWriter, r *http.Request) {
	cfg := s.customerConfig()
	var req InvitationRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	ttl := cfg.InvitationTTL
	if req.ExpiresIn != "" {
		d, err := time.ParseDuration(req.ExpiresIn)
		if err != nil || d < time.Minute || d > cfg.MaxInvitationTTL {
			s.writeError(w, r, cxlerr.Errorf(cxlerr.Invalid, "expiresIn: %q, want a duration from 1m to %s", truncate(req.ExpiresIn), cfg.MaxInvitationTTL))
			return
		}
		ttl = d
	}
	id, secret := "c-"+randomText(10), randomText(24)
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.RequestTimeout)
	defer cancel()
	if err := cfg.Registrar.RegisterCustomer(ctx, id, secret); err != nil {
		s.writeError(w, r, fmt.Errorf("register customer with the CA: %w", err))
		return
	}
	now := cfg.Now()
	sum := sha256.Sum256([]byte(secret))
	inv := store.Invitation{ID: id, SecretSHA256: sum[:], InvitedBy: principalOf(r.Context()).Name, Created: now, Expires: now.Add(ttl)}
	if err := s.opts.Store.AddInvitation(inv); err != nil {
		s.writeError(w, r, fmt.Errorf("record invitation: %w", err))
		return
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	writeJSON(w, http.StatusCreated, Invitation{ID: id, Secret: secret, ExpiresAt: inv.Expires, EnrolURL: scheme + "://" + r.Host + enrollmentsPath})
}

// enroll checks an invitation's secret, uses it up and enrols the customer's certificate
// request with the CA. An unknown ID and a wrong secret get one answer; only the holder of
// the right secret learns that it was used (CONFLICT) or expired.
func (s *Server) enroll(w http.ResponseWriter, r *http.Request) {
	cfg := s.customerConfig()
	var req EnrollmentRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.ID == "" || req.Secret == "" || len(req.ID) > 64 || len(req.Secret) > 256 {
		s.writeError(w, r, cxlerr.Errorf(cxlerr.Unauthenticated, "unknown invitation or wrong secret"))
		return
	}
	block, _ := pem.Decode([]byte(req.CSR))
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		s.writeError(w, r, cxlerr.Errorf(cxlerr.Invalid, "csr: want a PEM CERTIFICATE REQUEST"))
		return
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil || csr.CheckSignature() != nil {
		s.writeError(w, r, cxlerr.Errorf(cxlerr.Invalid, "csr: not a certificate request signed by its key"))
		return
	}
	// The secret is spent before the CA sees it, so it cannot be tried twice; the CA allows
	// the identity one enrolment in any case.
	_, err = s.opts.Store.UseInvitation(req.ID, req.Secret, cfg.Now())
	switch {
	case errors.Is(err, store.ErrNoInvitation):
		s.writeError(w, r, cxlerr.Errorf(cxlerr.Unauthenticated, "unknown invitation or wrong secret"))
		return
	case errors.Is(err, store.ErrInvitationUsed):
		s.writeError(w, r, cxlerr.Errorf(cxlerr.Conflict, "this invitation was used: ask for a new one"))
		return
	case errors.Is(err, store.ErrInvitationExpired):
		s.writeError(w, r, cxlerr.Errorf(cxlerr.Unauthenticated, "this invitation expired: ask for a new one"))
		return
	case err != nil:
		s.writeError(w, r, fmt.Errorf("check invitation: %w", err))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.RequestTimeout)
	defer cancel()
	cert, chain, err := cfg.Registrar.EnrollCSR(ctx, req.ID, req.Secret, pem.EncodeToMemory(block))
	if err != nil {
		s.writeError(w, r, fmt.Errorf("enrol with the CA: %w", err))
		return
	}
	writeJSON(w, http.StatusOK, Enrollment{Certificate: string(cert), Chain: string(chain)})
}

// decodeJSON reads a JSON body strictly into v.
func (s *Server) decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := s.jsonBody(w, r)
	if err != nil {
		return err
	}
	return strictjson.Decode(body, v, int(s.opts.Limits.BodyBytes))
}

// randomText is n random bytes as unpadded base64url text.
func randomText(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
