package network

import (
	"errors"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestCommitNotYet(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{status.Error(codes.FailedPrecondition, "no combination of peers can be derived which satisfy the endorsement policy"), true},
		{status.Error(codes.Aborted, "failed to collect enough transaction endorsements, see attached details for more info; peer1.org2.example.com: ProposalResponsePayloads do not match"), true},
		{status.Error(codes.Aborted, "failed to endorse transaction: chaincode definition for 'cxledger' at sequence 1 is already defined"), false},
		{status.Error(codes.PermissionDenied, "access denied"), false},
		{errors.New("ProposalResponsePayloads do not match"), false},
		{nil, false},
	} {
		if got := commitNotYet(tc.err); got != tc.want {
			t.Errorf("commitNotYet(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
