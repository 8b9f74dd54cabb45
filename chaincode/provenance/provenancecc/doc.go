// Package provenancecc is the implementation of the provenance contract: the contractapi
// contract and its transaction functions on the ledger kit. The contract's
// argument and result types, with their validation, are package provenance, which
// does not import Fabric, so clients use them without linking the shim.
package provenancecc
