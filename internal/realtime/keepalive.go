package realtime

import (
	"sync"
	"sync/atomic"
	"time"
)

// Keepalive timing, in ticks of one second (docs/protocol.md: the server pings every 25 s
// and closes a socket that has not answered within 60 s).
const (
	pingTicks   = 25 // a ping every 25 ticks
	answerTicks = 35 // each ping answered (any frame counts) within 35 ticks: 60 s in all
)

// keepalive pings every socket every pingTicks ticks and closes the sockets that did not
// answer a ping within answerTicks ticks. Sockets sit in pingTicks lists by the tick they
// arrived at, so each tick touches 1/pingTicks of them and an idle socket needs no timer or
// goroutine of its own: only two list pointers.
type keepalive struct {
	tick  time.Duration
	ticks atomic.Int64 // ticks since the hub started

	mu         sync.Mutex
	heads      [pingTicks]*client
	ping, late []*client // reused by each tick

	stop chan struct{}
	done chan struct{}
}

func newKeepalive(tick time.Duration) *keepalive {
	k := &keepalive{tick: tick, stop: make(chan struct{}), done: make(chan struct{})}
	go k.run()
	return k
}

// now is the current tick.
func (k *keepalive) now() int64 { return k.ticks.Load() }

// add starts pinging c (a closed socket is left out).
func (k *keepalive) add(c *client) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if c.isClosed() || c.kaBucket >= 0 {
		return
	}
	now := k.now()
	// The socket counts as heard from at the tick it joins its list: one whose last read
	// was stamped a tick earlier (its registration crossed a tick) would otherwise be
	// closed 10 ticks after its first ping instead of answerTicks.
	for {
		last := c.lastRead.Load()
		if last >= now || c.lastRead.CompareAndSwap(last, now) {
			break
		}
	}
	b := int8(now % pingTicks)
	c.kaBucket, c.kaPrev, c.kaNext = b, nil, k.heads[b]
	if c.kaNext != nil {
		c.kaNext.kaPrev = c
	}
	k.heads[b] = c
}

// remove stops pinging c.
func (k *keepalive) remove(c *client) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if c.kaBucket < 0 {
		return
	}
	if c.kaPrev != nil {
		c.kaPrev.kaNext = c.kaNext
	} else {
		k.heads[c.kaBucket] = c.kaNext
	}
	if c.kaNext != nil {
		c.kaNext.kaPrev = c.kaPrev
	}
	c.kaPrev, c.kaNext, c.kaBucket = nil, nil, -1
}

func (k *keepalive) len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	n := 0
	for _, c := range k.heads {
		for ; c != nil; c = c.kaNext {
			n++
		}
	}
	return n
}

func (k *keepalive) run() {
	defer close(k.done)
	t := time.NewTicker(k.tick)
	defer t.Stop()
	for {
		select {
		case <-k.stop:
			return
		case <-t.C:
		}
		k.step(k.ticks.Add(1))
	}
}

// step pings the sockets whose turn it is at tick now, and closes those of the list pinged
// answerTicks ago (and once more since) that have read nothing since that ping.
func (k *keepalive) step(now int64) {
	k.mu.Lock()
	k.ping, k.late = k.ping[:0], k.late[:0]
	for c := k.heads[now%pingTicks]; c != nil; c = c.kaNext {
		k.ping = append(k.ping, c)
	}
	for c := k.heads[mod(now-answerTicks, pingTicks)]; c != nil; c = c.kaNext {
		if c.lastRead.Load() < now-answerTicks {
			k.late = append(k.late, c)
		}
	}
	ping, late := k.ping, k.late
	k.mu.Unlock()
	// Outside the lock: a push may start a writer, and a kick may end in remove.
	for _, c := range late {
		c.kick(CloseReconnect, "no answer to ping: reconnect and resume")
	}
	for _, c := range ping {
		c.push(item{ctl: ctlPing})
	}
	clear(ping)
	clear(late)
}

func mod(a, n int64) int64 { return (a%n + n) % n }

func (k *keepalive) close() {
	close(k.stop)
	<-k.done
}
