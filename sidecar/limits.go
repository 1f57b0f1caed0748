package sidecar

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
)

// budget is a count (bytes, streams) that requests take from and give back, without waiting:
// a request that finds it spent is shed with 503 rather than queued.
type budget struct {
	used atomic.Int64
	max  int64
}

// take takes n if that stays within max, and reports whether it did.
func (b *budget) take(n int64) bool {
	for {
		u := b.used.Load()
		if u+n > b.max {
			return false
		}
		if b.used.CompareAndSwap(u, u+n) {
			return true
		}
	}
}

func (b *budget) give(n int64) { b.used.Add(-n) }

// limitListener caps the connections open at once: at the cap, Accept waits until one closes,
// and new connections wait in the kernel's backlog instead of taking file descriptors and
// memory. It is golang.org/x/net/netutil.LimitListener's idea in a few lines, plus the counts
// the metrics report.
type limitListener struct {
	net.Listener
	slots  chan struct{}
	closed chan struct{}
	once   sync.Once
	conns  atomic.Int64 // connections open (the slots less the one a waiting Accept holds)
	waits  atomic.Int64 // Accepts that found every slot taken
}

func newLimitListener(ln net.Listener, max int) *limitListener {
	return &limitListener{Listener: ln, slots: make(chan struct{}, max), closed: make(chan struct{})}
}

// open is the number of connections open now.
func (l *limitListener) open() int { return int(l.conns.Load()) }

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	default:
		l.waits.Add(1)
		select {
		case l.slots <- struct{}{}:
		case <-l.closed:
			return nil, net.ErrClosed
		}
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	l.conns.Add(1)
	return &limitConn{Conn: c, release: func() { l.conns.Add(-1); <-l.slots }}, nil
}

func (l *limitListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

// limitConn gives its slot back on its first Close.
type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// bodyChunk is the first buffer a body is read into, and the budget it takes first.
const bodyChunk = 4 << 10

// errBodyTooLarge and errBusy are readBody's refusals.
var (
	errBodyTooLarge = errors.New("body too large")
	errBusy         = errors.New("body budget spent")
)

// readBody reads a body of declared bytes (-1: unknown), at most max, taking from b what its
// buffer holds as it grows (doubling, up to the declared length), so that memory follows the
// bytes that arrived, not the length a client declared. It returns the body and how much it
// took from b: give that back once the body is no longer used, whatever the error.
func readBody(r io.Reader, declared, max int64, b *budget) ([]byte, int64, error) {
	size := max + 1 // room for one byte more than max tells a body over max
	if declared >= 0 {
		if declared > max {
			return nil, 0, errBodyTooLarge
		}
		size = declared
	}
	taken := min(size, bodyChunk)
	if !b.take(taken) {
		return nil, 0, errBusy
	}
	buf := make([]byte, 0, taken)
	for {
		if len(buf) == cap(buf) && int64(cap(buf)) < size {
			grown := min(2*int64(cap(buf)), size)
			if !b.take(grown) {
				return nil, taken, errBusy
			}
			next := make([]byte, len(buf), grown)
			copy(next, buf)
			b.give(int64(cap(buf)))
			taken += grown - int64(cap(buf))
			buf = next
		}
		var (
			n   int
			err error
		)
		if len(buf) < cap(buf) {
			n, err = r.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
		} else {
			// The buffer holds size bytes: only the end may follow.
			var one [1]byte
			if n, err = r.Read(one[:]); n > 0 {
				return nil, taken, errBodyTooLarge
			}
		}
		switch {
		case errors.Is(err, io.EOF):
			if int64(len(buf)) > max {
				return nil, taken, errBodyTooLarge
			}
			return buf, taken, nil
		case err != nil:
			return nil, taken, err
		}
	}
}
