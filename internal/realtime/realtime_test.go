package realtime_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/httpapi"
	"github.com/baton-chat/baton/internal/realtime"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
	"github.com/coder/websocket"
)

// clock is a controllable time source for the store (the reply rate limit).
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type env struct {
	t     testing.TB
	db    *store.DB
	hub   *realtime.Hub
	srv   *httptest.Server
	token string // agent bearer token
	clk   *clock
}

func setup(t testing.TB, db *store.DB, bus realtime.Bus) *env {
	t.Helper()
	return setupHub(t, db, bus, realtime.NewHub)
}

// setupHub is setup with a hub made by newHub.
func setupHub(t testing.TB, db *store.DB, bus realtime.Bus, newHub func(realtime.Bus, realtime.Source, *slog.Logger) (*realtime.Hub, error)) *env {
	t.Helper()
	ctx := context.Background()
	clk := &clock{t: time.Now().UTC()}
	db.Now = clk.now
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	hub, err := newHub(bus, db, logger)
	if err != nil {
		t.Fatal(err)
	}
	db.Publisher = hub
	acc, _, err := db.CreateAccount(ctx, "Acme", "acme-"+strings.ToLower(db.NewID()[24:]), "Acme Bot")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateUser(ctx, baton.UserCreate{AccountID: acc.ID, Email: "ana-" + db.NewID()[24:] + "@example.com", Password: "meadow-lantern-77", FirstName: "Ana", Role: baton.RoleOwner}); err != nil {
		t.Fatal(err)
	}
	api := httpapi.NewServer(db, logger)
	api.OnRevoke = hub.Revoke
	api.Handle("GET /widget/v1/ws", hub.VisitorHandler(db))
	api.Handle("GET /api/v1/ws", hub.AgentHandler(api.AuthenticateSocket, db, nil))
	srv := httptest.NewServer(api)
	t.Cleanup(func() { hub.Close(); srv.Close() })
	e := &env{t: t, db: db, hub: hub, srv: srv, clk: clk}
	users, _ := db.ListUsers(ctx, acc.ID)
	var out struct{ Token string }
	e.do("POST", "/api/v1/session", "", map[string]string{"email": users[0].Email, "password": "meadow-lantern-77"}, 200, &out)
	e.token = out.Token
	return e
}

func (e *env) do(method, path, token string, body any, want int, out any) {
	e.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, r)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		e.t.Fatalf("%s %s = %d %s, want %d", method, path, resp.StatusCode, b, want)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

type frame struct {
	Type           string         `json:"type"`
	Seq            int64          `json:"seq"`
	ConversationID string         `json:"conversation_id"`
	Data           map[string]any `json:"data"`
}

type sock struct {
	t      testing.TB
	conn   *websocket.Conn
	frames chan []byte
	err    chan error
}

// pump reads frames in the background: cancelling a Read closes a coder/websocket
// connection, so tests wait on the channel instead.
func (s *sock) pump() {
	for {
		_, b, err := s.conn.Read(context.Background())
		if err != nil {
			s.err <- err
			return
		}
		s.frames <- b
	}
}

func (s *sock) read(d time.Duration) ([]byte, error) {
	select {
	case b := <-s.frames:
		return b, nil
	case err := <-s.err:
		return nil, err
	case <-time.After(d):
		return nil, context.DeadlineExceeded
	}
}

func (e *env) dial(path string) *sock {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.srv.URL, "http")+path, nil)
	if err != nil {
		e.t.Fatalf("dial %s: %v", path, err)
	}
	s := &sock{t: e.t, conn: conn, frames: make(chan []byte, 1000), err: make(chan error, 1)}
	go s.pump()
	e.t.Cleanup(func() { conn.CloseNow() })
	return s
}

// next reads frames until one of type typ arrives (skipping the types in skip), failing on
// any other type.
func (s *sock) next(typ string, skip ...string) frame {
	s.t.Helper()
	for {
		b, err := s.read(5 * time.Second)
		if err != nil {
			s.t.Fatalf("waiting for %s: %v", typ, err)
		}
		var f frame
		json.Unmarshal(b, &f)
		if f.Type == typ {
			return f
		}
		ok := false
		for _, k := range skip {
			ok = ok || k == f.Type
		}
		if !ok {
			s.t.Fatalf("got frame %s (%s), want %s", f.Type, b, typ)
		}
	}
}

// sync waits until the server's side of the socket runs (registered with the hub).
func (s *sock) sync() {
	s.t.Helper()
	if err := s.conn.Write(context.Background(), websocket.MessageText, []byte(`{"type":"ping"}`)); err != nil {
		s.t.Fatal(err)
	}
	s.next("pong")
}

// quiet asserts no frame arrives within d.
func (s *sock) quiet(d time.Duration) {
	s.t.Helper()
	b, err := s.read(d)
	if err == nil {
		s.t.Fatalf("unexpected frame %s", b)
	}
}

func TestSocketsCarryTheHandoffFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db, realtime.NewLocalBus())
		var sess baton.VisitorSession
		bots, _ := listBots(e)
		e.do("POST", "/widget/v1/sessions", "", map[string]string{"chatbot": bots, "name": "Vera"}, 201, &sess)
		agent := e.dial("/api/v1/ws?token=" + e.token)
		visitor := e.dial("/widget/v1/ws?token=" + sess.Token)
		agent.sync()

		e.do("POST", "/widget/v1/messages", sess.Token, map[string]string{"content": "Where is my order 42?"}, 201, nil)
		if f := visitor.next("visitor_message"); f.Seq != 1 || f.Data["content"] != "Where is my order 42?" {
			t.Fatalf("visitor echo = %+v", f)
		}
		if f := agent.next("message_created", "conversation_updated"); f.Data["kind"] != "visitor" {
			t.Fatalf("agent got %+v", f)
		}

		conv := sess.ConversationID
		e.do("POST", "/api/v1/conversations/"+conv+"/actions/join", e.token, nil, 200, nil)
		alert := agent.next("handoff", "message_created", "conversation_updated", "handoff_started")
		if alert.Seq != 0 || alert.Data["chatbot_name"] != "Acme Bot" || alert.Data["visitor_name"] != "Vera" || alert.Data["conversation_id"] != conv {
			t.Fatalf("handoff alert = %+v", alert)
		}
		if f := visitor.next("handoff_started"); f.Data["reason"] == "" {
			t.Fatalf("handoff_started without a reason: %+v", f)
		}
		if f := visitor.next("status"); f.Data["status"] != "waiting" {
			t.Fatalf("status = %+v", f)
		}
		e.do("POST", "/api/v1/conversations/"+conv+"/actions/accept", e.token, nil, 200, nil)
		if f := visitor.next("status"); f.Data["status"] != "human" {
			t.Fatalf("status = %+v", f)
		}
		e.do("POST", "/api/v1/conversations/"+conv+"/messages", e.token, map[string]any{"content": "Hi Vera, Ana here."}, 201, nil)
		f := visitor.next("agent_message")
		if f.Data["content"] != "Hi Vera, Ana here." || f.Data["agent_name"] != "Ana" {
			t.Fatalf("agent_message = %+v", f)
		}
		last := f.Seq

		// The visitor drops; three replies are sent; reconnecting with since gets exactly them.
		visitor.conn.CloseNow()
		for _, text := range []string{"one", "two", "three"} {
			e.clk.add(4 * time.Second)
			e.do("POST", "/api/v1/conversations/"+conv+"/messages", e.token, map[string]any{"content": text}, 201, nil)
		}
		e.do("POST", "/api/v1/conversations/"+conv+"/messages", e.token, map[string]any{"content": "secret note", "private": true}, 201, nil)
		visitor = e.dial("/widget/v1/ws?token=" + sess.Token + "&since=" + itoa(last) + "&conversation_id=" + conv)
		for i, text := range []string{"one", "two", "three"} {
			f := visitor.next("agent_message")
			if f.Data["content"] != text || f.Seq != last+int64(i)+1 {
				t.Fatalf("replayed %d = %+v, want %q at seq %d", i, f, text, last+int64(i)+1)
			}
		}
		visitor.quiet(200 * time.Millisecond) // the note never reaches the visitor

		// Return to AI.
		e.do("PUT", "/api/v1/conversations/"+conv+"/status", e.token, map[string]string{"status": "active"}, 200, nil)
		visitor.next("status")
		visitor.next("handoff_ended")
	})
}

func TestAgentResumesAConversationExactlyOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db, realtime.NewLocalBus())
		var sess baton.VisitorSession
		slug, _ := listBots(e)
		e.do("POST", "/widget/v1/sessions", "", map[string]string{"chatbot": slug}, 201, &sess)
		for _, text := range []string{"a", "b", "c"} {
			e.do("POST", "/widget/v1/messages", sess.Token, map[string]string{"content": text}, 201, nil)
		}
		agent := e.dial("/api/v1/ws?token=" + e.token)
		if err := agent.conn.Write(context.Background(), websocket.MessageText,
			[]byte(`{"type":"subscribe","conversation_id":"`+sess.ConversationID+`","since":2}`)); err != nil {
			t.Fatal(err)
		}
		var seqs []int64
		for len(seqs) < 2 {
			b, err := agent.read(5 * time.Second)
			if err != nil {
				t.Fatalf("after %v: %v", seqs, err)
			}
			var f frame
			json.Unmarshal(b, &f)
			seqs = append(seqs, f.Seq)
		}
		// seq 1 is conversation_created, then one message_created per message.
		if seqs[0] != 3 || seqs[1] != 4 {
			t.Fatalf("seqs = %v, want [3 4]", seqs)
		}
		agent.quiet(150 * time.Millisecond)
		// A live message continues the stream with no duplicate.
		e.do("POST", "/widget/v1/messages", sess.Token, map[string]string{"content": "d"}, 201, nil)
		if f := agent.next("message_created"); f.Seq != 5 {
			t.Fatalf("live seq = %d, want 5", f.Seq)
		}
	})
}

// lossyBus drops every other durable event, as a flaky network between nodes would.
type lossyBus struct {
	*realtime.LocalBus
	mu sync.Mutex
	n  int
}

func (b *lossyBus) Publish(ctx context.Context, envs []*realtime.Envelope) error {
	var keep []*realtime.Envelope
	b.mu.Lock()
	for _, e := range envs {
		b.n++
		if e.Event == nil || b.n%2 == 0 {
			keep = append(keep, e)
		}
	}
	b.mu.Unlock()
	return b.LocalBus.Publish(ctx, keep)
}

func TestSocketsFillGapsFromTheDatabase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db, &lossyBus{LocalBus: realtime.NewLocalBus()})
		var sess baton.VisitorSession
		slug, _ := listBots(e)
		e.do("POST", "/widget/v1/sessions", "", map[string]string{"chatbot": slug}, 201, &sess)
		visitor := e.dial("/widget/v1/ws?token=" + sess.Token)
		for i := 0; i < 6; i++ {
			e.do("POST", "/widget/v1/messages", sess.Token, map[string]string{"content": "m" + itoa(int64(i))}, 201, nil)
		}
		// Half the bus messages were lost, yet once a later one arrives the stream is whole.
		var got []int64
		for len(got) < 5 {
			got = append(got, visitor.next("visitor_message").Seq)
		}
		for i, s := range got {
			if s != int64(i)+1 {
				t.Fatalf("seqs = %v, want 1..5 in order", got)
			}
		}
	})
}

func TestBadFramesCloseTheSocket(t *testing.T) {
	e := setup(t, storetest.Open(t, store.SQLite), realtime.NewLocalBus())
	agent := e.dial("/api/v1/ws?token=" + e.token)
	agent.conn.Write(context.Background(), websocket.MessageText, []byte(`not json`))
	_, err := agent.read(5 * time.Second)
	if websocket.CloseStatus(err) != realtime.CloseBadFrame {
		t.Fatalf("close status = %v, want %v", websocket.CloseStatus(err), realtime.CloseBadFrame)
	}
	// A subscribe to a conversation of nobody's is refused the same way.
	agent = e.dial("/api/v1/ws?token=" + e.token)
	agent.conn.Write(context.Background(), websocket.MessageText, []byte(`{"type":"subscribe","conversation_id":"nope","since":0}`))
	_, err = agent.read(5 * time.Second)
	if websocket.CloseStatus(err) != realtime.CloseBadFrame {
		t.Fatalf("close status = %v, want %v", websocket.CloseStatus(err), realtime.CloseBadFrame)
	}
}

func TestSocketsRefuseBadTokens(t *testing.T) {
	e := setup(t, storetest.Open(t, store.SQLite), realtime.NewLocalBus())
	for _, path := range []string{"/api/v1/ws?token=bts_nope", "/widget/v1/ws?token=btv_nope", "/api/v1/ws"} {
		resp, err := http.Get(e.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET %s = %d, want 401", path, resp.StatusCode)
		}
	}
}

func listBots(e *env) (string, error) {
	var out struct {
		Chatbots []baton.Chatbot `json:"chatbots"`
	}
	e.do("GET", "/api/v1/chatbots", e.token, nil, 200, &out)
	return out.Chatbots[0].Slug, nil
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestAMentionReachesOnlyTheMentionedTeammate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db, realtime.NewLocalBus())
		ctx := context.Background()
		var me struct {
			AccountID string `json:"account_id"`
		}
		e.do("GET", "/api/v1/me", e.token, nil, 200, &me)
		bea, err := db.CreateUser(ctx, baton.UserCreate{AccountID: me.AccountID, Email: "bea-" + db.NewID()[24:] + "@example.com",
			Password: "meadow-lantern-77", FirstName: "Bea", Role: baton.RoleAgent})
		if err != nil {
			t.Fatal(err)
		}
		var login struct{ Token string }
		e.do("POST", "/api/v1/session", "", map[string]string{"email": bea.Email, "password": "meadow-lantern-77"}, 200, &login)
		beaSock := e.dial("/api/v1/ws?token=" + login.Token)
		anaSock := e.dial("/api/v1/ws?token=" + e.token)
		beaSock.sync()
		anaSock.sync()
		slug, _ := listBots(e)
		var sess baton.VisitorSession
		e.do("POST", "/widget/v1/sessions", "", map[string]string{"chatbot": slug}, 201, &sess)
		e.do("POST", "/api/v1/conversations/"+sess.ConversationID+"/messages", e.token,
			map[string]any{"content": "@Bea please look", "private": true}, 201, nil)
		f := beaSock.next("mention", "message_created", "conversation_created", "conversation_updated")
		if f.Data["kind"] != "mention" || f.Data["conversation_id"] != sess.ConversationID || f.Data["actor_name"] != "Ana" {
			t.Fatalf("mention frame = %+v", f)
		}
		// Ana (who wrote it) gets the note but no mention.
		anaSock.next("message_created", "conversation_created", "conversation_updated")
		anaSock.quiet(200 * time.Millisecond)
	})
}

// TestAStuckSocketDoesNotStallOthers (drill): an agent socket that stops reading is cut
// off by the server (its queue fills, or its writes time out), while another agent's
// socket gets every event without waiting for it.
func TestAStuckSocketDoesNotStallOthers(t *testing.T) {
	e := setup(t, storetest.Open(t, store.SQLite), realtime.NewLocalBus())
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	// A tiny receive buffer, so that the stuck client's TCP window closes quickly.
	dialer := &net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	hc := &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}}
	stuck, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.srv.URL, "http")+"/api/v1/ws?token="+e.token, &websocket.DialOptions{HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.CloseNow()
	stuck.SetReadLimit(1 << 20)
	healthy := e.dial("/api/v1/ws?token=" + e.token)
	healthy.sync()
	slug, _ := listBots(e)
	var sess baton.VisitorSession
	e.do("POST", "/widget/v1/sessions", "", map[string]string{"chatbot": slug}, 201, &sess)
	v, err := e.db.AuthenticateVisitor(ctx, sess.Token)
	if err != nil {
		t.Fatal(err)
	}
	const n = 1200
	big := strings.Repeat("x", 9000)
	for i := 0; i < n; i++ {
		if _, err := e.db.PostVisitorMessage(ctx, v, big+itoa(int64(i))); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < n; i++ {
		healthy.next("message_created", "conversation_created")
	}
	// Read at last, the stuck socket ends: the server cut it off (with 4000 when the close
	// frame could still be written), long before the test's own deadline.
	got := 0
	for {
		if _, _, err := stuck.Read(ctx); err != nil {
			if ctx.Err() != nil {
				t.Fatalf("the stuck socket was never cut off (it read %d frames)", got)
			}
			if code := websocket.CloseStatus(err); code != -1 && code != realtime.CloseReconnect {
				t.Fatalf("the stuck socket ended with close %d, want %d or a dropped connection", code, realtime.CloseReconnect)
			}
			break
		}
		got++
	}
	if got >= n {
		t.Fatalf("the stuck socket received all %d events: it was never behind", got)
	}
}

// swapBus, once armed, holds back one durable event and delivers it after the next one, as
// two nodes' events can reach the bus in the other order than they committed.
type swapBus struct {
	*realtime.LocalBus
	mu    sync.Mutex
	armed bool
	held  []*realtime.Envelope
}

func (b *swapBus) Publish(ctx context.Context, envs []*realtime.Envelope) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.armed {
		return b.LocalBus.Publish(ctx, envs)
	}
	if b.held == nil {
		b.held = envs
		return nil
	}
	b.armed = false
	if err := b.LocalBus.Publish(ctx, envs); err != nil {
		return err
	}
	return b.LocalBus.Publish(ctx, b.held)
}

func TestAgentGetsAnEventThatOvertookTheFirstOneItSaw(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		bus := &swapBus{LocalBus: realtime.NewLocalBus()}
		e := setup(t, db, bus)
		var sess baton.VisitorSession
		slug, _ := listBots(e)
		e.do("POST", "/widget/v1/sessions", "", map[string]string{"chatbot": slug}, 201, &sess)
		e.do("POST", "/widget/v1/messages", sess.Token, map[string]string{"content": "a"}, 201, nil) // seq 2
		agent := e.dial("/api/v1/ws?token=" + e.token)
		agent.sync()
		// The conversation's first events since the socket connected arrive swapped: 4, then 3.
		bus.mu.Lock()
		bus.armed = true
		bus.mu.Unlock()
		e.do("POST", "/widget/v1/messages", sess.Token, map[string]string{"content": "b"}, 201, nil)
		e.do("POST", "/widget/v1/messages", sess.Token, map[string]string{"content": "c"}, 201, nil)
		if f := agent.next("message_created"); f.Seq != 4 || f.Data["content"] != "c" {
			t.Fatalf("first frame seq %d %v, want 4 (c)", f.Seq, f.Data["content"])
		}
		if f := agent.next("message_created"); f.Seq != 3 || f.Data["content"] != "b" {
			t.Fatalf("second frame seq %d %v, want the late 3 (b)", f.Seq, f.Data["content"])
		}
		// Opening the conversation replays what came before, without the late one again.
		if err := agent.conn.Write(context.Background(), websocket.MessageText,
			[]byte(`{"type":"subscribe","conversation_id":"`+sess.ConversationID+`","since":0}`)); err != nil {
			t.Fatal(err)
		}
		if f := agent.next("conversation_created"); f.Seq != 1 {
			t.Fatalf("replay began at %d, want 1", f.Seq)
		}
		if f := agent.next("message_created"); f.Seq != 2 {
			t.Fatalf("replayed %d, want 2", f.Seq)
		}
		agent.quiet(150 * time.Millisecond)
		e.do("POST", "/widget/v1/messages", sess.Token, map[string]string{"content": "d"}, 201, nil)
		if f := agent.next("message_created"); f.Seq != 5 {
			t.Fatalf("live seq = %d, want 5", f.Seq)
		}
		agent.quiet(150 * time.Millisecond)
	})
}
