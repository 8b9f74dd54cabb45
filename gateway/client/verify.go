package client

import (
	"bytes"
	"crypto/sha256"
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/ledgerapi"
)

// A customer signs only what it asked for: before signing, it reads what the service sent
// instead of trusting the digest it was given. These checks refuse anything else as
// INTERNAL (the service misbehaved), and nothing is signed.

// checkProposal checks a prepared proposal: the digest is the SHA-256 of its proposal
// bytes, its transaction is txID, its creator is the customer's certificate, and it calls
// op's contract and function.
func checkProposal(u *unsigned, op *ledgerapi.Operation, certPEM []byte) error {
	pt := &gateway.ProposedTransaction{}
	prop, hdr, ch := &peer.Proposal{}, &common.Header{}, &common.ChannelHeader{}
	payload, spec := &peer.ChaincodeProposalPayload{}, &peer.ChaincodeInvocationSpec{}
	for _, step := range []func() error{
		func() error { return proto.Unmarshal(u.Proposal, pt) },
		func() error { return proto.Unmarshal(pt.GetProposal().GetProposalBytes(), prop) },
		func() error { return proto.Unmarshal(prop.GetHeader(), hdr) },
		func() error { return proto.Unmarshal(hdr.GetChannelHeader(), ch) },
		func() error { return proto.Unmarshal(prop.GetPayload(), payload) },
		func() error { return proto.Unmarshal(payload.GetInput(), spec) },
	} {
		if err := step(); err != nil {
			return refused("proposal", u.TransactionID, "it does not decode: %v", err)
		}
	}
	d := sha256.Sum256(pt.GetProposal().GetProposalBytes())
	switch args := spec.GetChaincodeSpec().GetInput().GetArgs(); {
	case !bytes.Equal(d[:], u.Digest):
		return refused("proposal", u.TransactionID, "the digest is not the proposal's")
	case ch.GetTxId() != u.TransactionID || pt.GetTransactionId() != u.TransactionID:
		return refused("proposal", u.TransactionID, "it is transaction %s", ch.GetTxId())
	case len(args) == 0 || string(args[0]) != op.Contract+":"+op.Function:
		return refused("proposal", u.TransactionID, "it does not call %s", op.Name())
	}
	return checkCreator("proposal", u.TransactionID, hdr.GetSignatureHeader(), certPEM)
}

// checkTransaction checks an endorsed transaction: the digest is the SHA-256 of its
// envelope's payload, it is transaction txID and the customer created it.
func checkTransaction(u *unsigned, txID string, certPEM []byte) error {
	pt, payload, ch := &gateway.PreparedTransaction{}, &common.Payload{}, &common.ChannelHeader{}
	for _, step := range []func() error{
		func() error { return proto.Unmarshal(u.Transaction, pt) },
		func() error { return proto.Unmarshal(pt.GetEnvelope().GetPayload(), payload) },
		func() error { return proto.Unmarshal(payload.GetHeader().GetChannelHeader(), ch) },
	} {
		if err := step(); err != nil {
			return refused("transaction", txID, "it does not decode: %v", err)
		}
	}
	d := sha256.Sum256(pt.GetEnvelope().GetPayload())
	switch {
	case !bytes.Equal(d[:], u.Digest):
		return refused("transaction", txID, "the digest is not the transaction's")
	case ch.GetTxId() != txID || u.TransactionID != txID:
		return refused("transaction", txID, "it is transaction %s", ch.GetTxId())
	}
	return checkCreator("transaction", txID, payload.GetHeader().GetSignatureHeader(), certPEM)
}

// checkCreator checks that a signature header names the customer's certificate.
func checkCreator(what, txID string, signatureHeader, certPEM []byte) error {
	sh, creator := &common.SignatureHeader{}, &msp.SerializedIdentity{}
	if err := proto.Unmarshal(signatureHeader, sh); err != nil {
		return refused(what, txID, "its signature header does not decode: %v", err)
	}
	if err := proto.Unmarshal(sh.GetCreator(), creator); err != nil {
		return refused(what, txID, "its creator does not decode: %v", err)
	}
	if !bytes.Equal(bytes.TrimSpace(creator.GetIdBytes()), bytes.TrimSpace(certPEM)) {
		return refused(what, txID, "its creator is not this customer")
	}
	return nil
}

func refused(what, txID, format string, args ...any) error {
	return cxlerr.Errorf(cxlerr.Internal, "the service sent a %s to sign that this customer did not ask for (%s), and it was not signed", what, fmt.Sprintf(format, args...)).WithTransaction(txID)
}
