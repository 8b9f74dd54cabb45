// Package clienttest makes the messages a gateway service hands a customer to sign, for
// fakes of the service's Fabric side: a proposal and an endorsed transaction with the
// shapes fabric-gateway gives them (creator, transaction ID, chaincode function) and their
// digests.
package clienttest

import (
	"crypto/sha256"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// header is a serialized common.Header for txID created by the customer.
func header(mspID string, certPEM []byte, txID string) ([]byte, []byte, error) {
	creator, err := proto.Marshal(&msp.SerializedIdentity{Mspid: mspID, IdBytes: certPEM})
	if err != nil {
		return nil, nil, err
	}
	sh, err := proto.Marshal(&common.SignatureHeader{Creator: creator, Nonce: []byte(txID)})
	if err != nil {
		return nil, nil, err
	}
	ch, err := proto.Marshal(&common.ChannelHeader{Type: int32(common.HeaderType_ENDORSER_TRANSACTION), ChannelId: "cxledger", TxId: txID})
	if err != nil {
		return nil, nil, err
	}
	return ch, sh, nil
}

// Proposal is a serialized gateway.ProposedTransaction of transaction txID, created by the
// customer (mspID, certPEM), calling contract:function, and the SHA-256 digest a customer
// signs.
func Proposal(mspID string, certPEM []byte, txID, contract, function string) (bytes, digest []byte, err error) {
	ch, sh, err := header(mspID, certPEM, txID)
	if err != nil {
		return nil, nil, err
	}
	hdr, err := proto.Marshal(&common.Header{ChannelHeader: ch, SignatureHeader: sh})
	if err != nil {
		return nil, nil, err
	}
	input, err := proto.Marshal(&peer.ChaincodeInvocationSpec{ChaincodeSpec: &peer.ChaincodeSpec{
		ChaincodeId: &peer.ChaincodeID{Name: "cxledger"}, Input: &peer.ChaincodeInput{Args: [][]byte{[]byte(contract + ":" + function)}}}})
	if err != nil {
		return nil, nil, err
	}
	payload, err := proto.Marshal(&peer.ChaincodeProposalPayload{Input: input})
	if err != nil {
		return nil, nil, err
	}
	propBytes, err := proto.Marshal(&peer.Proposal{Header: hdr, Payload: payload})
	if err != nil {
		return nil, nil, err
	}
	bytes, err = proto.Marshal(&gateway.ProposedTransaction{TransactionId: txID, Proposal: &peer.SignedProposal{ProposalBytes: propBytes}})
	if err != nil {
		return nil, nil, err
	}
	d := sha256.Sum256(propBytes)
	return bytes, d[:], nil
}

// Transaction is a serialized gateway.PreparedTransaction of transaction txID created by
// the customer, and the SHA-256 digest of its envelope's payload, which a customer signs.
func Transaction(mspID string, certPEM []byte, txID string) (bytes, digest []byte, err error) {
	ch, sh, err := header(mspID, certPEM, txID)
	if err != nil {
		return nil, nil, err
	}
	payload, err := proto.Marshal(&common.Payload{Header: &common.Header{ChannelHeader: ch, SignatureHeader: sh}, Data: []byte("endorsed")})
	if err != nil {
		return nil, nil, err
	}
	bytes, err = proto.Marshal(&gateway.PreparedTransaction{TransactionId: txID, Envelope: &common.Envelope{Payload: payload}})
	if err != nil {
		return nil, nil, err
	}
	d := sha256.Sum256(payload)
	return bytes, d[:], nil
}
