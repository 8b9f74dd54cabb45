package cmdutil

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// isTerminal reports whether f is a character device (a terminal). CXL_FORCE_TTY=1 makes
// every stream count as one, for trying the table output through a pipe.
func isTerminal(f *os.File) bool {
	if os.Getenv("CXL_FORCE_TTY") != "" {
		return true
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Progress shows that a long operation is under way: a spinner with a label on a terminal,
// nothing otherwise (scripts read stderr for errors, not for animation). Stop clears it.
type Progress struct {
	w     io.Writer
	mu    sync.Mutex
	label string
	done  chan struct{}
	wg    sync.WaitGroup
}

// StartProgress starts a progress indicator on ErrOut labelled label, if ErrOut is a
// terminal; it returns a Progress whose Stop must be called before anything else is
// written to ErrOut.
func (s *IOStreams) StartProgress(label string) *Progress {
	p := &Progress{label: label}
	if !s.ErrTTY {
		return p
	}
	p.w, p.done = s.ErrOut, make(chan struct{})
	p.wg.Add(1)
	go p.spin()
	return p
}

func (p *Progress) spin() {
	defer p.wg.Done()
	frames := []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for i := 0; ; i++ {
		p.mu.Lock()
		fmt.Fprintf(p.w, "\r\033[K%s %s", frames[i%len(frames)], p.label)
		p.mu.Unlock()
		select {
		case <-p.done:
			fmt.Fprint(p.w, "\r\033[K")
			return
		case <-t.C:
		}
	}
}

// Update changes the label.
func (p *Progress) Update(label string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.label = label
	p.mu.Unlock()
}

// Stop clears the indicator. It is safe to call more than once.
func (p *Progress) Stop() {
	if p == nil || p.done == nil {
		return
	}
	p.mu.Lock()
	done := p.done
	p.done = nil
	p.mu.Unlock()
	if done != nil {
		close(done)
		p.wg.Wait()
	}
}

// Bar renders "label [=====>    ] 37/100" for a count, for a terminal.
func Bar(label string, done, total, width int) string {
	if total <= 0 {
		return fmt.Sprintf("%s %d", label, done)
	}
	filled := done * width / total
	bar := make([]byte, width)
	for i := range bar {
		switch {
		case i < filled:
			bar[i] = '='
		case i == filled:
			bar[i] = '>'
		default:
			bar[i] = ' '
		}
	}
	return fmt.Sprintf("%s [%s] %d/%d", label, bar, done, total)
}
