//go:build tools

// Package fabricca pins the Hyperledger Fabric CA release whose server and client cxledger
// builds and runs, one CA per organisation. It is a module of its own because Fabric CA 1.5
// and the Fabric 3.1 pseudo-version of network/fabric need different versions of shared
// dependencies. Nothing imports it: `go build` of the listed commands, driven by the network
// package, is the only use.
package fabricca

import (
	_ "github.com/hyperledger/fabric-ca/cmd/fabric-ca-client"
	_ "github.com/hyperledger/fabric-ca/cmd/fabric-ca-server"
)
