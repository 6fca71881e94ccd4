package realtime

import (
	"context"
	"encoding/json"

	"github.com/baton-chat/baton"
)

// lastSeq is the last seq this socket wrote of conv. A visitor's socket writes one
// conversation at a time (the current one), from the seq it resumed at.
func (c *client) lastSeq(conv string) (int64, bool) {
	if c.isVisitor() {
		return c.visitorLast, true
	}
	s, ok := c.last[conv]
	return s, ok
}

func (c *client) setLast(conv string, seq int64) {
	if c.isVisitor() {
		c.visitorLast = seq
		return
	}
	if c.last == nil {
		c.last, c.first = map[string]int64{}, map[string]*midStream{}
	}
	c.last[conv] = seq
}

// midStream is where an agent's socket began a conversation's stream without subscribing:
// the first seq it delivered live, and which of the lateWindow seqs just before it arrived
// later and were delivered then. Events of different nodes reach the bus in no fixed order,
// so the event before the first one seen may still be on its way; it is delivered when it
// comes (out of order — the console orders a thread by seq), and never twice.
type midStream struct {
	seq  int64
	late uint64 // bit i: seq-1-i was delivered after seq
}

const lateWindow = 64

// takeLate reports whether seq, older than the stream's beginning, is still to be
// delivered, and marks it delivered.
func (m *midStream) takeLate(seq int64) bool {
	d := m.seq - 1 - seq
	if d < 0 || d >= lateWindow || m.late&(1<<d) != 0 {
		return false
	}
	m.late |= 1 << d
	return true
}

// delivered reports whether seq, older than the stream's beginning, was delivered late.
func (m *midStream) delivered(seq int64) bool {
	if m == nil {
		return false
	}
	d := m.seq - 1 - seq
	return d >= 0 && d < lateWindow && m.late&(1<<d) != 0
}

// handle writes one envelope, keeping each conversation's stream gapless and free of
// duplicates: an old seq is skipped, a jump is filled from the database first.
func (c *client) handle(ctx context.Context, w *frameWriter, env *Envelope) error {
	if s := env.Ephemeral; s != nil {
		b, _ := json.Marshal(Frame{Type: s.Type, Seq: 0, ConversationID: s.ConversationID, Data: s.Data})
		return w.text(b)
	}
	e := env.Event
	if c.isVisitor() && e.Type == baton.EventConversationCreated {
		if e.ConversationID != c.convID() {
			c.conv.Store(e.ConversationID)
			c.visitorLast = 0
		}
		return nil
	}
	followed := e.ConversationID
	if c.isVisitor() {
		followed = c.convID()
	}
	seq := c.streamSeq(env, followed)
	if seq == 0 {
		return nil // a visitor's other conversation, or an event the visitor does not see
	}
	last, known := c.lastSeq(e.ConversationID)
	if !known {
		// An agent's first event of a conversation since connecting: the stream starts here
		// (the console read the list when it connected).
		if len(c.last) >= maxTrackedConv {
			clear(c.last)
			clear(c.first)
		}
		last = seq - 1
		c.setLast(e.ConversationID, last)
		c.first[e.ConversationID] = &midStream{seq: seq}
	}
	if seq <= last {
		if m := c.first[e.ConversationID]; m != nil && seq < m.seq && m.takeLate(seq) {
			return c.send(w, env)
		}
		return nil
	}
	if seq > last+1 {
		closed, err := c.reorder(w, e.ConversationID, seq)
		if err != nil {
			return err
		}
		if closed {
			gapsFromQueue.Inc()
		} else {
			gapsFromDatabase.Inc()
			if err := c.fill(ctx, w, e.ConversationID, seq-1, nil); err != nil {
				return err
			}
		}
		if l, _ := c.lastSeq(e.ConversationID); l >= seq {
			return nil
		}
	}
	if err := c.send(w, env); err != nil {
		return err
	}
	c.setLast(e.ConversationID, seq)
	return nil
}

// streamSeq is the seq of env in conv's stream as this socket sees it (0: not in it).
func (c *client) streamSeq(env *Envelope, conv string) int64 {
	e := env.Event
	if e == nil || e.ConversationID != conv {
		return 0
	}
	if c.isVisitor() {
		if e.Type == baton.EventConversationCreated {
			return 0
		}
		return e.VisitorSeq
	}
	return e.Seq
}

// reorder closes the gap before seq from the events queued behind it: the bus delivers
// events committed on two nodes in either order, and under load the missing ones are
// usually already waiting in the same batch. It writes them in order, and reports whether
// the gap is closed; if one is not there, what it wrote stands and the database fills the
// rest. A queued event written here is skipped when its turn comes (its seq is old by then).
func (c *client) reorder(w *frameWriter, conv string, seq int64) (closed bool, err error) {
	for {
		last, _ := c.lastSeq(conv)
		if last+1 >= seq {
			return true, nil
		}
		var next *Envelope
		for _, it := range c.ahead {
			if it.ctl == ctlNone && it.env != nil && c.streamSeq(it.env, conv) == last+1 {
				next = it.env
				break
			}
		}
		if next == nil {
			return false, nil
		}
		if err := c.send(w, next); err != nil {
			return false, err
		}
		c.setLast(conv, last+1)
	}
}

// send writes an event's frame as this socket's audience sees it.
func (c *client) send(w *frameWriter, env *Envelope) error {
	env.encode()
	if c.isVisitor() {
		return w.text(env.visitor)
	}
	return w.text(env.team)
}

// subscribe replays a conversation's events after since that this socket has not
// delivered yet, each once: all of them if the stream had not started here; if live events
// came first (the subscribe raced them), only the ones before the first live one.
func (c *client) subscribe(ctx context.Context, w *frameWriter, conv string, since int64) error {
	last, known := c.lastSeq(conv)
	if !known {
		c.setLast(conv, since)
		return c.fill(ctx, w, conv, -1, nil)
	}
	began := c.first[conv]
	delete(c.first, conv)
	if began == nil {
		if since < last {
			// Asked again for what this socket sent: the client lost it; send it again.
			c.setLast(conv, since)
			return c.fill(ctx, w, conv, -1, nil)
		}
		return nil
	}
	if since >= began.seq-1 {
		return nil
	}
	c.setLast(conv, since)
	err := c.fill(ctx, w, conv, began.seq-1, began)
	c.setLast(conv, last)
	return err
}

// fill writes the stored events of conv after the last one written, up to upTo (-1: all),
// but those late delivered already.
func (c *client) fill(ctx context.Context, w *frameWriter, conv string, upTo int64, late *midStream) error {
	for {
		after, _ := c.lastSeq(conv)
		if upTo >= 0 && after >= upTo {
			return nil
		}
		n := 0
		if c.isVisitor() {
			events, err := c.hub.src.VisitorEvents(ctx, conv, after, replayPage)
			if err != nil {
				return err
			}
			for _, e := range events {
				if upTo >= 0 && e.Seq > upTo {
					return nil
				}
				data, _ := json.Marshal(e.Data)
				b, _ := json.Marshal(Frame{Type: e.Type, Seq: e.Seq, ConversationID: e.ConversationID, Data: data})
				if err := w.text(b); err != nil {
					return err
				}
				c.setLast(conv, e.Seq)
			}
			n = len(events)
		} else {
			events, err := c.hub.src.Events(ctx, conv, after, replayPage)
			if err != nil {
				return err
			}
			for _, e := range events {
				if upTo >= 0 && e.Seq > upTo {
					return nil
				}
				if late.delivered(e.Seq) {
					c.setLast(conv, e.Seq)
					continue
				}
				b, _ := json.Marshal(Frame{Type: e.Type, Seq: e.Seq, ConversationID: e.ConversationID, Data: e.Payload})
				if err := w.text(b); err != nil {
					return err
				}
				c.setLast(conv, e.Seq)
			}
			n = len(events)
		}
		if n < replayPage {
			return nil
		}
	}
}
