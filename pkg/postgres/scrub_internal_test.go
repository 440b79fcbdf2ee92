package postgres

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestScrub: a driver error that quotes the URL loses the password, in the
// URL's percent-encoded spelling and in plain text, and keeps its chain.
func TestScrub(t *testing.T) {
	cause := errors.New("cause")
	for _, dsn := range []string{
		"postgres://app:p%40ss%2Fw0rd@db/at",
		"postgres://app@db/at?password=p%40ss%2Fw0rd",
	} {
		err := scrub(dsn, fmt.Errorf("cannot parse %s (password p@ss/w0rd): %w", dsn, cause))
		for _, spelling := range []string{"p%40ss%2Fw0rd", "p@ss/w0rd"} {
			if strings.Contains(err.Error(), spelling) {
				t.Errorf("got %q, which shows %q", err, spelling)
			}
		}
		if !errors.Is(err, cause) {
			t.Errorf("got %v, which lost its cause", err)
		}
	}
}
