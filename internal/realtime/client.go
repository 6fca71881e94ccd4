package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/baton-chat/baton"
	"github.com/coder/websocket"
	"github.com/google/uuid"
)

// Close codes (docs/protocol.md).
const (
	closeGoingAway    = websocket.StatusGoingAway // 1001: reconnect with since
	CloseReconnect    = websocket.StatusCode(4000)
	CloseUnauthorized = websocket.StatusCode(4001)
	CloseBadFrame     = websocket.StatusCode(4002)
)

// Socket limits.
const (
	sendQueue      = 256
	pingInterval   = 25 * time.Second
	pingTimeout    = 35 * time.Second
	writeTimeout   = 10 * time.Second
	maxFrameBytes  = 16 << 10
	replayPage     = 500
	maxTrackedConv = 10000
)

// Frame is what the server writes.
type Frame struct {
	Type           string          `json:"type"`
	Seq            int64           `json:"seq"`
	ConversationID string          `json:"conversation_id,omitempty"`
	Data           json.RawMessage `json:"data"`
}

func (e *Envelope) encode() {
	e.once.Do(func() {
		ev := e.Event
		e.team, _ = json.Marshal(Frame{Type: ev.Type, Seq: ev.Seq, ConversationID: ev.ConversationID, Data: ev.Payload})
		if ev.VisitorSeq > 0 {
			e.visitor, _ = json.Marshal(Frame{Type: ev.VisitorType, Seq: ev.VisitorSeq, ConversationID: ev.ConversationID, Data: ev.VisitorPayload})
		}
	})
}

// control is a request from a socket's reader to its writer.
type control struct {
	subscribe *subscribeReq
	pong      bool
}

type subscribeReq struct {
	conv  string
	since int64
}

// client is one socket. Its writer goroutine owns last and conv; the hub only calls
// deliver and kick.
type client struct {
	id        string
	hub       *Hub
	conn      *websocket.Conn
	accountID string
	userID    string
	visitor   *baton.Visitor
	actor     *baton.Actor
	authz     Authorizer
	name      string
	allowed   map[string]bool // conversations this agent may address (reader goroutine)

	availability atomic.Value // string, agents only
	conv         atomic.Value // string, visitors: the conversation followed now
	followed     map[string]bool

	send chan *Envelope
	ctrl chan control
	last map[string]int64
	// first is, per conversation an agent's socket began mid-stream (no subscribe yet), the
	// first seq it delivered: a later subscribe replays only what came before it.
	first map[string]int64

	kickOnce sync.Once
	kicked   chan struct{}
	kickCode websocket.StatusCode
	kickWhy  string
	done     chan struct{}
}

func newClient(h *Hub, conn *websocket.Conn) *client {
	return &client{id: uuid.NewString(), hub: h, conn: conn, send: make(chan *Envelope, sendQueue),
		ctrl: make(chan control, 8), last: map[string]int64{}, first: map[string]int64{}, followed: map[string]bool{},
		kicked: make(chan struct{}), done: make(chan struct{})}
}

func (c *client) convID() string {
	s, _ := c.conv.Load().(string)
	return s
}

func (c *client) available() bool {
	a, _ := c.availability.Load().(string)
	return a != string(baton.AvailabilityBusy) && a != string(baton.AvailabilityAway)
}

// deliver queues an envelope without blocking; a full queue drops the socket.
func (c *client) deliver(env *Envelope) {
	select {
	case c.send <- env:
	default:
		framesDropped.Inc()
		c.kick(CloseReconnect, "too slow: reconnect and resume")
	}
}

func (c *client) kick(code websocket.StatusCode, why string) {
	c.kickOnce.Do(func() {
		c.kickCode, c.kickWhy = code, why
		close(c.kicked)
	})
}

// run serves the socket until it closes. replayFrom is where the visitor's stream
// resumes (ignored for agents).
func (c *client) run(ctx context.Context, replayFrom int64) {
	defer close(c.done)
	if !c.hub.register(c) {
		c.conn.Close(closeGoingAway, "server shutting down: reconnect")
		return
	}
	defer c.hub.unregister(c)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c.conn.SetReadLimit(maxFrameBytes)
	go c.readLoop(ctx, cancel)

	if c.visitor != nil {
		conv := c.convID()
		c.last[conv] = replayFrom
		if err := c.fill(ctx, conv, -1); err != nil {
			c.closeWith(ctx, err)
			return
		}
	}
	ping := time.NewTicker(pingInterval)
	defer ping.Stop()
	for {
		var err error
		select {
		case env := <-c.send:
			err = c.handle(ctx, env)
		case ctl := <-c.ctrl:
			if ctl.pong {
				err = c.write(ctx, []byte(`{"type":"pong","seq":0,"data":{}}`))
			} else if s := ctl.subscribe; s != nil {
				err = c.subscribe(ctx, s.conv, s.since)
			}
		case <-ping.C:
			pctx, pcancel := context.WithTimeout(ctx, pingTimeout)
			err = c.conn.Ping(pctx)
			pcancel()
		case <-c.kicked:
			c.conn.Close(c.kickCode, c.kickWhy)
			return
		case <-ctx.Done():
			c.conn.CloseNow()
			return
		}
		if err != nil {
			c.closeWith(ctx, err)
			return
		}
	}
}

func (c *client) closeWith(ctx context.Context, err error) {
	var ce closeError
	if errors.As(err, &ce) {
		c.conn.Close(ce.code, ce.why)
		return
	}
	if ctx.Err() == nil {
		c.hub.logger.Debug("socket closed", "err", err)
	}
	c.conn.CloseNow()
}

type closeError struct {
	code websocket.StatusCode
	why  string
}

func (e closeError) Error() string { return e.why }

func (c *client) write(ctx context.Context, b []byte) error {
	wctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	return c.conn.Write(wctx, websocket.MessageText, b)
}

// handle writes one envelope, keeping each conversation's stream gapless and free of
// duplicates: an old seq is skipped, a jump is filled from the database first.
func (c *client) handle(ctx context.Context, env *Envelope) error {
	if s := env.Ephemeral; s != nil {
		b, _ := json.Marshal(Frame{Type: s.Type, Seq: 0, ConversationID: s.ConversationID, Data: s.Data})
		return c.write(ctx, b)
	}
	e := env.Event
	seq := e.Seq
	if c.visitor != nil {
		if e.Type == baton.EventConversationCreated {
			if e.ConversationID != c.convID() {
				c.conv.Store(e.ConversationID)
				c.last[e.ConversationID] = 0
			}
			return nil
		}
		if e.ConversationID != c.convID() || e.VisitorSeq == 0 {
			return nil
		}
		seq = e.VisitorSeq
	}
	last, known := c.last[e.ConversationID]
	if !known {
		// An agent's first event of a conversation since connecting: the stream starts here
		// (the console read the list when it connected).
		if len(c.last) >= maxTrackedConv {
			clear(c.last)
			clear(c.first)
		}
		last = seq - 1
		c.first[e.ConversationID] = seq
	}
	if seq <= last {
		return nil
	}
	if seq > last+1 {
		c.last[e.ConversationID] = last
		if err := c.fill(ctx, e.ConversationID, seq-1); err != nil {
			return err
		}
		if c.last[e.ConversationID] >= seq {
			return nil
		}
	}
	env.encode()
	b := env.team
	if c.visitor != nil {
		b = env.visitor
	}
	if err := c.write(ctx, b); err != nil {
		return err
	}
	c.last[e.ConversationID] = seq
	return nil
}

// subscribe replays a conversation's events after since that this socket has not
// delivered yet, each once: all of them if the stream had not started here; if live events
// came first (the subscribe raced them), only the ones before the first live one.
func (c *client) subscribe(ctx context.Context, conv string, since int64) error {
	last, known := c.last[conv]
	if !known {
		c.last[conv] = since
		return c.fill(ctx, conv, -1)
	}
	first, began := c.first[conv]
	delete(c.first, conv)
	if !began {
		if since < last {
			// Asked again for what this socket sent: the client lost it; send it again.
			c.last[conv] = since
			return c.fill(ctx, conv, -1)
		}
		return nil
	}
	if since >= first-1 {
		return nil
	}
	c.last[conv] = since
	err := c.fill(ctx, conv, first-1)
	c.last[conv] = last
	return err
}

// fill writes the stored events of conv after c.last[conv], up to upTo (-1: all).
func (c *client) fill(ctx context.Context, conv string, upTo int64) error {
	for {
		after := c.last[conv]
		if upTo >= 0 && after >= upTo {
			return nil
		}
		n := 0
		if c.visitor != nil {
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
				if err := c.write(ctx, b); err != nil {
					return err
				}
				c.last[conv] = e.Seq
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
				b, _ := json.Marshal(Frame{Type: e.Type, Seq: e.Seq, ConversationID: e.ConversationID, Data: e.Payload})
				if err := c.write(ctx, b); err != nil {
					return err
				}
				c.last[conv] = e.Seq
			}
			n = len(events)
		}
		if n < replayPage {
			return nil
		}
	}
}

// inbound is what a client may send.
type inbound struct {
	Type           string          `json:"type"`
	ConversationID string          `json:"conversation_id"`
	Since          int64           `json:"since"`
	Data           json.RawMessage `json:"data"`
}

// readLoop reads the client's frames until the socket fails; it must run for control
// frames (pongs, close) to be processed.
//
// A bad frame kicks the socket and stops reading without cancelling ctx, so that the
// writer sends the close frame with its code rather than dropping the connection.
func (c *client) readLoop(ctx context.Context, cancel context.CancelFunc) {
	for {
		typ, b, err := c.conn.Read(ctx)
		if err != nil {
			cancel()
			return
		}
		var in inbound
		if typ != websocket.MessageText || json.Unmarshal(b, &in) != nil {
			c.kick(CloseBadFrame, "frames must be JSON text")
			return
		}
		if err := c.hub.onInbound(ctx, c, &in); err != nil {
			var ce closeError
			if errors.As(err, &ce) {
				c.kick(ce.code, ce.why)
				return
			}
			c.hub.logger.Warn("socket frame", "err", err)
		}
	}
}
