package bench

import (
	"os"
	"runtime"
	"strconv"
	"strings"
)

// Machine describes where a benchmark ran.
type Machine struct {
	CPUs        int     `json:"cpus"`
	MemoryBytes uint64  `json:"memoryBytes"`
	GoVersion   string  `json:"goVersion"`
	Kernel      string  `json:"kernel,omitempty"`
	LoadAverage float64 `json:"loadAverage1m"`
}

// ThisMachine describes the machine the benchmark runs on, from the Go runtime and /proc.
func ThisMachine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version()}
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		m.MemoryBytes = parseMemTotal(string(data))
	}
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(data))
	}
	m.LoadAverage, _ = LoadAverage()
	return m
}

// parseMemTotal reads MemTotal (kB) from /proc/meminfo text, in bytes.
func parseMemTotal(meminfo string) uint64 {
	for _, line := range strings.Split(meminfo, "\n") {
		rest, ok := strings.CutPrefix(line, "MemTotal:")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			return 0
		}
		kb, err := strconv.ParseUint(fields[0], 10, 64)
		if err != nil {
			return 0
		}
		return kb * 1024
	}
	return 0
}
