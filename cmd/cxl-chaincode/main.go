// Command cxl-chaincode serves the cxledger chaincode as an external service (chaincode as
// a service): peers connect to it at CHAINCODE_SERVER_ADDRESS, and it identifies itself with
// CHAINCODE_ID, the package ID the peer installed.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/cxledger/cxledger/chaincode"
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
	cc, err := chaincode.New(v)
	if err != nil {
		return err
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
