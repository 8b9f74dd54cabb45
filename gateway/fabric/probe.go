package fabric

import (
	"context"
	"fmt"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
)

// Probe proves a network commits: it submits health:Ping through the gateway and waits for
// the transaction to commit VALID, retrying until ctx ends. Right after start-up the first
// cross-organisation endorsement can fail for a few seconds while gossip meets, so a failed
// attempt is retried, not reported. It returns the committed transaction ID.
func Probe(ctx context.Context, gw *client.Gateway, channel, chaincode string) (string, error) {
	contract := gw.GetNetwork(channel).GetContractWithName(chaincode, "health")
	var last error
	for attempt := 1; ; attempt++ {
		nonce := fmt.Sprintf("probe-%d-%d", time.Now().UnixNano(), attempt)
		_, commit, err := contract.SubmitAsync("Ping", client.WithArguments(nonce))
		if err == nil {
			var status *client.Status
			status, err = commit.StatusWithContext(ctx)
			if err == nil && status.Successful {
				return status.TransactionID, nil
			}
			if err == nil {
				err = fmt.Errorf("transaction %s committed with status %s", status.TransactionID, status.Code)
			}
		}
		last = err
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("network not ready after %d attempts: %w", attempt, last)
		case <-time.After(500 * time.Millisecond):
		}
	}
}
