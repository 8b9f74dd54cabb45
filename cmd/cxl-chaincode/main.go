// Command cxl-chaincode serves the cxledger chaincode as an external service (chaincode as
// a service): peers connect to it at CHAINCODE_SERVER_ADDRESS, and it identifies itself with
// CHAINCODE_ID, the package ID the peer installed. CXL_CHAINCODE=baseline serves the
// benchmarks' baseline chaincode (one blind PutState) instead.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/cxledger/cxledger/chaincode"
	"github.com/cxledger/cxledger/chaincode/baseline"
)

// version is stamped at build time; CXL_CHAINCODE_VERSION overrides it at run time.
var version = "dev"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "cxl-chaincode:", err)
		os.Exit(1)
	}
}

func run() error {
	id, addr := os.Getenv("CHAINCODE_ID"), os.Getenv("CHAINCODE_SERVER_ADDRESS")
	if id == "" || addr == "" {
		return errors.New("CHAINCODE_ID and CHAINCODE_SERVER_ADDRESS must be set")
	}
	v := version
	if env := os.Getenv("CXL_CHAINCODE_VERSION"); env != "" {
		v = env
	}
	var cc shim.Chaincode = baseline.Chaincode{}
	switch name := os.Getenv("CXL_CHAINCODE"); name {
	case "", "cxledger":
		ledger, err := chaincode.New(v)
		if err != nil {
			return err
		}
		cc = ledger
	case "baseline":
	default:
		return fmt.Errorf("CXL_CHAINCODE=%q: want cxledger or baseline", name)
	}
	server := &shim.ChaincodeServer{
		CCID:    id,
		Address: addr,
		CC:      cc,
		// Peers reach the chaincode on loopback or a private container network.
		TLSProps: shim.TLSProperties{Disabled: true},
	}
	if err := server.Start(); err != nil {
		return fmt.Errorf("serve chaincode %s on %s: %w", id, addr, err)
	}
	return nil
}
