package realtime

import (
	"slices"
	"testing"
)

func TestIndexKeepsSetsOfSockets(t *testing.T) {
	a, b, c := &client{id: "a"}, &client{id: "b"}, &client{id: "c"}
	ix := index{}
	ids := func(k string) []string {
		var out []string
		for s := range ix.of(k) {
			out = append(out, s.id)
		}
		slices.Sort(out)
		return out
	}
	steps := []struct {
		name string
		do   func()
		want []string
	}{
		{"one socket", func() { ix.add("k", a) }, []string{"a"}},
		{"the same socket again", func() { ix.add("k", a) }, []string{"a"}},
		{"a second socket", func() { ix.add("k", b) }, []string{"a", "b"}},
		{"a third socket", func() { ix.add("k", c) }, []string{"a", "b", "c"}},
		{"a socket that is not there removed", func() { ix.remove("k", &client{}) }, []string{"a", "b", "c"}},
		{"two removed", func() { ix.remove("k", a); ix.remove("k", c) }, []string{"b"}},
		{"the last removed", func() { ix.remove("k", b) }, nil},
	}
	for _, s := range steps {
		s.do()
		if got := ids("k"); !slices.Equal(got, s.want) {
			t.Fatalf("after %s: sockets = %v, want %v", s.name, got, s.want)
		}
	}
	if len(ix) != 0 {
		t.Fatalf("an emptied key stays in the index: %v", ix)
	}
	ix.add("k", a)
	ix.remove("k", a)
	ix.remove("nothing", a)
	if len(ix) != 0 {
		t.Fatalf("index = %v, want empty", ix)
	}
}
