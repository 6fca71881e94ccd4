package bot

import (
	_ "embed"
	"encoding/json"
	"slices"
	"sync"
)

//go:embed demo_knowledge.json
var demoKnowledgeJSON []byte

var demoKnowledge = sync.OnceValue(func() []Entry {
	var entries []Entry
	if err := json.Unmarshal(demoKnowledgeJSON, &entries); err != nil {
		panic("bot: demo_knowledge.json: " + err.Error()) // embedded and tested: cannot happen
	}
	return entries
})

// DemoKnowledge returns the knowledge of the demo chatbot: about twenty questions and
// answers about Baton itself. Each call returns a fresh copy the caller may change.
func DemoKnowledge() []Entry {
	src := demoKnowledge()
	out := make([]Entry, len(src))
	for i, e := range src {
		e.Keywords = slices.Clone(e.Keywords)
		out[i] = e
	}
	return out
}
