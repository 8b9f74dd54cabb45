package provenance

import "github.com/cxledger/cxledger/gs1"

// NormalizeGTIN checks a GTIN-8, -12, -13 or -14 and returns it as the
// 14-digit GTIN the ledger keys on; it is gs1.NormalizeGTIN, the one
// definition of the rule.
func NormalizeGTIN(field, gtin string) (string, error) { return gs1.NormalizeGTIN(field, gtin) }

// ValidateLotNumber checks a batch/lot number as GS1 AI (10) allows it; it
// is gs1.ValidateLotNumber.
func ValidateLotNumber(field, lot string) error { return gs1.ValidateLotNumber(field, lot) }

// ValidateSerial checks a serial number as GS1 AI (21) allows it; it is
// gs1.ValidateSerial.
func ValidateSerial(field, serial string) error { return gs1.ValidateSerial(field, serial) }
