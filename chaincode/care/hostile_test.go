package care_test

import (
	"strings"
	"testing"

	"github.com/cxledger/cxledger/chaincode/care"
	"github.com/cxledger/cxledger/cxlerr"
)

// TestValidatePersonalRefusesInvalidUTF8: the client-side check refuses
// personal data that is not valid UTF-8 before sealing it (the chaincode sees
// only envelopes), so a ticket's hash is never over text a client had to repair.
func TestValidatePersonalRefusesInvalidUTF8(t *testing.T) {
	salt := []byte("0123456789abcdef")
	for _, tt := range []struct {
		key   string
		value []byte
	}{
		{care.TransientMessage, []byte("caf\xe9")},                   // Latin-1, not UTF-8
		{care.TransientMessage, []byte("x\xed\xa0\x80y")},            // an encoded surrogate
		{care.TransientContact, []byte("a\xc0\xafb@example.com")},    // an overlong encoding
		{care.TransientContact, []byte("alice@example.com\xf0\x9f")}, // truncated
	} {
		var contact, message string
		if tt.key == care.TransientContact {
			contact, message = string(tt.value), "help"
		} else {
			message = string(tt.value)
		}
		err := care.ValidateText(salt, contact, message, care.TransientContact, care.TransientMessage)
		if cxlerr.CodeOf(err) != cxlerr.Invalid || !strings.Contains(err.Error(), "transient "+tt.key+": not valid UTF-8") {
			t.Errorf("%s %q: %v, want INVALID not valid UTF-8", tt.key, tt.value, err)
		}
		if err != nil && strings.Contains(err.Error(), string(tt.value)) {
			t.Errorf("the error quotes the personal data: %v", err)
		}
	}
	if err := care.ValidateText(salt, "", "café ☕", care.TransientMessage); err != nil {
		t.Fatalf("valid UTF-8 refused: %v", err)
	}
}
