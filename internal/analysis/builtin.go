// Package analysis computes the post-chat analysis of conversations (SPEC §10, P1): a
// summary, the visitor's sentiment and the data fields configured per chatbot. With an
// OpenAI-compatible model configured on the chatbot it asks the model once, with a JSON
// schema for the answer (structured output), and checks the answer against the fields;
// otherwise, or when the model fails for good, a built-in analyser works offline. A job
// runs it when a conversation closes and on demand.
package analysis

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/bot"
	"github.com/baton-chat/baton/internal/store"
)

// Result is what an analyser computes.
type Result struct {
	Engine    string
	Model     string
	Summary   string
	Sentiment baton.SentimentScore
	Fields    []baton.ExtractedField
	Entities  baton.Entities
}

// Limits of the built-in summary.
const (
	maxSummaryRunes = 800
	maxQuoteRunes   = 200
)

var (
	emailRe = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}`)
	phoneRe = regexp.MustCompile(`(?:\+|\b00)?\(?\d[\d\s().\-]{5,}\d\b`)
	dateRe  = regexp.MustCompile(`\b(\d{4})-(\d{2})-(\d{2})\b`)
	// Order-like ids: "#48213", "A-48213", "ORD-2024-0012", "INV20240077", and any token
	// with a digit after a word such as "order", "invoice", "pedido", "commande".
	hashIDRe    = regexp.MustCompile(`#\s?([A-Za-z0-9][A-Za-z0-9\-]{2,})`)
	codeIDRe    = regexp.MustCompile(`\b[A-Z]{1,5}-?\d{4,}(?:-\d+)*\b`)
	keywordIDRe = regexp.MustCompile(`(?i)\b(?:order|invoice|ticket|booking|reservation|reference|ref|tracking|shipment|` +
		`pedido|factura|reserva|commande|facture|bestellung|rechnung|encomenda)\s*` +
		`(?:number|no\.?|nr\.?|num(?:ber|ero|éro)?|id|n[º°o]\.?|#)?\s*(?:is|was|es|est|ist|é|:)?\s*#?([A-Za-z0-9][A-Za-z0-9\-]{3,})`)
	idWords = []string{"order", "invoice", "ticket", "booking", "reservation", "reference", "tracking", "shipment",
		"pedido", "commande", "bestellung", "id"}
)

// visitorTexts returns the visitor's messages, oldest first.
func visitorTexts(in *store.AnalysisInput) []string {
	var out []string
	for _, m := range in.Transcript {
		if m.Kind == baton.KindVisitor {
			out = append(out, m.Content)
		}
	}
	return out
}

func addUnique(list []string, v string) []string {
	if v == "" || slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// normalizePhone keeps a leading + and the digits of a phone number, or returns "" when
// s does not look like one: 7 to 15 digits, and either written internationally, with
// separators, or at least 10 digits long (so that a bare order number is not taken).
func normalizePhone(s string) string {
	s = strings.TrimSpace(s)
	if dateRe.MatchString(s) {
		return ""
	}
	d := digits(s)
	if len(d) < 7 || len(d) > 15 {
		return ""
	}
	intl := strings.HasPrefix(s, "+") || strings.HasPrefix(s, "00")
	separated := strings.ContainsAny(strings.TrimPrefix(s, "+"), " -.()")
	if !intl && !separated && len(d) < 10 {
		return ""
	}
	if strings.HasPrefix(s, "00") {
		return "+" + d[2:]
	}
	if intl {
		return "+" + d
	}
	return d
}

// Entities finds emails, phone numbers and order-like ids in texts.
func Entities(texts []string) baton.Entities {
	e := baton.Entities{Emails: []string{}, Phones: []string{}, OrderIDs: []string{}}
	for _, t := range texts {
		for _, m := range emailRe.FindAllString(t, -1) {
			e.Emails = addUnique(e.Emails, strings.ToLower(m))
		}
		rest := emailRe.ReplaceAllString(t, " ")
		var ids []string
		for _, m := range keywordIDRe.FindAllStringSubmatch(rest, -1) {
			if strings.ContainsAny(m[1], "0123456789") {
				ids = addUnique(ids, strings.Trim(m[1], "-"))
			}
		}
		for _, m := range hashIDRe.FindAllStringSubmatch(rest, -1) {
			if strings.ContainsAny(m[1], "0123456789") {
				ids = addUnique(ids, strings.Trim(m[1], "-"))
			}
		}
		for _, m := range codeIDRe.FindAllString(rest, -1) {
			ids = addUnique(ids, m)
		}
		for _, id := range ids {
			e.OrderIDs = addUnique(e.OrderIDs, id)
		}
		for _, m := range phoneRe.FindAllString(rest, -1) {
			if p := normalizePhone(m); p != "" && !slices.ContainsFunc(ids, func(id string) bool { return digits(id) == digits(p) }) {
				e.Phones = addUnique(e.Phones, p)
			}
		}
	}
	return e
}

// Sentiment rates the visitor's messages with the bot's lexicon (bot.Sentiment): the
// mean score of the messages that carry any feeling, later messages weighing more (how
// the conversation ends matters most). The label is positive at 0.25 and above, negative
// at -0.25 and under.
func Sentiment(visitor []string) baton.SentimentScore {
	var sum, weights float64
	for i, t := range visitor {
		_, s := bot.Sentiment(t)
		if s == 0 {
			continue
		}
		w := 1 + 2*float64(i)/float64(max(len(visitor)-1, 1)) // the last message weighs three times the first
		sum += w * s
		weights += w
	}
	score := 0.0
	if weights > 0 {
		score = math.Round(sum/weights*1000) / 1000
	}
	label := bot.Neutral
	switch {
	case score >= 0.25:
		label = bot.Positive
	case score <= -0.25:
		label = bot.Negative
	}
	return baton.SentimentScore{Label: label, Score: score}
}

func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// firstSentence returns the first sentence of s, clipped.
func firstSentence(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	for i, r := range s {
		if (r == '.' || r == '!' || r == '?') && i > 10 && (i+1 == len(s) || s[i+1] == ' ') {
			return clip(s[:i+1], maxQuoteRunes)
		}
	}
	return clip(s, maxQuoteRunes)
}

// Summary writes the built-in, extractive summary: what the visitor wanted (the handoff
// brief's sentences), who handled it, the last answer, and how it ended.
func Summary(in *store.AnalysisInput) string {
	conv := in.Conversation
	var parts []string
	visitor := visitorTexts(in)
	who := "The visitor"
	if conv.Contact != nil && conv.Contact.Name != "" {
		who = conv.Contact.Name
	}
	switch want := bot.Brief(bot.TurnsFromMessages(in.Transcript)); {
	case len(visitor) == 0:
		return "The visitor wrote nothing."
	case want != "":
		parts = append(parts, who+" wrote: \""+want+"\"")
	default:
		parts = append(parts, who+" wrote: \""+clip(visitor[0], maxQuoteRunes)+"\"")
	}
	var agents []string
	bots := 0
	var last *baton.Message
	for _, m := range in.Transcript {
		switch m.Kind {
		case baton.KindAgent:
			agents = addUnique(agents, m.SenderName)
			last = m
		case baton.KindBot:
			bots++
			last = m
		}
	}
	switch {
	case len(agents) > 0:
		s := "A human took over"
		if conv.Reason != "" {
			s += " (" + strings.TrimSuffix(clip(conv.Reason, maxQuoteRunes), ".") + ")"
		}
		parts = append(parts, s+"; "+joinNames(agents)+" answered.")
	case conv.HandoffAt != nil:
		parts = append(parts, "A human was requested but no agent answered.")
	case bots > 0:
		parts = append(parts, fmt.Sprintf("The bot handled it alone (%d %s).", bots, plural(bots, "answer", "answers")))
	default:
		parts = append(parts, "Nobody answered.")
	}
	if last != nil {
		name := "the bot"
		if last.Kind == baton.KindAgent {
			name = last.SenderName
		}
		parts = append(parts, "Last answer, by "+name+": \""+firstSentence(last.Content)+"\"")
	}
	if conv.ResolutionNote != "" {
		parts = append(parts, "Resolution: "+clip(conv.ResolutionNote, maxQuoteRunes))
	}
	return clip(strings.Join(parts, " "), maxSummaryRunes)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func joinNames(names []string) string {
	switch len(names) {
	case 1:
		return names[0]
	case 2:
		return names[0] + " and " + names[1]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// Builtin analyses a conversation offline.
func Builtin(in *store.AnalysisInput) Result {
	visitor := visitorTexts(in)
	r := Result{Engine: baton.EngineBuiltin, Summary: Summary(in), Sentiment: Sentiment(visitor), Entities: Entities(visitor),
		Fields: []baton.ExtractedField{}}
	for _, f := range in.Fields {
		r.Fields = append(r.Fields, baton.ExtractedField{Name: f.Name, Type: f.Type, Value: extract(f, in, visitor, r.Entities)})
	}
	return r
}

// nameWords are the words of a field's name and description, lower-cased.
func nameWords(f baton.AnalysisField) []string {
	return strings.FieldsFunc(strings.ToLower(f.Name+" "+f.Description), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

func mentions(ws []string, words ...string) bool {
	for _, w := range ws {
		if slices.Contains(words, w) {
			return true
		}
	}
	return false
}

// extract finds a field's value: by its pattern when it has one, else by its type and
// name (emails, phones, order-like ids, dates, a number or phrase after the field's own
// words). nil when nothing fits.
func extract(f baton.AnalysisField, in *store.AnalysisInput, visitor []string, ents baton.Entities) any {
	if f.Pattern != "" {
		re, err := regexp.Compile(f.Pattern)
		if err != nil {
			return nil
		}
		for _, t := range visitor {
			if m := re.FindStringSubmatch(t); m != nil {
				v := m[0]
				if len(m) > 1 && m[1] != "" {
					v = m[1]
				}
				return Coerce(f.Type, v)
			}
		}
		return nil
	}
	ws := nameWords(f)
	contact := in.Conversation.Contact
	switch {
	case f.Type == baton.FieldEmail || mentions(ws, "email", "mail"):
		if len(ents.Emails) > 0 {
			return ents.Emails[0]
		}
		if contact != nil && contact.Email != "" {
			return contact.Email
		}
		return nil
	case f.Type == baton.FieldPhone || mentions(ws, "phone", "mobile", "telephone"):
		if len(ents.Phones) > 0 {
			return ents.Phones[0]
		}
		if contact != nil && contact.Phone != "" {
			return contact.Phone
		}
		return nil
	case f.Type == baton.FieldDate:
		for _, t := range visitor {
			if m := dateRe.FindString(t); m != "" {
				return Coerce(f.Type, m)
			}
		}
		return nil
	case f.Type == baton.FieldBoolean:
		return nil // a yes or no needs understanding: the LLM path only
	case f.Type == baton.FieldString && mentions(ws, idWords...):
		if len(ents.OrderIDs) > 0 {
			return ents.OrderIDs[0]
		}
		return nil
	case f.Type == baton.FieldString && mentions(ws, "name") && !mentions(ws, "product", "company", "item", "plan"):
		if contact != nil && contact.Name != "" {
			return contact.Name
		}
		return nil
	}
	return afterKeyword(f, visitor)
}

var stop = []string{"the", "a", "an", "of", "to", "for", "is", "number", "name", "value", "customer", "visitor", "user",
	"their", "his", "her", "which", "that", "what", "s", "and", "or", "in", "on"}

// afterKeyword reads the value that goes with the field's own words: "my current plan is
// Starter" gives current_plan "Starter", "I paid 300 euros" gives amount_paid 300, and for
// numbers the value may come first ("we need 8 seats"). The whole name is tried before
// its single words.
func afterKeyword(f baton.AnalysisField, visitor []string) any {
	var roots []string
	for _, w := range strings.FieldsFunc(strings.ToLower(f.Name), func(r rune) bool { return r == '_' }) {
		if len(w) > 2 && !slices.Contains(stop, w) {
			if len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") {
				w = w[:len(w)-1]
			}
			roots = append(roots, regexp.QuoteMeta(w)+`(?:s|es)?`)
		}
	}
	if len(roots) == 0 {
		return nil
	}
	keys := []string{}
	if len(roots) > 1 {
		keys = append(keys, strings.Join(roots, `\s+`))
	}
	keys = append(keys, roots...)
	number := f.Type == baton.FieldNumber || f.Type == baton.FieldInteger
	for _, k := range keys {
		var res []*regexp.Regexp
		if number {
			res = append(res,
				regexp.MustCompile(`(?i)\b`+k+`\b(?:\s+(?:is|was|are|were|of|:))?[^\d\n]{0,20}?(-?\d+(?:[.,]\d+)?)`),
				regexp.MustCompile(`(?i)(-?\d+(?:[.,]\d+)?)\s*`+k+`\b`))
		} else {
			res = append(res, regexp.MustCompile(`(?i)\b`+k+`\b(?:\s+(?:is|was|are|were|of|called|named|:))?\s*[:=]?\s*([^.,;!?\n]{1,60})`))
		}
		for _, re := range res {
			for _, t := range visitor {
				m := re.FindStringSubmatch(t)
				if m == nil {
					continue
				}
				v := strings.TrimSpace(m[1])
				if !number {
					if v = trimPhrase(v); v == "" {
						continue
					}
				}
				if c := Coerce(f.Type, v); c != nil {
					return c
				}
			}
		}
	}
	return nil
}

var (
	articles     = []string{"the", "a", "an", "my", "our", "your", "this", "that", "el", "la", "le", "der", "die", "das"}
	conjunctions = []string{"and", "but", "because", "so", "since", "which", "who", "y", "pero", "porque", "et", "mais", "und", "aber", "weil"}
)

// trimPhrase keeps the head of a found phrase: no leading article, nothing from the first
// conjunction on, five words at most.
func trimPhrase(s string) string {
	ws := strings.Fields(s)
	for len(ws) > 0 && slices.Contains(articles, strings.ToLower(ws[0])) {
		ws = ws[1:]
	}
	for i, w := range ws {
		if slices.Contains(conjunctions, strings.ToLower(w)) {
			ws = ws[:i]
			break
		}
	}
	if len(ws) > 5 {
		ws = ws[:5]
	}
	return strings.Join(ws, " ")
}

// Coerce turns found text into a field's value type; nil when it does not fit.
func Coerce(typ, s string) any {
	s = strings.TrimSpace(s)
	switch typ {
	case baton.FieldNumber:
		f, err := strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64)
		if err != nil {
			return nil
		}
		return f
	case baton.FieldInteger:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil
		}
		return n
	case baton.FieldBoolean:
		switch strings.ToLower(s) {
		case "true", "yes":
			return true
		case "false", "no":
			return false
		}
		return nil
	case baton.FieldDate:
		if _, err := time.Parse("2006-01-02", s); err != nil {
			return nil
		}
		return s
	case baton.FieldEmail:
		if m := emailRe.FindString(s); m != s {
			return nil
		}
		return strings.ToLower(s)
	case baton.FieldPhone:
		if p := normalizePhone(s); p != "" {
			return p
		}
		return nil
	}
	if s == "" {
		return nil
	}
	return s
}
