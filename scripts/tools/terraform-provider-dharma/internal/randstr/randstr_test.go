package randstr

import (
	"strings"
	"testing"
)

func TestStringHasTheLengthAndOnlyAlphabetCharacters(t *testing.T) {
	s, err := String(64, Alphabet(false))
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != 64 {
		t.Fatalf("length %d", len(s))
	}
	for _, c := range s {
		if !strings.ContainsRune(Alphabet(false), c) {
			t.Fatalf("character %q is outside the alphabet", c)
		}
	}
}

func TestStringsDiffer(t *testing.T) {
	a, _ := String(32, Alphabet(true))
	b, _ := String(32, Alphabet(true))
	if a == b {
		t.Fatal("two 32-character draws are equal")
	}
}

func TestStringUsesEveryCharacterOfASmallAlphabet(t *testing.T) {
	s, err := String(2000, "ab")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s, "a") || !strings.Contains(s, "b") {
		t.Fatal("both characters appear in 2000 draws")
	}
}

func TestStringRefusesBadArguments(t *testing.T) {
	if _, err := String(0, "ab"); err == nil {
		t.Fatal("length 0 is refused")
	}
	if _, err := String(3, ""); err == nil {
		t.Fatal("an empty alphabet is refused")
	}
}
