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

// Both search strategies — collecting matches, and checking conversations in list order
// when a word is common — give the same answers.
func TestSearchStrategiesAgree(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		_, v1 := e.visitor(t, "")
		e.say(t, v1, "My parcel arrived damaged, I want a refund")
		_, v2 := e.visitor(t, "")
		e.say(t, v2, "Where is my parcel? Tracking says delivered")
		_, v3 := e.visitor(t, "")
		e.say(t, v3, "Hello there")
		cases := map[string]int{"refund": 1, "parcel": 2, "parc": 2, "damaged parcel": 1, "kangaroo": 0, "hello": 1}
		for _, threshold := range []int64{2000, 1} {
			restore := store.SetCommonThreshold(threshold)
			for q, want := range cases {
				page, err := e.db.ListConversations(e.ctx, baton.ConversationFilter{Query: q})
				if err != nil {
					t.Fatal(err)
				}
				if len(page.Conversations) != want {
					t.Errorf("threshold %d: search %q found %d, want %d", threshold, q, len(page.Conversations), want)
				}
			}
			restore()
		}
	})
}

// FuzzSearch: no search text, however odd, is a server error (FTS5 and tsquery syntax
// must never leak through).
func FuzzSearch(f *testing.F) {
	for _, s := range []string{"refund", `"`, `"a" OR b*`, "NEAR(a b)", "a:*&|!()", "#12", "%_\\", "ünïcödé ßtraße", "\x00", "-", "AND", "*", "^a", "a'b", "((", `{a b}: c`} {
		f.Add(s)
	}
	db := storetest.Open(f, storetest.Dialects()[len(storetest.Dialects())-1])
	e := setup(&testing.T{}, db)
	_, v := e.visitor(&testing.T{}, "")
	e.say(&testing.T{}, v, "My parcel arrived damaged")
	f.Fuzz(func(t *testing.T, q string) {
		_, err := e.db.ListConversations(e.ctx, baton.ConversationFilter{Query: q})
		if err != nil && baton.ErrorCode(err) == baton.EINTERNAL {
			t.Fatalf("search %q: %v", q, err)
		}
	})
}

// A search finds a conversation by the words of its contact (name, email), any run of
// its phone's digits, its email subject, and the words of its messages even when they
// are in different messages; both plans (collect, and walk the list) agree; the head
// follows changes to the contact and the subject.
func TestSearchHeadAndBody(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		s1, v1 := e.visitor(t, "")
		e.say(t, v1, "My parcel arrived")
		e.say(t, v1, "and it is damaged.")
		c1 := s1.ConversationID
		if _, err := db.UpdateConversation(e.ctx, c1, baton.ConversationUpdate{ContactName: ptr("José Fernández"),
			ContactEmail: ptr("jose.fernandez@acme.example")}); err != nil {
			t.Fatal(err)
		}
		execSQL(t, db, "UPDATE contacts SET phone = $1 WHERE id = $2", "+1 (555) 012-3456", e.find(t, c1).Contact.ID)

		s2, v2 := e.visitor(t, "")
		e.say(t, v2, "Where is my refund?")
		c2 := s2.ConversationID
		if _, err := db.UpdateConversation(e.ctx, c2, baton.ConversationUpdate{ContactName: ptr("Olivia Brown"),
			ContactEmail: ptr("olivia.brown77@example.com")}); err != nil {
			t.Fatal(err)
		}

		s3, v3 := e.visitor(t, "")
		e.say(t, v3, "Hello")
		c3 := s3.ConversationID
		if _, err := db.UpdateConversation(e.ctx, c3, baton.ConversationUpdate{ContactName: ptr("Quentin Blake")}); err != nil {
			t.Fatal(err)
		}
		execSQL(t, db, "UPDATE conversations SET subject = $1 WHERE id = $2", "Re: Invoice 2026-117", c3)

		none := []string{}
		check := func(cases map[string][]string) {
			t.Helper()
			for _, threshold := range []int64{5000, 1} {
				restore := store.SetCommonThreshold(threshold)
				for q, want := range cases {
					got := e.list(t, baton.ConversationFilter{Query: q})
					if !slices.Equal(got, want) {
						t.Errorf("threshold %d: search %q = %v, want %v", threshold, q, got, want)
					}
				}
				restore()
			}
		}
		check(map[string][]string{
			"josé":                {c1},
			"José Fernán":         {c1},
			"acme.example":        {c1},
			"olivia.brown":        {c2},
			"@example.com":        {c2},
			"5550123":             {c1},
			"3456":                {c1},
			"(555) 012":           {c1},
			"+1 555 012 3456":     {c1},
			"damaged parcel":      {c1},
			"parcel refund":       none,
			"refund":              {c2},
			"invoice":             {c3},
			"invoice 2026":        {c3},
			"quentin":             {c3},
			"olivia refund":       none, // a word of the head and one of the body
			"kangaroo":            none,
			"brown77@example.com": {c2},
		})

		// The head follows the contact and the subject.
		if _, err := db.UpdateConversation(e.ctx, c3, baton.ConversationUpdate{ContactName: ptr("Rupert Bear")}); err != nil {
			t.Fatal(err)
		}
		execSQL(t, db, "UPDATE conversations SET subject = $1 WHERE id = $2", "Re: Receipt", c3)
		check(map[string][]string{"quentin": none, "rupert": {c3}, "invoice": none, "receipt": {c3}})
	})
}

// A long conversation's words are all found, however many (PostgreSQL keeps them in
// chunks), with words from its first and its last messages together.
func TestSearchLongConversation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		s, v := e.visitor(t, "")
		for m := range 5 {
			words := make([]string, 400)
			for i := range words {
				words[i] = fmt.Sprintf("m%dw%d", m, i)
			}
			e.say(t, v, strings.Join(words, " "))
		}
		_, v2 := e.visitor(t, "")
		e.say(t, v2, "m0w1 only")
		for _, threshold := range []int64{5000, 1} {
			restore := store.SetCommonThreshold(threshold)
			for q, want := range map[string][]string{"m0w1 m4w399": {s.ConversationID}, "m4w399 m0w1": {s.ConversationID}, "m2w7 m3w2": {s.ConversationID}, "m0w1 m9w1": {}} {
				if got := e.list(t, baton.ConversationFilter{Query: q}); !slices.Equal(got, want) {
					t.Errorf("threshold %d: search %q = %v, want %v", threshold, q, got, want)
				}
			}
			restore()
		}
	})
}

// Search results page with the cursor like the list, in both plans.
func TestSearchPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		var want []string
		for i := 0; i < 7; i++ {
			e.clock.Add(time.Second)
			s, v := e.visitor(t, "")
			if i%3 == 1 {
				e.say(t, v, "nothing to see")
				continue
			}
			e.say(t, v, "I would like a kiwi")
			want = append([]string{s.ConversationID}, want...)
		}
		other := e.otherAccount(t)
		_, ov := other.visitor(t, "")
		other.say(t, ov, "kiwi kiwi")
		for _, plan := range []struct {
			threshold int64
			rows      int
			dense     int
		}{{5000, 1000, 20}, {1, 1000, 20}, {1, 2, 1}, {1, 2, 20}} {
			restore := store.SetCommonThreshold(plan.threshold)
			restoreProbe := store.SetProbe(plan.rows, plan.dense)
			for _, q := range []string{"kiwi", "kiw", "like a kiw"} {
				var got []string
				cursor := ""
				for range 5 {
					p, err := db.ListConversations(e.ctx, baton.ConversationFilter{Query: q, Limit: 2, Cursor: cursor})
					if err != nil {
						t.Fatal(err)
					}
					for _, c := range p.Conversations {
						got = append(got, c.ID)
					}
					if cursor = p.NextCursor; cursor == "" {
						break
					}
				}
				if !slices.Equal(got, want) {
					t.Errorf("plan %+v: pages of %q = %v, want %v", plan, q, got, want)
				}
			}
			restore()
			restoreProbe()
		}
	})
}

// BenchmarkPostVisitorMessageNewWords is BenchmarkPostVisitorMessage with a word no earlier
// message had in every message: the worst case for keeping the search words (on
// PostgreSQL each such message rewrites the conversation's row of conversation_bodies).
func BenchmarkPostVisitorMessageNewWords(b *testing.B) {
	for _, d := range storetest.Dialects() {
		db, vs := benchVisitors(b, d, 1)
		b.Run(string(d), func(b *testing.B) {
			ctx := context.Background()
			i := 0
			for b.Loop() {
				i++
				if _, err := db.PostVisitorMessage(ctx, vs[0], fmt.Sprintf("Hello, where is my order w%d?", i)); err != nil {
					b.Fatal(err)
				}
			}
			reportMessagesPerSecond(b)
		})
	}
}
