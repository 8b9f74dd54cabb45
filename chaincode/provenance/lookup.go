package provenance

// GetProductArgs is the argument of GetProduct.
type GetProductArgs struct {
	GTIN string `json:"gtin"`
}

// Validate checks and normalises the GTIN.
func (a *GetProductArgs) Validate() error {
	gtin, err := NormalizeGTIN("gtin", a.GTIN)
	a.GTIN = gtin
	return err
}

// GetLotArgs is the argument of GetLot.
type GetLotArgs struct {
	GTIN string `json:"gtin"`
	Lot  string `json:"lot"`
}

// Validate checks the fields and normalises the GTIN.
func (a *GetLotArgs) Validate() error {
	gtin, err := NormalizeGTIN("gtin", a.GTIN)
	if err != nil {
		return err
	}
	a.GTIN = gtin
	return ValidateLotNumber("lot", a.Lot)
}

// GetItemArgs is the argument of GetItem.
type GetItemArgs struct {
	GTIN   string `json:"gtin"`
	Serial string `json:"serial"`
}

// Validate checks the fields and normalises the GTIN.
func (a *GetItemArgs) Validate() error {
	gtin, err := NormalizeGTIN("gtin", a.GTIN)
	if err != nil {
		return err
	}
	a.GTIN = gtin
	return ValidateSerial("serial", a.Serial)
}
