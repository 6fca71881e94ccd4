package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
)

// list returns the ids of one page of the list with filter f.
func (e *env) list(t *testing.T, f baton.ConversationFilter) []string {
	t.Helper()
	p, err := e.db.ListConversations(e.ctx, f)
	if err != nil {
		t.Fatalf("ListConversations(%+v) = %v", f, err)
	}
	ids := []string{}
	for _, c := range p.Conversations {
		ids = append(ids, c.ID)
	}
	return ids
}

// TestListConversationsFilters builds five conversations that differ in every filtered
// field and checks each filter picks exactly the right ones, newest activity first.
func TestListConversationsFilters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		ctx := context.Background()
		// say n visitor messages with text free of digits, so that number searches match
		// only numbers.
		chat := func(v *baton.Visitor, n int, last string) {
			for i := 1; i < n; i++ {
				e.say(t, v, "hello again")
			}
			e.say(t, v, last)
		}
		at := func(h int) time.Time { return start.Add(time.Duration(h) * time.Hour) }

		// c1: bot, 4 turns (low), Alice, tagged, labelled, high priority.
		e.clock.Add(time.Hour)
		s1, err := db.OpenSession(ctx, baton.VisitorSessionCreate{Chatbot: "acme", Name: "Alice Martin", Email: "alice@example.com"})
		if err != nil {
			t.Fatalf("OpenSession = %v", err)
		}
		v1, _ := db.AuthenticateVisitor(ctx, s1.Token)
		chat(v1, 4, "I need a refund for my order")
		c1 := s1.ConversationID

		// c2: human with the owner, pending, 5 turns (medium).
		e.clock.Add(time.Hour)
		s2, v2 := e.visitor(t, "")
		chat(v2, 5, "a person please")
		c2 := s2.ConversationID
		e.act(t, c2, baton.ActionRequest{Action: baton.ActionJoin})
		e.act(t, c2, baton.ActionRequest{Action: baton.ActionAccept})

		// c3: waiting, unassigned (nobody is online to route it to), 10 turns (medium).
		e.clock.Add(time.Hour)
		s3, v3 := e.visitor(t, "")
		chat(v3, 10, "still there?")
		c3 := s3.ConversationID
		e.act(t, c3, baton.ActionRequest{Action: baton.ActionHandoff, Reason: "The visitor asked for a person."})

		// c4: resolved, 11 turns (high), on Telegram, with a phone number.
		e.clock.Add(time.Hour)
		s4, v4 := e.visitor(t, "")
		chat(v4, 11, "thanks, bye")
		c4 := s4.ConversationID
		e.act(t, c4, baton.ActionRequest{Action: baton.ActionResolve})
		execSQL(t, db, "UPDATE conversations SET channel = $1 WHERE id = $2", baton.ChannelTelegram, c4)
		execSQL(t, db, "UPDATE contacts SET phone = $1 WHERE id = $2", "+15550100", e.find(t, c4).Contact.ID)

		// c5: bot, 1 turn (low).
		e.clock.Add(time.Hour)
		s5, v5 := e.visitor(t, "")
		chat(v5, 1, "hi")
		c5 := s5.ConversationID

		// The agent reply of c2 comes last (it is c2's latest activity).
		e.clock.Add(time.Hour)
		if _, err := db.Reply(e.ctx, c2, "On it", false); err != nil {
			t.Fatalf("Reply = %v", err)
		}
		if _, err := db.UpdateConversation(e.ctx, c1, baton.ConversationUpdate{Tags: &[]string{"billing"},
			Labels: &[]string{"Bug Report"}, Priority: ptr(baton.PriorityHigh)}); err != nil {
			t.Fatalf("UpdateConversation = %v", err)
		}
		// A note mentioning everything, which search must find too, but which is no activity.
		if _, err := db.Reply(e.ctx, c5, "internal: zebra", true); err != nil {
			t.Fatalf("Reply(note) = %v", err)
		}

		// Newest activity first: c2 (the reply, 6 h), c5, c4, c3, c1.
		none := []string{}
		for _, tc := range []struct {
			name string
			f    baton.ConversationFilter
			want []string
		}{
			{"no filter lists every conversation by newest activity", baton.ConversationFilter{}, []string{c2, c5, c4, c3, c1}},
			{"status bot", baton.ConversationFilter{Statuses: []baton.Status{baton.StatusBot}}, []string{c5, c1}},
			{"status waiting or human", baton.ConversationFilter{Statuses: []baton.Status{baton.StatusWaiting, baton.StatusHuman}}, []string{c2, c3}},
			{"status resolved", baton.ConversationFilter{Statuses: []baton.Status{baton.StatusResolved}}, []string{c4}},
			{"status closed", baton.ConversationFilter{Statuses: []baton.Status{baton.StatusClosed}}, none},
			{"pending", baton.ConversationFilter{Pending: ptr(true)}, []string{c2}},
			{"not pending", baton.ConversationFilter{Pending: ptr(false)}, []string{c5, c4, c3, c1}},
			{"channel telegram", baton.ConversationFilter{Channel: baton.ChannelTelegram}, []string{c4}},
			{"channel web", baton.ConversationFilter{Channel: baton.ChannelWeb}, []string{c2, c5, c3, c1}},
			{"channel whatsapp", baton.ConversationFilter{Channel: baton.ChannelWhatsApp}, none},
			{"assigned to the owner", baton.ConversationFilter{AssigneeID: e.owner.ID}, []string{c2}},
			{"unassigned", baton.ConversationFilter{AssigneeID: "none"}, []string{c5, c4, c3, c1}},
			{"priority high", baton.ConversationFilter{Priority: baton.PriorityHigh}, []string{c1}},
			{"priority urgent", baton.ConversationFilter{Priority: baton.PriorityUrgent}, none},
			{"tag billing", baton.ConversationFilter{Tag: "billing"}, []string{c1}},
			{"an unused tag", baton.ConversationFilter{Tag: "vip"}, none},
			{"label Bug Report", baton.ConversationFilter{Label: "Bug Report"}, []string{c1}},
			{"an unused label", baton.ConversationFilter{Label: "Escalated"}, none},
			{"low activity is under 5 turns", baton.ConversationFilter{Activity: baton.ActivityLow}, []string{c5, c1}},
			{"medium activity is 5 to 10 turns", baton.ConversationFilter{Activity: baton.ActivityMedium}, []string{c2, c3}},
			{"high activity is over 10 turns", baton.ConversationFilter{Activity: baton.ActivityHigh}, []string{c4}},
			{"from a time on", baton.ConversationFilter{From: ptr(at(3))}, []string{c2, c5, c4, c3}},
			{"before a time", baton.ConversationFilter{To: ptr(at(3))}, []string{c1}},
			{"between two times", baton.ConversationFilter{From: ptr(at(2)), To: ptr(at(5))}, []string{c4, c3}},
			{"search by contact name, any case", baton.ConversationFilter{Query: "aLiCe mar"}, []string{c1}},
			{"search by contact email", baton.ConversationFilter{Query: "alice@example"}, []string{c1}},
			{"search by phone", baton.ConversationFilter{Query: "+15550100"}, []string{c4}},
			{"search by part of a phone number", baton.ConversationFilter{Query: "5550100"}, []string{c4}},
			{"search by message content", baton.ConversationFilter{Query: "REFUND"}, []string{c1}},
			{"search by note content", baton.ConversationFilter{Query: "zebra"}, []string{c5}},
			{"search by conversation number", baton.ConversationFilter{Query: "3"}, []string{c3}},
			{"search by #number", baton.ConversationFilter{Query: "#4"}, []string{c4}},
			{"search for a number nobody has", baton.ConversationFilter{Query: "#99"}, none},
			{"search treats % literally", baton.ConversationFilter{Query: "%"}, none},
			{"search treats _ literally", baton.ConversationFilter{Query: "_"}, none},
			{"search with no match", baton.ConversationFilter{Query: "kangaroo"}, none},
			{"filters combine", baton.ConversationFilter{Statuses: []baton.Status{baton.StatusBot}, Activity: baton.ActivityLow, Query: "alice"}, []string{c1}},
			{"filters combine to nothing", baton.ConversationFilter{Channel: baton.ChannelTelegram, Pending: ptr(true)}, none},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if got := e.list(t, tc.f); !slices.Equal(got, tc.want) {
					t.Errorf("ListConversations(%s) = %v, want %v", tc.name, got, tc.want)
				}
			})
		}

		// The list carries what a row shows.
		p, _ := db.ListConversations(e.ctx, baton.ConversationFilter{Tag: "billing"})
		if c := p.Conversations[0]; !slices.Equal(c.Tags, []string{"billing"}) || !slices.Equal(c.Labels, []string{"Bug Report"}) ||
			c.Contact.Name != "Alice Martin" || c.Chatbot.Slug != "acme" || c.Turns != 4 || c.LastMessage != "I need a refund for my order" {
			t.Errorf("list row = %+v, want tags, labels, contact, chatbot, turns and last message", c)
		}
		_, err = db.ListConversations(e.ctx, baton.ConversationFilter{Cursor: "not a cursor!"})
		wantCode(t, err, baton.EINVALID, "ListConversations(bad cursor)")
	})
}

// TestListConversationsPagination pages through 120 conversations 50 at a time: every
// conversation comes exactly once, newest activity first, ties broken by id.
func TestListConversationsPagination(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		const total = 120
		all := map[string]bool{}
		for i := 0; i < total; i++ {
			if i%3 == 0 {
				e.clock.Add(time.Second) // three conversations share each activity time
			}
			s, _ := e.visitor(t, "")
			all[s.ConversationID] = true
		}
		var (
			seen   []*baton.Conversation
			cursor string
			sizes  []int
		)
		for page := 0; page < 10; page++ {
			p, err := db.ListConversations(e.ctx, baton.ConversationFilter{Cursor: cursor, Limit: 50})
			if err != nil {
				t.Fatalf("ListConversations(page %d) = %v", page, err)
			}
			sizes = append(sizes, len(p.Conversations))
			seen = append(seen, p.Conversations...)
			if p.NextCursor == "" {
				break
			}
			cursor = p.NextCursor
		}
		if !slices.Equal(sizes, []int{50, 50, 20}) {
			t.Errorf("page sizes = %v, want [50 50 20] and no cursor after the last", sizes)
		}
		got := map[string]bool{}
		for i, c := range seen {
			if got[c.ID] {
				t.Errorf("conversation #%d listed twice", c.Number)
			}
			got[c.ID] = true
			if !all[c.ID] {
				t.Errorf("conversation %s was not created by this test", c.ID)
			}
			if i > 0 {
				prev := seen[i-1]
				if prev.LastActivityAt.Before(c.LastActivityAt) || (prev.LastActivityAt.Equal(c.LastActivityAt) && prev.ID <= c.ID) {
					t.Errorf("#%d (%v) listed before #%d (%v): want newest activity first, then id descending",
						prev.Number, prev.LastActivityAt, c.Number, c.LastActivityAt)
				}
			}
		}
		if len(got) != total {
			t.Errorf("pagination returned %d distinct conversations, want %d", len(got), total)
		}

		// The default page is DefaultPageSize and no page exceeds MaxPageSize.
		if n := len(e.list(t, baton.ConversationFilter{})); n != store.DefaultPageSize {
			t.Errorf("default page = %d conversations, want %d", n, store.DefaultPageSize)
		}
		if n := len(e.list(t, baton.ConversationFilter{Limit: 1000})); n != total {
			t.Errorf("page with limit 1000 = %d conversations, want all %d (MaxPageSize %d)", n, total, store.MaxPageSize)
		}
	})
}

func TestUpdateConversation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		b := e.otherAccount(t)
		ann := e.newUser(t, "ann@acme.test", "Ann", baton.RoleAgent)
		id, _ := e.conversationIn(t, baton.StatusBot)
		id2, _ := e.conversationIn(t, baton.StatusBot)

		// The four default labels exist in every account.
		for _, ctx := range []context.Context{e.ctx, b.ctx} {
			labels, err := labelsOf(ctx, db)
			if err != nil {
				t.Fatalf("Labels = %v", err)
			}
			var names []string
			for _, l := range labels {
				names = append(names, l["name"])
			}
			slices.Sort(names)
			if want := []string{"Bug Report", "Escalated", "Feature Request", "Follow-up Required"}; !slices.Equal(names, want) {
				t.Errorf("Labels = %v, want %v", names, want)
			}
		}

		c, err := db.UpdateConversation(e.ctx, id, baton.ConversationUpdate{
			Tags:          &[]string{"vip", "billing", "vip", " billing "},
			Labels:        &[]string{"Escalated", "Bug Report", "Escalated"},
			Priority:      ptr(baton.PriorityUrgent),
			Collaborators: &[]string{ann.ID, ann.ID},
			ContactEmail:  ptr(" Vera@Example.com "),
			ContactName:   ptr("Vera"),
			AssigneeID:    ptr(ann.ID),
		})
		if err != nil {
			t.Fatalf("UpdateConversation = %v", err)
		}
		if !slices.Equal(c.Tags, []string{"billing", "vip"}) || !slices.Equal(c.Labels, []string{"Bug Report", "Escalated"}) ||
			c.Priority != baton.PriorityUrgent || len(c.Collaborators) != 1 || c.Collaborators[0].ID != ann.ID ||
			c.Contact.Email != "vera@example.com" || c.Contact.Name != "Vera" || c.Assignee == nil || c.Assignee.ID != ann.ID {
			t.Errorf("UpdateConversation = tags %v, labels %v, priority %q, collaborators %+v, contact %+v, assignee %+v",
				c.Tags, c.Labels, c.Priority, c.Collaborators, c.Contact, c.Assignee)
		}
		if c.Status != baton.StatusBot {
			t.Errorf("UpdateConversation changed the status to %s", c.Status)
		}
		// A tag is shared by name across conversations of the account; replacing the list
		// replaces the tags.
		if _, err := db.UpdateConversation(e.ctx, id2, baton.ConversationUpdate{Tags: &[]string{"billing"}}); err != nil {
			t.Fatalf("UpdateConversation(second conversation) = %v", err)
		}
		if got := e.list(t, baton.ConversationFilter{Tag: "billing"}); len(got) != 2 {
			t.Errorf("conversations tagged billing = %d, want 2", len(got))
		}
		c, err = db.UpdateConversation(e.ctx, id, baton.ConversationUpdate{Tags: &[]string{"refund"}, Priority: ptr(baton.PriorityNone), AssigneeID: ptr("")})
		if err != nil || !slices.Equal(c.Tags, []string{"refund"}) || c.Priority != baton.PriorityNone || c.Assignee != nil {
			t.Errorf("UpdateConversation(replace tags, clear priority, unassign) = tags %v, priority %q, assignee %+v, %v", c.Tags, c.Priority, c.Assignee, err)
		}
		if got := e.list(t, baton.ConversationFilter{Tag: "billing"}); !slices.Equal(got, []string{id2}) {
			t.Errorf("conversations tagged billing after replacing = %v, want [%s]", got, id2)
		}
		if got := e.list(t, baton.ConversationFilter{Tag: "billing"}); len(b.list(t, baton.ConversationFilter{Tag: "billing"})) != 0 {
			t.Errorf("another account sees conversations tagged billing: %v", got)
		}

		before := e.snapshot(t, id)
		for _, tc := range []struct {
			name string
			u    baton.ConversationUpdate
		}{
			{"a label that does not exist", baton.ConversationUpdate{Labels: &[]string{"Escalated", "Nope"}}},
			{"a label in another case", baton.ConversationUpdate{Labels: &[]string{"escalated"}}},
			{"an empty tag", baton.ConversationUpdate{Tags: &[]string{"ok", "  "}}},
			{"a tag over the length limit", baton.ConversationUpdate{Tags: &[]string{strings.Repeat("t", store.MaxTagLength+1)}}},
			{"too many tags", baton.ConversationUpdate{Tags: ptr(manyTags(store.MaxTags + 1))}},
			{"a collaborator of another account", baton.ConversationUpdate{Collaborators: &[]string{ann.ID, b.owner.ID}}},
			{"an unknown collaborator", baton.ConversationUpdate{Collaborators: &[]string{"no-such-user"}}},
			{"an assignee of another account", baton.ConversationUpdate{AssigneeID: ptr(b.owner.ID)}},
			{"a malformed contact email", baton.ConversationUpdate{ContactEmail: ptr("vera at example")}},
			{"a contact name over the limit", baton.ConversationUpdate{ContactName: ptr(strings.Repeat("v", 101))}},
			{"an unknown priority", baton.ConversationUpdate{Priority: ptr(baton.Priority("critical"))}},
			{"valid fields with one bad one", baton.ConversationUpdate{Tags: &[]string{"fine"}, Priority: ptr(baton.PriorityLow), ContactEmail: ptr("@")}},
		} {
			t.Run(tc.name+" is invalid and changes nothing", func(t *testing.T) {
				_, err := db.UpdateConversation(e.ctx, id, tc.u)
				wantCode(t, err, baton.EINVALID, "UpdateConversation(%s)", tc.name)
				e.unchanged(t, before, "UpdateConversation("+tc.name+")")
			})
		}
		// An empty email clears it.
		if c, err := db.UpdateConversation(e.ctx, id, baton.ConversationUpdate{ContactEmail: ptr("")}); err != nil || c.Contact.Email != "" {
			t.Errorf("UpdateConversation(clear email) = %q, %v", c.Contact.Email, err)
		}
		_, err = db.UpdateConversation(e.ctx, "no-such-conversation", baton.ConversationUpdate{Priority: ptr(baton.PriorityLow)})
		wantCode(t, err, baton.ENOTFOUND, "UpdateConversation(unknown conversation)")
	})
}

func manyTags(n int) []string {
	tags := make([]string, n)
	for i := range tags {
		tags[i] = fmt.Sprintf("tag-%d", i)
	}
	return tags
}

// TestListMessagesPages is M5: newest first, page by page, with a cursor.
func TestListMessagesPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		s, v := e.visitor(t, "")
		var want []string
		for i := 1; i <= 12; i++ {
			want = append(want, e.say(t, v, fmt.Sprintf("message %d", i)).ID)
		}
		slices.Reverse(want)

		var (
			got    []string
			before int64
			pages  int
		)
		for {
			p, err := db.ListMessages(e.ctx, s.ConversationID, before, 5)
			if err != nil {
				t.Fatalf("ListMessages(before %d) = %v", before, err)
			}
			pages++
			for i, m := range p.Messages {
				got = append(got, m.ID)
				if i > 0 && p.Messages[i-1].Seq <= m.Seq {
					t.Errorf("page %d: seq %d before %d, want newest first", pages, p.Messages[i-1].Seq, m.Seq)
				}
			}
			if p.NextBefore == 0 {
				break
			}
			if last := p.Messages[len(p.Messages)-1].Seq; p.NextBefore != last {
				t.Errorf("page %d: NextBefore = %d, want the oldest seq of the page, %d", pages, p.NextBefore, last)
			}
			before = p.NextBefore
			if pages > 5 {
				t.Fatal("ListMessages does not stop paging")
			}
		}
		if pages != 3 || !slices.Equal(got, want) {
			t.Errorf("ListMessages in pages of 5 = %d pages, %d messages; want 3 pages with the 12 messages newest first", pages, len(got))
		}
		p, _ := db.ListMessages(e.ctx, s.ConversationID, 0, 12)
		if len(p.Messages) != 12 || p.NextBefore != 0 {
			t.Errorf("ListMessages(limit = count) = %d messages, NextBefore %d; want 12 and no next page", len(p.Messages), p.NextBefore)
		}
		p, _ = db.ListMessages(e.ctx, s.ConversationID, 0, 0)
		if len(p.Messages) != 12 {
			t.Errorf("ListMessages(default limit) = %d messages, want 12", len(p.Messages))
		}
		_, err := db.ListMessages(e.ctx, "no-such-conversation", 0, 0)
		wantCode(t, err, baton.ENOTFOUND, "ListMessages(unknown conversation)")
	})
}
