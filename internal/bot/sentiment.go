package bot

import (
	"math"
	"strings"
	"unicode"
)

// Sentiment labels.
const (
	Positive = "positive"
	Neutral  = "neutral"
	Negative = "negative"
)

// StronglyNegative is the score at or under which a message counts as strongly negative
// for the handoff rule (two such visitor messages in a row).
const StronglyNegative = -0.5

// Sentiment rates text from -1 (very negative) to 1 (very positive) with a small
// lexicon of English (the richest), Spanish, French, German and Portuguese words, in
// the manner of VADER: each known word has a valence; an intensifier before it ("very",
// "muy", "sehr") makes it stronger, a negation in the three words before it ("not",
// "no", "pas", "nicht", "não") turns it around and weakens it, capitals and exclamation
// marks add emphasis; the sum s is squashed to s/√(s²+4). The label is positive at 0.25
// and above, negative at -0.25 and under, neutral between.
func Sentiment(text string) (label string, score float64) {
	var sum float64
	for _, r := range text {
		sum += emoji[r]
	}
	// Negation does not cross punctuation: "No, thanks!" thanks.
	for _, c := range strings.FieldsFunc(text, func(r rune) bool { return strings.ContainsRune(clauseBreaks, r) }) {
		sum += clauseValence(c)
	}
	if sum != 0 {
		bangs := math.Min(float64(strings.Count(text, "!")), 3)
		sum += math.Copysign(0.3*bangs, sum)
	}
	score = sum / math.Sqrt(sum*sum+4)
	switch {
	case score >= 0.25:
		return Positive, score
	case score <= -0.25:
		return Negative, score
	}
	return Neutral, score
}

// clauseValence sums the valences of one clause.
func clauseValence(clause string) float64 {
	original := strings.FieldsFunc(clause, func(r rune) bool { return !isWordRune(r) })
	ws := words(clause)
	if len(original) != len(ws) { // folding changed the word count (rare scripts): no caps info
		original = nil
	}
	var sum float64
	for i := 0; i < len(ws); i++ {
		v, n := phraseValence(ws[i:])
		if n == 0 {
			var ok bool
			if v, ok = valence[ws[i]]; !ok {
				continue
			}
			n = 1
			if original != nil && shouting(original[i]) {
				v *= 1.5
			}
		}
		if i > 0 && has(intensifiers, ws[i-1]) {
			v *= 1.5
		}
		for k := max(0, i-3); k < i; k++ {
			if has(sentimentNegations, ws[k]) {
				v *= -0.75
				break
			}
		}
		sum += v
		i += n - 1
	}
	return sum
}

// shouting reports whether a word is written in capitals ("USELESS").
func shouting(w string) bool {
	letters := 0
	for _, r := range w {
		if unicode.IsLower(r) {
			return false
		}
		if unicode.IsUpper(r) {
			letters++
		}
	}
	return letters >= 2
}

// phraseValence matches the multi-word expressions at the start of ws and returns their
// valence and length (0 when none matches).
func phraseValence(ws []string) (float64, int) {
	for _, p := range sentimentPhrases {
		if len(ws) >= len(p.words) && equalWords(ws[:len(p.words)], p.words) {
			return p.valence, len(p.words)
		}
	}
	return 0, 0
}

func equalWords(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

type phrase struct {
	words   []string
	valence float64
}

// sentimentPhrases are complaints made of neutral words ("doesn't work").
var sentimentPhrases = func() []phrase {
	var out []phrase
	for text, v := range map[string]float64{
		"doesn t work": -1.5, "does not work": -1.5, "not working": -1.5, "didn t work": -1.5,
		"isn t working": -1.5, "still waiting": -1, "waste of time": -2, "rip off": -2,
		"no funciona": -1.5, "sigue sin funcionar": -1.5, "perdida de tiempo": -2,
		"ne marche pas": -1.5, "ne fonctionne pas": -1.5, "perte de temps": -2,
		"funktioniert nicht": -1.5, "geht nicht": -1, "zeitverschwendung": -2,
		"nao funciona": -1.5, "perda de tempo": -2,
		"thank you": 1, "muchas gracias": 1.5, "merci beaucoup": 1.5, "vielen dank": 1.5,
		"muito obrigado": 1.5, "muito obrigada": 1.5,
		// A polite refusal is not a negated thanks.
		"no thanks": 0, "no thank you": 0, "no gracias": 0, "non merci": 0, "nein danke": 0,
		"nao obrigado": 0, "nao obrigada": 0,
	} {
		out = append(out, phrase{words: strings.Fields(text), valence: v})
	}
	// Longest first, so "ne marche pas" wins over any shorter phrase it contains.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && len(out[j].words) > len(out[j-1].words); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}()

var (
	intensifiers = set(`very really so extremely totally completely absolutely super too incredibly
		muy realmente tan totalmente demasiado tres vraiment trop totalement completement
		sehr wirklich total echt extrem voll muito realmente totalmente demais bem`)
	// The French "pas" is the half of "ne … pas" that survives informal writing.
	sentimentNegations = set(`not never no dont don doesn didn isn wasn aren won cannot nothing
		nunca ni nada ne pas jamais rien nicht kein keine keinen nie nao nem`)
)

// valence is the lexicon: folded word → valence from -2.5 to 2.5.
var valence = func() map[string]float64 {
	m := map[string]float64{}
	add := func(v float64, list string) {
		for _, w := range strings.Fields(fold(list)) {
			m[w] = v
		}
	}
	// English
	add(2, `excellent amazing awesome fantastic wonderful perfect brilliant outstanding love loved
		lovely superb delighted`)
	add(1.5, `great happy glad pleased helpful appreciate appreciated thanks thank recommend
		impressed`)
	add(1, `good nice fine cool easy fast quick solved resolved works working useful
		clear friendly better best thx`)
	add(-1, `bad slow problem problems issue issues wrong confused confusing unclear late delay
		delayed missing error errors fail failed failing broken bug buggy annoying annoyed
		disappointed disappointing unhappy expensive difficult hard complicated stuck lost sad
		worried nobody unfortunately`)
	add(-1.5, `poor frustrated frustrating upset angry mad unacceptable ridiculous worse rude
		complaint complain complaining unreliable incompetent nonsense stupid`)
	add(-2, `terrible awful horrible worst useless hate hated furious disgusting pathetic scam
		fraud garbage trash rubbish disgrace outrageous shameful lies liar liars idiot idiots
		crap sucks suck`)
	add(-1.5, `joke`)
	add(-2.5, `fuck fucking shit bullshit damn wtf`)
	// Spanish
	add(2, `excelente increible perfecto perfecta maravilloso maravillosa encanta genial`)
	add(1.5, `gracias contento contenta feliz util amable rapido rapida`)
	add(1, `bien bueno buena resuelto funciona facil`)
	add(-1, `mal malo mala problema problemas error lento lenta confuso dificil caro roto
		falla esperando nadie`)
	add(-1.5, `molesto molesta enfadado enfadada enojado enojada frustrado frustrada inaceptable
		ridiculo peor reclamo queja`)
	add(-2, `terrible horrible pesimo pesima inutil odio estafa fraude basura verguenza
		asqueroso mierda`)
	// French
	add(2, `excellent excellente parfait parfaite formidable genial geniale incroyable adore`)
	add(1.5, `merci content contente heureux heureuse utile aimable rapide`)
	add(1, `bien bon bonne resolu marche facile`)
	add(-1, `mauvais mauvaise probleme problemes erreur lent lente retard casse complique cher
		attente`)
	add(-1.5, `fache fachee enerve enervee frustre frustree inacceptable ridicule pire plainte
		decu decue`)
	add(-2, `horrible nul nulle inutile deteste arnaque escroquerie honte lamentable merde`)
	// German
	add(2, `ausgezeichnet hervorragend perfekt toll wunderbar super klasse genial`)
	add(1.5, `danke zufrieden froh hilfreich freundlich schnell`)
	add(1, `gut einfach gelost funktioniert`)
	add(-1, `schlecht problem probleme fehler langsam spat kaputt kompliziert teuer warte warten
		niemand leider`)
	add(-1.5, `verargert wutend frustriert inakzeptabel lacherlich schlimmer beschwerde
		enttauscht unfreundlich`)
	add(-2, `schrecklich furchtbar nutzlos hasse betrug katastrophe frechheit unverschamt
		scheisse`)
	add(-1.5, `mist`)
	// Portuguese
	add(2, `excelente otimo otima perfeito perfeita maravilhoso maravilhosa incrivel adorei`)
	add(1.5, `obrigado obrigada contente feliz util gentil rapido rapida`)
	add(1, `bom boa resolvido funciona facil`)
	add(-1, `ruim problema problemas erro lento lenta atrasado atraso confuso dificil caro
		quebrado esperando ninguem`)
	add(-1.5, `chateado chateada irritado irritada frustrado frustrada inaceitavel ridiculo
		pior reclamacao decepcionado`)
	add(-2, `terrivel horrivel pessimo pessima inutil odeio golpe fraude lixo vergonha merda`)
	return m
}()

// emoji carry valence too; they are read before folding.
var emoji = map[rune]float64{
	'😀': 1, '😃': 1, '😄': 1, '😊': 1, '🙂': 0.5, '😍': 2, '👍': 1, '🙏': 1, '❤': 1.5, '🎉': 1.5,
	'🙁': -1, '☹': -1, '😞': -1, '😢': -1, '😭': -1.5, '😠': -2, '😡': -2, '🤬': -2.5, '👎': -1.5, '😤': -1.5,
}
