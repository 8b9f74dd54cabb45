package querycache

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func newClock() *clock { return &clock{now: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)} }

// counting returns a loader answering value and counting its calls.
func counting(calls *atomic.Int32, value string, expires time.Time) Loader[string] {
	return func(context.Context) (string, time.Time, error) {
		calls.Add(1)
		return value, expires, nil
	}
}

func TestGetKeepsAnswersUntilTTL(t *testing.T) {
	clk := newClock()
	c := New[string, string](Options{TTL: 10 * time.Second, MaxEntries: 10, Now: clk.Now})
	ctx := context.Background()
	var calls atomic.Int32

	for i, want := range []Outcome{Miss, Hit, Hit} {
		v, got, err := c.Get(ctx, "a", counting(&calls, "A", time.Time{}))
		if err != nil || v != "A" || got != want {
			t.Fatalf("get %d: %q %s %v, want A %s", i, v, got, err, want)
		}
	}
	clk.Advance(10 * time.Second)
	if _, got, _ := c.Get(ctx, "a", counting(&calls, "A2", time.Time{})); got != Miss {
		t.Fatalf("after the TTL: %s, want a miss", got)
	}
	if n := calls.Load(); n != 2 {
		t.Fatalf("loader called %d times, want 2", n)
	}
}

func TestGetHonoursTheLoadersExpiry(t *testing.T) {
	clk := newClock()
	c := New[string, string](Options{TTL: time.Minute, MaxEntries: 10, Now: clk.Now})
	var calls atomic.Int32
	expires := clk.Now().Add(2 * time.Second)
	c.Get(context.Background(), "a", counting(&calls, "A", expires))
	clk.Advance(time.Second)
	if _, got, _ := c.Get(context.Background(), "a", counting(&calls, "A", expires)); got != Hit {
		t.Fatalf("before the answer's expiry: %s, want a hit", got)
	}
	clk.Advance(time.Second)
	if _, got, _ := c.Get(context.Background(), "a", counting(&calls, "A", expires)); got != Miss {
		t.Fatalf("at the answer's expiry: %s, want a miss", got)
	}
}

func TestGetDoesNotKeepErrors(t *testing.T) {
	c := New[string, string](Options{TTL: time.Minute, MaxEntries: 10})
	boom := errors.New("peer unavailable")
	_, _, err := c.Get(context.Background(), "a", func(context.Context) (string, time.Time, error) { return "", time.Time{}, boom })
	if !errors.Is(err, boom) {
		t.Fatalf("error %v, want %v", err, boom)
	}
	var calls atomic.Int32
	if v, got, err := c.Get(context.Background(), "a", counting(&calls, "A", time.Time{})); err != nil || v != "A" || got != Miss {
		t.Fatalf("after a failed load: %q %s %v, want a fresh load", v, got, err)
	}
}

func TestConcurrentMissesShareOneLoad(t *testing.T) {
	c := New[string, string](Options{TTL: time.Minute, MaxEntries: 10})
	release := make(chan struct{})
	var calls atomic.Int32
	slow := func(context.Context) (string, time.Time, error) {
		calls.Add(1)
		<-release
		return "A", time.Time{}, nil
	}
	const callers = 20
	outcomes := make(chan Outcome, callers)
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			v, o, err := c.Get(context.Background(), "a", slow)
			if err != nil || v != "A" {
				t.Errorf("got %q %v", v, err)
			}
			outcomes <- o
		})
	}
	// Let every caller reach the cache before the load finishes.
	for !c.loading("a") {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	close(outcomes)
	count := map[Outcome]int{}
	for o := range outcomes {
		count[o]++
	}
	if calls.Load() != 1 || count[Miss] != 1 || count[Miss]+count[Shared]+count[Hit] != callers {
		t.Fatalf("%d loads, outcomes %v; want 1 load, 1 miss, the rest shared or hits", calls.Load(), count)
	}
}

// loading reports whether a load of key is under way.
func (c *Cache[K, V]) loading(key K) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.loads[key]
	return ok
}

func TestAWaiterGivesUpWithItsContext(t *testing.T) {
	c := New[string, string](Options{TTL: time.Minute, MaxEntries: 10})
	release := make(chan struct{})
	go c.Get(context.Background(), "a", func(context.Context) (string, time.Time, error) { <-release; return "A", time.Time{}, nil })
	for !c.loading("a") {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, _, err := c.Get(ctx, "a", func(context.Context) (string, time.Time, error) { return "not shared", time.Time{}, nil }); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiter: %v, want its deadline", err)
	}
	close(release)
}

func TestALoadOutlivesItsCallersCancellation(t *testing.T) {
	c := New[string, string](Options{TTL: time.Minute, MaxEntries: 10})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	v, _, err := c.Get(ctx, "a", func(ctx context.Context) (string, time.Time, error) { return "A", time.Time{}, ctx.Err() })
	if err != nil || v != "A" {
		t.Fatalf("load under a cancelled request: %q %v; others may be waiting for it, so it must run", v, err)
	}
}

func TestInvalidateDropsAnswersAndLoadsUnderWay(t *testing.T) {
	c := New[string, string](Options{TTL: time.Minute, MaxEntries: 10})
	ctx := context.Background()
	var calls atomic.Int32
	c.Get(ctx, "a", counting(&calls, "old", time.Time{}))
	c.Invalidate()
	if c.Len() != 0 {
		t.Fatalf("%d answers after Invalidate", c.Len())
	}

	// A load that started before an invalidation answers its caller but is not kept.
	started, release := make(chan struct{}), make(chan struct{})
	done := make(chan string)
	go func() {
		v, _, _ := c.Get(ctx, "a", func(context.Context) (string, time.Time, error) {
			close(started)
			<-release
			return "read before the change", time.Time{}, nil
		})
		done <- v
	}()
	<-started
	c.Invalidate()
	// A Get after the invalidation does not wait for the old load.
	if v, o, _ := c.Get(ctx, "a", counting(&calls, "new", time.Time{})); v != "new" || o != Miss {
		t.Fatalf("after Invalidate: %q %s, want a load of its own", v, o)
	}
	close(release)
	if v := <-done; v != "read before the change" {
		t.Fatalf("the first caller got %q", v)
	}
	if v, o, _ := c.Get(ctx, "a", counting(&calls, "unexpected", time.Time{})); v != "new" || o != Hit {
		t.Fatalf("kept answer %q (%s), want the one loaded after the change", v, o)
	}
}

func TestMaxEntriesBoundsTheCache(t *testing.T) {
	clk := newClock()
	c := New[int, int](Options{TTL: time.Minute, MaxEntries: 16, Now: clk.Now})
	for i := range 100 {
		c.Get(context.Background(), i, func(context.Context) (int, time.Time, error) { return i, time.Time{}, nil })
		if n := c.Len(); n > 16 {
			t.Fatalf("%d answers kept, want at most 16", n)
		}
	}
	// Expired answers make room before live ones.
	c.Invalidate()
	for i := range 15 {
		c.Get(context.Background(), i, func(context.Context) (int, time.Time, error) { return i, clk.Now().Add(time.Second), nil })
	}
	c.Get(context.Background(), 100, func(context.Context) (int, time.Time, error) { return 100, time.Time{}, nil })
	clk.Advance(2 * time.Second)
	c.Get(context.Background(), 101, func(context.Context) (int, time.Time, error) { return 101, time.Time{}, nil })
	if _, o, _ := c.Get(context.Background(), 100, func(context.Context) (int, time.Time, error) { return -1, time.Time{}, nil }); o != Hit || c.Len() != 2 {
		t.Fatalf("live answer: %s with %d kept; want a hit, the 15 expired ones dropped", o, c.Len())
	}
}
