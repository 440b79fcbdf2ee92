package redact_test

import (
	"errors"
	"html"
	"io"
	"net/url"
	"strings"
	"testing"

	"github.com/awardtracker/awardtracker/pkg/redact"
)

const secret = "s3cr&t pass=wörd<>'\"+%"

// Every spelling an echoing page or an error may use.
func spellings() map[string]string {
	q, p := url.QueryEscape(secret), url.PathEscape(secret)
	return map[string]string{
		"raw":             secret,
		"query":           q,
		"path":            p,
		"query lower hex": strings.ToLower(q),
		"html":            html.EscapeString(secret),
		"html numeric":    "s3cr&#38;t pass&#61;w&#xf6;rd&lt;&gt;&#39;&#34;+%",
		"html of query":   html.EscapeString(q),
		"json":            `s3cr\u0026t pass=wörd\u003c\u003e'\"+%`,
		"mixed":           "s3cr%26t+pass=w%C3%B6rd<>'\"%2B%25",
		"double escaped":  url.QueryEscape(q),
		"html of json":    html.EscapeString(`s3cr\u0026t pass=wörd\u003c\u003e'\"+%`),
	}
}

func TestString(t *testing.T) {
	for name, sp := range spellings() {
		t.Run(name, func(t *testing.T) {
			in := "GET https://lotw.example/lotwreport.adi?login=N0CALL&password=" + sp + "&qso_query=1: EOF"
			got := redact.String(in, secret)
			if redact.Contains(got, secret) || strings.Contains(got, "s3cr") {
				t.Fatalf("got %q, still holds the secret", got)
			}
			if got != redact.Withheld && !strings.Contains(got, "login=N0CALL") {
				t.Fatalf("got %q, want the rest of the text kept", got)
			}
		})
	}
	t.Run("NoSecret", func(t *testing.T) {
		if got := redact.String("connection refused", secret); got != "connection refused" {
			t.Fatalf("got %q, want the text unchanged", got)
		}
		if got := redact.String("a b", ""); got != "a b" {
			t.Fatalf("got %q, want the text unchanged for an empty secret", got)
		}
	})
}

func TestSnippet(t *testing.T) {
	for name, sp := range spellings() {
		// The secret sits across the cut: the old code cut first and then
		// looked for it, so half of it survived.
		t.Run(name, func(t *testing.T) {
			page := []byte("<html><body>Bad request: login=N0CALL&amp;password=" + sp + " was refused</body></html>")
			got, ok := redact.Snippet(page, 60, secret)
			if ok || got != "" {
				t.Fatalf("got %q, %v; want nothing quoted from a page that echoes the secret", got, ok)
			}
		})
	}
	t.Run("Quoted", func(t *testing.T) {
		got, ok := redact.Snippet([]byte("<html>\n\n  <title>Maintenance</title>\x01 and more text here"), 30, secret)
		if !ok || got != "<html> <title>Maintenance</tit…" {
			t.Fatalf("got %q, %v; want %q", got, ok, "<html> <title>Maintenance</tit…")
		}
	})
}

func TestError(t *testing.T) {
	cause := &url.Error{Op: "Get", URL: "https://x/?password=" + url.QueryEscape(secret), Err: io.ErrUnexpectedEOF}
	err := redact.Error(cause, secret)
	if redact.Contains(err.Error(), secret) {
		t.Fatalf("got %q, still holds the secret", err)
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("got %v, want the chain kept", err)
	}
	if plain := errors.New("plain"); redact.Error(plain, secret) != plain {
		t.Fatal("an error without the secret should be returned as is")
	}
}

// What checking a LoTW answer's first 4 KiB costs, once per failed download.
func BenchmarkSnippet(b *testing.B) {
	page := []byte(strings.Repeat("<p>Logbook of the World is down for maintenance &amp; more</p>\n", 70))[:4096]
	for b.Loop() {
		redact.Snippet(page, 80, secret)
	}
}
