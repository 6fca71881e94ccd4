package realtime

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/baton-chat/baton"
	"github.com/gobwas/ws"
	"github.com/google/uuid"
	"golang.org/x/time/rate"
)

// Socket limits.
const (
	sendQueue      = 256              // frames waiting for one socket before it counts as too slow
	writeTimeout   = 10 * time.Second // to write what is queued
	frameTimeout   = 30 * time.Second // for a frame, once begun, to arrive whole
	closeTimeout   = 5 * time.Second  // for the client to answer a close frame
	maxFrameBytes  = 16 << 10
	flushBytes     = 64 << 10
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

var pongFrame = []byte(`{"type":"pong","seq":0,"data":{}}`)

// ctlKind is a frame the socket owes besides envelopes.
type ctlKind uint8

const (
	ctlNone   ctlKind = iota // an envelope
	ctlPong                  // the application's {"type":"pong"}
	ctlPing                  // a WebSocket ping (keepalive)
	ctlWSPong                // a WebSocket pong answering the client's ping
	ctlReplay                // an agent's subscribe: replay a conversation
	ctlError                 // an ephemeral {"type":"error"} frame (data)
)

// item is one entry of a socket's send queue.
type item struct {
	env   *Envelope
	ctl   ctlKind
	conv  string // ctlReplay
	since int64  // ctlReplay
	data  []byte // ctlWSPong, ctlError
}

// client is one socket. An idle socket has no goroutine and no buffer: the hub's poller
// starts a reader when bytes arrive, and push starts a writer when a frame is due; each
// ends when it has nothing left to do.
type client struct {
	id        string
	hub       *Hub
	conn      net.Conn
	accountID string
	visitor   bool   // a visitor's socket (else an agent's)
	contactID string // visitors: their contact
	userID    string
	actor     *baton.Actor
	authz     Authorizer
	name      string

	availability atomic.Value // string, agents only
	conv         atomic.Value // string, visitors: the conversation followed now
	followed     []string     // visitors: conversations this socket is listed under (hub lock)

	// The writer's: only the goroutine draining the queue (writing set) touches these.
	ahead       []item           // what follows the item being written in its batch
	visitorLast int64            // visitors: the last seq written of conv
	last        map[string]int64 // agents: the last seq written per conversation
	// first is, per conversation an agent's socket began mid-stream (no subscribe yet), where
	// it began: a later subscribe replays only what came before it.
	first map[string]*midStream

	// The reader's: only the goroutine holding rmu touches these.
	rmu           sync.Mutex
	allowed       map[string]bool // agents: conversations this agent may address
	frames        *rate.Limiter   // visitors: the budget of typing and read frames (nil: none)
	framesRefused bool            // visitors: the last frame was over budget

	poll     atomic.Pointer[pollEntry] // nil: a goroutine reads the socket
	lastRead atomic.Int64              // keepalive tick of the last frame read

	// The keepalive's list (its lock).
	kaPrev, kaNext *client
	kaBucket       int8

	mu         sync.Mutex
	queue      []item
	writing    bool // a writer is draining queue
	closing    bool // a close frame is due or sent; nothing else is queued
	closeCode  ws.StatusCode
	closeWhy   string
	closeSent  bool
	peerClosed bool // the client sent its close frame
	closed     bool // torn down
	registered bool
}

func newClient(h *Hub, conn net.Conn) *client {
	return &client{id: uuid.NewString(), hub: h, conn: conn, kaBucket: -1}
}

func (c *client) isVisitor() bool { return c.visitor }

func (c *client) convID() string {
	s, _ := c.conv.Load().(string)
	return s
}

func (c *client) available() bool {
	a, _ := c.availability.Load().(string)
	return a != string(baton.AvailabilityBusy) && a != string(baton.AvailabilityAway)
}

func (c *client) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

func (c *client) isClosing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closing
}

// deliver queues an envelope without blocking; a full queue drops the socket.
func (c *client) deliver(env *Envelope) { c.push(item{env: env}) }

// push queues an item and starts a writer if none runs. It never blocks: a socket with
// sendQueue items waiting is too slow, and is told to reconnect.
func (c *client) push(it item) {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	if len(c.queue) >= sendQueue {
		c.mu.Unlock()
		framesDropped.Inc()
		c.kick(CloseReconnect, "too slow: reconnect and resume")
		return
	}
	c.queue = append(c.queue, it)
	start := !c.writing
	c.writing = true
	c.mu.Unlock()
	if start {
		go c.writeLoop(false)
	}
}

// kick closes the socket with code: what is queued is dropped, the close frame is the
// next frame written.
func (c *client) kick(code ws.StatusCode, why string) {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	c.closing, c.closeCode, c.closeWhy, c.queue = true, code, why, nil
	start := !c.writing
	c.writing = true
	c.mu.Unlock()
	if start {
		go c.writeLoop(false)
	}
}

// serve runs a socket just taken over from net/http, on the handler's goroutine: it lists
// the socket with the hub, starts watching it, writes what a visitor missed (before any
// live frame), and returns once nothing is left to write.
func (c *client) serve(replayFrom int64, early []byte) {
	h := c.hub
	c.visitorLast = replayFrom
	c.lastRead.Store(h.ka.now())
	c.mu.Lock()
	c.writing = true // this goroutine is the first writer: live frames queue behind the replay
	c.mu.Unlock()
	if !h.register(c) {
		closeAtOnce(c.conn, early, closeGoingAway, "server shutting down: reconnect")
		return
	}
	if len(early) > 0 {
		// Frames sent right behind the handshake, before any reader can run.
		c.rmu.Lock()
		err := c.readAvailable(early)
		c.rmu.Unlock()
		if !c.readFailed(err) {
			c.writeLoop(false)
			return
		}
	}
	c.startReading()
	h.ka.add(c)
	c.writeLoop(true)
}

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

// follow lists conv among the conversations the socket is subscribed to (hub lock held).
func (c *client) follow(conv string) {
	if !slices.Contains(c.followed, conv) {
		c.followed = append(c.followed, conv)
	}
}

// inbound is what a client may send.
type inbound struct {
	Type           string          `json:"type"`
	ConversationID string          `json:"conversation_id"`
	Since          int64           `json:"since"`
	Data           json.RawMessage `json:"data"`
}
