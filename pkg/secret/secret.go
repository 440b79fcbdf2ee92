// Package secret seals small secrets (the LoTW and DCL credentials users store)
// with AES-256-GCM so that they are encrypted at rest.
//
// The key is derived from an operator-supplied secret (--secrets.key) of at
// least MinSecretLen characters. Each sealed value carries a version byte and
// a random nonce, and is bound to a context string (additional data) such as
// "lotw/42", so that a sealed value copied to another user's row or source
// fails to open instead of decrypting there.
//
// It does not store anything, rotate keys or stretch weak passphrases: the
// secret is expected to be random (e.g. `openssl rand -base64 33`).
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// MinSecretLen is the shortest secret NewBox accepts, in bytes.
const MinSecretLen = 32

// version prefixes every sealed value so that a later format (another
// cipher, a rotated key) can be told apart from this one.
const version byte = 1

// hkdfInfo separates this key from any other key a future feature derives
// from the same operator secret.
const hkdfInfo = "awardtracker credentials AES-256-GCM v1"

// ErrOpen is returned for a sealed value that cannot be opened: tampered,
// truncated, sealed under another key or for another context.
var ErrOpen = errors.New("secret: cannot open sealed value (wrong key, wrong context or tampered)")

// Box seals and opens values under one key. It is safe for concurrent use.
type Box struct {
	aead cipher.AEAD
}

// NewBox derives the sealing key from secret. It refuses secrets shorter
// than MinSecretLen.
//
// The key is derived with HKDF-SHA256 (the standard library's crypto/hkdf,
// so no extra dependency) rather than a bare SHA-256 of the secret: HKDF is
// the construction meant for turning a high-entropy secret into a key, and
// its info label gives domain separation should other keys ever be derived
// from the same secret. A password-stretching KDF (argon2, scrypt) is not
// used because the secret is an operator-generated random string, not a
// human password; the length check is what guards against weak ones.
func NewBox(secret string) (*Box, error) {
	if len(secret) < MinSecretLen {
		return nil, fmt.Errorf("secret: the secrets key must be at least %d characters, got %d (generate one with `openssl rand -base64 33`)", MinSecretLen, len(secret))
	}
	key, err := hkdf.Key(sha256.New, []byte(secret), nil, hkdfInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("secret: derive key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts plaintext for context, which must be given again to Open.
// The result is version || nonce || ciphertext+tag, with a fresh random
// nonce per call.
func (b *Box) Seal(plaintext []byte, context string) ([]byte, error) {
	ns := b.aead.NonceSize()
	out := make([]byte, 1+ns, 1+ns+len(plaintext)+b.aead.Overhead())
	out[0] = version
	if _, err := rand.Read(out[1 : 1+ns]); err != nil {
		return nil, fmt.Errorf("secret: nonce: %w", err)
	}
	return b.aead.Seal(out, out[1:1+ns], plaintext, b.additionalData(context)), nil
}

// Open decrypts a value sealed by Seal with the same key and context.
// It returns ErrOpen for anything else.
func (b *Box) Open(sealed []byte, context string) ([]byte, error) {
	ns := b.aead.NonceSize()
	if len(sealed) < 1+ns+b.aead.Overhead() || sealed[0] != version {
		return nil, ErrOpen
	}
	pt, err := b.aead.Open(nil, sealed[1:1+ns], sealed[1+ns:], b.additionalData(context))
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

// additionalData binds the version byte too, so it cannot be flipped.
func (b *Box) additionalData(context string) []byte {
	return append([]byte{version}, context...)
}
