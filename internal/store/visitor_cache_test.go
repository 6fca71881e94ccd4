package store

import (
	"fmt"
	"testing"

	"github.com/baton-chat/baton"
)

// The visitor cache keeps what was used in the last two generations of visitorCacheSize
// entries: an entry read again moves to the newer one and stays; the others are dropped.
func TestVisitorCacheGenerations(t *testing.T) {
	var c visitorCache
	key := func(i int) string { return fmt.Sprintf("h%d", i) }
	for i := range visitorCacheSize {
		c.put(key(i), visitorEntry{Visitor: baton.Visitor{ContactID: key(i)}})
	}
	c.put("next", visitorEntry{Visitor: baton.Visitor{ContactID: "next"}}) // the first generation becomes the older
	if v, ok := c.get(key(0)); !ok || v.ContactID != key(0) {
		t.Fatalf("get(h0) = %+v, %v: the older generation is still read", v, ok)
	}
	for i := range visitorCacheSize { // a whole new generation: the older one goes
		c.put(fmt.Sprintf("n%d", i), visitorEntry{})
	}
	if _, ok := c.get(key(0)); !ok {
		t.Error("h0 was read again in the newer generation, but is gone")
	}
	if _, ok := c.get(key(1)); ok {
		t.Error("h1 outlived two generations without being read")
	}
	if n := len(c.cur) + len(c.old); n > 2*visitorCacheSize {
		t.Errorf("the cache holds %d entries, more than %d", n, 2*visitorCacheSize)
	}
}
