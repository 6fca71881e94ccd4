package realtime

import (
	"context"
	"errors"
	"time"

	"github.com/gobwas/ws"
)

// writeLoop drains the send queue, then returns; only one runs per socket (writing). With
// replay, it first writes what a visitor missed since they last saw their conversation.
func (c *client) writeLoop(replay bool) {
	w := newFrameWriter(c.conn)
	defer w.release()
	ctx := c.hub.ctx
	if replay && c.isVisitor() && !c.isClosing() {
		if err := c.fill(ctx, w, c.convID(), -1, nil); err != nil {
			c.writeFailed(err)
			return
		}
	}
	for {
		c.mu.Lock()
		if c.closing {
			code, why := c.closeCode, c.closeWhy
			c.mu.Unlock()
			c.sendClose(w, code, why)
			return // writing stays set: the socket is closing
		}
		batch := c.queue
		c.queue = nil
		if len(batch) == 0 {
			c.mu.Unlock()
			if err := w.flush(writeTimeout); err != nil {
				c.writeFailed(err)
				return
			}
			c.mu.Lock()
			if len(c.queue) == 0 && !c.closing {
				c.writing = false
				c.mu.Unlock()
				return
			}
			c.mu.Unlock()
			continue
		}
		c.mu.Unlock()
		for i, it := range batch {
			if i > 0 && c.isClosing() {
				break // kicked: the close frame comes next
			}
			c.ahead = batch[i+1:]
			if err := c.write(ctx, w, it); err != nil {
				c.ahead = nil
				c.writeFailed(err)
				return
			}
		}
		c.ahead = nil
	}
}

// writeFailed ends a writer on an error: a close error still gets its close frame written;
// anything else (the connection broke, the database failed) drops the connection.
func (c *client) writeFailed(err error) {
	var ce closeError
	if errors.As(err, &ce) {
		c.mu.Lock()
		if !c.closing {
			c.closing, c.closeCode, c.closeWhy, c.queue = true, ce.code, ce.why, nil
		}
		c.mu.Unlock()
		c.writeLoop(false) // still the writer: it sends the close frame
		return
	}
	if !c.isClosed() {
		c.hub.logger.Debug("socket closed", "err", err)
	}
	c.teardown()
}

// sendClose writes the close frame; the socket is torn down when the client answers (read
// by its reader), or after closeTimeout.
func (c *client) sendClose(w *frameWriter, code ws.StatusCode, why string) {
	var body []byte
	if code != 0 {
		body = ws.NewCloseFrameBody(code, why)
	}
	err := w.frame(ws.OpClose, body)
	if err == nil {
		err = w.flush(closeTimeout)
	}
	c.mu.Lock()
	c.closeSent = true
	done := c.peerClosed || c.closed
	c.mu.Unlock()
	if err != nil || done {
		c.teardown()
		return
	}
	time.AfterFunc(closeTimeout, c.teardown)
}

// teardown closes the connection and forgets the socket. It may run more than once.
func (c *client) teardown() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed, c.closing, c.queue = true, true, nil
	registered := c.registered
	c.mu.Unlock()
	if e := c.poll.Load(); e != nil {
		c.hub.poller.forget(e)
	}
	c.conn.Close()
	c.hub.ka.remove(c)
	if registered {
		c.hub.unregister(c)
	}
}

// write writes one queued item.
func (c *client) write(ctx context.Context, w *frameWriter, it item) error {
	switch it.ctl {
	case ctlPong:
		return w.text(pongFrame)
	case ctlPing:
		return w.frame(ws.OpPing, nil)
	case ctlWSPong:
		return w.frame(ws.OpPong, it.data)
	case ctlError:
		return w.text(it.data)
	case ctlReplay:
		return c.subscribe(ctx, w, it.conv, it.since)
	}
	return c.handle(ctx, w, it.env)
}
