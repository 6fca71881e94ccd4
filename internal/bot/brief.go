package bot

import (
	"regexp"
	"sort"
	"strings"
)

// Brief writes the handoff brief (B3) without a model: the one to three sentences of the
// visitor's messages that best say what they want, in their original order, at most 300
// characters. Greetings, thanks and the request for a person itself are skipped;
// questions, words of intent ("refund", "cancel", "doesn't work", "quiero", "commande",
// "Bestellung") and order numbers make a sentence preferred, and the first one with
// content gets a little credit (visitors usually start with their problem). It returns
// "" when the visitor said nothing but that.
func Brief(transcript []Turn) string {
	type candidate struct {
		text  string
		score int
		pos   int
	}
	var cands []candidate
	seen := map[string]bool{}
	for _, t := range transcript {
		if t.Role != RoleVisitor {
			continue
		}
		for _, s := range splitSentences(t.Content) {
			key := strings.Join(words(s), " ")
			if seen[key] {
				continue
			}
			seen[key] = true
			score, ok := sentenceScore(s)
			if !ok {
				continue
			}
			cands = append(cands, candidate{text: s, score: score, pos: len(cands)})
		}
	}
	if len(cands) == 0 {
		return ""
	}
	cands[0].score++

	ranked := append([]candidate(nil), cands...)
	sort.SliceStable(ranked, func(i, j int) bool { return ranked[i].score > ranked[j].score })
	if len([]rune(ranked[0].text)) > maxBriefRunes {
		return clip(ranked[0].text, maxBriefRunes)
	}
	var chosen []candidate
	length := -1 // no space before the first
	for _, c := range ranked {
		if len(chosen) == 3 {
			break
		}
		n := len([]rune(c.text)) + 1
		if length+n > maxBriefRunes {
			continue
		}
		chosen = append(chosen, c)
		length += n
	}
	sort.Slice(chosen, func(i, j int) bool { return chosen[i].pos < chosen[j].pos })
	parts := make([]string, len(chosen))
	for i, c := range chosen {
		parts[i] = c.text
	}
	return strings.Join(parts, " ")
}

var (
	sentenceEnd = regexp.MustCompile(`[.!?…]+["')\]]*\s+|\n+`)
	// orderNumber matches "#1234", "order 12345", "AB-12345", "A1B2C3D4"-like references.
	orderNumber = regexp.MustCompile(`#\s?\d{3,}|\b[A-Za-z]{0,4}-?\d{4,}\b|\b[A-Za-z]+\d+[A-Za-z\d]{4,}\b`)
	email       = regexp.MustCompile(`[^\s@]+@[^\s@]+\.[a-zA-Z]{2,}`)
	intentWords = set(
		`want need help can t cannot unable problem issue error wrong broken missing refund return
		cancel change update order charged charge payment pay invoice bill delivery deliver
		shipping shipped package account password login log access delete where when why how
		cracked damaged defective late lost stolen
		doesn isn didn won haven`,
		`quiero necesito ayuda problema error reembolso devolver devolucion cancelar cambiar pedido
		cobro cobraron factura envio entrega cuenta contrasena donde cuando por como`,
		`veux voudrais besoin aide probleme erreur remboursement rembourser retour annuler changer
		modifier commande facture livraison colis compte mot passe ou quand pourquoi comment`,
		`mochte brauche hilfe problem fehler erstattung ruckgabe stornieren andern bestellung
		rechnung lieferung paket konto passwort wo wann warum wie`,
		`quero preciso ajuda problema erro reembolso devolver devolucao cancelar mudar alterar
		pedido cobranca fatura entrega encomenda conta senha onde quando porque como`,
	)
)

// splitSentences cuts a message into trimmed sentences, each with its end mark.
func splitSentences(text string) []string {
	var out []string
	last := 0
	for _, m := range sentenceEnd.FindAllStringIndex(text, -1) {
		out = appendSentence(out, text[last:m[1]])
		last = m[1]
	}
	return appendSentence(out, text[last:])
}

func appendSentence(out []string, s string) []string {
	if s = oneLine(s); s != "" {
		out = append(out, s)
	}
	return out
}

// sentenceScore rates a sentence for the brief; ok is false for sentences to skip.
func sentenceScore(s string) (score int, ok bool) {
	ref := orderNumber.MatchString(s) || email.MatchString(s)
	if smallTalk(s, "") != talkNone {
		return 0, false
	}
	if asks, _ := DetectHandoffRequest(s); asks && !ref && contentTerms(s) < 2 {
		return 0, false
	}
	question := strings.ContainsAny(s, "?¿")
	intent := 0
	for _, w := range words(s) {
		if has(intentWords, w) {
			intent++
		}
	}
	if n := len(terms(s)); n == 0 || (n == 1 && !ref && !question && intent == 0) {
		return 0, false // "yes please", "it's me", "the blue one"
	}
	if question {
		score += 2
	}
	if ref {
		score += 3
	}
	score += min(intent, 3)
	if n := len(terms(s)); n >= 4 {
		score++
	}
	return score, true
}

// contentTerms counts the terms of s that are not part of asking for a person, so that
// "I want to talk to a human about my refund" is kept and "talk to a human please" is not.
func contentTerms(s string) int {
	n := 0
	for _, w := range words(s) {
		if has(stopWords, w) || has(contactVerbs, w) || has(wishVerbs, w) || has(persons, w) ||
			has(vaguePersons, w) || has(between, w) || has(politeness, w) {
			continue
		}
		n++
	}
	return n
}
