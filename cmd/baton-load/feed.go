package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// agentFeed is one agent's socket kept the way the console keeps it: it notes, per
// conversation, up to which seq it holds every event, and when the server tells it to
// reconnect and resume (4000: too slow; 1001: the node is going away) it dials again and
// subscribes to every visitor's conversation from there. So a socket the server dropped
// under load still gets every message, and the run counts what a client would really have
// missed. Like the console, it drops a frame whose seq it holds already (a new socket gets
// live events before its subscribes are read, some of which the old one had): those are
// counted as resent. A message that arrives again under another seq was stored twice: that
// is a duplicate in the client's view.
type agentFeed struct {
	url     string
	closing *atomic.Bool
	// delivered is called on the first copy of a load message this socket reads.
	delivered func(content string, at time.Time)

	conn atomic.Pointer[websocket.Conn]
	// The reader's: per conversation, the seq up to which it holds every event (from the
	// conversation's last_seq when the run began), and the seqs it holds above that.
	held       map[string]int64
	above      map[string]map[int64]bool
	seen       map[string]int64 // load messages read, and their seq
	resent     atomic.Int64
	duplicates atomic.Int64
	resumes    atomic.Int64
	done       chan struct{}
}

// newAgentFeed opens an agent's socket; from holds each visitor conversation's last seq
// before the socket opened.
func newAgentFeed(ctx context.Context, url string, from map[string]int64, closing *atomic.Bool, delivered func(string, time.Time)) (*agentFeed, error) {
	f := &agentFeed{url: url, closing: closing, delivered: delivered,
		held: maps.Clone(from), above: map[string]map[int64]bool{}, seen: map[string]int64{}, done: make(chan struct{})}
	conn, err := f.dial(ctx)
	if err != nil {
		return nil, err
	}
	f.conn.Store(conn)
	go f.read(conn)
	return f, nil
}

func (f *agentFeed) dial(ctx context.Context) (*websocket.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(dctx, f.url, nil)
	if err != nil {
		return nil, fmt.Errorf("agent socket: %w", err)
	}
	conn.SetReadLimit(1 << 20)
	return conn, nil
}

// resume dials again and asks for each conversation's events after the seq held without a
// gap.
func (f *agentFeed) resume() (*websocket.Conn, error) {
	conn, err := f.dial(context.Background())
	if err != nil {
		return nil, err
	}
	f.conn.Store(conn)
	f.resumes.Add(1)
	// Written from another goroutine, so that the server's replay (read by f.read) never
	// waits behind a thousand subscribe frames.
	subs := make([][]byte, 0, len(f.held))
	for c, seq := range f.held {
		b, _ := json.Marshal(map[string]any{"type": "subscribe", "conversation_id": c, "since": seq})
		subs = append(subs, b)
	}
	go func() {
		for _, b := range subs {
			if conn.Write(context.Background(), websocket.MessageText, b) != nil {
				return
			}
		}
	}()
	return conn, nil
}

var (
	messageCreated = []byte(`"message_created"`)
	loadPrefix     = []byte("load-")
)

func (f *agentFeed) read(conn *websocket.Conn) {
	defer close(f.done)
	for {
		_, b, err := conn.Read(context.Background())
		if err != nil {
			if f.closing.Load() {
				return
			}
			if s := websocket.CloseStatus(err); s == 4000 || s == websocket.StatusGoingAway {
				if conn, err = f.resume(); err == nil {
					if f.closing.Load() {
						conn.CloseNow()
						return
					}
					continue
				}
			}
			fmt.Printf("WARNING: an agent socket closed during the run: %v\n", err)
			return
		}
		var fr struct {
			Type           string `json:"type"`
			Seq            int64  `json:"seq"`
			ConversationID string `json:"conversation_id"`
			Data           struct {
				Kind    string `json:"kind"`
				Content string `json:"content"`
			} `json:"data"`
		}
		if !bytes.Contains(b, messageCreated) {
			// Only the seq matters: a cheap decode of the envelope.
			if json.Unmarshal(b, &struct {
				Seq            *int64  `json:"seq"`
				ConversationID *string `json:"conversation_id"`
			}{&fr.Seq, &fr.ConversationID}) == nil {
				f.note(fr.ConversationID, fr.Seq)
			}
			continue
		}
		if json.Unmarshal(b, &fr) != nil {
			continue
		}
		again := f.note(fr.ConversationID, fr.Seq)
		if fr.Data.Kind != "visitor" || !bytes.HasPrefix([]byte(fr.Data.Content), loadPrefix) {
			continue
		}
		if seq, ok := f.seen[fr.Data.Content]; ok || again {
			if ok && seq != fr.Seq {
				f.duplicates.Add(1)
			} else {
				f.resent.Add(1)
			}
			continue
		}
		f.seen[fr.Data.Content] = fr.Seq
		f.delivered(fr.Data.Content, time.Now())
	}
}

// note records that seq of conv was read, and reports whether the socket held it already
// with everything before it. Events may come out of order (two nodes' events cross the bus
// in either order); the gapless part grows as the holes fill.
func (f *agentFeed) note(conv string, seq int64) (again bool) {
	held, ok := f.held[conv]
	if !ok || seq <= 0 {
		return false // not a visitor's conversation of this run, or an ephemeral frame
	}
	if seq <= held {
		return true
	}
	if seq > held+1 {
		if f.above[conv] == nil {
			f.above[conv] = map[int64]bool{}
		}
		f.above[conv][seq] = true
		return false
	}
	held++
	for up := f.above[conv]; up[held+1]; held++ {
		delete(up, held+1)
	}
	f.held[conv] = held
	return false
}

// close closes the socket (f.closing must be set first) and waits for its reader.
func (f *agentFeed) close() {
	if c := f.conn.Load(); c != nil {
		c.Close(websocket.StatusNormalClosure, "")
	}
	select {
	case <-f.done:
	case <-time.After(5 * time.Second):
	}
}

// feedTotals sums the feeds' counters.
func feedTotals(feeds []*agentFeed) (t struct{ dups, resent, resumes int64 }) {
	for _, f := range feeds {
		t.dups += f.duplicates.Load()
		t.resent += f.resent.Load()
		t.resumes += f.resumes.Load()
	}
	return t
}
