package sfn

import (
	"fmt"
	"testing"

	"github.com/gaffer-dev/gaffer/internal/engine"
)

// Parsed definitions are cached up to Config.CachedDefinitions: a client
// creating state machines with ever new definitions does not grow the node
// without bound, and a definition evicted is parsed again.
func TestDefinitionCacheBounded(t *testing.T) {
	t.Parallel()
	s := New(Config{Engine: engine.New(engine.Config{}), CachedDefinitions: 4})
	def := func(i int) string {
		return fmt.Sprintf(`{"StartAt":"P","States":{"P":{"Type":"Pass","Result":%d,"End":true}}}`, i)
	}
	for i := range 100 {
		if _, _, err := s.parseDefinition(def(i)); err != nil {
			t.Fatal(err)
		}
		if n := s.machines.Len(); n > 4 {
			t.Fatalf("%d definitions cached after %d parsed, want at most 4", n, i+1)
		}
	}
	m, hash, err := s.parseDefinition(def(0))
	if err != nil || m == nil || hash != definitionHash(def(0)) {
		t.Fatalf("parse of an evicted definition = %v, %q, %v", m, hash, err)
	}
}
