//go:build tools

// Package fabric pins the Hyperledger Fabric release whose commands cxledger builds and runs.
// Nothing imports it: `go build` of the listed commands, driven by the network package, is
// the only use.
package fabric

import (
	_ "github.com/hyperledger/fabric/cmd/configtxgen"
	_ "github.com/hyperledger/fabric/cmd/cryptogen"
	_ "github.com/hyperledger/fabric/cmd/orderer"
	_ "github.com/hyperledger/fabric/cmd/osnadmin"
	_ "github.com/hyperledger/fabric/cmd/peer"
)
