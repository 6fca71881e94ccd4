package canned_test

import (
	"strings"
	"testing"

	"github.com/baton-chat/baton/internal/canned"
)

// FuzzRenderTemplate: rendering never leaves a {{variable}} it understood, and text
// without braces comes back unchanged.
func FuzzRenderTemplate(f *testing.F) {
	for _, s := range []string{"Hi {{first_name}}!", "{{ email }}", "{{}}", "{{{first_name}}}", "{{contact.plan}}", "{{a.b.c}}", "plain", "{{x", "}}{{"} {
		f.Add(s)
	}
	vars := map[string]string{"first_name": "Ana", "email": "ana@example.com", "plan": "gold"}
	f.Fuzz(func(t *testing.T, text string) {
		out := canned.RenderTemplate(text, vars)
		if !strings.Contains(text, "{{") && out != text {
			t.Fatalf("RenderTemplate(%q) = %q, changed text without variables", text, out)
		}
		if strings.Contains(out, "{{first_name}}") && !strings.Contains(text, "{{{{first_name}}") {
			t.Fatalf("RenderTemplate(%q) = %q left a known variable", text, out)
		}
	})
}
