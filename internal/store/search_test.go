package store_test

import (
	"testing"

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
