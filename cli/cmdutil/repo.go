package cmdutil

import (
	"fmt"
	"os"
	"path/filepath"
)

// FindRepo walks up from dir to the cxledger repository root (the directory holding
// network/fabric/go.mod).
func FindRepo(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", dir, err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "network", "fabric", "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no cxledger repository at or above %s (set CXL_REPO)", dir)
		}
	}
}
