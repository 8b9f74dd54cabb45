package workload

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cxledger/cxledger/network"
	"github.com/cxledger/cxledger/network/ca"
)

// Customer is a customer identity of an organisation's Fabric CA that the bench holds: a
// client with no attribute (no cxl.roles), registered by the organisation's registrar and
// enrolled with a key made here, as `cxl identity invite` and `enroll` make one.
type Customer struct {
	// MSPID is the organisation whose CA issued the certificate.
	MSPID string
	// ID is the enrolment ID, the certificate's common name.
	ID string
	// CertPEM is the certificate the CA issued; KeyPEM the PKCS#8 private key.
	CertPEM, KeyPEM []byte
}

// Account is the customer's ledger account, <MSP ID>/<common name>.
func (c Customer) Account() string { return c.MSPID + "/" + c.ID }

// Enrolment says what EnrolCustomers did.
type Enrolment struct {
	// Cached customers were read from the cache; Enrolled ones were registered and
	// enrolled now, Parallel at a time, in Elapsed.
	Cached, Enrolled, Parallel int
	Elapsed                    time.Duration
}

func (e Enrolment) String() string {
	s := fmt.Sprintf("%d cached", e.Cached)
	if e.Enrolled > 0 {
		rate := float64(e.Enrolled) / e.Elapsed.Seconds()
		s = fmt.Sprintf("%d enrolled in %s (%.0f/s, %d in parallel), %s", e.Enrolled, e.Elapsed.Round(100*time.Millisecond), rate, e.Parallel, s)
	}
	return s
}

// CustomerCache is the directory where EnrolCustomers keeps the customers of mspID:
// $CXL_HOME/bench/customers/<MSP ID in lower case>, one file per customer (certificate and
// key, 0600).
func CustomerCache(home network.Home, mspID string) string {
	return home.Path("bench", "customers", strings.ToLower(mspID))
}

// certMargin is how long a cached certificate must still be valid to be used.
const certMargin = time.Hour

// EnrolCustomers returns n customers of organisation mspID enrolled through its Fabric CA
// (prof's orgs[].ca: the CA's URL and TLS root, and the registrar identity, which may
// register clients). Customers enrolled by an earlier run are read from CustomerCache as
// long as the organisation's root CA (the one its CA signs with) verifies them and they are
// valid for another hour; otherwise the cache is emptied. The rest are registered (one
// enrolment each) and enrolled, parallel at a time, each with a P-256 key made here, and
// written to the cache as they come. progress, when not nil, gets a line per 1,000.
func EnrolCustomers(ctx context.Context, home network.Home, prof *network.Profile, mspID string, n, parallel int, progress func(format string, args ...any)) ([]Customer, Enrolment, error) {
	if n < 1 || parallel < 1 {
		return nil, Enrolment{}, fmt.Errorf("enrol customers: want at least one customer and one at a time, got %d and %d", n, parallel)
	}
	if progress == nil {
		progress = func(string, ...any) {}
	}
	var info *network.CAInfo
	for _, o := range prof.Orgs {
		if o.MSPID == mspID {
			info = o.CA
		}
	}
	if info == nil {
		return nil, Enrolment{}, fmt.Errorf("the network has no Fabric CA for %s: restart it with `cxl network up` (this version starts one per organisation)", mspID)
	}
	_, org, err := home.Member(mspID)
	if err != nil {
		return nil, Enrolment{}, err
	}
	root, err := readCertificate(home.CACert(org))
	if err != nil {
		return nil, Enrolment{}, fmt.Errorf("the root CA of %s: %w", mspID, err)
	}
	dir := CustomerCache(home, mspID)
	out, err := loadCustomers(dir, mspID, root, n, time.Now().Add(certMargin))
	if err != nil {
		progress("customers: the cache in %s is not usable (%v): enrolling again", dir, err)
		if err := os.RemoveAll(dir); err != nil {
			return nil, Enrolment{}, err
		}
		out = nil
	}
	stats := Enrolment{Cached: len(out), Parallel: parallel}
	if len(out) == n {
		return out, stats, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, Enrolment{}, err
	}
	enrol, err := newEnroller(info)
	if err != nil {
		return nil, Enrolment{}, fmt.Errorf("the CA of %s: %w", mspID, err)
	}
	defer enrol.client.Close()
	progress("customers: enrolling %d customers of %s with its CA at %s (%d cached, %d in parallel)", n-len(out), mspID, info.URL, len(out), parallel)
	start := time.Now()
	// IDs carry this batch's stamp: the CA keeps every identity it registered, so an ID
	// must never be registered twice, even after the cache was lost.
	stamp := strconv.FormatInt(start.UnixNano(), 36)
	first := len(out)
	out = slices.Grow(out, n-first)[:n]
	var next atomic.Int64
	next.Store(int64(first))
	var done atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, parallel)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for w := range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				c, err := enrol.customer(ctx, mspID, fmt.Sprintf("bench-%s-%d", stamp, i))
				if err == nil {
					err = writeCustomer(dir, i, c)
				}
				if err != nil {
					errs[w] = err
					cancel()
					return
				}
				out[i] = c
				if d := done.Add(1); d%1000 == 0 {
					progress("customers: %d of %d enrolled in %s", d, n-first, time.Since(start).Round(time.Second))
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, Enrolment{}, fmt.Errorf("enrol the customers of %s: %w", mspID, err)
	}
	stats.Enrolled, stats.Elapsed = n-first, time.Since(start)
	return out, stats, nil
}

// enroller registers and enrols customers with one CA as its registrar.
type enroller struct {
	client    *ca.Client
	registrar ca.Identity
}

func newEnroller(info *network.CAInfo) (*enroller, error) {
	tlsRoot, err := os.ReadFile(info.TLSRootCert)
	if err != nil {
		return nil, fmt.Errorf("its TLS root: %w", err)
	}
	client, err := ca.New(info.URL, tlsRoot)
	if err != nil {
		return nil, err
	}
	certPEM, err := os.ReadFile(info.Registrar.Cert)
	if err != nil {
		return nil, fmt.Errorf("its registrar: %w", err)
	}
	keyPEM, err := os.ReadFile(info.Registrar.Key)
	if err != nil {
		return nil, fmt.Errorf("its registrar: %w", err)
	}
	registrar, err := ca.ParseIdentity(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("its registrar: %w", err)
	}
	return &enroller{client: client, registrar: registrar}, nil
}

// customer registers id as a client with no attribute and one enrolment, as a member's
// gateway registers an invited customer, and enrols it with a new key.
func (e *enroller) customer(ctx context.Context, mspID, id string) (Customer, error) {
	secret, err := e.client.Register(ctx, e.registrar, ca.Registration{ID: id, Type: "client", MaxEnrollments: 1})
	if err != nil {
		return Customer{}, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Customer{}, err
	}
	cert, _, err := e.client.Enroll(ctx, id, secret, key, ca.EnrollOptions{})
	if err != nil {
		return Customer{}, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return Customer{}, err
	}
	return Customer{MSPID: mspID, ID: id, CertPEM: cert, KeyPEM: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})}, nil
}

// customerFile is the cache file of the i-th customer.
func customerFile(dir string, i int) string {
	return filepath.Join(dir, fmt.Sprintf("%06d.pem", i))
}

// writeCustomer writes the i-th customer's certificate and key to the cache (0600), whole
// or not at all.
func writeCustomer(dir string, i int, c Customer) error {
	f, err := os.CreateTemp(dir, ".customer-*")
	if err != nil {
		return err
	}
	_, err = f.Write(append(slices.Clip(c.CertPEM), c.KeyPEM...))
	if err = errors.Join(err, f.Close()); err == nil {
		err = os.Rename(f.Name(), customerFile(dir, i))
	}
	if err != nil {
		return errors.Join(fmt.Errorf("cache customer %s: %w", c.ID, err), os.Remove(f.Name()))
	}
	return nil
}

// loadCustomers reads up to n customers from the cache dir, in order, stopping at the
// first missing file. A file that is not a certificate of a client of root, valid at
// validUntil, and its key is an error.
func loadCustomers(dir, mspID string, root *x509.Certificate, n int, validUntil time.Time) ([]Customer, error) {
	var out []Customer
	for i := range n {
		data, err := os.ReadFile(customerFile(dir, i))
		if errors.Is(err, os.ErrNotExist) {
			break
		}
		if err != nil {
			return nil, err
		}
		c, err := parseCustomer(data, mspID, root, validUntil)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", customerFile(dir, i), err)
		}
		out = append(out, c)
	}
	return out, nil
}

// parseCustomer reads a cache file: a certificate root issued, valid at validUntil, and
// the PKCS#8 ECDSA key of its public key.
func parseCustomer(data []byte, mspID string, root *x509.Certificate, validUntil time.Time) (Customer, error) {
	certBlock, rest := pem.Decode(data)
	keyBlock, _ := pem.Decode(rest)
	if certBlock == nil || certBlock.Type != "CERTIFICATE" || keyBlock == nil {
		return Customer{}, errors.New("not a certificate and a key in PEM")
	}
	cert, err := x509.ParseCertificate(certBlock.Bytes)
	if err != nil {
		return Customer{}, err
	}
	if err := cert.CheckSignatureFrom(root); err != nil {
		return Customer{}, fmt.Errorf("not issued by the organisation's root CA: %w", err)
	}
	if validUntil.After(cert.NotAfter) {
		return Customer{}, fmt.Errorf("expires at %s", cert.NotAfter.Format(time.RFC3339))
	}
	key, err := customerKey(pem.EncodeToMemory(keyBlock))
	if err != nil {
		return Customer{}, err
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return Customer{}, errors.New("the key is not the certificate's")
	}
	return Customer{MSPID: mspID, ID: cert.Subject.CommonName, CertPEM: pem.EncodeToMemory(certBlock), KeyPEM: pem.EncodeToMemory(keyBlock)}, nil
}

// readCertificate reads a PEM certificate file.
func readCertificate(path string) (*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("%s: not a PEM certificate", path)
	}
	return x509.ParseCertificate(block.Bytes)
}
