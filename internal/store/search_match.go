package store

import (
	"database/sql/driver"
	"strings"
	"unicode"

	"modernc.org/sqlite"
)

// The SQLite check functions. baton_match(words, text) and baton_head_match(words, name,
// email, phone, subject) are 1 when the text (or the head, made of the same words as
// conversations_head's row) holds every word of words (matchWords: space-separated, the
// last one ending in * when it is a prefix).
//
// sqliteDriver opens Baton's SQLite connections (sqlitestmt.go): functions registered on
// it exist on every connection it opens.
var sqliteDriver = func() *sqlite.Driver {
	drv := &sqlite.Driver{}
	drv.MustRegisterDeterministicScalarFunction("baton_match", 2, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		m := newWordMatcher(args[0])
		m.add(args[1])
		return m.result(), nil
	})
	drv.MustRegisterDeterministicScalarFunction("baton_head_match", 5, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		m := newWordMatcher(args[0])
		m.add(args[1])
		m.add(args[2])
		if m.left > 0 {
			m.add(phoneWords(textValue(args[3])))
		}
		m.add(args[4])
		return m.result(), nil
	})
	return drv
}()

type wordMatcher struct {
	words  []string
	prefix bool // the last word is a prefix
	found  []bool
	left   int
}

func newWordMatcher(v driver.Value) *wordMatcher {
	words := strings.Fields(textValue(v))
	m := &wordMatcher{words: words, found: make([]bool, len(words)), left: len(words)}
	if n := len(words); n > 0 && strings.HasSuffix(words[n-1], "*") {
		m.words[n-1], m.prefix = strings.TrimSuffix(words[n-1], "*"), true
	}
	return m
}

func textValue(v driver.Value) string {
	switch t := v.(type) {
	case string:
		return t
	case []byte:
		return string(t)
	}
	return ""
}

func (m *wordMatcher) add(v driver.Value) {
	if m.left == 0 {
		return
	}
	last := len(m.words) - 1
	tokenize(textValue(v), func(tok string) bool {
		for i, w := range m.words {
			if m.found[i] {
				continue
			}
			if tok == w || (i == last && m.prefix && strings.HasPrefix(tok, w)) {
				m.found[i] = true
				m.left--
			}
		}
		return m.left > 0
	})
}

func (m *wordMatcher) result() int64 {
	if len(m.words) > 0 && m.left == 0 {
		return 1
	}
	return 0
}

// phoneWords is what conversations_head holds for a phone number: every suffix (from at
// most the 20 first positions) of the number without + - ( ) . , / and spaces.
func phoneWords(phone string) string {
	d := []rune(strings.Map(func(r rune) rune {
		if strings.ContainsRune("+ -().,/", r) {
			return -1
		}
		return r
	}, phone))
	var b strings.Builder
	for i := 0; i < len(d) && i < 20; i++ {
		b.WriteString(string(d[i:]))
		b.WriteByte(' ')
	}
	return b.String()
}

// tokenize calls f with each word of s as FTS5's unicode61 tokenizer with
// remove_diacritics 2 sees it (letters, numbers and private-use characters; lower case;
// the diacritics of Latin letters removed), until f returns false.
func tokenize(s string, f func(string) bool) {
	var b strings.Builder
	flush := func() bool {
		if b.Len() == 0 {
			return true
		}
		w := b.String()
		b.Reset()
		return f(w)
	}
	for _, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Co, r):
			r = unicode.ToLower(r)
			if f, ok := latinFold[r]; ok {
				r = f
			}
			b.WriteRune(r)
		case unicode.Is(unicode.Mn, r):
			// a combining diacritic: part of the word, and removed
		default:
			if !flush() {
				return
			}
		}
	}
	flush()
}

// latinFold maps the lower-case Latin letters with diacritics to their base letters (those
// that decompose into a letter and combining marks, as unicode61 folds them: not ø or ł).
var latinFold = func() map[rune]rune {
	m := map[rune]rune{}
	for _, p := range []struct{ from, to string }{
		{"àáâãäåāăą", "a"}, {"çćĉċč", "c"}, {"ď", "d"}, {"èéêëēĕėęě", "e"}, {"ĝğġģ", "g"}, {"ĥ", "h"},
		{"ìíîïĩīĭį", "i"}, {"ĵ", "j"}, {"ķ", "k"}, {"ĺļľ", "l"}, {"ñńņň", "n"}, {"òóôõöōŏő", "o"},
		{"ŕŗř", "r"}, {"śŝşšș", "s"}, {"ţťț", "t"}, {"ùúûüũūŭůűų", "u"}, {"ŵ", "w"}, {"ýÿŷ", "y"}, {"źżž", "z"},
	} {
		for _, r := range p.from {
			m[r] = []rune(p.to)[0]
		}
	}
	return m
}()
