// Package randstr draws random strings from crypto/rand, each character uniform over its alphabet.
package randstr

import (
	"crypto/rand"
	"fmt"
	"math/big"
)

const (
	letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	digits  = "0123456789"
	// Special characters that need no quoting in a shell word or a URL's password part.
	Special = "!#%*()-_=+[]{}:?"
)

// Alphabet is the character set of a string with or without special characters.
func Alphabet(special bool) string {
	if special {
		return letters + digits + Special
	}
	return letters + digits
}

// String returns length characters drawn uniformly and independently from alphabet.
func String(length int, alphabet string) (string, error) {
	if length < 1 {
		return "", fmt.Errorf("length must be at least 1, got %d", length)
	}
	if alphabet == "" {
		return "", fmt.Errorf("alphabet must not be empty")
	}
	size := big.NewInt(int64(len(alphabet)))
	out := make([]byte, length)
	for i := range out {
		n, err := rand.Int(rand.Reader, size)
		if err != nil {
			return "", fmt.Errorf("reading crypto/rand: %w", err)
		}
		out[i] = alphabet[n.Int64()]
	}
	return string(out), nil
}
