package bot

import (
	"testing"
)

func TestIndexSearch(t *testing.T) {
	entries := []Entry{
		{ID: "refund", Question: "How do I get a refund?", Answer: "Write to us within 30 days of delivery.", Keywords: []string{"money back"}},
		{ID: "delivery", Question: "When will my order arrive?", Answer: "Orders ship in two days. A refund is possible if it never arrives."},
		{ID: "hours", Question: "When are you open?", Answer: "Every day from 9 to 5."},
		{ID: "hours-copy", Question: "When are you open?", Answer: "Every day from 9 to 5."},
	}
	ix := NewIndex(entries)
	tests := []struct {
		name  string
		query string
		k     int
		want  []string
	}{
		{"ranks a match in the question above one in the answer", "refund", 5, []string{"refund", "delivery"}},
		{"finds an entry by its keywords", "I want my money back", 5, []string{"refund"}},
		{"matches inflected forms", "refunds", 1, []string{"refund"}},
		{"keeps the entries' order on ties", "open", 5, []string{"hours", "hours-copy"}},
		{"returns at most k hits", "open", 1, []string{"hours"}},
		{"ranks entries matching more terms first", "open day refund", 5, []string{"hours", "hours-copy", "refund", "delivery"}},
		{"returns nothing when no term matches", "bitcoin", 5, nil},
		{"returns nothing for stop words only", "what is it?", 5, nil},
		{"returns nothing for k of zero", "refund", 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := hitIDs(ix.Search(tt.query, tt.k))
			if len(got) != len(tt.want) {
				t.Fatalf("Search(%q, %d) = %v, want %v", tt.query, tt.k, got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("Search(%q, %d) = %v, want %v", tt.query, tt.k, got, tt.want)
				}
			}
		})
	}
}

func TestIndexOnNoEntries(t *testing.T) {
	if hits := NewIndex(nil).Search("refund", 3); hits != nil {
		t.Errorf("Search on an empty index = %v, want nil", hitIDs(hits))
	}
}

func TestConfidence(t *testing.T) {
	entries := []Entry{
		{ID: "widget", Question: "How do I embed the widget?", Answer: "Add the script tag."},
		{ID: "price", Question: "How much does it cost?", Answer: "It is free."},
		{ID: "open-a", Question: "Are you open on Sunday?", Answer: "No."},
		{ID: "open-b", Question: "Are you open on Monday?", Answer: "Yes."},
	}
	ix := NewIndex(entries)
	conf := func(q string) float64 { return confidence(ix.Search(q, 2)) }

	t.Run("is high when the query says what a question says", func(t *testing.T) {
		if c := conf("how do I embed the widget"); c < 0.8 {
			t.Errorf("confidence = %.2f, want at least 0.8", c)
		}
	})
	t.Run("is zero when nothing matches", func(t *testing.T) {
		if c := conf("bitcoin"); c != 0 {
			t.Errorf("confidence = %.2f, want 0", c)
		}
	})
	t.Run("drops when the query has words the knowledge lacks", func(t *testing.T) {
		full, partial := conf("embed widget"), conf("embed widget wordpress shopify")
		if partial >= full {
			t.Errorf("confidence with unknown words = %.2f, without = %.2f; want lower", partial, full)
		}
	})
	t.Run("drops when two entries match equally", func(t *testing.T) {
		clear, ambiguous := conf("open sunday"), conf("open")
		if ambiguous >= clear {
			t.Errorf("confidence of an ambiguous query = %.2f, of a clear one = %.2f; want lower", ambiguous, clear)
		}
	})
	t.Run("stays within 0 and 1", func(t *testing.T) {
		for _, q := range []string{"widget widget widget embed", "open", "cost", "x"} {
			if c := conf(q); c < 0 || c > 1 {
				t.Errorf("confidence(%q) = %v, want within [0, 1]", q, c)
			}
		}
	})
}

func BenchmarkFAQRespondDemo(b *testing.B) {
	req := Request{Knowledge: DemoKnowledge(), Transcript: visitorSays("How do I embed the widget on my website?")}
	f := &FAQ{}
	for b.Loop() {
		if _, err := f.Respond(b.Context(), req); err != nil {
			b.Fatal(err)
		}
	}
}
