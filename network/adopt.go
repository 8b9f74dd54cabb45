package network

import (
	"fmt"
	"os"
	"strconv"
)

// Adopt records pid, a process another program launched (a PostgreSQL server runs as its
// own user), as the supervised process name (run/<name>.pid), so that Running, Stop and
// `cxl network down` treat it like the processes Start launches.
func Adopt(home Home, name string, pid int) error {
	if err := os.MkdirAll(home.Run(), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", home.Run(), err)
	}
	if err := os.WriteFile(pidFile(home, name), []byte(strconv.Itoa(pid)), 0o644); err != nil {
		return fmt.Errorf("record PID of %s: %w", name, err)
	}
	return nil
}
