package secret_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/awardtracker/awardtracker/pkg/secret"
)

const key = "0123456789abcdef0123456789abcdef" // exactly MinSecretLen

func newBox(t *testing.T, k string) *secret.Box {
	t.Helper()
	b, err := secret.NewBox(k)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBox_RoundTrip(t *testing.T) {
	b := newBox(t, key)
	for _, pt := range [][]byte{nil, []byte("x"), []byte(`{"username":"n0call","password":"pä$$ word&="}`), bytes.Repeat([]byte("a"), 10000)} {
		sealed, err := b.Seal(pt, "lotw/1")
		if err != nil {
			t.Fatal(err)
		}
		if len(pt) > 8 && bytes.Contains(sealed, pt) {
			t.Fatalf("sealed value contains the plaintext")
		}
		got, err := b.Open(sealed, "lotw/1")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, pt) {
			t.Fatalf("Open = %q, want %q", got, pt)
		}
	}
}

func TestBox_FreshNonce(t *testing.T) {
	b := newBox(t, key)
	s1, _ := b.Seal([]byte("same"), "c")
	s2, _ := b.Seal([]byte("same"), "c")
	if bytes.Equal(s1, s2) {
		t.Fatal("two seals of the same plaintext are equal: nonce reused")
	}
}

func TestBox_Tamper(t *testing.T) {
	b := newBox(t, key)
	sealed, err := b.Seal([]byte("secret password"), "lotw/1")
	if err != nil {
		t.Fatal(err)
	}
	for i := range sealed {
		bad := bytes.Clone(sealed)
		bad[i] ^= 0x01
		if _, err := b.Open(bad, "lotw/1"); !errors.Is(err, secret.ErrOpen) {
			t.Fatalf("byte %d flipped: Open error = %v, want ErrOpen", i, err)
		}
	}
	for _, n := range []int{0, 1, 12, len(sealed) - 1} {
		if _, err := b.Open(sealed[:n], "lotw/1"); !errors.Is(err, secret.ErrOpen) {
			t.Fatalf("truncated to %d: Open error = %v, want ErrOpen", n, err)
		}
	}
}

func TestBox_WrongKey(t *testing.T) {
	sealed, err := newBox(t, key).Seal([]byte("pw"), "lotw/1")
	if err != nil {
		t.Fatal(err)
	}
	other := newBox(t, key+"!")
	if _, err := other.Open(sealed, "lotw/1"); !errors.Is(err, secret.ErrOpen) {
		t.Fatalf("Open with another key: error = %v, want ErrOpen", err)
	}
}

func TestBox_WrongContext(t *testing.T) {
	b := newBox(t, key)
	sealed, err := b.Seal([]byte("pw"), "lotw/1")
	if err != nil {
		t.Fatal(err)
	}
	for _, ctx := range []string{"lotw/2", "dcl/1", ""} {
		if _, err := b.Open(sealed, ctx); !errors.Is(err, secret.ErrOpen) {
			t.Fatalf("Open for context %q: error = %v, want ErrOpen", ctx, err)
		}
	}
}

func TestNewBox_ShortSecret(t *testing.T) {
	for _, s := range []string{"", "short", key[:31]} {
		b, err := secret.NewBox(s)
		if err == nil || b != nil {
			t.Fatalf("NewBox(%d chars) = %v, %v; want an error", len(s), b, err)
		}
		if !strings.Contains(err.Error(), "at least 32 characters") {
			t.Fatalf("error = %q, want it to say the minimum length", err)
		}
		if s != "" && strings.Contains(err.Error(), s) {
			t.Fatalf("error %q contains the secret", err)
		}
	}
}
