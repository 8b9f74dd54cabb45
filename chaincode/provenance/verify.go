package provenance

// VerifyArgs is the argument of Verify.
type VerifyArgs struct {
	GTIN   string `json:"gtin"`
	Serial string `json:"serial"`
}

// Validate checks the fields and normalises the GTIN.
func (a *VerifyArgs) Validate() error {
	gtin, err := NormalizeGTIN("gtin", a.GTIN)
	if err != nil {
		return err
	}
	a.GTIN = gtin
	return ValidateSerial("serial", a.Serial)
}
