package fabric

import (
	"context"
	"errors"
	"strings"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Classify turns an error of the Fabric Gateway client into a *cxlerr.Error:
//
//   - an error the chaincode rendered as "cxl:<CODE>: <message>" keeps its code and message,
//     wherever Fabric nested it (endorsement error details, evaluate messages);
//   - a *client.CommitError maps by validation code: MVCC and phantom read conflicts are a
//     retryable Conflict, DUPLICATE_TXID a Conflict, anything else Internal;
//   - gRPC statuses map by code: Unavailable and an endorsement that was aborted without a
//     chaincode error are Unavailable, DeadlineExceeded and Canceled are Timeout,
//     PermissionDenied, Unauthenticated and access-denied preconditions are Forbidden;
//   - a peer refusing a call over its concurrency limit is Unavailable, whatever its status;
//   - context errors are Timeout; anything else is Internal.
//
// The transaction ID of client.EndorseError, SubmitError, CommitStatusError and CommitError
// is kept, and so are the endorsing peers' own answers, as Details. The result unwraps to
// err, so errors.Is and errors.As still reach the fabric-gateway error (a *client.CommitError
// with its validation code, a *client.EndorseError, a gRPC status). An error that already is
// a *cxlerr.Error is returned as it is.
func Classify(err error) *cxlerr.Error {
	if err == nil {
		return nil
	}
	var le *cxlerr.Error
	if errors.As(err, &le) {
		return le
	}
	txID := transactionOf(err)
	var ce *client.CommitError
	if errors.As(err, &ce) {
		return validationError(ce.TransactionID, ce.Code).WithCause(err)
	}
	if e := chaincodeError(err); e != nil {
		return e.WithTransaction(txID)
	}
	st, isStatus := status.FromError(err)
	if !isStatus || st.Code() == codes.Unknown {
		switch {
		case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
			return cxlerr.New(cxlerr.Timeout, "the ledger did not answer in time").WithCause(err).WithTransaction(txID)
		case isStatus && overloaded(st.Message()):
			return cxlerr.New(cxlerr.Unavailable, st.Message()).WithCause(err).WithTransaction(txID)
		case isStatus:
			return cxlerr.New(cxlerr.Internal, st.Message()).WithCause(err).WithTransaction(txID)
		}
		return cxlerr.Wrap(cxlerr.Internal, err).WithTransaction(txID)
	}
	msg := st.Message()
	var code cxlerr.Code
	switch st.Code() {
	case codes.Aborted:
		// An endorsement aborted by the chaincode itself (an error without a code, a
		// panic) will fail again anywhere; one aborted by unreachable peers may not.
		code = cxlerr.Unavailable
		for _, d := range endorserDetails(err) {
			if strings.Contains(d.Message, "chaincode response") {
				code, msg = cxlerr.Internal, d.Message
				break
			}
		}
	case codes.Unavailable, codes.ResourceExhausted:
		code = cxlerr.Unavailable
	case codes.DeadlineExceeded, codes.Canceled:
		code = cxlerr.Timeout
	case codes.PermissionDenied, codes.Unauthenticated:
		code = cxlerr.Forbidden
	case codes.FailedPrecondition:
		code = cxlerr.Unavailable
		if strings.Contains(strings.ToLower(msg), "access denied") {
			code = cxlerr.Forbidden
		}
	default:
		code = cxlerr.Internal
		if overloaded(msg) {
			code = cxlerr.Unavailable
		}
	}
	e := cxlerr.New(code, msg).WithCause(err).WithTransaction(txID)
	e.Details = endorserDetails(err)
	return e
}

// overloaded reports whether a peer's message says it refused the call because it already
// serves as many as its concurrency limit allows (Fabric's peer.limits.concurrency): the
// call did nothing and may be sent again, here or to another peer.
func overloaded(msg string) bool {
	return strings.Contains(msg, "exceeding concurrency limit")
}

// chaincodeError finds an error the chaincode rendered with its code in the error details
// (one per endorsing peer), then in the status message, then anywhere in the text. The
// peers' own answers are kept as the error's details, and the error unwraps to err.
func chaincodeError(err error) *cxlerr.Error {
	details := endorserDetails(err)
	var texts []string
	for _, d := range details {
		texts = append(texts, d.Message)
	}
	if st, ok := status.FromError(err); ok {
		texts = append(texts, st.Message())
	}
	for _, t := range append(texts, err.Error()) {
		if e, ok := cxlerr.Parse(t); ok {
			e = e.WithCause(err)
			e.Details = details
			return e
		}
	}
	return nil
}

// endorserDetails returns the error details a gateway peer attached, one per endorsing peer
// that failed.
func endorserDetails(err error) []cxlerr.Detail {
	st, ok := status.FromError(err)
	if !ok {
		return nil
	}
	var details []cxlerr.Detail
	for _, d := range st.Details() {
		if ed, ok := d.(*gateway.ErrorDetail); ok {
			details = append(details, cxlerr.Detail{Address: ed.GetAddress(), MSPID: ed.GetMspId(), Message: ed.GetMessage()})
		}
	}
	return details
}

// validationError describes a transaction that is in a block but not VALID.
func validationError(txID string, code peer.TxValidationCode) *cxlerr.Error {
	switch code {
	case peer.TxValidationCode_MVCC_READ_CONFLICT, peer.TxValidationCode_PHANTOM_READ_CONFLICT:
		e := cxlerr.Errorf(cxlerr.Conflict, "transaction %s read data that another transaction changed before it committed (%s); nothing was applied", txID, code)
		e.Retryable = true
		return e.WithTransaction(txID)
	case peer.TxValidationCode_DUPLICATE_TXID:
		return cxlerr.Errorf(cxlerr.Conflict, "transaction %s is already on the ledger", txID).WithTransaction(txID)
	default:
		return cxlerr.Errorf(cxlerr.Internal, "transaction %s committed as %s; nothing was applied", txID, code).WithTransaction(txID)
	}
}

// transactionOf returns the transaction ID a fabric-gateway error carries, or "".
func transactionOf(err error) string {
	var te *client.TransactionError
	if errors.As(err, &te) {
		return te.TransactionID
	}
	return ""
}
