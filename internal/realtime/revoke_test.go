package realtime_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/realtime"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
	"github.com/coder/websocket"
)

// TestRevokedCredentialsCloseSockets on one node: signing out, revoking a token, a new
// password or role, and deactivation close the agent sockets that used the credentials
// (4001), and leave the others open.
func TestRevokedCredentialsCloseSockets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db, realtime.NewLocalBus())
		revocations(t, e, e)
	})
}

// TestRevokedCredentialsCloseSocketsOnEveryNode: the change is made on node A, the
// sockets are on node B; NATS carries the revocation.
func TestRevokedCredentialsCloseSocketsOnEveryNode(t *testing.T) {
	a, b := twoNodes(t)
	revocations(t, a, b)
}

// revocations changes credentials through node a and watches sockets on node b.
func revocations(t *testing.T, a, b *env) {
	ctx := context.Background()
	me := func(token string) *baton.User {
		var u baton.User
		a.do("GET", "/api/v1/me", token, nil, 200, &u)
		return &u
	}
	owner := me(a.token)
	newAgent := func(email string) (*baton.User, string) {
		u, err := a.db.CreateUser(ctx, baton.UserCreate{AccountID: owner.AccountID, Email: email, Password: "meadow-lantern-77", FirstName: "Bo", Role: baton.RoleAgent})
		if err != nil {
			t.Fatal(err)
		}
		var out struct{ Token string }
		a.do("POST", "/api/v1/session", "", map[string]string{"email": email, "password": "meadow-lantern-77"}, 200, &out)
		return u, out.Token
	}
	socket := func(token string) *sock {
		s := b.dial("/api/v1/ws?token=" + token)
		s.sync()
		return s
	}
	closed := func(s *sock, what string) {
		t.Helper()
		for {
			_, err := s.read(5 * time.Second)
			if err == nil {
				continue // frames queued before the close
			}
			if errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("%s: the socket stayed open", what)
			}
			if code := websocket.CloseStatus(err); code != realtime.CloseUnauthorized {
				t.Fatalf("%s: the socket closed with %v (%d), want %d", what, err, code, realtime.CloseUnauthorized)
			}
			return
		}
	}
	open := func(s *sock, what string) {
		t.Helper()
		if err := s.conn.Write(ctx, websocket.MessageText, []byte(`{"type":"ping"}`)); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		s.next("pong", "presence", "conversation_updated")
	}
	bystander := socket(a.token)

	t.Run("signing out closes that session's sockets only", func(t *testing.T) {
		_, one := newAgent("one@example.com")
		var out struct{ Token string }
		a.do("POST", "/api/v1/session", "", map[string]string{"email": "one@example.com", "password": "meadow-lantern-77"}, 200, &out)
		s1, s2 := socket(one), socket(out.Token)
		a.do("DELETE", "/api/v1/session", one, nil, 204, nil)
		closed(s1, "logout")
		open(s2, "the same user's other session")
		open(bystander, "another user")
	})
	t.Run("revoking a token closes its sockets", func(t *testing.T) {
		var tok struct{ ID, Token string }
		a.do("POST", "/api/v1/tokens", a.token, map[string]any{"name": "desk", "scopes": []string{"read"}}, 201, &tok)
		s := socket(tok.Token)
		a.do("DELETE", "/api/v1/tokens/"+tok.ID, a.token, nil, 204, nil)
		closed(s, "token revoked")
		open(bystander, "the token's creator's session")
	})
	t.Run("a new password closes the other sessions' sockets", func(t *testing.T) {
		_, two := newAgent("two@example.com")
		var other struct{ Token string }
		a.do("POST", "/api/v1/session", "", map[string]string{"email": "two@example.com", "password": "meadow-lantern-77"}, 200, &other)
		mine, theirs := socket(two), socket(other.Token)
		a.do("PATCH", "/api/v1/me", two, map[string]string{"password": "another long phrase 9", "current_password": "meadow-lantern-77"}, 200, nil)
		closed(theirs, "password changed")
		open(mine, "the session that changed it")
	})
	t.Run("a new role closes the user's sockets", func(t *testing.T) {
		three, tok := newAgent("three@example.com")
		s := socket(tok)
		a.do("PATCH", "/api/v1/users/"+three.ID, a.token, map[string]string{"role": "admin"}, 200, nil)
		closed(s, "role changed")
	})
	t.Run("deactivation closes the user's sockets and refuses new ones", func(t *testing.T) {
		four, tok := newAgent("four@example.com")
		s := socket(tok)
		a.do("POST", "/api/v1/users/"+four.ID+"/deactivate", a.token, nil, 200, nil)
		closed(s, "deactivated")
		late := b.dial("/api/v1/ws?token=" + tok)
		closed(late, "a socket opened after deactivation")
	})
	open(bystander, "the owner, after all that")
}

// TestHeartbeatRechecksSessions: an open console keeps its session from idling out, and a
// session ended where no revocation reaches the node (the command line's password reset)
// closes its sockets at the next heartbeat.
func TestHeartbeatRechecksSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db, realtime.NewLocalBus())
		db.SessionIdle, db.SessionMax = 30*time.Minute, 12*time.Hour
		var out struct {
			Token string
			User  baton.User
		}
		e.do("POST", "/api/v1/session", "", map[string]string{"email": mustOwnerEmail(t, e), "password": "meadow-lantern-77"}, 200, &out)
		s := e.dial("/api/v1/ws?token=" + out.Token)
		s.sync()
		for range 3 { // an hour with the console open and no request
			e.clk.add(20 * time.Minute)
			e.hub.RecheckSessions()
		}
		e.do("GET", "/api/v1/me", out.Token, nil, 200, nil)
		if _, err := db.EndSessions(context.Background(), out.User.ID, ""); err != nil {
			t.Fatal(err)
		}
		e.hub.RecheckSessions()
		for {
			_, err := s.read(5 * time.Second)
			if err == nil {
				continue
			}
			if code := websocket.CloseStatus(err); code != realtime.CloseUnauthorized {
				t.Fatalf("after the session ended the socket closed with %v, want %d", err, realtime.CloseUnauthorized)
			}
			break
		}
	})
}

func mustOwnerEmail(t *testing.T, e *env) string {
	var u baton.User
	e.do("GET", "/api/v1/me", e.token, nil, 200, &u)
	return u.Email
}
