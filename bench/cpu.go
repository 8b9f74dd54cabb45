package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Process is a process whose CPU time a run reports.
type Process struct {
	Name string
	PID  int
}

// ProcessCPU is the CPU time a process used: a sample (Seconds since the process started)
// or, from CPUDelta, the time used over a run and the cores that amounts to.
type ProcessCPU struct {
	Name    string  `json:"name"`
	PID     int     `json:"pid"`
	Seconds float64 `json:"cpuSeconds"`
	Cores   float64 `json:"cores,omitempty"`
}

// clockTicks is the kernel's USER_HZ, the unit of /proc/<pid>/stat times; 100 on every
// Linux architecture Go supports.
const clockTicks = 100

// SampleCPU reads the user plus system CPU time of each process from /proc. A process that
// is gone is left out.
func SampleCPU(procs []Process) []ProcessCPU {
	var out []ProcessCPU
	for _, p := range procs {
		secs, err := cpuSeconds(p.PID)
		if err != nil {
			continue
		}
		out = append(out, ProcessCPU{Name: p.Name, PID: p.PID, Seconds: secs})
	}
	return out
}

func cpuSeconds(pid int) (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(data)
	// Fields after the parenthesised command name; utime and stime are fields 14 and 15
	// of the whole line, so 12 and 13 after the name.
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	fields := strings.Fields(s[i+1:])
	if len(fields) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	utime, err1 := strconv.ParseUint(fields[11], 10, 64)
	stime, err2 := strconv.ParseUint(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("parse /proc/%d/stat times", pid)
	}
	return float64(utime+stime) / clockTicks, nil
}

// CPUDelta is the CPU each process used between two samples, and the average number of
// cores that is over elapsed. Processes missing from either sample are left out.
func CPUDelta(before, after []ProcessCPU, elapsed time.Duration) []ProcessCPU {
	start := map[int]float64{}
	for _, b := range before {
		start[b.PID] = b.Seconds
	}
	var out []ProcessCPU
	for _, a := range after {
		s, ok := start[a.PID]
		if !ok {
			continue
		}
		d := ProcessCPU{Name: a.Name, PID: a.PID, Seconds: a.Seconds - s}
		if elapsed > 0 {
			d.Cores = d.Seconds / elapsed.Seconds()
		}
		out = append(out, d)
	}
	return out
}

// LoadAverage is the machine's 1-minute load average, from /proc/loadavg.
func LoadAverage() (float64, error) {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0, err
	}
	return parseLoadAverage(string(data))
}

func parseLoadAverage(s string) (float64, error) {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return 0, fmt.Errorf("empty load average")
	}
	return strconv.ParseFloat(fields[0], 64)
}

// CPUPerOp is the CPU time all sampled processes used per committed operation, in
// milliseconds; zero when nothing committed or nothing was sampled.
func (r Result) CPUPerOp() float64 {
	if r.Committed == 0 {
		return 0
	}
	var secs float64
	for _, c := range r.CPU {
		secs += c.Seconds
	}
	return 1000 * secs / float64(r.Committed)
}
