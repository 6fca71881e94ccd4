package realtime_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/httpapi"
	"github.com/baton-chat/baton/internal/realtime"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
)

// TestTwoNodesShareEventsThroughNATS runs the visitor on one node and the agent on another,
// both on one PostgreSQL database and one NATS server (R5).
func TestTwoNodesShareEventsThroughNATS(t *testing.T) {
	a, b := twoNodes(t)

	// The agent's socket is registered before the session starts: the conversation's first
	// events cross NATS after B has answered, and would otherwise race the socket's pong.
	slug, _ := listBots(a)
	agent := a.dial("/api/v1/ws?token=" + a.token)
	agent.sync()
	var sess baton.VisitorSession
	b.do("POST", "/widget/v1/sessions", "", map[string]string{"chatbot": slug, "name": "Nora"}, 201, &sess)
	visitor := b.dial("/widget/v1/ws?token=" + sess.Token)
	visitor.sync()

	b.do("POST", "/widget/v1/messages", sess.Token, map[string]string{"content": "Hello from node B"}, 201, nil)
	if f := agent.next("message_created", "conversation_created", "conversation_updated"); f.Data["content"] != "Hello from node B" {
		t.Fatalf("agent on A got %+v", f)
	}
	conv := sess.ConversationID
	a.do("POST", "/api/v1/conversations/"+conv+"/actions/join", a.token, nil, 200, nil)
	a.do("POST", "/api/v1/conversations/"+conv+"/actions/accept", a.token, nil, 200, nil)
	a.do("POST", "/api/v1/conversations/"+conv+"/messages", a.token, map[string]any{"content": "Hello from node A"}, 201, nil)
	f := visitor.next("agent_message", "visitor_message", "status", "handoff_started")
	if f.Data["content"] != "Hello from node A" || f.Data["agent_name"] != "Ana" {
		t.Fatalf("visitor on B got %+v", f)
	}
}

// twoNodes runs two nodes on one PostgreSQL database and one NATS server: a is set up as
// every test's env (an account, its owner signed in), b serves the same database with a
// hub of its own (the visitor and agent sockets, revocations on its bus).
func twoNodes(t *testing.T) (a, b *env) {
	t.Helper()
	natsURL := os.Getenv("BATON_TEST_NATS_URL")
	if natsURL == "" || os.Getenv("BATON_TEST_DATABASE_URL") == "" {
		t.Skip("BATON_TEST_NATS_URL and BATON_TEST_DATABASE_URL are needed")
	}
	cfg := storetest.Config(t, store.Postgres)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	open := func() (*store.DB, realtime.Bus) {
		db, err := store.Open(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		bus, err := realtime.NewNATSBus(natsURL, logger)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { bus.Close() })
		return db, bus
	}
	dbA, busA := open()
	a = setup(t, dbA, busA)
	dbB, busB := open()
	dbB.Now = a.clk.now
	hubB, err := realtime.NewHub(busB, dbB, logger)
	if err != nil {
		t.Fatal(err)
	}
	dbB.Publisher = hubB
	apiB := httpapi.NewServer(dbB, logger)
	apiB.OnRevoke = hubB.Revoke
	apiB.Handle("GET /widget/v1/ws", hubB.VisitorHandler(dbB))
	apiB.Handle("GET /api/v1/ws", hubB.AgentHandler(apiB.AuthenticateSocket, dbB, nil))
	srvB := httptest.NewServer(apiB)
	t.Cleanup(func() { hubB.Close(); srvB.Close() })
	return a, &env{t: t, db: dbB, hub: hubB, srv: srvB, clk: a.clk}
}
