package ratelimit

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ParsePolicy reads a rate limit flag value: "N/s", "N/m" or "N/h" (N
// requests per second, minute or hour, burst N), optionally followed by
// ":B" for a burst of B, or "0" or "off" for no limit (rate 0, burst 0).
// The rate returned is per second. A burst of N rounded up is the default
// because "5/m" reads as "five tries a minute": five at once, then one every
// twelve seconds.
func ParsePolicy(s string) (rate float64, burst int, err error) {
	s = strings.TrimSpace(s)
	if s == "0" || strings.EqualFold(s, "off") {
		return 0, 0, nil
	}
	spec, burstStr, hasBurst := strings.Cut(s, ":")
	nStr, unit, ok := strings.Cut(spec, "/")
	if !ok {
		return 0, 0, fmt.Errorf("rate limit %q: want N/s, N/m or N/h, optionally :burst, or off", s)
	}
	n, err := strconv.ParseFloat(nStr, 64)
	if err != nil || n <= 0 || math.IsInf(n, 0) || math.IsNaN(n) {
		return 0, 0, fmt.Errorf("rate limit %q: %q is not a positive number", s, nStr)
	}
	var per float64
	switch unit {
	case "s":
		per = 1
	case "m":
		per = 60
	case "h":
		per = 3600
	default:
		return 0, 0, fmt.Errorf("rate limit %q: unit %q is not s, m or h", s, unit)
	}
	burst = int(math.Min(math.Ceil(n), math.MaxInt32))
	if hasBurst {
		burst, err = strconv.Atoi(burstStr)
		if err != nil || burst < 1 {
			return 0, 0, fmt.Errorf("rate limit %q: burst %q is not a whole number of at least 1", s, burstStr)
		}
	}
	return n / per, burst, nil
}
