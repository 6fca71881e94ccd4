//go:build linux

package realtime

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// poller reports which idle sockets became readable, so that no goroutine has to wait on
// each one: one epoll instance and one goroutine serve every socket of the hub. A socket
// is watched one-shot: once it fires, it is not reported again until rearm, so at most one
// reader runs per socket at a time.
//
// The sockets stay the net package's (and so in the runtime's own poller, which is harmless:
// nobody waits there while they are idle). Every epoll_ctl goes through the socket's
// syscall.RawConn Control, which holds the descriptor open for the duration of the call, so
// a closed socket's number reused by a new one can never be touched by mistake.
type poller struct {
	epfd, wakefd int

	mu      sync.RWMutex // also held (read) around every epoll_ctl, so none runs after close
	watched map[uint32]*pollEntry
	next    uint32
	closed  bool

	done chan struct{}
}

// pollEntry is one watched socket.
type pollEntry struct {
	key   uint32
	rc    syscall.RawConn
	ready func()
}

// wakeKey marks the event that stops the poller; sockets get keys from 1 up.
const wakeKey = 0

// errNoPoller means sockets must be read by a goroutine each.
var errNoPoller = errors.New("socket cannot be polled")

func newPoller() (*poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll_create1: %w", err)
	}
	wakefd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(epfd)
		return nil, fmt.Errorf("eventfd: %w", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: wakeKey}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wakefd, &ev); err != nil {
		unix.Close(epfd)
		unix.Close(wakefd)
		return nil, fmt.Errorf("epoll_ctl wake: %w", err)
	}
	p := &poller{epfd: epfd, wakefd: wakefd, watched: map[uint32]*pollEntry{}, done: make(chan struct{})}
	go p.loop()
	return p, nil
}

// watch starts watching conn: ready runs on a new goroutine once conn has something to read
// (data, end of stream or an error). It returns errNoPoller for a connection without a
// descriptor of its own (TLS, pipes).
func (p *poller) watch(conn net.Conn, ready func()) (*pollEntry, error) {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return nil, errNoPoller
	}
	if _, ok := conn.(*net.TCPConn); !ok {
		if _, ok := conn.(*net.UnixConn); !ok {
			return nil, errNoPoller
		}
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, err
	}
	e := &pollEntry{rc: rc, ready: ready}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errNoPoller
	}
	for {
		p.next++
		if p.next != wakeKey && p.watched[p.next] == nil {
			break
		}
	}
	e.key = p.next
	p.watched[e.key] = e
	p.mu.Unlock()
	if err := p.ctl(e, unix.EPOLL_CTL_ADD); err != nil {
		p.mu.Lock()
		delete(p.watched, e.key)
		p.mu.Unlock()
		if errors.Is(err, errPollerClosed) {
			return nil, errNoPoller
		}
		return nil, err
	}
	return e, nil
}

// rearm watches e again after it fired.
func (p *poller) rearm(e *pollEntry) error { return p.ctl(e, unix.EPOLL_CTL_MOD) }

// forget stops watching e; call it before closing the connection.
func (p *poller) forget(e *pollEntry) {
	p.mu.Lock()
	delete(p.watched, e.key)
	p.mu.Unlock()
	// A closed connection has already left the epoll set with its last descriptor.
	_ = p.ctl(e, unix.EPOLL_CTL_DEL)
}

var errPollerClosed = errors.New("socket poller closed")

func (p *poller) ctl(e *pollEntry, op int) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return errPollerClosed
	}
	var cerr error
	err := e.rc.Control(func(fd uintptr) {
		ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLONESHOT, Fd: int32(e.key)}
		cerr = unix.EpollCtl(p.epfd, op, int(fd), &ev)
	})
	if err != nil {
		return err
	}
	if cerr != nil {
		return fmt.Errorf("epoll_ctl: %w", cerr)
	}
	return nil
}

// len is the number of watched sockets.
func (p *poller) len() int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return len(p.watched)
}

func (p *poller) loop() {
	defer close(p.done)
	events := make([]unix.EpollEvent, 256)
	for {
		n, err := unix.EpollWait(p.epfd, events, -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			// Only a programming error (a bad epfd) gets here; sockets then stop being read
			// and are closed by the keepalive when they go silent.
			return
		}
		for _, ev := range events[:n] {
			key := uint32(ev.Fd)
			if key == wakeKey {
				return
			}
			p.mu.RLock()
			e := p.watched[key]
			p.mu.RUnlock()
			if e != nil {
				go e.ready()
			}
		}
	}
}

// close stops the poller; watched sockets are no longer reported.
func (p *poller) close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	p.mu.Unlock()
	var one = [8]byte{1}
	unix.Write(p.wakefd, one[:])
	<-p.done
	// No epoll_ctl can run now (closed is set and they hold the read lock), so the
	// descriptors' numbers may be reused at once.
	p.mu.Lock()
	unix.Close(p.epfd)
	unix.Close(p.wakefd)
	p.mu.Unlock()
}
