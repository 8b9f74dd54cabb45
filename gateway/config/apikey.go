package config

import "crypto/sha256"

// HashKey is the SHA-256 of an API key, the form in which keys are configured
// (Principal.KeySHA256, in hex) and compared.
func HashKey(key string) [sha256.Size]byte { return sha256.Sum256([]byte(key)) }
