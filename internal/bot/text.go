package bot

import (
	"strings"
	"unicode"
)

// The text pipeline shared by retrieval, phrase detection, sentiment and briefs:
//
//	fold   lower-case, accents folded ("Él está" → "el esta"), punctuation kept
//	words  fold, then split on anything that is not a letter or a digit
//	terms  words without stop words, stemmed — what BM25 indexes
//
// Folding is a table over the Latin letters of English, Spanish, French, German and
// Portuguese (and their neighbours) rather than Unicode normalisation, to keep the
// package free of dependencies; other scripts pass through lower-cased.

// fold lower-cases s and strips accents.
func fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		r = unicode.ToLower(r)
		if r < 0x80 {
			b.WriteRune(r)
			continue
		}
		if f, ok := foldings[r]; ok {
			b.WriteString(f)
			continue
		}
		switch r {
		case '’', '‘', 'ʼ', '`', '´':
			b.WriteByte('\'')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

var foldings = func() map[rune]string {
	m := map[rune]string{'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'ł': "l", 'đ': "d", 'ð': "d", 'þ': "th", 'ı': "i"}
	for base, accented := range map[string]string{
		"a": "àáâãäåāăą",
		"c": "çćĉċč",
		"d": "ď",
		"e": "èéêëēĕėęě",
		"g": "ĝğġģ",
		"i": "ìíîïĩīĭį",
		"n": "ñńņňŉ",
		"o": "òóôõöōŏő",
		"r": "ŕŗř",
		"s": "śŝşšș",
		"t": "ţťț",
		"u": "ùúûüũūŭůűų",
		"y": "ýÿŷ",
		"z": "źżž",
	} {
		for _, r := range accented {
			m[r] = base
		}
	}
	return m
}()

// isWordRune reports whether r belongs to a word.
func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// words folds s and splits it into words. Apostrophes split too ("don't" → "don", "t";
// "l'agent" → "l", "agent").
func words(s string) []string {
	return strings.FieldsFunc(fold(s), func(r rune) bool { return !isWordRune(r) })
}

// terms is what retrieval compares: the words of s that are not stop words, stemmed.
func terms(s string) []string {
	ws := words(s)
	out := ws[:0]
	for _, w := range ws {
		if _, stop := stopWords[w]; stop {
			continue
		}
		out = append(out, stem(w))
	}
	return out
}

// stem is a light, language-agnostic suffix stripper. It is not linguistics: it only
// has to map a word and its usual inflections to the same key ("channels", "channel";
// "embedding", "embedded", "embed"; "personas", "persona", "person"; "Menschen",
// "Mensch"). It strips one plural ending, then one inflectional ending, and keeps at
// least three letters. Because the plural pass runs first, a plural and its singular
// always end up alike.
func stem(w string) string {
	if len(w) <= 3 || !isASCII(w) {
		return w
	}
	// Pass 1: plurals.
	switch {
	case strings.HasSuffix(w, "ciones"):
		w = w[:len(w)-2]
	case strings.HasSuffix(w, "coes"):
		w = w[:len(w)-4] + "cao"
	case strings.HasSuffix(w, "ies") && len(w) > 4:
		w = w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		w = w[:len(w)-1]
	}
	return inflection(w)
}

// inflection strips one inflectional or adverbial ending. When -ing or -ed leaves a
// doubled consonant, it is undoubled and the stem stripped again, so that "embedded"
// and "embedding" meet "embed" where it lands itself.
func inflection(w string) string {
	for _, suf := range []string{"mente", "ment", "ing", "ed", "ly", "en", "e", "a", "o"} {
		if !strings.HasSuffix(w, suf) || len(w)-len(suf) < 3 {
			continue
		}
		w = w[:len(w)-len(suf)]
		if suf == "ing" || suf == "ed" {
			if u := undouble(w); u != w {
				return inflection(u)
			}
		}
		return w
	}
	return w
}

// undouble turns "embedd" into "embed" and "stopp" into "stop" but leaves "call", "pass".
func undouble(w string) string {
	n := len(w)
	if n >= 4 && w[n-1] == w[n-2] && !strings.ContainsRune("aeioulsz", rune(w[n-1])) {
		return w[:n-1]
	}
	return w
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// set builds a lookup set from space-separated words, folded.
func set(lists ...string) map[string]struct{} {
	m := make(map[string]struct{})
	for _, l := range lists {
		for _, w := range strings.Fields(fold(l)) {
			m[w] = struct{}{}
		}
	}
	return m
}

func has(m map[string]struct{}, w string) bool { _, ok := m[w]; return ok }

// stopWords are dropped before retrieval: function words of the five languages, plus
// small talk ("hi", "thanks") that says nothing about the question. Words that are
// content in one language and function words in another are left out ("man", "son").
var stopWords = set(
	// English
	`a about above after again all am an and any are aren as at be because been before being
	below between both but by can cannot could couldn d did didn do does doesn doing don down
	during each few for from further had hadn has hasn have haven having he her here hers herself
	him himself his how i if in into is isn it its itself just ll m me might more most must my
	myself no nor not now of off on once only or other our ours ourselves out over own re s same
	shall she should so some such t than that the their theirs them themselves then there these
	they this those through to too under until up ve very was wasn we were weren what when where
	which while who whom why will with won would wouldn you your yours yourself yourselves
	also get got let lets like please pls thanks thank thx hi hello hey ok okay yes yeah`,
	// Spanish
	`al algo algun alguna algunas alguno algunos ante antes como con contra cual cuales cuando de
	del desde donde durante e el ella ellas ellos en entre era es esa esas ese eso esos esta estan
	estas este esto estos fue ha hay la las le les lo los mas me mi mis muy nada ni no nos nosotros
	o os otra otro para pero poco por porque puede puedo que quien se sea ser si sin sobre su sus
	tambien te tengo ti tu tus un una uno unos y ya yo hola gracias favor`,
	// French
	`au aux avec ce ces cet cette comment dans de des du elle elles en est et etre eux il ils je
	la le les leur leurs lui ma mais me meme mes moi mon ne nos notre nous on ou par pas peut peux
	plus pour puis qu que quel quelle quelles quels qui sa sans se ses si son sont sur ta te tes
	toi ton tu un une vos votre vous y bonjour merci`,
	// German
	`aber als am an auch auf aus bei bin bis bist da dann das dass dem den der des die dir du ein
	eine einem einen einer eines er es fur hat hatte ich ihm ihn ihr ihre im in ist ja kann kein
	keine konnen mein meine mich mir mit nach nicht noch nur oder ob sein seine sie sind so uber
	um und uns unser von vor war was welche welcher wie wir wird zu zum zur hallo danke bitte`,
	// Portuguese
	`ao aos as com da das do dos ela elas ele eles em entre essa esse esta este eu isso isto ja
	lhe mais mas meu minha muito na nao nas nem no nos num numa os ou para pela pelo pode por
	qual quando quem sao se seu sua tem ter teu tua um uma voce voces ola obrigado obrigada`,
)
