package network

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/hyperledger/fabric-admin-sdk/pkg/channel"
	adminid "github.com/hyperledger/fabric-admin-sdk/pkg/identity"
	"github.com/hyperledger/fabric-config/configtx"
	"github.com/hyperledger/fabric-config/configtx/membership"
	cb "github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	ab "github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"google.golang.org/protobuf/proto"
)

// OrgDefinition is the public definition of an organisation that asks to join the channel:
// everything the channel configuration needs of it and nothing secret. A member hands it
// to the others as a file; no private key ever travels with it.
type OrgDefinition struct {
	// MSPID is the organisation's MSP ID, also its name in the channel configuration.
	MSPID string `json:"mspId"`
	// RootCerts are the PEM certificates of the CAs that issue the organisation's
	// identities (its Fabric CA signs with the first).
	RootCerts []string `json:"rootCerts"`
	// TLSRootCerts are the PEM certificates of the CAs that issue its nodes' TLS
	// certificates.
	TLSRootCerts []string `json:"tlsRootCerts"`
	// AnchorPeers are where the other organisations' peers reach its peers.
	AnchorPeers []AnchorPeer `json:"anchorPeers"`
}

// AnchorPeer is a peer's host and port as the other organisations reach it.
type AnchorPeer struct {
	Host string `json:"host"`
	Port int    `json:"port"`
}

var (
	mspIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	hostPattern  = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]{0,252}[A-Za-z0-9])?$`)
)

// maxDefinition bounds a definition file.
const maxDefinition = 1 << 20

// ParseOrgDefinition reads and checks a definition: known fields only, an MSP ID, at least
// one CA root and one TLS root that are CA certificates, valid anchor peers, and no private
// key anywhere in it (INVALID otherwise).
func ParseOrgDefinition(data []byte) (OrgDefinition, error) {
	if len(data) > maxDefinition {
		return OrgDefinition{}, cxlerr.Errorf(cxlerr.TooLarge, "organisation definition of %d bytes; at most %d", len(data), maxDefinition)
	}
	if !utf8.Valid(data) {
		return OrgDefinition{}, cxlerr.Errorf(cxlerr.Invalid, "organisation definition is not valid UTF-8")
	}
	if bytes.Contains(data, []byte("PRIVATE KEY")) {
		return OrgDefinition{}, cxlerr.Errorf(cxlerr.Invalid, "organisation definition holds a private key: hand over only certificates")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var d OrgDefinition
	if err := dec.Decode(&d); err != nil {
		return OrgDefinition{}, cxlerr.Errorf(cxlerr.Invalid, "organisation definition: %v", err)
	}
	return d, d.Validate()
}

// Validate checks a definition (see ParseOrgDefinition).
func (d OrgDefinition) Validate() error {
	if !mspIDPattern.MatchString(d.MSPID) {
		return cxlerr.Errorf(cxlerr.Invalid, "MSP ID %q: letters, digits, '.', '_' and '-', at most 64", d.MSPID)
	}
	for _, set := range []struct {
		name  string
		certs []string
	}{{"rootCerts", d.RootCerts}, {"tlsRootCerts", d.TLSRootCerts}} {
		if len(set.certs) == 0 || len(set.certs) > 8 {
			return cxlerr.Errorf(cxlerr.Invalid, "%s: one to eight CA certificates", set.name)
		}
		if _, err := parseCACerts(set.certs); err != nil {
			return cxlerr.Errorf(cxlerr.Invalid, "%s: %v", set.name, err)
		}
	}
	if len(d.AnchorPeers) == 0 || len(d.AnchorPeers) > 16 {
		return cxlerr.Errorf(cxlerr.Invalid, "anchorPeers: one to sixteen")
	}
	for _, p := range d.AnchorPeers {
		if !hostPattern.MatchString(p.Host) || p.Port < 1 || p.Port > 65535 {
			return cxlerr.Errorf(cxlerr.Invalid, "anchor peer %q:%d: a host name and a port 1-65535", p.Host, p.Port)
		}
	}
	return nil
}

// parseCACerts parses PEM certificates, each a CA certificate.
func parseCACerts(pems []string) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for _, s := range pems {
		block, rest := pem.Decode([]byte(s))
		if block == nil || block.Type != "CERTIFICATE" || len(bytes.TrimSpace(rest)) != 0 {
			return nil, fmt.Errorf("not one PEM certificate")
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse certificate: %v", err)
		}
		if !c.IsCA {
			return nil, fmt.Errorf("certificate %q is not a CA certificate", c.Subject.CommonName)
		}
		certs = append(certs, c)
	}
	return certs, nil
}

// organization is the definition as the channel configuration holds an application
// organisation: its MSP with NodeOUs (client, peer, admin, orderer under its first root),
// the policies every member has (Readers, Writers, Admins, Endorsement) and its anchor
// peers.
func (d OrgDefinition) organization() (configtx.Organization, error) {
	roots, err := parseCACerts(d.RootCerts)
	if err != nil {
		return configtx.Organization{}, err
	}
	tlsRoots, err := parseCACerts(d.TLSRootCerts)
	if err != nil {
		return configtx.Organization{}, err
	}
	ou := func(name string) membership.OUIdentifier {
		return membership.OUIdentifier{Certificate: roots[0], OrganizationalUnitIdentifier: name}
	}
	sig := func(roles ...string) configtx.Policy {
		var ps []string
		for _, r := range roles {
			ps = append(ps, fmt.Sprintf("'%s.%s'", d.MSPID, r))
		}
		return configtx.Policy{Type: configtx.SignaturePolicyType, Rule: "OR(" + strings.Join(ps, ", ") + ")"}
	}
	org := configtx.Organization{
		Name: d.MSPID,
		Policies: map[string]configtx.Policy{
			configtx.ReadersPolicyKey:     sig("admin", "peer", "client"),
			configtx.WritersPolicyKey:     sig("admin", "client"),
			configtx.AdminsPolicyKey:      sig("admin"),
			configtx.EndorsementPolicyKey: sig("peer"),
		},
		MSP: configtx.MSP{
			Name:         d.MSPID,
			RootCerts:    roots,
			TLSRootCerts: tlsRoots,
			CryptoConfig: membership.CryptoConfig{SignatureHashFamily: "SHA2", IdentityIdentifierHashFunction: "SHA256"},
			NodeOUs: membership.NodeOUs{
				Enable: true, ClientOUIdentifier: ou("client"), PeerOUIdentifier: ou("peer"),
				AdminOUIdentifier: ou("admin"), OrdererOUIdentifier: ou("orderer"),
			},
		},
	}
	for _, p := range d.AnchorPeers {
		org.AnchorPeers = append(org.AnchorPeers, configtx.Address{Host: p.Host, Port: p.Port})
	}
	return org, nil
}

// ChannelConfig fetches the channel's current configuration from one of org's peers, as
// org's Admin.
func ChannelConfig(ctx context.Context, home Home, t Topology, org Org) (*cb.Config, error) {
	a, err := dialPeerAdmin(home, org, org.PeerNodes[0])
	if err != nil {
		return nil, err
	}
	defer a.Close()
	block, err := channel.GetConfigBlock(ctx, a.conn, a.id, t.Channel)
	if err != nil {
		return nil, cxlerr.Errorf(cxlerr.Unavailable, "fetch the configuration of channel %s from %s: %v", t.Channel, a.node.Name, err)
	}
	return configOfBlock(block)
}

// configOfBlock is the configuration a configuration block carries.
func configOfBlock(block *cb.Block) (*cb.Config, error) {
	if len(block.GetData().GetData()) != 1 {
		// fabric-admin-sdk v0.2.0 does not check the peer's status: a refusal is an empty block.
		return nil, cxlerr.Errorf(cxlerr.Unavailable, "the peer returned no configuration block")
	}
	var env cb.Envelope
	if err := proto.Unmarshal(block.GetData().GetData()[0], &env); err != nil {
		return nil, fmt.Errorf("parse configuration envelope: %w", err)
	}
	var payload cb.Payload
	if err := proto.Unmarshal(env.GetPayload(), &payload); err != nil {
		return nil, fmt.Errorf("parse configuration payload: %w", err)
	}
	var ce cb.ConfigEnvelope
	if err := proto.Unmarshal(payload.GetData(), &ce); err != nil {
		return nil, fmt.Errorf("parse configuration: %w", err)
	}
	if ce.GetConfig().GetChannelGroup() == nil {
		return nil, fmt.Errorf("configuration block without a configuration")
	}
	return ce.GetConfig(), nil
}

// Members lists the application organisations (MSP IDs) of a channel configuration, sorted.
func Members(config *cb.Config) []string {
	var ids []string
	for name := range config.GetChannelGroup().GetGroups()[configtx.ApplicationGroupKey].GetGroups() {
		ids = append(ids, name)
	}
	slices.Sort(ids)
	return ids
}

// AddOrgUpdate computes the configuration update (a marshalled ConfigUpdate) of channelID
// that adds the organisation d to config's application organisations. An organisation
// already present is CONFLICT.
func AddOrgUpdate(config *cb.Config, channelID string, d OrgDefinition) ([]byte, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	if slices.Contains(Members(config), d.MSPID) {
		return nil, cxlerr.Errorf(cxlerr.Conflict, "%s is already a member of channel %s", d.MSPID, channelID)
	}
	org, err := d.organization()
	if err != nil {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "organisation definition: %v", err)
	}
	c := configtx.New(config)
	if err := c.Application().SetOrganization(org); err != nil {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "add %s: %v", d.MSPID, err)
	}
	update, err := c.ComputeMarshaledUpdate(channelID)
	if err != nil {
		return nil, fmt.Errorf("compute the configuration update: %w", err)
	}
	return update, nil
}

// SignConfigUpdate signs a configuration update as one admin (mspID, its certificate and
// key files) and returns the marshalled ConfigSignature: the file that admin hands over.
func SignConfigUpdate(update []byte, mspID string, files IdentityInfo) ([]byte, error) {
	if _, err := parseUpdate(update); err != nil {
		return nil, err
	}
	signer, err := configSigner(mspID, files)
	if err != nil {
		return nil, err
	}
	sig, err := signer.CreateConfigSignature(update)
	if err != nil {
		return nil, fmt.Errorf("sign the configuration update: %w", err)
	}
	return proto.Marshal(sig)
}

// configSigner is an admin as fabric-config signs with it.
func configSigner(mspID string, files IdentityInfo) (*configtx.SigningIdentity, error) {
	cert, err := adminid.ReadCertificate(files.Cert)
	if err != nil {
		return nil, fmt.Errorf("read certificate %s: %w", files.Cert, err)
	}
	key, err := adminid.ReadPrivateKey(files.Key)
	if err != nil {
		return nil, fmt.Errorf("read private key %s: %w", files.Key, err)
	}
	if pub, ok := key.(*ecdsa.PrivateKey); !ok || !pub.PublicKey.Equal(cert.PublicKey) {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "the key %s is not the ECDSA key of the certificate %s", files.Key, files.Cert)
	}
	return &configtx.SigningIdentity{Certificate: cert, PrivateKey: key, MSPID: mspID}, nil
}

func parseUpdate(update []byte) (*cb.ConfigUpdate, error) {
	var u cb.ConfigUpdate
	if err := proto.Unmarshal(update, &u); err != nil || u.GetChannelId() == "" || u.GetWriteSet() == nil {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "not a configuration update")
	}
	return &u, nil
}

// CheckConfigUpdate checks, before anything is submitted, that update applies to config
// of channelID and that sigs (marshalled ConfigSignatures) meet the channel's admin policy
// for application organisations: each signature is by an admin (NodeOU admin) of a member
// organisation whose certificate chains to that organisation's root in the configuration,
// and verifies over the update; distinct organisations that signed must meet the
// ImplicitMeta rule (ANY, MAJORITY or ALL Admins). It returns the organisations counted.
//
// Errors: INVALID (not an update of this channel), CONFLICT (the update adds a member
// already present, or the configuration changed since it was computed), FORBIDDEN (a
// signer that is no member, or not an admin, or too few organisations),
// UNAUTHENTICATED (a signature that does not verify). An update that changes only one
// member's own values (its MSP, as `cxl channel revoke` does) needs instead a signature of
// that member's admin, the value's mod_policy.
func CheckConfigUpdate(config *cb.Config, channelID string, update []byte, sigs [][]byte) ([]string, error) {
	u, err := parseUpdate(update)
	if err != nil {
		return nil, err
	}
	if u.GetChannelId() != channelID {
		return nil, cxlerr.Errorf(cxlerr.Invalid, "the update is for channel %q, not %q", u.GetChannelId(), channelID)
	}
	app := config.GetChannelGroup().GetGroups()[configtx.ApplicationGroupKey]
	read := u.GetReadSet().GetGroups()[configtx.ApplicationGroupKey]
	write := u.GetWriteSet().GetGroups()[configtx.ApplicationGroupKey]
	for name := range write.GetGroups() {
		if _, present := app.GetGroups()[name]; present {
			if _, read := read.GetGroups()[name]; !read {
				return nil, cxlerr.Errorf(cxlerr.Conflict, "%s is already a member of channel %s", name, channelID)
			}
		}
	}
	if read != nil && read.GetVersion() != app.GetVersion() {
		return nil, cxlerr.Errorf(cxlerr.Conflict, "the channel's configuration changed since the update was computed (application version %d, update read %d): compute it again", app.GetVersion(), read.GetVersion())
	}
	if path := staleItem(config.GetChannelGroup(), u.GetReadSet(), u.GetWriteSet(), "Channel"); path != "" {
		return nil, cxlerr.Errorf(cxlerr.Conflict, "the channel's configuration changed since the update was computed (%s is at another version): compute it again", path)
	}
	c := configtx.New(config)
	signed := map[string]bool{}
	for i, raw := range sigs {
		org, err := checkConfigSignature(c, update, raw)
		if err != nil {
			return nil, fmt.Errorf("signature %d: %w", i+1, err)
		}
		signed[org] = true
	}
	if owner, ok := orgOnlyUpdate(config, u); ok {
		// The MSP value's mod_policy is relative to the organisation's group: its own
		// Admins, which no other member's admin meets and no majority replaces.
		if !signed[owner] {
			return nil, cxlerr.Errorf(cxlerr.Forbidden, "the update changes only %s's own configuration (its MSP): its mod_policy is %s's Admins, so an admin of %s signs it", owner, owner, owner)
		}
		return []string{owner}, nil
	}
	members := Members(config)
	need, rule, err := adminsNeeded(c, len(members))
	if err != nil {
		return nil, err
	}
	var orgs []string
	for org := range signed {
		orgs = append(orgs, org)
	}
	slices.Sort(orgs)
	if len(orgs) < need {
		return orgs, cxlerr.Errorf(cxlerr.Forbidden, "admins of %d of the %d members signed (%s); the channel's admin policy (%s) needs %d",
			len(orgs), len(members), strings.Join(orgs, ", "), rule, need)
	}
	return orgs, nil
}

// adminsNeeded reads the application organisations' Admins policy (an ImplicitMeta rule
// over the members' Admins) and says how many members must sign.
func adminsNeeded(c configtx.ConfigTx, members int) (int, string, error) {
	policies, err := c.Application().Policies()
	if err != nil {
		return 0, "", fmt.Errorf("read the application policies: %w", err)
	}
	p, ok := policies[configtx.AdminsPolicyKey]
	if !ok || p.Type != configtx.ImplicitMetaPolicyType {
		return 0, "", cxlerr.Errorf(cxlerr.Invalid, "the channel's application Admins policy is not an ImplicitMeta rule: %+v", p)
	}
	switch strings.Fields(p.Rule)[0] {
	case "ANY":
		return 1, p.Rule, nil
	case "ALL":
		return members, p.Rule, nil
	case "MAJORITY":
		return members/2 + 1, p.Rule, nil
	}
	return 0, "", cxlerr.Errorf(cxlerr.Invalid, "unknown rule of the channel's application Admins policy: %s", p.Rule)
}

// checkConfigSignature checks one signature and returns the member organisation it counts
// for.
func checkConfigSignature(c configtx.ConfigTx, update, raw []byte) (string, error) {
	var sig cb.ConfigSignature
	if err := proto.Unmarshal(raw, &sig); err != nil || len(sig.GetSignature()) == 0 {
		return "", cxlerr.Errorf(cxlerr.Invalid, "not a configuration signature")
	}
	var header cb.SignatureHeader
	if err := proto.Unmarshal(sig.GetSignatureHeader(), &header); err != nil {
		return "", cxlerr.Errorf(cxlerr.Invalid, "signature header: %v", err)
	}
	var creator msp.SerializedIdentity
	if err := proto.Unmarshal(header.GetCreator(), &creator); err != nil {
		return "", cxlerr.Errorf(cxlerr.Invalid, "signer: %v", err)
	}
	mspID := creator.GetMspid()
	org := c.Application().Organization(mspID)
	if org == nil {
		return "", cxlerr.Errorf(cxlerr.Forbidden, "signer %q is not a member of the channel", mspID)
	}
	block, _ := pem.Decode(creator.GetIdBytes())
	if block == nil {
		return "", cxlerr.Errorf(cxlerr.Invalid, "signer of %s: no PEM certificate", mspID)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return "", cxlerr.Errorf(cxlerr.Invalid, "signer of %s: %v", mspID, err)
	}
	conf, err := org.MSP().Configuration()
	if err != nil {
		return "", fmt.Errorf("MSP of %s: %w", mspID, err)
	}
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	for _, r := range conf.RootCerts {
		roots.AddCert(r)
	}
	for _, r := range conf.IntermediateCerts {
		inter.AddCert(r)
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return "", cxlerr.Errorf(cxlerr.Forbidden, "signer %q does not chain to %s's root: %v", cert.Subject.CommonName, mspID, err)
	}
	adminOU := conf.NodeOUs.AdminOUIdentifier.OrganizationalUnitIdentifier
	if !conf.NodeOUs.Enable || adminOU == "" || !slices.Contains(cert.Subject.OrganizationalUnit, adminOU) {
		return "", cxlerr.Errorf(cxlerr.Forbidden, "signer %q is not an admin of %s", cert.Subject.CommonName, mspID)
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	digest := sha256.Sum256(append(append([]byte{}, sig.GetSignatureHeader()...), update...))
	if !ok || !ecdsa.VerifyASN1(pub, digest[:], sig.GetSignature()) {
		return "", cxlerr.Errorf(cxlerr.Unauthenticated, "the signature of %q (%s) does not verify over this update", cert.Subject.CommonName, mspID)
	}
	return mspID, nil
}

// SubmitConfigUpdate checks update and sigs against the channel's current configuration
// (CheckConfigUpdate), sends the signed update to an orderer as org's Admin, and waits
// until org's peer has the new configuration. Nothing is sent when the check fails.
func SubmitConfigUpdate(ctx context.Context, home Home, t Topology, org Org, update []byte, sigs [][]byte) error {
	config, err := ChannelConfig(ctx, home, t, org)
	if err != nil {
		return err
	}
	if _, err := CheckConfigUpdate(config, t.Channel, update, sigs); err != nil {
		return err
	}
	if err := submitterStays(config, update, org.MSPID); err != nil {
		return err
	}
	var configSigs []*cb.ConfigSignature
	for _, raw := range sigs {
		var s cb.ConfigSignature
		if err := proto.Unmarshal(raw, &s); err != nil {
			return fmt.Errorf("parse signature: %w", err)
		}
		configSigs = append(configSigs, &s)
	}
	env, err := configtx.NewEnvelope(update, configSigs...)
	if err != nil {
		return fmt.Errorf("envelope the configuration update: %w", err)
	}
	submitter, err := configSigner(org.MSPID, home.userIdentity(org, "Admin"))
	if err != nil {
		return err
	}
	if err := submitter.SignEnvelope(env); err != nil {
		return fmt.Errorf("sign the envelope: %w", err)
	}
	before := config.GetSequence()
	if err := broadcast(ctx, home, t, env); err != nil {
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		now, err := ChannelConfig(ctx, home, t, org)
		if err == nil && now.GetSequence() > before {
			return nil
		}
		if time.Now().After(deadline) {
			return cxlerr.Errorf(cxlerr.Timeout, "the orderer took the update but %s's peer has not the new configuration after 30 s", org.MSPID)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// broadcast sends env to the first orderer that answers, and maps its refusal to a code.
func broadcast(ctx context.Context, home Home, t Topology, env *cb.Envelope) error {
	var errs []string
	for _, n := range t.OrdererNodes() {
		conn, err := dialOrderer(home, n)
		if err != nil {
			return err
		}
		resp, err := func() (*ab.BroadcastResponse, error) {
			defer conn.Close()
			ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
			defer cancel()
			stream, err := ab.NewAtomicBroadcastClient(conn).Broadcast(ctx)
			if err != nil {
				return nil, err
			}
			if err := stream.Send(env); err != nil {
				return nil, err
			}
			return stream.Recv()
		}()
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", n.Name, err))
			continue
		}
		switch resp.GetStatus() {
		case cb.Status_SUCCESS:
			return nil
		case cb.Status_SERVICE_UNAVAILABLE:
			errs = append(errs, fmt.Sprintf("%s: %s", n.Name, resp.GetInfo()))
			continue
		case cb.Status_FORBIDDEN:
			return cxlerr.Errorf(cxlerr.Forbidden, "the orderer refused the configuration update: %s", resp.GetInfo())
		default:
			return cxlerr.Errorf(cxlerr.Invalid, "the orderer refused the configuration update (%s): %s", resp.GetStatus(), resp.GetInfo())
		}
	}
	return cxlerr.Errorf(cxlerr.Unavailable, "no orderer took the configuration update: %s", strings.Join(errs, "; "))
}

// Member is the network in h and its organisation whose MSP ID is mspID (NOT_FOUND when
// the network has none).
func (h Home) Member(mspID string) (Topology, Org, error) {
	t, ok, err := LoadHomeTopology(h)
	if err != nil {
		return Topology{}, Org{}, err
	}
	if !ok {
		return Topology{}, Org{}, cxlerr.Errorf(cxlerr.NotFound, "no network in %s: run `cxl network up`", h)
	}
	for _, org := range t.PeerOrgs() {
		if org.MSPID == mspID {
			return t, org, nil
		}
	}
	return Topology{}, Org{}, cxlerr.Errorf(cxlerr.NotFound, "no organisation %q in the network in %s", mspID, h)
}

// AdminIdentity names the certificate and key files of org's Admin.
func (h Home) AdminIdentity(org Org) IdentityInfo { return h.userIdentity(org, "Admin") }
