//go:build !linux

package realtime

import (
	"errors"
	"net"
)

// Without epoll, every socket is read by a goroutine of its own (client.readLoop).

type poller struct{}

type pollEntry struct{}

var errNoPoller = errors.New("socket cannot be polled")

func newPoller() (*poller, error) { return nil, errNoPoller }

func (p *poller) watch(net.Conn, func()) (*pollEntry, error) { return nil, errNoPoller }
func (p *poller) rearm(*pollEntry) error                     { return errNoPoller }
func (p *poller) forget(*pollEntry)                          {}
func (p *poller) len() int                                   { return 0 }
func (p *poller) close()                                     {}
