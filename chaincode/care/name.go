package care

// Name is the contract's name in the chaincode.
const Name = "care"
