package bot

import (
	"bufio"
	"os"
	"strings"
	"testing"
	"unicode/utf8"
)

type corpusLine struct {
	want bool
	lang string
	text string
}

// readHandoffCorpus reads testdata/handoff_phrases.txt.
func readHandoffCorpus(t *testing.T) []corpusLine {
	t.Helper()
	f, err := os.Open("testdata/handoff_phrases.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []corpusLine
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		head, text, ok := strings.Cut(line, "|")
		fields := strings.Fields(head)
		if !ok || len(fields) != 2 || (fields[0] != "+" && fields[0] != "-") {
			t.Fatalf("handoff_phrases.txt:%d: want `+|- lang | text`, got %q", n, line)
		}
		out = append(out, corpusLine{want: fields[0] == "+", lang: fields[1], text: strings.TrimSpace(text)})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDetectHandoffRequestOnTheCorpus(t *testing.T) {
	corpus := readHandoffCorpus(t)
	perLang := map[string][2]int{}
	for _, c := range corpus {
		verb := "is not a request for a person"
		if c.want {
			verb = "asks for a person"
		}
		t.Run(c.lang+": "+c.text+" "+verb, func(t *testing.T) {
			if got, _ := DetectHandoffRequest(c.text); got != c.want {
				t.Errorf("DetectHandoffRequest(%q) = %v, want %v", c.text, got, c.want)
			}
		})
		n := perLang[c.lang]
		if c.want {
			n[0]++
		} else {
			n[1]++
		}
		perLang[c.lang] = n
	}
	t.Run("the corpus has positives and negatives in every language", func(t *testing.T) {
		for _, lang := range []string{"en", "es", "fr", "de", "pt"} {
			if n := perLang[lang]; n[0] < 5 || n[1] < 3 {
				t.Errorf("corpus %s: %d positives, %d negatives; want at least 5 and 3", lang, n[0], n[1])
			}
		}
	})
}

func TestDetectHandoffRequestReason(t *testing.T) {
	tests := []struct {
		name string
		text string
		want string
	}{
		{"quotes the visitor's words", "Can I talk to a human?", `Visitor asked for a human: "Can I talk to a human?"`},
		{"collapses white space", "  talk to\n\na   human  ", `Visitor asked for a human: "talk to a human"`},
		{
			"truncates long messages to 120 characters",
			"I want to talk to a human because " + strings.Repeat("this is taking forever ", 10),
			`Visitor asked for a human: "I want to talk to a human because this is taking forever this is taking forever this is taking forever this is taking…"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, reason := DetectHandoffRequest(tt.text)
			if !ok || reason != tt.want {
				t.Errorf("DetectHandoffRequest(%q) = %v, %q; want true, %q", tt.text, ok, reason, tt.want)
			}
			quoted := strings.TrimSuffix(strings.TrimPrefix(reason, `Visitor asked for a human: "`), `"`)
			if n := utf8.RuneCountInString(quoted); n > 120 {
				t.Errorf("quoted words are %d characters, want at most 120", n)
			}
		})
	}
	t.Run("gives no reason when nobody is asked for", func(t *testing.T) {
		if ok, reason := DetectHandoffRequest("Where is my order?"); ok || reason != "" {
			t.Errorf(`DetectHandoffRequest("Where is my order?") = %v, %q; want false, ""`, ok, reason)
		}
	})
}
