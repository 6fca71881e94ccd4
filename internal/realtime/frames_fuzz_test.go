package realtime_test

import (
	"context"
	"testing"
	"time"

	"github.com/baton-chat/baton/internal/realtime"
	"github.com/baton-chat/baton/internal/storetest"
	"github.com/coder/websocket"
)

// FuzzSocketFrames writes arbitrary frames on agent and visitor sockets: the server either
// keeps serving (a ping still gets its pong) or closes with 4002; it never crashes, hangs
// or closes otherwise.
func FuzzSocketFrames(f *testing.F) {
	for _, s := range []string{`{"type":"ping"}`, `{"type":"typing","data":{"typing":true}}`, `{"type":"typing","conversation_id":"x","data":{"typing":"yes"}}`,
		`{"type":"read","data":{"seq":-1}}`, `{"type":"subscribe","conversation_id":"","since":5}`, `{"type":"subscribe","since":-3}`,
		`[]`, `null`, `{"type":1}`, "\xff", `{"type":"read","data":{"seq":1e99}}`, `{"type":"typing","data":[]}`,
		`{"type":"subscribe","conversation_id":"a\u0000b","since":0}`, `{"type":"typing","conversation_id":"\u0000","data":{"typing":true}}`,
		`{"type":"read","conversation_id":"\u0000","data":{"seq":1}}`} {
		f.Add(s, true)
		f.Add(s, false)
	}
	// On every database under test: ids and text reach their queries as they came.
	type target struct {
		e     *env
		token string
	}
	var targets []target
	for _, d := range storetest.Dialects() {
		e := setup(f, storetest.Open(f, d), realtime.NewLocalBus())
		targets = append(targets, target{e, e.visitorToken()})
	}
	f.Fuzz(func(t *testing.T, frame string, agent bool) {
		for _, tg := range targets {
			e := tg.e
			e.t = t
			path := "/widget/v1/ws?token=" + tg.token
			if agent {
				path = "/api/v1/ws?token=" + e.token
			}
			exchange(t, e, path, frame)
		}
	})
}

// exchange writes frame on a new socket, then a ping: the server answers the ping or
// closes with 4002.
func exchange(t *testing.T, e *env, path, frame string) {
	s := e.dial(path)
	defer s.conn.CloseNow()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.conn.Write(ctx, websocket.MessageText, []byte(frame)); err != nil {
		return
	}
	s.conn.Write(ctx, websocket.MessageText, []byte(`{"type":"ping"}`))
	for {
		b, err := s.read(5 * time.Second)
		if err != nil {
			if code := websocket.CloseStatus(err); code != realtime.CloseBadFrame {
				t.Fatalf("frame %q: socket ended with %v (close %d), want a pong or 4002", frame, err, code)
			}
			return
		}
		if string(b) == `{"type":"pong","seq":0,"data":{}}` {
			return
		}
	}
}
