//go:build integration

package test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/cxledger/cxledger/network"
)

// TestTransactionCommitsOnEveryPeerWithEvent submits through the Fabric Gateway as Org1,
// listens for the chaincode event as Org2, and checks every peer holds the transaction as
// VALID.
func TestTransactionCommitsOnEveryPeerWithEvent(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	listener := h.gateway(t, "Org2MSP", "User1", 0).GetNetwork(h.profile.Channel)
	events, err := listener.ChaincodeEvents(ctx, h.profile.Chaincode)
	if err != nil {
		t.Fatalf("listen for chaincode events: %v", err)
	}
	ping := h.contract(t, "Org1MSP", "User1", "health")
	nonce := fmt.Sprintf("it-%d", time.Now().UnixNano())
	_, commit, err := ping.SubmitAsync("Ping", client.WithArguments(nonce))
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	status, err := commit.Status()
	if err != nil {
		t.Fatalf("commit status: %v", err)
	}
	if !status.Successful {
		t.Fatalf("transaction %s committed as %s, want VALID", status.TransactionID, status.Code)
	}

	for ev := range events {
		if ev.TransactionID != status.TransactionID {
			continue
		}
		if ev.EventName != "health.Pinged" || !strings.Contains(string(ev.Payload), nonce) {
			t.Fatalf("event %s %s does not carry the nonce %s", ev.EventName, ev.Payload, nonce)
		}
		break
	}
	if ctx.Err() != nil {
		t.Fatalf("no chaincode event for transaction %s", status.TransactionID)
	}

	for _, org := range h.profile.Orgs {
		for i, p := range org.Peers {
			qscc := h.gateway(t, org.MSPID, "User1", i).GetNetwork(h.profile.Channel).GetContract("qscc")
			eventually(t, 10*time.Second, "transaction on "+p.Name, func() error {
				raw, err := qscc.Evaluate("GetTransactionByID", client.WithArguments(h.profile.Channel, status.TransactionID))
				if err != nil {
					return err
				}
				var ptx peer.ProcessedTransaction
				if err := proto.Unmarshal(raw, &ptx); err != nil {
					return fmt.Errorf("parse processed transaction: %w", err)
				}
				if code := peer.TxValidationCode(ptx.GetValidationCode()); code != peer.TxValidationCode_VALID {
					t.Fatalf("%s holds %s as %s, want VALID", p.Name, status.TransactionID, code)
				}
				return nil
			})
		}
	}
}

// TestOrdererFollowerKilled kills a Raft follower, keeps committing, restarts it and waits
// for it to catch up with the leader.
func TestOrdererFollowerKilled(t *testing.T) {
	ctx := context.Background()
	orderers := h.topo.OrdererNodes()
	lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	leader, err := network.RaftLeader(lctx, h.topo)
	if err != nil {
		t.Fatal(err)
	}
	var follower network.Node
	for _, o := range orderers {
		if o.Name != leader.Name {
			follower = o
			break
		}
	}
	t.Logf("leader %s, killing follower %s", leader.Name, follower.Name)
	if err := network.Kill(h.home, follower.Name); err != nil {
		t.Fatal(err)
	}
	ping := h.contract(t, "Org1MSP", "User1", "health")
	for i := range 5 {
		if _, err := ping.Submit("Ping", client.WithArguments(fmt.Sprintf("follower-down-%d-%d", time.Now().UnixNano(), i))); err != nil {
			t.Fatalf("transaction %d with %s down: %v", i, follower.Name, err)
		}
	}
	if _, err := h.cli("network", "up"); err != nil {
		t.Fatalf("restart %s: %v", follower.Name, err)
	}
	eventually(t, 60*time.Second, follower.Name+" catching up", func() error {
		want, err := network.OrdererHeight(ctx, h.home, h.topo, leader)
		if err != nil {
			return err
		}
		got, err := network.OrdererHeight(ctx, h.home, h.topo, follower)
		if err != nil {
			return err
		}
		if got != want {
			return fmt.Errorf("height %d, leader %d", got, want)
		}
		return nil
	})
}

// TestChaincodeUpgrade deploys a new version as the next sequence on the running network
// and checks the new chaincode servers answer.
func TestChaincodeUpgrade(t *testing.T) {
	before, ok, err := network.LoadDeployment(h.home)
	if err != nil || !ok {
		t.Fatalf("no deployment recorded: %v", err)
	}
	version := fmt.Sprintf("upgrade-%d", time.Now().Unix())
	if _, err := h.cli("network", "up", "--chaincode-version", version); err != nil {
		t.Fatal(err)
	}
	after, _, err := network.LoadDeployment(h.home)
	if err != nil {
		t.Fatal(err)
	}
	if after.Sequence != before.Sequence+1 || after.Version != version {
		t.Fatalf("deployment after upgrade: sequence %d version %q, want %d %q", after.Sequence, after.Version, before.Sequence+1, version)
	}
	for _, org := range h.profile.Orgs {
		health := h.contract(t, org.MSPID, "User1", "health")
		eventually(t, 30*time.Second, "new chaincode version answering on "+org.MSPID, func() error {
			got, err := health.Evaluate("Version")
			if err != nil {
				return err
			}
			if string(got) != version {
				return fmt.Errorf("chaincode reports version %q", got)
			}
			return nil
		})
	}
	if _, err := h.contract(t, "Org1MSP", "User1", "health").Submit("Ping", client.WithArguments("after-upgrade-"+version)); err != nil {
		t.Fatalf("submit after upgrade: %v", err)
	}
}
