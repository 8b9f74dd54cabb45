package provenance

// Name is the contract's name in the chaincode.
const Name = "provenance"
