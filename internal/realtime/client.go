package realtime

import (
	"encoding/json"
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
