// Package redact keeps secrets (a LoTW password, a DCL key) out of text that
// is shown to users, stored as a sync's last error, or logged.
//
// An upstream that echoes the request can carry a secret in many spellings:
// as sent, query-escaped, path-escaped, HTML-escaped, JSON-escaped, or a mix
// of these (a page that percent-decodes one character and not the next). So
// the package never trusts a list of spellings alone: String removes the
// known ones and then decodes what is left; if the secret still shows, the
// whole text is withheld. Snippet quotes the start of an upstream answer only
// when no decoding of the whole answer contains the secret, and it decides
// that before cutting, so a secret cut in half cannot slip through.
//
// It does not encrypt or store anything (package secret does).
package redact

import (
	"html"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Mask replaces a secret in text.
const Mask = "***"

// Withheld replaces a whole text that still holds a secret after its known
// spellings were removed.
const Withheld = "[withheld: the text quoted credentials]"

// forms returns the spellings of secret that String replaces, longest first
// so that an escaped form is replaced before the raw one inside it.
func forms(secret string) []string {
	q, p := url.QueryEscape(secret), url.PathEscape(secret)
	out := []string{
		secret, q, p, strings.ToLower(q), strings.ToLower(p),
		html.EscapeString(secret), html.EscapeString(q), html.EscapeString(p),
		jsonEscape(secret),
	}
	if s := strconv.Quote(secret); len(s) >= 2 {
		out = append(out, s[1:len(s)-1])
	}
	// Longest first: "a%26b" must go before "a" could match inside it.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && len(out[j]) > len(out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// jsonEscape spells s as encoding/json does inside a string (it escapes
// <, > and & as \u003c, \u003e, \u0026 besides quotes and backslashes).
func jsonEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '<' || r == '>' || r == '&' || r < 0x20:
			b.WriteString(`\u00`)
			b.WriteString(strconv.FormatInt(int64(r)>>4, 16))
			b.WriteString(strconv.FormatInt(int64(r)&15, 16))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// decodings returns s and what it becomes under each decoding an echoing
// page may have applied (or not undone), twice over for doubly encoded text.
func decodings(s string) []string {
	out := []string{s}
	seen := map[string]bool{s: true}
	for range 2 {
		for _, t := range out {
			for _, d := range []string{html.UnescapeString(t), percentDecode(t, false), percentDecode(t, true), unescapeJSON(t)} {
				if !seen[d] { // most text decodes to itself: check it once
					seen[d] = true
					out = append(out, d)
				}
			}
		}
	}
	return out
}

// percentDecode decodes every valid %XX and, if plus, '+' as a space; unlike
// url.QueryUnescape it keeps going past a malformed escape, because a page
// may quote a URL next to text with a stray '%'.
func percentDecode(s string, plus bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			v, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
			b.WriteByte(byte(v))
			i += 2
		case c == '+' && plus:
			b.WriteByte(' ')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// unescapeJSON decodes \uXXXX, \" and \\ wherever they occur.
func unescapeJSON(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			switch s[i+1] {
			case '"', '\\', '/':
				b.WriteByte(s[i+1])
				i++
				continue
			case 'u':
				if i+6 <= len(s) {
					if v, err := strconv.ParseUint(s[i+2:i+6], 16, 16); err == nil {
						b.WriteRune(rune(v))
						i += 5
						continue
					}
				}
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Contains reports whether any decoding of s contains one of the secrets.
// Empty secrets are ignored.
func Contains(s string, secrets ...string) bool {
	for _, d := range decodings(s) {
		for _, sec := range secrets {
			if sec != "" && strings.Contains(d, sec) {
				return true
			}
		}
	}
	return false
}

// String removes every known spelling of the secrets from s; if a decoding
// of what is left still contains one, it returns Withheld instead.
func String(s string, secrets ...string) string {
	for _, sec := range secrets {
		if sec == "" {
			continue
		}
		for _, f := range forms(sec) {
			s = strings.ReplaceAll(s, f, Mask)
		}
	}
	if Contains(s, secrets...) {
		return Withheld
	}
	return s
}

// Error returns err with the secrets removed from its text (String); the
// chain is kept, so errors.Is and errors.As still see the causes.
func Error(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := String(msg, secrets...)
	if clean == msg {
		return err
	}
	return &redacted{msg: clean, err: err}
}

// redacted keeps the chain (for errors.Is) but not the text of its cause.
type redacted struct {
	msg string
	err error
}

func (e *redacted) Error() string { return e.msg }
func (e *redacted) Unwrap() error { return e.err }

// Snippet returns up to max printable characters from the start of b,
// whitespace collapsed, for quoting an upstream's answer in an error. It
// returns ok false, and no text, when any decoding of all of b contains a
// secret: such an answer echoes the request and is not quoted at all.
func Snippet(b []byte, max int, secrets ...string) (snippet string, ok bool) {
	s := strings.ToValidUTF8(string(b), "?")
	if Contains(s, secrets...) {
		return "", false
	}
	var sb strings.Builder
	space := false
	n := 0
	for _, r := range s {
		if n >= max {
			sb.WriteString("…")
			break
		}
		switch {
		case unicode.IsSpace(r):
			if !space && sb.Len() > 0 {
				sb.WriteByte(' ')
				n++
			}
			space = true
			continue
		case !unicode.IsPrint(r) || r == utf8.RuneError:
			r = '?'
		}
		space = false
		sb.WriteRune(r)
		n++
	}
	out := strings.TrimSpace(sb.String())
	if Contains(out, secrets...) { // collapsing whitespace made one up
		return "", false
	}
	return out, true
}
