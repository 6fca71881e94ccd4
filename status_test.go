package baton_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/baton-chat/baton"
)

// outcome is what one (status, action) pair should do: move to a status with effects,
// or be refused.
type outcome struct {
	refused bool
	to      baton.Status
	effects []baton.Effect
}

var refused = outcome{refused: true}

func to(s baton.Status, effects ...baton.Effect) outcome { return outcome{to: s, effects: effects} }

// Short names keep the table readable: one line per pair.
const (
	bot       = baton.StatusBot
	waiting   = baton.StatusWaiting
	human     = baton.StatusHuman
	offline   = baton.StatusOffline
	resolved  = baton.StatusResolved
	closed    = baton.StatusClosed
	abandoned = baton.StatusAbandoned

	join           = baton.ActionJoin
	accept         = baton.ActionAccept
	release        = baton.ActionRelease
	resolve        = baton.ActionResolve
	closeAction    = baton.ActionClose
	reopen         = baton.ActionReopen
	transfer       = baton.ActionTransfer
	handoff        = baton.ActionHandoff
	handoffNone    = baton.ActionHandoffNone
	takeover       = baton.ActionTakeover
	abandon        = baton.ActionAbandon
	visitorMessage = baton.ActionVisitorMessage
	transferQueue  = baton.ActionTransferQueue
	autoResolve    = baton.ActionAutoResolve

	assignActor     = baton.EffectAssignActor
	unassign        = baton.EffectUnassign
	handoffStarted  = baton.EffectHandoffStarted
	handoffEnded    = baton.EffectHandoffEnded
	route           = baton.EffectRoute
	analyse         = baton.EffectAnalyse
	newConversation = baton.EffectNewConversation
	reassign        = baton.EffectReassign
)

// wantTransitions is the status machine written out from SPEC §1 (H1–H7), independently of
// the table in status.go: every status × every action, nothing implied.
//
//   - H3: Join takes a bot (or offline) conversation to waiting, assigned to whoever
//     joined; Accept takes a waiting (or offline) one to human; Release returns
//     waiting/human/offline to the AI; Close ends any conversation not already closed.
//   - H7: Resolve applies to every open conversation; Reopen returns resolved, closed and
//     abandoned ones to the AI; a visitor message to them starts a new linked
//     conversation, while to an open one it changes nothing.
//   - Transfer happens only with a human or while waiting for one (Q3): to an agent it
//     stays where it is; to a queue it goes back to waiting, unassigned, and is routed.
//   - H8: a timer (or the visitor's thanks) resolves a conversation the bot or an agent
//     is handling; a waiting one is abandoned instead.
//   - System actions: a handoff request leaves the bot (or offline) for waiting, or offline
//     when nobody is available; an external desk (X2) takes over anything open but human;
//     only a visitor who was waiting (or leaving contact details offline) can abandon.
var wantTransitions = map[baton.Status]map[baton.Action]outcome{
	bot: {
		join:           to(waiting, handoffStarted, assignActor),
		accept:         refused,
		release:        refused,
		resolve:        to(resolved),
		closeAction:    to(closed, analyse),
		reopen:         refused,
		transfer:       refused,
		handoff:        to(waiting, handoffStarted, route),
		handoffNone:    to(offline, handoffStarted),
		takeover:       to(human, handoffStarted),
		abandon:        refused,
		visitorMessage: to(bot),
		transferQueue:  refused,
		autoResolve:    to(resolved),
	},
	waiting: {
		join:           refused,
		accept:         to(human, assignActor),
		release:        to(bot, unassign, handoffEnded),
		resolve:        to(resolved),
		closeAction:    to(closed, analyse),
		reopen:         refused,
		transfer:       to(waiting, reassign),
		handoff:        refused,
		handoffNone:    refused,
		takeover:       to(human),
		abandon:        to(abandoned, unassign),
		visitorMessage: to(waiting),
		transferQueue:  to(waiting, unassign, route),
		autoResolve:    refused,
	},
	human: {
		join:           refused,
		accept:         refused,
		release:        to(bot, unassign, handoffEnded),
		resolve:        to(resolved),
		closeAction:    to(closed, analyse),
		reopen:         refused,
		transfer:       to(human, reassign),
		handoff:        refused,
		handoffNone:    refused,
		takeover:       refused,
		abandon:        refused,
		visitorMessage: to(human),
		transferQueue:  to(waiting, unassign, route),
		autoResolve:    to(resolved),
	},
	offline: {
		join:           to(waiting, assignActor),
		accept:         to(human, assignActor),
		release:        to(bot, unassign, handoffEnded),
		resolve:        to(resolved),
		closeAction:    to(closed, analyse),
		reopen:         refused,
		transfer:       refused,
		handoff:        to(waiting, route),
		handoffNone:    refused,
		takeover:       to(human),
		abandon:        to(abandoned, unassign),
		visitorMessage: to(offline),
		transferQueue:  refused,
		autoResolve:    refused,
	},
	resolved: {
		join:           refused,
		accept:         refused,
		release:        refused,
		resolve:        refused,
		closeAction:    to(closed, analyse),
		reopen:         to(bot, unassign),
		transfer:       refused,
		handoff:        refused,
		handoffNone:    refused,
		takeover:       refused,
		abandon:        refused,
		visitorMessage: to(resolved, newConversation),
		transferQueue:  refused,
		autoResolve:    refused,
	},
	closed: {
		join:           refused,
		accept:         refused,
		release:        refused,
		resolve:        refused,
		closeAction:    refused,
		reopen:         to(bot, unassign),
		transfer:       refused,
		handoff:        refused,
		handoffNone:    refused,
		takeover:       refused,
		abandon:        refused,
		visitorMessage: to(closed, newConversation),
		transferQueue:  refused,
		autoResolve:    refused,
	},
	abandoned: {
		join:           refused,
		accept:         refused,
		release:        refused,
		resolve:        refused,
		closeAction:    to(closed, analyse),
		reopen:         to(bot, unassign),
		transfer:       refused,
		handoff:        refused,
		handoffNone:    refused,
		takeover:       refused,
		abandon:        refused,
		visitorMessage: to(abandoned, newConversation),
		transferQueue:  refused,
		autoResolve:    refused,
	},
}

func TestTransitCoversEveryStatusAndAction(t *testing.T) {
	if got, want := len(baton.Statuses), len(wantTransitions); got != want {
		t.Errorf("len(Statuses) = %d, want %d: a status was added or removed; extend wantTransitions", got, want)
	}
	for s, row := range wantTransitions {
		if !slices.Contains(baton.Statuses, s) {
			t.Errorf("Statuses does not list %q", s)
		}
		if len(row) != len(baton.Actions) {
			t.Errorf("wantTransitions[%s] has %d actions, Actions has %d: extend the table", s, len(row), len(baton.Actions))
		}
		for a := range row {
			if !slices.Contains(baton.Actions, a) {
				t.Errorf("Actions does not list %q", a)
			}
		}
	}
	for _, a := range baton.AgentActions {
		if !slices.Contains(baton.Actions, a) {
			t.Errorf("Actions does not list the agent action %q", a)
		}
	}
}

func TestTransit(t *testing.T) {
	for _, from := range baton.Statuses {
		for _, action := range baton.Actions {
			want, ok := wantTransitions[from][action]
			if !ok {
				t.Errorf("wantTransitions has no entry for (%s, %s)", from, action)
				continue
			}
			name := fmt.Sprintf("%s on %s %s conversation moves it to %s", action, article(from), from, want.to)
			if want.refused {
				name = fmt.Sprintf("%s on %s %s conversation is refused", action, article(from), from)
			}
			t.Run(name, func(t *testing.T) {
				got, err := baton.Transit(from, action)
				if want.refused {
					if code := baton.ErrorCode(err); code != baton.ECONFLICT {
						t.Fatalf("Transit(%s, %s) = %v, %v; want refused with code %s", from, action, got.To, err, baton.ECONFLICT)
					}
					if msg := baton.ErrorMessage(err); msg == "" || msg == "Internal error." {
						t.Errorf("Transit(%s, %s) refusal message = %q, want a message for the user", from, action, msg)
					}
					if got.To != "" || len(got.Effects) != 0 || got.System != "" {
						t.Errorf("Transit(%s, %s) refused but returned %+v, want the zero Transition", from, action, got)
					}
					return
				}
				if err != nil {
					t.Fatalf("Transit(%s, %s) = %v, want %s", from, action, err, want.to)
				}
				if got.To != want.to {
					t.Errorf("Transit(%s, %s) = %v, want %v", from, action, got.To, want.to)
				}
				if !sameEffects(got.Effects, want.effects) {
					t.Errorf("Transit(%s, %s).Effects = %v, want %v", from, action, got.Effects, want.effects)
				}
				for _, e := range want.effects {
					if !got.Has(e) {
						t.Errorf("Transit(%s, %s).Has(%s) = false, want true", from, action, e)
					}
				}
				// Every status change by an action writes a system message to the thread (H1);
				// a visitor message is the visitor's own text, not a system message.
				if action != visitorMessage && got.System == "" {
					t.Errorf("Transit(%s, %s).System is empty, want a system message", from, action)
				}
			})
		}
	}
}

func TestTransitRefusesUnknownStatusesAndActions(t *testing.T) {
	for _, tc := range []struct {
		from   baton.Status
		action baton.Action
	}{
		{"", join},
		{"active", closeAction},
		{bot, ""},
		{human, "delete"},
		{"Bot", join}, // statuses are case-sensitive
	} {
		t.Run(fmt.Sprintf("%q on %q is refused", tc.action, tc.from), func(t *testing.T) {
			got, err := baton.Transit(tc.from, tc.action)
			if baton.ErrorCode(err) != baton.ECONFLICT {
				t.Errorf("Transit(%q, %q) = %v, %v; want refused with code %s", tc.from, tc.action, got.To, err, baton.ECONFLICT)
			}
		})
	}
}

func TestTransitionHas(t *testing.T) {
	tr := baton.Transition{To: human, Effects: []baton.Effect{assignActor, handoffStarted}}
	for _, tc := range []struct {
		e    baton.Effect
		want bool
	}{{assignActor, true}, {handoffStarted, true}, {unassign, false}, {"", false}} {
		if got := tr.Has(tc.e); got != tc.want {
			t.Errorf("Transition%v.Has(%q) = %v, want %v", tr.Effects, tc.e, got, tc.want)
		}
	}
	if (baton.Transition{}).Has(route) {
		t.Errorf("Transition{}.Has(%q) = true, want false", route)
	}
}

func article(s baton.Status) string {
	if strings.ContainsRune("aeiou", rune(s[0])) {
		return "an"
	}
	return "a"
}

func sameEffects(a, b []baton.Effect) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func TestStatusPredicates(t *testing.T) {
	for _, tc := range []struct {
		s                      baton.Status
		valid, open, botActive bool
	}{
		{bot, true, true, true},
		{waiting, true, true, false},
		{human, true, true, false},
		{offline, true, true, true},
		{resolved, true, false, false},
		{closed, true, false, false},
		{abandoned, true, false, false},
		{"", false, true, false},
		{"active", false, true, false},
		{"Human", false, true, false},
	} {
		t.Run(fmt.Sprintf("status %q", tc.s), func(t *testing.T) {
			if got := tc.s.Valid(); got != tc.valid {
				t.Errorf("Status(%q).Valid() = %v, want %v", tc.s, got, tc.valid)
			}
			if tc.valid {
				if got := tc.s.Open(); got != tc.open {
					t.Errorf("Status(%q).Open() = %v, want %v", tc.s, got, tc.open)
				}
			}
			if got := tc.s.BotActive(); got != tc.botActive {
				t.Errorf("Status(%q).BotActive() = %v, want %v", tc.s, got, tc.botActive)
			}
		})
	}
	for _, s := range baton.Statuses {
		if !s.Valid() {
			t.Errorf("Status(%q).Valid() = false for a listed status", s)
		}
	}
}

// TestBotIsPausedWhileAHumanIsInvolved checks H5 across the table: every action that puts
// a conversation into waiting or human leaves it in a status where the AI is silent.
func TestBotIsPausedWhileAHumanIsInvolved(t *testing.T) {
	for _, from := range baton.Statuses {
		for _, action := range baton.Actions {
			tr, err := baton.Transit(from, action)
			if err != nil {
				continue
			}
			if (tr.To == waiting || tr.To == human) && tr.To.BotActive() {
				t.Errorf("Transit(%s, %s) = %s where the bot is active, want the bot paused", from, action, tr.To)
			}
		}
	}
}

func TestRoleAtLeast(t *testing.T) {
	roles := []baton.Role{baton.RoleOwner, baton.RoleAdmin, baton.RoleAgent, "", "superuser"}
	// want[r][floor]: does r carry at least floor's rights?
	want := map[baton.Role]map[baton.Role]bool{
		baton.RoleOwner: {baton.RoleOwner: true, baton.RoleAdmin: true, baton.RoleAgent: true},
		baton.RoleAdmin: {baton.RoleOwner: false, baton.RoleAdmin: true, baton.RoleAgent: true},
		baton.RoleAgent: {baton.RoleOwner: false, baton.RoleAdmin: false, baton.RoleAgent: true},
		"":              {baton.RoleOwner: false, baton.RoleAdmin: false, baton.RoleAgent: false},
		"superuser":     {baton.RoleOwner: false, baton.RoleAdmin: false, baton.RoleAgent: false},
	}
	for _, r := range roles {
		for _, floor := range []baton.Role{baton.RoleOwner, baton.RoleAdmin, baton.RoleAgent} {
			if got := r.AtLeast(floor); got != want[r][floor] {
				t.Errorf("Role(%q).AtLeast(%q) = %v, want %v", r, floor, got, want[r][floor])
			}
		}
	}
	for _, tc := range []struct {
		r    baton.Role
		want bool
	}{{baton.RoleOwner, true}, {baton.RoleAdmin, true}, {baton.RoleAgent, true}, {"", false}, {"Owner", false}} {
		if got := tc.r.Valid(); got != tc.want {
			t.Errorf("Role(%q).Valid() = %v, want %v", tc.r, got, tc.want)
		}
	}
}

func TestActorCan(t *testing.T) {
	agent := &baton.User{ID: "u1", AccountID: "a1", Role: baton.RoleAgent, Email: "ann@example.com"}
	scopes := []baton.Scope{baton.ScopeRead, baton.ScopeWrite, baton.ScopeHandover}
	for _, tc := range []struct {
		name  string
		actor *baton.Actor
		want  map[baton.Scope]bool
	}{
		{"no actor can do nothing", nil,
			map[baton.Scope]bool{baton.ScopeRead: false, baton.ScopeWrite: false, baton.ScopeHandover: false}},
		{"an actor without a user or token can do nothing", &baton.Actor{AccountID: "a1"},
			map[baton.Scope]bool{baton.ScopeRead: false, baton.ScopeWrite: false, baton.ScopeHandover: false}},
		{"a signed-in user can use every scope", &baton.Actor{AccountID: "a1", User: agent, SessionToken: "bts_x"},
			map[baton.Scope]bool{baton.ScopeRead: true, baton.ScopeWrite: true, baton.ScopeHandover: true}},
		{"a read token can only read", &baton.Actor{AccountID: "a1", User: agent, TokenID: "t1", Scopes: []baton.Scope{baton.ScopeRead}},
			map[baton.Scope]bool{baton.ScopeRead: true, baton.ScopeWrite: false, baton.ScopeHandover: false}},
		{"a handover token cannot read or write", &baton.Actor{AccountID: "a1", User: agent, TokenID: "t1", Scopes: []baton.Scope{baton.ScopeHandover}},
			map[baton.Scope]bool{baton.ScopeRead: false, baton.ScopeWrite: false, baton.ScopeHandover: true}},
		{"a token without scopes can do nothing", &baton.Actor{AccountID: "a1", User: agent, TokenID: "t1"},
			map[baton.Scope]bool{baton.ScopeRead: false, baton.ScopeWrite: false, baton.ScopeHandover: false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, s := range scopes {
				if got := tc.actor.Can(s); got != tc.want[s] {
					t.Errorf("Actor.Can(%s) = %v, want %v", s, got, tc.want[s])
				}
			}
			if tc.actor != nil && tc.actor.TokenID != "" && tc.actor.Can("admin") {
				t.Errorf("Actor.Can(%q) = true on a token for an unknown scope, want false", "admin")
			}
		})
	}
}

func TestActorAccessors(t *testing.T) {
	var none *baton.Actor
	if none.Role() != "" || none.UserID() != "" {
		t.Errorf("nil Actor: Role() = %q, UserID() = %q, want empty", none.Role(), none.UserID())
	}
	a := &baton.Actor{AccountID: "a1", User: &baton.User{ID: "u1", Role: baton.RoleAdmin}}
	if a.Role() != baton.RoleAdmin || a.UserID() != "u1" {
		t.Errorf("Actor: Role() = %q, UserID() = %q, want %q, %q", a.Role(), a.UserID(), baton.RoleAdmin, "u1")
	}
	ctx := baton.NewContextWithActor(context.Background(), a)
	if got := baton.ActorFromContext(ctx); got != a {
		t.Errorf("ActorFromContext(NewContextWithActor(a)) = %p, want %p", got, a)
	}
	if got := baton.ActorFromContext(context.Background()); got != nil {
		t.Errorf("ActorFromContext(empty) = %v, want nil", got)
	}
}

func TestErrorCodeAndMessage(t *testing.T) {
	refusal := &baton.Error{Code: baton.ECONFLICT, Message: "No."}
	for _, tc := range []struct {
		name      string
		err       error
		code, msg string
	}{
		{"no error has no code", nil, "", ""},
		{"a domain error keeps its code and message", refusal, baton.ECONFLICT, "No."},
		{"a wrapped domain error keeps its code and message", fmt.Errorf("act: %w", refusal), baton.ECONFLICT, "No."},
		{"any other error is internal and says nothing", errors.New("pq: connection refused at 10.0.0.1"), baton.EINTERNAL, "Internal error."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := baton.ErrorCode(tc.err); got != tc.code {
				t.Errorf("ErrorCode(%v) = %q, want %q", tc.err, got, tc.code)
			}
			if got := baton.ErrorMessage(tc.err); got != tc.msg {
				t.Errorf("ErrorMessage(%v) = %q, want %q", tc.err, got, tc.msg)
			}
		})
	}
}
