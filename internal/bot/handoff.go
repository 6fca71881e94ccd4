package bot

import (
	"strings"
)

// Handoff phrase detection (H2).
//
// A request for a person is found clause by clause (punctuation splits clauses, so
// "No, I want a human" is two). Within a clause it is one of:
//
//   - a verb of contact or wish followed by a person-word, with only small words
//     between: "let me TALK to a real HUMAN", "QUIERO hablar con un AGENTE",
//     "PASSEZ-moi un CONSEILLER"; German also puts the person first: "mit einem MENSCHEN
//     SPRECHEN";
//   - a clause that is nothing but a person-word and politeness: "Human please!",
//     "operator", "Mitarbeiter bitte", "atendimento humano".
//
// Verbs are listed in the forms used to ask ("talk", "hablar", "parler", "falar"), not
// the forms used to describe ("am I talking to a human?", "¿hablo con una persona?"),
// which keeps identity questions out. A negation just before the verb or between verb
// and person ("I don't want to talk to a human", "ich möchte nicht mit einem Menschen
// sprechen") cancels the match. Person-words are whole words, so "humane" and "humanity"
// never match, and vague ones ("someone", "support") count only after a contact verb:
// "talk to someone" asks for a person, "I need someone to explain" does not.

var (
	// contactVerbs ask to be put in touch; they accept vague person-words.
	contactVerbs = set(
		`talk speak chat connect transfer reach contact escalate forward redirect put`,
		`hablar hable hablen comunicarme comunicar contactar pasame pasarme pasen pase ponme
		ponerme transferir transfiereme transfiere conectar conectame conecten atienda atiendan
		atender escalar charlar`,
		`parler discuter joindre contacter transferer transferez passer passez mettre mettez mets
		echanger`,
		`sprechen reden verbinden verbinde verbindet verbunden chatten erreichen kontaktieren
		weiterleiten schreiben`,
		`falar fale conversar contatar transferir transfere transfira passar atender atenda
		atendam conectar chamar`,
	)
	// wishVerbs ask for something; they need a clear person-word.
	wishVerbs = set(
		`want need get require prefer request demand ask there`,
		`quiero necesito quisiera prefiero pido solicito exijo`,
		`veux voudrais souhaite souhaiterais besoin prefere demande exige`,
		`mochte will brauche hatte wunsche verlange`,
		`quero preciso gostaria prefiro peco solicito exijo`,
	)
	// personFirstVerbs come after the person in German word order.
	personFirstVerbs = set(`sprechen reden chatten verbunden verbinden erreichen kontaktieren schreiben`)

	persons = set(
		`human humans person persons people agent agents representative representatives rep reps
		operator operators staff employee employees manager supervisor`,
		`humano humanos humana humanas persona personas agente agentes asesor asesora asesores
		operador operadora operadores representante representantes ejecutivo ejecutiva encargado
		gerente`,
		`humain humains humaine personne personnes conseiller conseillere conseillers operateur
		operatrice operateurs responsable`,
		`mensch menschen mitarbeiter mitarbeiterin mitarbeitern personen berater beraterin
		kundendienst kundenservice kundenbetreuung kundensupport vorgesetzten servicemitarbeiter`,
		`pessoa pessoas atendente atendentes consultor consultora`,
		`xcustomerservice xsupportteam xhumanservice`, // joined phrases, see phraseJoins
	)
	vaguePersons = set(`someone somebody anyone anybody support team helpdesk xsomeone
		alguien equipo jemand jemandem jemanden team alguem equipe`)

	// between are the small words allowed between a verb and its person.
	between = set(
		`a an the to with me my your you our us some one of from real live actual actually
		human please pls just directly now right away i can could would like be through member
		members in charge other another different qualified speak talk for any`,
		`un una unos unas el la los las con a al de del por favor me mi su tu real verdadera
		verdadero ahora ya directamente solo poder que alguna algun otra otro para`,
		`a au aux un une le la les l d de du des avec en relation moi me m s il vous plait svp
		directement maintenant tout suite vrai vraie reel reelle pouvoir autre`,
		`mit einem einer einen ein dem der den die bitte mal doch direkt sofort jetzt echten
		echter echtem echte realen richtigen menschlichen sie mich mir ich gern gerne zu lieber
		anderen`,
		`com um uma o a os as ao de do da me por favor agora diretamente real verdadeira
		verdadeiro outro outra para pra`,
	)
	// politeness may surround a lone person-word ("Human please!").
	politeness = set(
		`a an the please pls plz now real live actual just human`,
		`por favor un una el la ahora ya real`,
		`s il vous plait svp un une maintenant vite vrai`,
		`bitte einen einem ein jetzt sofort echten echter echte`,
		`um uma o a agora real`,
	)
	negations = set(`not never dont don doesn didn won wouldn xnoneed
		no nunca jamas ni tampoco
		ne n pas
		nicht kein keine keinen keinem nie niemals
		nao nem`)

	// phraseJoins turn multi-word names into one token. Keys are folded words.
	phraseJoins = map[string]string{
		"customer service":       "xcustomerservice",
		"customer support":       "xcustomerservice",
		"customer care":          "xcustomerservice",
		"client services":        "xcustomerservice",
		"support team":           "xsupportteam",
		"help desk":              "helpdesk",
		"human being":            "human",
		"human resources":        "xhr",
		"no need":                "xnoneed",
		"atencion al cliente":    "xcustomerservice",
		"servicio al cliente":    "xcustomerservice",
		"atencion humana":        "xhumanservice",
		"service client":         "xcustomerservice",
		"service clients":        "xcustomerservice",
		"service clientele":      "xcustomerservice",
		"service apres vente":    "xcustomerservice",
		"quelqu un":              "xsomeone",
		"etre humain":            "human",
		"ser humano":             "human",
		"atendimento humano":     "xhumanservice",
		"atendimento ao cliente": "xcustomerservice",
		"servico de atendimento": "xcustomerservice",
		"suporte humano":         "xhumanservice",
	}
)

// clauseBreaks split a message into clauses.
const clauseBreaks = ".,;:!?¿¡\n()[]…\"“”«»"

// DetectHandoffRequest reports whether the visitor's text asks to talk to a person, in
// English, Spanish, French, German or Portuguese, and if so the handoff reason to
// record: `Visitor asked for a human: "<their words>"` (at most 120 characters quoted).
func DetectHandoffRequest(text string) (bool, string) {
	for _, c := range strings.FieldsFunc(fold(text), func(r rune) bool { return strings.ContainsRune(clauseBreaks, r) }) {
		if asksForPerson(joinPhrases(words(c))) {
			return true, `Visitor asked for a human: "` + clip(oneLine(text), 120) + `"`
		}
	}
	return false, ""
}

// joinPhrases replaces the multi-word names of phraseJoins by their single token.
func joinPhrases(ws []string) []string {
	out := ws[:0:0]
	for i := 0; i < len(ws); i++ {
		joined := false
		for n := 3; n >= 2 && !joined; n-- {
			if i+n > len(ws) {
				continue
			}
			if t, ok := phraseJoins[strings.Join(ws[i:i+n], " ")]; ok {
				out = append(out, t)
				i += n - 1
				joined = true
			}
		}
		if !joined {
			out = append(out, ws[i])
		}
	}
	return out
}

// asksForPerson applies the rules above to one clause.
func asksForPerson(ws []string) bool {
	if len(ws) == 0 {
		return false
	}
	if lonePerson(ws) {
		return true
	}
	for i, w := range ws {
		contact, wish := has(contactVerbs, w), has(wishVerbs, w)
		if !contact && !wish {
			continue
		}
		// Forward: verb … person.
		for j := i + 1; j < len(ws) && j <= i+7; j++ {
			t := ws[j]
			if has(persons, t) || (contact && has(vaguePersons, t)) {
				if !negated(ws, chainStart(ws, i), j) {
					return true
				}
				break
			}
			if !has(between, t) && !has(vaguePersons, t) && !has(contactVerbs, t) && !has(wishVerbs, t) {
				break
			}
		}
		// Backward, German order: person … verb.
		if has(personFirstVerbs, w) {
			for j := i - 1; j >= 0 && j >= i-5; j-- {
				t := ws[j]
				if has(persons, t) || has(vaguePersons, t) {
					if !negated(ws, j, i) {
						return true
					}
					break
				}
				if !has(between, t) {
					break
				}
			}
		}
	}
	return false
}

// chainStart walks back from the verb at i over the verbs that lead to it ("don't WANT
// to TALK"), so that a negation is looked for before the first of them.
func chainStart(ws []string, i int) int {
	for i > 0 {
		p := ws[i-1]
		if has(contactVerbs, p) || has(wishVerbs, p) || has(verbLinks, p) {
			i--
			continue
		}
		break
	}
	return i
}

// verbLinks join two verbs: "want TO talk", "besoin DE parler".
var verbLinks = set(`to de d a`)

// negated reports whether a negation sits in the three words before from or anywhere
// up to to.
func negated(ws []string, from, to int) bool {
	for k := max(0, from-3); k <= to; k++ {
		if has(negations, ws[k]) {
			return true
		}
	}
	return false
}

// lonePerson reports whether a short clause is only a person-word and politeness.
func lonePerson(ws []string) bool {
	if len(ws) > 6 {
		return false
	}
	found := false
	for _, w := range ws {
		switch {
		case has(persons, w):
			found = true
		case has(politeness, w):
		default:
			return false
		}
	}
	return found
}
