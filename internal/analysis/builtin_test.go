package analysis_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/analysis"
	"github.com/baton-chat/baton/internal/store"
)

// transcriptCase is one conversation of testdata/ with what the analysis must find.
type transcriptCase struct {
	Name    string `json:"name"`
	Contact struct {
		Name  string `json:"name"`
		Email string `json:"email"`
		Phone string `json:"phone"`
	} `json:"contact"`
	Reason   string                `json:"reason"`
	Fields   []baton.AnalysisField `json:"fields"`
	Messages []struct {
		Kind    baton.MessageKind `json:"kind"`
		Sender  string            `json:"sender"`
		Content string            `json:"content"`
	} `json:"messages"`
	Expect struct {
		Sentiment       string          `json:"sentiment"`
		Fields          map[string]any  `json:"fields"`
		Entities        baton.Entities  `json:"entities"`
		SummaryContains []string        `json:"summary_contains"`
		LLMAnswer       json.RawMessage `json:"llm_answer"`
	} `json:"expect"`
}

func loadCases(t *testing.T) map[string]transcriptCase {
	t.Helper()
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) < 4 {
		t.Fatalf("testdata transcripts: %v, %v", files, err)
	}
	out := map[string]transcriptCase{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c transcriptCase
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".json")] = c
	}
	return out
}

// input turns a case into what the analysis job reads.
func (c transcriptCase) input() *store.AnalysisInput {
	start := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	conv := &baton.Conversation{ID: "conv-1", Status: baton.StatusClosed, Reason: c.Reason,
		Contact: &baton.Contact{Name: c.Contact.Name, Email: c.Contact.Email, Phone: c.Contact.Phone, Attributes: map[string]string{}}}
	in := &store.AnalysisInput{Conversation: conv, Chatbot: &baton.Chatbot{Name: "Demo Bot", AI: baton.DefaultAISettings}, Fields: c.Fields}
	for i, m := range c.Messages {
		name := m.Sender
		if m.Kind == baton.KindVisitor {
			name = "Visitor"
		}
		if m.Kind == baton.KindAgent && conv.HandoffAt == nil {
			at := start.Add(time.Duration(i) * time.Minute)
			conv.HandoffAt = &at
		}
		in.Transcript = append(in.Transcript, &baton.Message{ID: "m" + string(rune('a'+i)), ConversationID: conv.ID, Seq: int64(i + 1),
			Kind: m.Kind, SenderName: name, Content: m.Content, CreatedAt: start.Add(time.Duration(i) * time.Minute)})
	}
	return in
}

// normalize makes a JSON-decoded expected value comparable with an analysis value.
func normalize(v any) any {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case int:
		return float64(x)
	}
	return v
}

func TestBuiltinOnTranscripts(t *testing.T) {
	for file, c := range loadCases(t) {
		t.Run(file, func(t *testing.T) {
			r := analysis.Builtin(c.input())
			if r.Engine != baton.EngineBuiltin {
				t.Errorf("engine = %q, want builtin", r.Engine)
			}
			if r.Sentiment.Label != c.Expect.Sentiment || r.Sentiment.Score < -1 || r.Sentiment.Score > 1 {
				t.Errorf("%s: sentiment = %+v, want %s", c.Name, r.Sentiment, c.Expect.Sentiment)
			}
			if len(r.Fields) != len(c.Fields) {
				t.Fatalf("%s: %d fields, want %d", c.Name, len(r.Fields), len(c.Fields))
			}
			for i, f := range r.Fields {
				if f.Name != c.Fields[i].Name || f.Type != c.Fields[i].Type {
					t.Errorf("field %d = %s (%s), want %s (%s), in the configured order", i, f.Name, f.Type, c.Fields[i].Name, c.Fields[i].Type)
				}
				want, ok := c.Expect.Fields[f.Name]
				if !ok {
					t.Errorf("testdata %s does not say what %s should be", file, f.Name)
				}
				if normalize(f.Value) != normalize(want) {
					t.Errorf("%s: field %s = %#v, want %#v", c.Name, f.Name, f.Value, want)
				}
			}
			if !reflect.DeepEqual(r.Entities, c.Expect.Entities) {
				t.Errorf("%s: entities = %+v, want %+v", c.Name, r.Entities, c.Expect.Entities)
			}
			for _, s := range c.Expect.SummaryContains {
				if !strings.Contains(r.Summary, s) {
					t.Errorf("%s: summary %q does not contain %q", c.Name, r.Summary, s)
				}
			}
			if n := len([]rune(r.Summary)); n == 0 || n > 800 {
				t.Errorf("summary is %d characters, want 1 to 800", n)
			}
		})
	}
}

func TestEntities(t *testing.T) {
	for _, c := range []struct {
		text string
		want baton.Entities
	}{
		{"mail me at Jo.Doe+shop@Example.co.uk or jo@example.com", baton.Entities{Emails: []string{"jo.doe+shop@example.co.uk", "jo@example.com"}}},
		{"call 0044 20 7946 0958 or (555) 010-4477", baton.Entities{Phones: []string{"+442079460958", "5550104477"}}},
		{"my order number is 12345678", baton.Entities{OrderIDs: []string{"12345678"}}},
		{"invoice INV2024-0077 and ticket #9912", baton.Entities{OrderIDs: []string{"INV2024-0077", "9912"}}},
		{"commande n° 77812, livraison le 2026-04-01", baton.Entities{OrderIDs: []string{"77812"}}},
		{"it costs 300 euros, see you at 9:30 on 2026-04-01", baton.Entities{}},
	} {
		got := analysis.Entities([]string{c.text})
		for _, l := range []*[]string{&c.want.Emails, &c.want.Phones, &c.want.OrderIDs} {
			if *l == nil {
				*l = []string{}
			}
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("Entities(%q) = %+v, want %+v", c.text, got, c.want)
		}
	}
}

func TestSentimentWeighsTheEnd(t *testing.T) {
	for _, c := range []struct {
		msgs []string
		want string
	}{
		{[]string{"This is terrible, nothing works.", "Oh it works now, thank you so much, great help!"}, "positive"},
		{[]string{"Thanks!", "Actually this is awful and useless, I am furious."}, "negative"},
		{[]string{"What time is it?", "ok"}, "neutral"},
		{nil, "neutral"},
	} {
		if got := analysis.Sentiment(c.msgs); got.Label != c.want {
			t.Errorf("Sentiment(%q) = %+v, want %s", c.msgs, got, c.want)
		}
	}
}

func TestCoerce(t *testing.T) {
	for _, c := range []struct {
		typ, in string
		want    any
	}{
		{baton.FieldNumber, "12,5", 12.5},
		{baton.FieldNumber, "abc", nil},
		{baton.FieldInteger, "8", int64(8)},
		{baton.FieldInteger, "8.5", nil},
		{baton.FieldBoolean, "Yes", true},
		{baton.FieldBoolean, "maybe", nil},
		{baton.FieldDate, "2026-02-30", nil},
		{baton.FieldDate, "2026-02-28", "2026-02-28"},
		{baton.FieldEmail, "A@B.example", "a@b.example"},
		{baton.FieldEmail, "not an email a@b.example", nil},
		{baton.FieldPhone, "+1 555 010 4477", "+15550104477"},
		{baton.FieldPhone, "1234", nil},
		{baton.FieldString, " Baton Pro ", "Baton Pro"},
		{baton.FieldString, "  ", nil},
	} {
		if got := analysis.Coerce(c.typ, c.in); got != c.want {
			t.Errorf("Coerce(%s, %q) = %#v, want %#v", c.typ, c.in, got, c.want)
		}
	}
}
