package httpapi

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cxledger/cxledger/cxlerr"
	"github.com/cxledger/cxledger/gateway/config"
	"golang.org/x/time/rate"
)

// keyHint says how to present an API key.
const keyHint = `send it as "Authorization: Bearer <key>" or "X-API-Key: <key>"`

// authenticate finds the principal of the API key a request presents, as
// "Authorization: Bearer <key>" or "X-API-Key: <key>". No key (or another Authorization
// scheme) and a key the service does not know are told apart: both are Unauthenticated.
func (s *Server) authenticate(r *http.Request) (Principal, error) {
	key := r.Header.Get("X-API-Key")
	if auth := r.Header.Get("Authorization"); key == "" && auth != "" {
		scheme, token, ok := strings.Cut(auth, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return Principal{}, cxlerr.Errorf(cxlerr.Unauthenticated, "an API key is required, and the Authorization header holds no bearer token: %s", keyHint)
		}
		key = strings.TrimSpace(token)
	}
	if key == "" {
		return Principal{}, cxlerr.Errorf(cxlerr.Unauthenticated, "an API key is required: %s", keyHint)
	}
	p, ok := s.opts.Principals[config.HashKey(key)]
	if !ok {
		return Principal{}, cxlerr.Errorf(cxlerr.Unauthenticated, "unknown API key: this service has no client with it")
	}
	return p, nil
}

// allow takes a token from lim, or answers 429 with Retry-After (whole seconds until a
// token is available) through fail and returns false.
func (s *Server) allow(w http.ResponseWriter, r *http.Request, lim *rate.Limiter, name string, fail func(http.ResponseWriter, *http.Request, error)) bool {
	res := lim.Reserve()
	delay := res.Delay()
	if res.OK() && delay == 0 {
		return true
	}
	res.Cancel()
	s.opts.Metrics.RateLimited(name)
	secs := 1
	if res.OK() {
		secs = max(1, int(math.Ceil(delay.Seconds())))
	}
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	fail(w, r, cxlerr.Errorf(cxlerr.RateLimited, "too many requests; retry in %d s", secs))
	return false
}

// clientAddress is the host a request came from (the peer address of the connection;
// forwarding headers are not trusted).
func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// addressLimiter keeps a rate limiter per client address, forgetting addresses idle for a
// while so that it stays small.
type addressLimiter struct {
	limit rate.Limit
	burst int

	mu      sync.Mutex
	byAddr  map[string]*addrEntry
	lastGC  time.Time
	idleTTL time.Duration
}

type addrEntry struct {
	lim  *rate.Limiter
	seen time.Time
}

func newAddressLimiter(limit rate.Limit, burst int) *addressLimiter {
	return &addressLimiter{limit: limit, burst: burst, byAddr: map[string]*addrEntry{}, lastGC: time.Now(), idleTTL: 10 * time.Minute}
}

func (a *addressLimiter) get(addr string) *rate.Limiter {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := time.Now()
	if now.Sub(a.lastGC) > a.idleTTL {
		for k, e := range a.byAddr {
			if now.Sub(e.seen) > a.idleTTL {
				delete(a.byAddr, k)
			}
		}
		a.lastGC = now
	}
	e, ok := a.byAddr[addr]
	if !ok {
		e = &addrEntry{lim: rate.NewLimiter(a.limit, a.burst)}
		a.byAddr[addr] = e
	}
	e.seen = now
	return e.lim
}
