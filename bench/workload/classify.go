package workload

import (
	"context"
	"errors"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/cxledger/cxledger/bench"
	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gateway/fabric"
)

// Classify sorts the error of a step into a failure class by the code of the one error
// vocabulary, whether the Fabric adapter or the REST client returned it (the baseline's
// plain fabric-gateway errors get theirs from the adapter's Classify):
//
//   - a transaction in a block but not VALID, when its validation code is at hand (the
//     Fabric adapter's error unwraps to fabric-gateway's *client.CommitError): MVCC or
//     phantom read conflict, or an endorsement policy failure; other codes are other;
//   - RATE_LIMITED is rate limited;
//   - a retryable CONFLICT is a read conflict at validation: MVCC, as the gateway service's
//     error does not say which kind;
//   - PENDING and TIMEOUT (the commit was not known in time) and the caller's deadline are
//     a timeout;
//   - an error with endorsing peers' answers (Details), and the chaincode's refusals
//     (a code the request or the ledger's state caused), are endorsement failures;
//   - anything else (no peer or service reachable, INTERNAL) is other.
func Classify(err error) bench.Class {
	var ce *client.CommitError
	if errors.As(err, &ce) {
		switch ce.Code {
		case peer.TxValidationCode_MVCC_READ_CONFLICT:
			return bench.MVCC
		case peer.TxValidationCode_PHANTOM_READ_CONFLICT:
			return bench.Phantom
		case peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE:
			return bench.Endorsement
		}
		return bench.Other
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return bench.Timeout
	}
	e := fabric.Classify(err)
	switch {
	case e.Code == cxlerr.RateLimited:
		return bench.RateLimited
	case e.Code == cxlerr.Conflict && e.Retryable:
		return bench.MVCC
	case e.Code == cxlerr.Pending || e.Code == cxlerr.Timeout:
		return bench.Timeout
	case len(e.Details) > 0 || refusal(e.Code):
		return bench.Endorsement
	}
	return bench.Other
}

// refusal reports whether code is the chaincode's (or the service's) refusal of the
// request itself, as opposed to a failure to reach or run the ledger.
func refusal(code cxlerr.Code) bool {
	switch code {
	case cxlerr.Invalid, cxlerr.NotFound, cxlerr.Conflict, cxlerr.Forbidden, cxlerr.Expired,
		cxlerr.InsufficientFunds, cxlerr.IdempotencyMismatch, cxlerr.TooLarge:
		return true
	}
	return false
}

// lagging reports whether err says a peer has not yet seen what an earlier step committed:
// the record is not found, the step's own code for "not there yet" (notYet: a custody
// offer that is not pending yet is a CONFLICT), or the endorsing peers read different
// versions, which the Fabric Gateway reports as an aborted endorsement without a
// chaincode error (UNAVAILABLE without endorsers' answers). A conflict at validation is
// never lag: it is the benchmark's to count.
func lagging(err error, notYet ...cxlerr.Code) bool {
	if err == nil {
		return false
	}
	e := fabric.Classify(err)
	switch {
	case e.Retryable && e.Code == cxlerr.Conflict:
		return false
	case e.Code == cxlerr.NotFound:
		return true
	case e.Code == cxlerr.Unavailable && len(e.Details) == 0:
		return true
	}
	for _, c := range notYet {
		if e.Code == c {
			return true
		}
	}
	return false
}
