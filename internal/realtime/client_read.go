package realtime

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"time"

	"github.com/gobwas/ws"
)

// startReading hands the socket to the hub's poller, or to a goroutine of its own when it
// cannot be polled (TLS, or not Linux).
func (c *client) startReading() {
	if p := c.hub.poller; p != nil {
		c.rmu.Lock() // the first event waits until poll is set
		e, err := p.watch(c.conn, c.onReadable)
		if err == nil {
			c.poll.Store(e)
		}
		c.rmu.Unlock()
		if err == nil {
			return
		}
		if !errors.Is(err, errNoPoller) {
			c.hub.logger.Warn("socket poller", "err", err)
		}
	}
	go c.readLoop()
}

// onReadable runs when the poller saw bytes (or the end) on an idle socket.
func (c *client) onReadable() {
	c.rmu.Lock()
	err := c.readAvailable(nil)
	e := c.poll.Load()
	c.rmu.Unlock()
	if !c.readFailed(err) {
		return
	}
	if err := c.hub.poller.rearm(e); err != nil {
		c.teardown()
	}
}

// readLoop reads a socket that cannot be polled: it waits for a first byte, then reads
// what is there.
func (c *client) readLoop() {
	var b [1]byte
	for {
		c.conn.SetReadDeadline(time.Time{})
		n, err := c.conn.Read(b[:])
		if err != nil {
			c.teardown()
			return
		}
		c.rmu.Lock()
		err = c.readAvailable(b[:n])
		c.rmu.Unlock()
		if !c.readFailed(err) {
			return
		}
	}
}

// readFailed acts on the end of a read and reports whether to keep reading: a close error
// sends its close frame (and the client's answer is still to be read); the end of the
// connection tears the socket down.
func (c *client) readFailed(err error) (again bool) {
	var ce closeError
	switch {
	case err == nil:
		return true
	case errors.As(err, &ce):
		c.kick(ce.code, ce.why)
		return true
	case errors.Is(err, errStopReading):
		return false
	default:
		c.teardown()
		return false
	}
}

// readAvailable reads and handles the messages waiting on the socket, starting with early
// (bytes already taken off the connection). It returns once no byte is left buffered: a
// message, once begun, is read to its end.
func (c *client) readAvailable(early []byte) error {
	var src io.Reader = c.conn
	if len(early) > 0 {
		src = io.MultiReader(bytes.NewReader(early), c.conn)
	}
	br := readers.Get().(*bufio.Reader)
	br.Reset(src)
	defer func() {
		br.Reset(nil)
		readers.Put(br)
	}()
	c.conn.SetReadDeadline(time.Now().Add(frameTimeout))
	for {
		m, err := readMessage(br, c.onControl)
		if err != nil {
			return err
		}
		c.lastRead.Store(c.hub.ka.now())
		if m.op != 0 {
			if err := c.onMessage(m); err != nil {
				return err
			}
		}
		if br.Buffered() == 0 {
			return nil
		}
	}
}

// onControl answers the client's control frames: a ping gets its pong; a close frame
// either answers ours (the socket is done) or asks for our answer.
func (c *client) onControl(op ws.OpCode, p []byte) error {
	c.lastRead.Store(c.hub.ka.now())
	switch op {
	case ws.OpPing:
		c.push(item{ctl: ctlWSPong, data: p})
	case ws.OpClose:
		code, reason := ws.ParseCloseFrameData(p)
		if len(p) >= 2 && ws.CheckCloseFrameData(code, reason) != nil {
			code = closeProtocol
		}
		c.mu.Lock()
		c.peerClosed = true
		sent := c.closeSent
		if !c.closing {
			// Echo the client's code; the writer closes once it is sent.
			c.closing, c.closeCode, c.closeWhy, c.queue = true, code, "", nil
			if !c.writing {
				c.writing = true
				go c.writeLoop(false)
			}
		}
		c.mu.Unlock()
		if sent {
			c.teardown()
		}
		return errStopReading
	}
	return nil
}

// onMessage handles a data message.
func (c *client) onMessage(m message) error {
	if c.isClosing() {
		return nil // nothing more is read once the socket is closing
	}
	var in inbound
	if m.op != ws.OpText || json.Unmarshal(m.payload, &in) != nil {
		return badFrame("frames must be JSON text")
	}
	ctx, cancel := context.WithTimeout(c.hub.ctx, writeTimeout)
	defer cancel()
	if err := c.hub.onInbound(ctx, c, &in); err != nil {
		var ce closeError
		if errors.As(err, &ce) {
			return ce
		}
		c.hub.logger.Warn("socket frame", "err", err)
	}
	return nil
}
