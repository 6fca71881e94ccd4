package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// A feed the server tells to reconnect dials again and subscribes to every conversation
// from the last seq it held without a gap; a frame it held already is dropped (resent), and
// a message under a second seq counts as stored twice (a duplicate).
func TestAgentFeedResumesWhereItLeftOff(t *testing.T) {
	var (
		conns atomic.Int32
		subs  = make(chan map[string]int64, 1)
	)
	frame := func(typ string, seq int64, conv, kind, content string) []byte {
		b, _ := json.Marshal(map[string]any{"type": typ, "seq": seq, "conversation_id": conv,
			"data": map[string]string{"kind": kind, "content": content}})
		return b
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx := r.Context()
		if conns.Add(1) == 1 {
			c.Write(ctx, websocket.MessageText, frame("message_created", 5, "A", "visitor", "load-1"))
			c.Write(ctx, websocket.MessageText, frame("conversation_updated", 6, "B", "", ""))
			c.Write(ctx, websocket.MessageText, frame("message_created", 4, "B", "visitor", "hello")) // not a load message
			c.Close(4000, "too slow: reconnect and resume")
			return
		}
		got := map[string]int64{}
		for len(got) < 3 {
			_, b, err := c.Read(ctx)
			if err != nil {
				return
			}
			var f struct {
				Type           string `json:"type"`
				ConversationID string `json:"conversation_id"`
				Since          int64  `json:"since"`
			}
			json.Unmarshal(b, &f)
			if f.Type == "subscribe" {
				got[f.ConversationID] = f.Since
			}
		}
		subs <- got
		c.Write(ctx, websocket.MessageText, frame("message_created", 5, "A", "visitor", "load-1")) // resent
		c.Write(ctx, websocket.MessageText, frame("message_created", 7, "A", "visitor", "load-2")) // above a hole
		c.Write(ctx, websocket.MessageText, frame("message_created", 7, "A", "visitor", "load-2")) // resent
		c.Write(ctx, websocket.MessageText, frame("message_created", 6, "A", "visitor", "load-1")) // stored twice
		// Then wait until the feed closes.
		c.Read(ctx)
	}))
	defer srv.Close()

	var (
		mu   sync.Mutex
		got  []string
		done = make(chan struct{}, 2)
		stop atomic.Bool
	)
	f, err := newAgentFeed(context.Background(), "ws"+strings.TrimPrefix(srv.URL, "http"), map[string]int64{"A": 4, "B": 5, "C": 0}, &stop,
		func(content string, _ time.Time) {
			mu.Lock()
			got = append(got, content)
			mu.Unlock()
			done <- struct{}{}
		})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-subs:
		if s["A"] != 5 || s["B"] != 6 || s["C"] != 0 || len(s) != 3 {
			t.Fatalf("subscribed with %v, want A from 5, B from 6, C from 0", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no resume")
	}
	for range 2 {
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("delivered %v, want load-1 and load-2", got)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for feedTotals([]*agentFeed{f}).dups == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	stop.Store(true)
	f.close()
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || got[0] != "load-1" || got[1] != "load-2" {
		t.Fatalf("delivered %v, want [load-1 load-2]", got)
	}
	if ft := feedTotals([]*agentFeed{f}); ft.dups != 1 || ft.resent != 2 || ft.resumes != 1 {
		t.Fatalf("duplicates %d, resent %d, resumes %d; want 1, 2 and 1", ft.dups, ft.resent, ft.resumes)
	}
	if f.held["A"] != 7 {
		t.Fatalf("A held up to %d, want 7", f.held["A"])
	}
}
