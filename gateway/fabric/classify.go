package fabric

import (
	"context"
	"errors"
	"strings"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cxledger/cxledger/chaincode/ledger"
	"github.com/cxledger/cxledger/ledgerapi"
)

// Classify turns an error of the Fabric Gateway client into a *ledgerapi.Error:
//
//   - an error the chaincode rendered as "cxl:<CODE>: <message>" keeps its code and message,
//     wherever Fabric nested it (endorsement error details, evaluate messages);
//   - a *client.CommitError maps by validation code: MVCC and phantom read conflicts are a
//     retryable Conflict, DUPLICATE_TXID a Conflict, anything else Internal;
//   - gRPC statuses map by code: Unavailable and an endorsement that was aborted without a
//     chaincode error are Unavailable, DeadlineExceeded and Canceled are Timeout,
//     PermissionDenied, Unauthenticated and access-denied preconditions are Forbidden;
//   - context errors are Timeout; anything else is Internal.
//
// The transaction ID of client.EndorseError, SubmitError, CommitStatusError and CommitError
// is kept. An error that already is a *ledgerapi.Error is returned as it is.
func Classify(err error) *ledgerapi.Error {
	if err == nil {
		return nil
	}
	var le *ledgerapi.Error
	if errors.As(err, &le) {
		return le
	}
	txID := transactionOf(err)
	var ce *client.CommitError
	if errors.As(err, &ce) {
		return validationError(ce.TransactionID, ce.Code)
	}
	if e := chaincodeError(err); e != nil {
		return e.WithTransaction(txID)
	}
	st, isStatus := status.FromError(err)
	if !isStatus || st.Code() == codes.Unknown {
		switch {
		case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
			return ledgerapi.Errorf(ledgerapi.Timeout, "the ledger did not answer in time").WithTransaction(txID)
		case isStatus:
			return ledgerapi.Errorf(ledgerapi.Internal, "%s", st.Message()).WithTransaction(txID)
		}
		return ledgerapi.Errorf(ledgerapi.Internal, "%v", err).WithTransaction(txID)
	}
	msg := st.Message()
	var code ledgerapi.Code
	switch st.Code() {
	case codes.Aborted:
		// An endorsement aborted by the chaincode itself (an error without a code, a
		// panic) will fail again anywhere; one aborted by unreachable peers may not.
		code = ledgerapi.Unavailable
		for _, d := range detailMessages(err) {
			if strings.Contains(d, "chaincode response") {
				code, msg = ledgerapi.Internal, d
				break
			}
		}
	case codes.Unavailable, codes.ResourceExhausted:
		code = ledgerapi.Unavailable
	case codes.DeadlineExceeded, codes.Canceled:
		code = ledgerapi.Timeout
	case codes.PermissionDenied, codes.Unauthenticated:
		code = ledgerapi.Forbidden
	case codes.FailedPrecondition:
		code = ledgerapi.Unavailable
		if strings.Contains(strings.ToLower(msg), "access denied") {
			code = ledgerapi.Forbidden
		}
	default:
		code = ledgerapi.Internal
	}
	return ledgerapi.Errorf(code, "%s", msg).WithTransaction(txID)
}

// chaincodeError finds an error the chaincode rendered with its code in the error details
// (one per endorsing peer), then in the status message, then anywhere in the text.
func chaincodeError(err error) *ledgerapi.Error {
	texts := detailMessages(err)
	if st, ok := status.FromError(err); ok {
		texts = append(texts, st.Message())
	}
	for _, t := range append(texts, err.Error()) {
		if e, ok := ledger.ParseError(t); ok {
			return fromChaincode(e)
		}
	}
	return nil
}

// detailMessages returns the messages of the error details a gateway peer attached, one
// per endorsing peer that failed.
func detailMessages(err error) []string {
	st, ok := status.FromError(err)
	if !ok {
		return nil
	}
	var msgs []string
	for _, d := range st.Details() {
		if ed, ok := d.(*gateway.ErrorDetail); ok {
			msgs = append(msgs, ed.GetMessage())
		}
	}
	return msgs
}

// fromChaincode maps a chaincode error code to the same ledgerapi code; a code ledgerapi
// does not know is Internal.
func fromChaincode(e *ledger.Error) *ledgerapi.Error {
	switch code := ledgerapi.Code(e.Code); code {
	case ledgerapi.Invalid, ledgerapi.NotFound, ledgerapi.Conflict, ledgerapi.Forbidden, ledgerapi.Unauthenticated,
		ledgerapi.Expired, ledgerapi.InsufficientFunds, ledgerapi.Internal:
		return &ledgerapi.Error{Code: code, Message: e.Message}
	default:
		return &ledgerapi.Error{Code: ledgerapi.Internal, Message: string(e.Code) + ": " + e.Message}
	}
}

// validationError describes a transaction that is in a block but not VALID.
func validationError(txID string, code peer.TxValidationCode) *ledgerapi.Error {
	switch code {
	case peer.TxValidationCode_MVCC_READ_CONFLICT, peer.TxValidationCode_PHANTOM_READ_CONFLICT:
		e := ledgerapi.Errorf(ledgerapi.Conflict, "transaction %s read data that another transaction changed before it committed (%s); nothing was applied", txID, code)
		e.Retryable = true
		return e.WithTransaction(txID)
	case peer.TxValidationCode_DUPLICATE_TXID:
		return ledgerapi.Errorf(ledgerapi.Conflict, "transaction %s is already on the ledger", txID).WithTransaction(txID)
	default:
		return ledgerapi.Errorf(ledgerapi.Internal, "transaction %s committed as %s; nothing was applied", txID, code).WithTransaction(txID)
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
