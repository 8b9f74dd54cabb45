package fabric

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
)

// withDetails is a gRPC status error carrying one gateway ErrorDetail per message, as a
// gateway peer returns when endorsing peers fail.
func withDetails(t *testing.T, code codes.Code, msg string, details ...string) error {
	t.Helper()
	st := status.New(code, msg)
	var ds []protoadapt.MessageV1
	for _, d := range details {
		ds = append(ds, protoadapt.MessageV1Of(&gateway.ErrorDetail{Address: "peer0:7051", MspId: "Org1MSP", Message: d}))
	}
	if len(ds) > 0 {
		var err error
		if st, err = st.WithDetails(ds...); err != nil {
			t.Fatal(err)
		}
	}
	return st.Err()
}

var errDiskOnFire = errors.New("disk on fire")

func isEndorseError(err error) bool {
	var ee *client.EndorseError
	return errors.As(err, &ee)
}

// hasStatus reports whether err unwraps to a gRPC status error with code c.
func hasStatus(c codes.Code) func(error) bool {
	return func(err error) bool {
		var se interface{ GRPCStatus() *status.Status }
		return errors.As(err, &se) && se.GRPCStatus().Code() == c
	}
}

// hasValidationCode reports whether err unwraps to a *client.CommitError with code c.
func hasValidationCode(c peer.TxValidationCode) func(error) bool {
	return func(err error) bool {
		var ce *client.CommitError
		return errors.As(err, &ce) && ce.Code == c
	}
}

// TestClassify drives the real fabric-gateway client against a fake gateway peer that fails
// each call the way a Fabric peer does, and checks the code, retryability, transaction ID
// and message of the classified error.
func TestClassify(t *testing.T) {
	pki := newTestPKI(t)
	fake, p := startFakePeer(t, pki, `{}`)
	conn, err := Dial(p)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	id := newTestIdentity(t, "Org1MSP")
	x509ID, sign, err := id.Signer()
	if err != nil {
		t.Fatal(err)
	}
	gw, err := client.Connect(x509ID, client.WithSign(sign), client.WithClientConnection(conn))
	if err != nil {
		t.Fatal(err)
	}
	contract := gw.GetNetwork("ch").GetContractWithName("cc", "provenance")
	ctx := context.Background()

	endorseFails := func(err error) func() error {
		return func() error {
			fake.endorse = func(string) (*gateway.EndorseResponse, error) { return nil, err }
			_, err := contract.SubmitTransaction("Register", "{}")
			return err
		}
	}
	for _, tc := range []struct {
		name      string
		call      func() error
		code      cxlerr.Code
		retryable bool
		hasTx     bool
		message   string
		// details are the endorsing peers' answers the error must keep, in order.
		details []string
		// unwrapsTo is what errors.Is or errors.As must still find in the classified error.
		unwrapsTo func(error) bool
	}{
		{
			name: "chaincode error in endorsement details",
			call: endorseFails(withDetails(t, codes.Aborted, "failed to endorse transaction, see attached details for more info",
				"chaincode response 500, cxl:NOT_FOUND: provenance.lot 0950/L42 not found")),
			code: cxlerr.NotFound, hasTx: true, message: "provenance.lot 0950/L42 not found",
			details: []string{"chaincode response 500, cxl:NOT_FOUND: provenance.lot 0950/L42 not found"}, unwrapsTo: isEndorseError,
		},
		{
			name: "chaincode error from two peers uses the first",
			call: endorseFails(withDetails(t, codes.Aborted, "failed to endorse transaction",
				"chaincode response 500, cxl:FORBIDDEN: organisation Org2MSP does not hold the brand role",
				"chaincode response 500, cxl:FORBIDDEN: organisation Org2MSP does not hold the brand role")),
			code: cxlerr.Forbidden, hasTx: true, message: "organisation Org2MSP does not hold the brand role",
			details: []string{"chaincode response 500, cxl:FORBIDDEN: organisation Org2MSP does not hold the brand role", "chaincode response 500, cxl:FORBIDDEN: organisation Org2MSP does not hold the brand role"}, unwrapsTo: isEndorseError,
		},
		{
			name: "chaincode failure without a code",
			call: endorseFails(withDetails(t, codes.Aborted, "failed to endorse transaction",
				"chaincode response 500, Function Register not found in contract provenance")),
			code: cxlerr.Internal, hasTx: true, message: "Function Register not found",
			details: []string{"chaincode response 500, Function Register not found in contract provenance"}, unwrapsTo: isEndorseError,
		},
		{
			name: "endorsing peers unreachable",
			call: endorseFails(withDetails(t, codes.Aborted, "failed to collect enough transaction endorsements",
				"rpc error: code = Unavailable desc = connection refused")),
			code: cxlerr.Unavailable, retryable: true, hasTx: true,
			details: []string{"rpc error: code = Unavailable desc = connection refused"}, unwrapsTo: isEndorseError,
		},
		{
			name: "gateway peer has no endorsers",
			call: endorseFails(status.Error(codes.Unavailable, "no peers available")),
			code: cxlerr.Unavailable, retryable: true, hasTx: true,
			unwrapsTo: hasStatus(codes.Unavailable),
		},
		{
			name: "peer over its concurrency limit",
			call: endorseFails(status.Error(codes.Unknown, "too many requests for /gateway.Gateway, exceeding concurrency limit (500)")),
			code: cxlerr.Unavailable, retryable: true, hasTx: true,
			unwrapsTo: hasStatus(codes.Unknown),
		},
		{
			name: "peer over its concurrency limit, as an internal error",
			call: endorseFails(status.Error(codes.Internal, "too many requests for /protos.Endorser, exceeding concurrency limit (2500)")),
			code: cxlerr.Unavailable, retryable: true, hasTx: true,
			unwrapsTo: hasStatus(codes.Internal),
		},
		{
			name: "endorsement timeout",
			call: endorseFails(status.Error(codes.DeadlineExceeded, "endorsement timeout expired while collecting endorsements")),
			code: cxlerr.Timeout, retryable: true, hasTx: true,
			unwrapsTo: hasStatus(codes.DeadlineExceeded),
		},
		{
			name: "access denied",
			call: endorseFails(status.Error(codes.FailedPrecondition, "access denied: channel [ch] creator org unknown, creator is malformed")),
			code: cxlerr.Forbidden, hasTx: true,
			unwrapsTo: hasStatus(codes.FailedPrecondition),
		},
		{
			name: "permission denied",
			call: endorseFails(status.Error(codes.PermissionDenied, "not a member")),
			code: cxlerr.Forbidden, hasTx: true,
			unwrapsTo: hasStatus(codes.PermissionDenied),
		},
		{
			name: "evaluate chaincode error",
			call: func() error {
				fake.evaluate = func() (*gateway.EvaluateResponse, error) {
					return nil, status.Error(codes.Unknown, "evaluate call to endorser returned error: chaincode response 500, cxl:INVALID: gtin: want 14 digits")
				}
				_, err := contract.EvaluateTransaction("GetLot", "{}")
				return err
			},
			code: cxlerr.Invalid, message: "gtin: want 14 digits",
			unwrapsTo: hasStatus(codes.Unknown),
		},
		{
			name: "orderers unavailable at submit",
			call: func() error {
				fake.endorse = func(txID string) (*gateway.EndorseResponse, error) {
					return &gateway.EndorseResponse{PreparedTransaction: envelope(t, txID, nil, nil)}, nil
				}
				fake.submit = func(string) error {
					return status.Error(codes.Unavailable, "insufficient number of orderers could successfully process transaction")
				}
				_, err := contract.SubmitTransaction("Register", "{}")
				var se *client.SubmitError
				if !errors.As(err, &se) {
					return fmt.Errorf("want a *client.SubmitError, got %T", err)
				}
				return err
			},
			code: cxlerr.Unavailable, retryable: true, hasTx: true,
			unwrapsTo: func(err error) bool { var se *client.SubmitError; return errors.As(err, &se) },
		},
		{
			name: "commit status denied",
			call: func() error {
				fake.submit = func(string) error { return nil }
				fake.status = func(context.Context, string) (*gateway.CommitStatusResponse, error) {
					return nil, status.Error(codes.PermissionDenied, "access denied")
				}
				_, err := contract.SubmitTransaction("Register", "{}")
				var ce *client.CommitStatusError
				if !errors.As(err, &ce) {
					return fmt.Errorf("want a *client.CommitStatusError, got %T", err)
				}
				return err
			},
			code: cxlerr.Forbidden, hasTx: true,
			unwrapsTo: func(err error) bool { var ce *client.CommitStatusError; return errors.As(err, &ce) },
		},
		{
			name: "MVCC read conflict at validation",
			call: func() error {
				fake.status = func(context.Context, string) (*gateway.CommitStatusResponse, error) {
					return &gateway.CommitStatusResponse{Result: peer.TxValidationCode_MVCC_READ_CONFLICT, BlockNumber: 9}, nil
				}
				_, err := contract.SubmitTransaction("Register", "{}")
				return err
			},
			code: cxlerr.Conflict, retryable: true, hasTx: true, message: "MVCC_READ_CONFLICT",
			unwrapsTo: hasValidationCode(peer.TxValidationCode_MVCC_READ_CONFLICT),
		},
		{
			name: "phantom read conflict at validation",
			call: func() error {
				fake.status = func(context.Context, string) (*gateway.CommitStatusResponse, error) {
					return &gateway.CommitStatusResponse{Result: peer.TxValidationCode_PHANTOM_READ_CONFLICT, BlockNumber: 9}, nil
				}
				_, err := contract.SubmitTransaction("Register", "{}")
				return err
			},
			code: cxlerr.Conflict, retryable: true, hasTx: true, message: "PHANTOM_READ_CONFLICT",
			unwrapsTo: hasValidationCode(peer.TxValidationCode_PHANTOM_READ_CONFLICT),
		},
		{
			name: "endorsement policy failure at validation",
			call: func() error {
				fake.status = func(context.Context, string) (*gateway.CommitStatusResponse, error) {
					return &gateway.CommitStatusResponse{Result: peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE, BlockNumber: 9}, nil
				}
				_, err := contract.SubmitTransaction("Register", "{}")
				return err
			},
			code: cxlerr.Internal, hasTx: true, message: "ENDORSEMENT_POLICY_FAILURE",
			unwrapsTo: hasValidationCode(peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE),
		},
		{
			name: "caller's deadline",
			call: func() error {
				ctx, cancel := context.WithTimeout(ctx, time.Nanosecond)
				defer cancel()
				<-ctx.Done()
				_, err := contract.EvaluateWithContext(ctx, "GetLot")
				return err
			},
			code: cxlerr.Timeout, retryable: true,
			unwrapsTo: hasStatus(codes.DeadlineExceeded),
		},
		{
			name: "context error",
			call: func() error { return fmt.Errorf("wait: %w", context.DeadlineExceeded) },
			code: cxlerr.Timeout, retryable: true,
			unwrapsTo: func(err error) bool { return errors.Is(err, context.DeadlineExceeded) },
		},
		{
			name: "plain error",
			call: func() error { return fmt.Errorf("write: %w", errDiskOnFire) },
			code: cxlerr.Internal, message: "disk on fire",
			unwrapsTo: func(err error) bool { return errors.Is(err, errDiskOnFire) },
		},
		{
			name: "already classified",
			call: func() error { return fmt.Errorf("x: %w", cxlerr.Errorf(cxlerr.RateLimited, "slow down")) },
			code: cxlerr.RateLimited, retryable: true, message: "slow down",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if err == nil {
				t.Fatal("call succeeded")
			}
			got := Classify(err)
			if got.Code != tc.code || got.Retryable != tc.retryable {
				t.Fatalf("Classify(%v) = %s retryable=%v, want %s retryable=%v", err, got.Code, got.Retryable, tc.code, tc.retryable)
			}
			if tc.hasTx != (got.TransactionID != "") {
				t.Errorf("transaction ID %q, want one: %v", got.TransactionID, tc.hasTx)
			}
			if !strings.Contains(got.Message, tc.message) {
				t.Errorf("message %q does not contain %q", got.Message, tc.message)
			}
			if strings.Contains(got.Message, "cxl:") {
				t.Errorf("message %q still carries the chaincode marker", got.Message)
			}
			var details []string
			for _, d := range got.Details {
				if d.Address != "peer0:7051" || d.MSPID != "Org1MSP" {
					t.Errorf("detail %+v: want the peer's address and organisation", d)
				}
				details = append(details, d.Message)
			}
			if !slices.Equal(details, tc.details) {
				t.Errorf("details %q, want %q", details, tc.details)
			}
			if tc.unwrapsTo != nil && !tc.unwrapsTo(got) {
				t.Errorf("%v does not unwrap to what Fabric reported (%T)", got, err)
			}
		})
	}
	if Classify(nil) != nil {
		t.Fatal("Classify(nil) != nil")
	}
}
