package network

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gateway/fabric"
	"github.com/cxledger/cxledger/network"
)

// roleGrant is the part of a consortium role grant the seeding reads back.
type roleGrant struct {
	MSP    string `json:"msp"`
	Role   string `json:"role"`
	Status string `json:"status"`
}

// SeedRoles grants every organisation the consortium roles its profile lists, the way the
// consortium contract demands: the organisation's own admin proposes, an admin of the next
// organisation approves. Grants already in force are left alone, so seeding twice changes
// nothing. A network of one organisation cannot grant roles (no second organisation can
// approve); SeedRoles then says so and grants none.
func SeedRoles(ctx context.Context, prof *network.Profile, progress io.Writer) error {
	if len(prof.Orgs) < 2 {
		fmt.Fprintln(progress, "one organisation only: consortium roles need a second organisation to approve them; none granted")
		return nil
	}
	admins := make([]*client.Contract, len(prof.Orgs))
	for i, org := range prof.Orgs {
		admin := org.Users["Admin"]
		conn, err := fabric.Connect(fabric.Identity{MSPID: org.MSPID, CertPath: admin.Cert, KeyPath: admin.Key},
			fabric.Peer{Address: org.Peers[0].Address, TLSRootCertPath: org.Peers[0].TLSRootCert}, fabric.DefaultTimeouts)
		if err != nil {
			return err
		}
		defer conn.Close()
		admins[i] = conn.Gateway.GetNetwork(prof.Channel).GetContractWithName(prof.Chaincode, "consortium")
	}
	raw, err := admins[0].EvaluateWithContext(ctx, "ListRoles")
	if err != nil {
		return fmt.Errorf("list consortium roles: %w", err)
	}
	var grants []roleGrant
	if err := json.Unmarshal(raw, &grants); err != nil {
		return fmt.Errorf("parse consortium roles: %w", err)
	}
	status := map[string]string{}
	for _, g := range grants {
		status[g.MSP+"/"+g.Role] = g.Status
	}
	// Grants of different roles touch different keys, so all proposals go out together,
	// then all approvals: two block times instead of two per role.
	var proposals, approvals []func() error
	var granted []string
	for i, org := range prof.Orgs {
		approver := admins[(i+1)%len(admins)]
		for _, role := range org.Roles {
			args, err := json.Marshal(map[string]string{"msp": org.MSPID, "role": role})
			if err != nil {
				return fmt.Errorf("encode role grant: %w", err)
			}
			switch status[org.MSPID+"/"+role] {
			case "active", "revoking":
				continue
			case "":
				proposer := admins[i]
				proposals = append(proposals, func() error {
					if err := submitUntilEndorsed(ctx, proposer, "ProposeRole", string(args)); err != nil {
						return fmt.Errorf("propose role %s for %s: %w", role, org.MSPID, err)
					}
					return nil
				})
			}
			granted = append(granted, org.MSPID+":"+role)
			approvals = append(approvals, func() error {
				// The proposal committed on the proposer's peer; the approver's peer may not
				// have that block yet and answers NOT_FOUND until it has.
				if err := submitUntilEndorsed(ctx, approver, "ApproveRole", string(args), cxlerr.NotFound); err != nil {
					return fmt.Errorf("approve role %s for %s: %w", role, org.MSPID, err)
				}
				return nil
			})
		}
	}
	if err := concurrently(proposals); err != nil {
		return err
	}
	if err := concurrently(approvals); err != nil {
		return err
	}
	if len(granted) > 0 {
		fmt.Fprintf(progress, "granted consortium roles %s\n", strings.Join(granted, " "))
	}
	return nil
}

// concurrently runs every function at once and returns their errors joined.
func concurrently(fns []func() error) error {
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn()
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// submitUntilEndorsed submits fn and waits for its commit. Right after start-up the gateway
// may not yet know every peer it needs for an endorsement plan ("no combination of peers
// can be derived"); such a failure happens before anything reaches the orderer, so an
// endorsement failure that fabric.Classify calls retryable is retried, for up to 30
// seconds, and so is an endorsement refused with one of the codes alsoRetry names (an
// approval whose proposal the endorsing peer has not committed yet is NOT_FOUND). Every
// other failure, the chaincode's own refusals included, is returned as it is.
func submitUntilEndorsed(ctx context.Context, contract *client.Contract, fn, args string, alsoRetry ...cxlerr.Code) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := contract.SubmitWithContext(ctx, fn, client.WithArguments(args))
		var endorseErr *client.EndorseError
		if err == nil || !errors.As(err, &endorseErr) || time.Now().After(deadline) {
			return err
		}
		if e := fabric.Classify(err); !e.Retryable && !slices.Contains(alsoRetry, e.Code) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(500 * time.Millisecond):
		}
	}
}
