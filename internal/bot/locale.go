package bot

import (
	"fmt"
	"strings"
)

// sentences are the bot's own words in one language. Some of them (notSure, apology) are
// also how a responder recognises its earlier failures in the transcript, so they must
// stay distinct from anything an answer could say.
type sentences struct {
	greeting      string // %s is the chatbot's name
	greetingPlain string
	thanks        string
	bye           string
	ack           string
	notSure       string
	couldNot      string // handoff after two unsure answers
	connecting    string // handoff the visitor asked for
	apology       string // the responder failed
	unavailable   string // handoff after repeated failures
}

var locales = map[string]sentences{
	"en": {
		greeting:      "Hello! I'm %s. How can I help you today?",
		greetingPlain: "Hello! How can I help you today?",
		thanks:        "You're welcome! Is there anything else I can help you with?",
		bye:           "Goodbye! Come back any time.",
		ack:           "Is there anything else I can help you with?",
		notSure:       "I'm not sure I know the answer to that. You can rephrase, or ask to talk to a person.",
		couldNot:      "I'm sorry I couldn't help. Let me find a person from the team for you.",
		connecting:    "Of course. Let me find a person from the team for you.",
		apology:       "Sorry, I'm having trouble answering right now. Please try again in a moment.",
		unavailable:   "Sorry, I'm having trouble answering right now. Let me find a person from the team for you.",
	},
	"es": {
		greeting:      "¡Hola! Soy %s. ¿En qué puedo ayudarte hoy?",
		greetingPlain: "¡Hola! ¿En qué puedo ayudarte hoy?",
		thanks:        "¡De nada! ¿Hay algo más en lo que pueda ayudarte?",
		bye:           "¡Adiós! Vuelve cuando quieras.",
		ack:           "¿Hay algo más en lo que pueda ayudarte?",
		notSure:       "No estoy seguro de conocer la respuesta. Puedes reformular la pregunta o pedir hablar con una persona.",
		couldNot:      "Siento no haber podido ayudarte. Voy a buscar a una persona del equipo.",
		connecting:    "Por supuesto. Voy a buscar a una persona del equipo.",
		apology:       "Lo siento, ahora mismo tengo problemas para responder. Inténtalo de nuevo en un momento.",
		unavailable:   "Lo siento, ahora mismo tengo problemas para responder. Voy a buscar a una persona del equipo.",
	},
	"fr": {
		greeting:      "Bonjour ! Je suis %s. Comment puis-je vous aider ?",
		greetingPlain: "Bonjour ! Comment puis-je vous aider ?",
		thanks:        "Avec plaisir ! Puis-je vous aider pour autre chose ?",
		bye:           "Au revoir ! Revenez quand vous voulez.",
		ack:           "Puis-je vous aider pour autre chose ?",
		notSure:       "Je ne suis pas sûr de connaître la réponse. Vous pouvez reformuler, ou demander à parler à une personne.",
		couldNot:      "Désolé de ne pas avoir pu vous aider. Je cherche une personne de l'équipe pour vous.",
		connecting:    "Bien sûr. Je cherche une personne de l'équipe pour vous.",
		apology:       "Désolé, j'ai du mal à répondre pour le moment. Réessayez dans un instant.",
		unavailable:   "Désolé, j'ai du mal à répondre pour le moment. Je cherche une personne de l'équipe pour vous.",
	},
	"de": {
		greeting:      "Hallo! Ich bin %s. Wie kann ich Ihnen helfen?",
		greetingPlain: "Hallo! Wie kann ich Ihnen helfen?",
		thanks:        "Gern geschehen! Kann ich Ihnen sonst noch helfen?",
		bye:           "Auf Wiedersehen! Schauen Sie gern wieder vorbei.",
		ack:           "Kann ich Ihnen sonst noch helfen?",
		notSure:       "Ich bin nicht sicher, ob ich die Antwort darauf weiß. Sie können die Frage anders stellen oder nach einem Menschen fragen.",
		couldNot:      "Leider konnte ich nicht helfen. Ich suche jemanden aus dem Team für Sie.",
		connecting:    "Gern. Ich suche jemanden aus dem Team für Sie.",
		apology:       "Entschuldigung, ich kann gerade nicht antworten. Bitte versuchen Sie es gleich noch einmal.",
		unavailable:   "Entschuldigung, ich kann gerade nicht antworten. Ich suche jemanden aus dem Team für Sie.",
	},
	"pt": {
		greeting:      "Olá! Eu sou %s. Como posso ajudar hoje?",
		greetingPlain: "Olá! Como posso ajudar hoje?",
		thanks:        "De nada! Posso ajudar em mais alguma coisa?",
		bye:           "Tchau! Volte quando quiser.",
		ack:           "Posso ajudar em mais alguma coisa?",
		notSure:       "Não tenho certeza de que sei a resposta. Você pode reformular ou pedir para falar com uma pessoa.",
		couldNot:      "Desculpe não ter conseguido ajudar. Vou procurar uma pessoa da equipe para você.",
		connecting:    "Claro. Vou procurar uma pessoa da equipe para você.",
		apology:       "Desculpe, estou com dificuldade para responder agora. Tente novamente em um instante.",
		unavailable:   "Desculpe, estou com dificuldade para responder agora. Vou procurar uma pessoa da equipe para você.",
	},
}

// localeFor picks the sentences for a language tag such as "es-MX"; English otherwise.
func localeFor(lang string) sentences {
	base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(lang)), "-")
	base, _, _ = strings.Cut(base, "_")
	if s, ok := locales[base]; ok {
		return s
	}
	return locales["en"]
}

func (s sentences) greet(name string) string {
	if name = strings.TrimSpace(name); name == "" {
		return s.greetingPlain
	}
	return fmt.Sprintf(s.greeting, name)
}

// isOwn reports whether content is one of the given sentences in any language.
func isOwn(content string, pick func(sentences) string) bool {
	content = strings.TrimSpace(content)
	for _, s := range locales {
		if content == pick(s) {
			return true
		}
	}
	return false
}

func notSureOf(s sentences) string { return s.notSure }
func apologyOf(s sentences) string { return s.apology }
