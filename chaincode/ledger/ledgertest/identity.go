package ledgertest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/attrmgr"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/chaincode/ledger/ledgertypes"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"
)

// Identity describes a caller: the certificate the stub issues for it.
type Identity struct {
	// MSP is the MSP ID of the caller's organisation.
	MSP string
	// CN is the certificate subject's common name.
	CN string
	// OU is the NodeOU role in the subject's OU: "client", "admin", "peer",
	// "orderer", or "" for a certificate without one.
	OU string
	// Attrs are Fabric CA attributes embedded in the certificate, as
	// Fabric CA embeds them (JSON {"attrs":{...}} in the extension
	// attrmgr.AttrOID).
	Attrs map[string]string
	// RawAttrs, when not nil, is the attribute extension's value as it is,
	// instead of Attrs encoded: for certificates no honest CA issues.
	RawAttrs []byte
}

// Customer is a customer identity: a client certificate without roles.
func Customer(msp, cn string) Identity {
	return Identity{MSP: msp, CN: cn, OU: "client"}
}

// Staff is a staff identity of msp: a client certificate whose
// ledger.RolesAttr attribute names roles (none makes an empty attribute,
// which is a customer's).
func Staff(msp, cn string, roles ...ledgertypes.Role) Identity {
	return Customer(msp, cn).WithRoles(roles...)
}

// WithRoles returns id with its ledger.RolesAttr attribute naming roles,
// separated by commas, its other attributes kept.
func (id Identity) WithRoles(roles ...ledgertypes.Role) Identity {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	return id.WithAttr(ledger.RolesAttr, strings.Join(names, ","))
}

// WithAttr returns id with attribute name set to value, its other
// attributes kept.
func (id Identity) WithAttr(name, value string) Identity {
	attrs := maps.Clone(id.Attrs)
	if attrs == nil {
		attrs = map[string]string{}
	}
	attrs[name] = value
	id.Attrs = attrs
	return id
}

// identity is an issued certificate, serialized as the peer passes it.
type identity struct {
	serialized []byte
}

// authority is an organisation's certificate authority.
type authority struct {
	key  *ecdsa.PrivateKey
	cert *x509.Certificate
}

// identityFor returns the cached certificate of id, issuing it on first use
// from a per-MSP CA with ECDSA P-256 keys, as Fabric CA and cryptogen do.
// Certificates are test fixtures: failing to make one is a broken test
// environment, so it panics.
func (s *Stub) identityFor(id Identity) *identity {
	cacheKey := fmt.Sprintf("%s\x00%s\x00%s", id.MSP, id.CN, id.OU)
	for _, k := range slices.Sorted(maps.Keys(id.Attrs)) {
		cacheKey += "\x00" + k + "=" + id.Attrs[k]
	}
	if id.RawAttrs != nil {
		cacheKey += "\x00raw=" + string(id.RawAttrs)
	}
	if cached, ok := s.identities[cacheKey]; ok {
		return cached
	}
	ca := s.authorityFor(id.MSP)
	key := mustKey()
	subject := pkix.Name{CommonName: id.CN, Organization: []string{id.MSP}}
	if id.OU != "" {
		subject.OrganizationalUnit = []string{id.OU}
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(int64(len(s.identities) + 1)),
		Subject:      subject,
		NotBefore:    time.Date(2000, time.January, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2100, time.January, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	switch {
	case id.RawAttrs != nil:
		tmpl.ExtraExtensions = []pkix.Extension{{Id: attrmgr.AttrOID, Value: id.RawAttrs}}
	case len(id.Attrs) > 0:
		value, err := json.Marshal(attrmgr.Attributes{Attrs: id.Attrs})
		if err != nil {
			panic(fmt.Sprintf("ledgertest: encode attributes: %v", err))
		}
		tmpl.ExtraExtensions = []pkix.Extension{{Id: attrmgr.AttrOID, Value: value}}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		panic(fmt.Sprintf("ledgertest: issue certificate for %s/%s: %v", id.MSP, id.CN, err))
	}
	serialized, err := proto.Marshal(&msp.SerializedIdentity{
		Mspid:   id.MSP,
		IdBytes: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
	})
	if err != nil {
		panic(fmt.Sprintf("ledgertest: serialize identity %s/%s: %v", id.MSP, id.CN, err))
	}
	issued := &identity{serialized: serialized}
	s.identities[cacheKey] = issued
	return issued
}

func (s *Stub) authorityFor(mspID string) *authority {
	if ca, ok := s.authorities[mspID]; ok {
		return ca
	}
	key := mustKey()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "ca." + strings.ToLower(mspID), Organization: []string{mspID}},
		NotBefore:             time.Date(2000, time.January, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              time.Date(2100, time.January, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(fmt.Sprintf("ledgertest: create CA for %s: %v", mspID, err))
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		panic(fmt.Sprintf("ledgertest: parse CA for %s: %v", mspID, err))
	}
	ca := &authority{key: key, cert: cert}
	s.authorities[mspID] = ca
	return ca
}

func mustKey() *ecdsa.PrivateKey {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(fmt.Sprintf("ledgertest: generate ECDSA key: %v", err))
	}
	return key
}
