package realtime

import (
	"log/slog"
	"time"
)

// NewHubForTest is NewHub with a keepalive tick of tick instead of a second, and with every
// socket read by a goroutine of its own (as where epoll is missing) when goroutineReads.
func NewHubForTest(bus Bus, src Source, logger *slog.Logger, tick time.Duration, goroutineReads bool) (*Hub, error) {
	return newHub(bus, src, logger, hubOptions{tick: tick, goroutineReads: goroutineReads})
}

// Watched reports how many sockets the hub's poller watches and its keepalive pings.
func (h *Hub) Watched() (polled, pinged int) {
	if h.poller != nil {
		polled = h.poller.len()
	}
	return polled, h.ka.len()
}

// Limits the tests probe.
const (
	MaxFrameBytes = maxFrameBytes
	PingTicks     = pingTicks
	AnswerTicks   = answerTicks
)

// RecheckSessions runs the heartbeat's session check now.
func (h *Hub) RecheckSessions() { h.recheckSessions(h.ctx) }
