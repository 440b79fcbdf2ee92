package main

import (
	"math"
	"testing"
)

func TestParseLag(t *testing.T) {
	out := `goos: linux
BenchmarkInvalidationLag-2   	     300	    863009 ns/op	         0.1923 p50-ms	         0.3371 p99-ms
BenchmarkInvalidationLag-2   	     300	   1199014 ns/op	         0.1901 p50-ms	         4.689 p99-ms
BenchmarkInvalidationLag-2   	     300	   1293574 ns/op	         0.2021 p50-ms	         5.225 p99-ms
PASS
`
	p50, p99, err := parseLag(out)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(p50-0.1923e-3) > 1e-12 || math.Abs(p99-4.689e-3) > 1e-12 {
		t.Errorf("parseLag = %v, %v; want 0.0001923, 0.004689", p50, p99)
	}
	if _, _, err := parseLag("PASS\n"); err == nil {
		t.Error("parseLag of an output without results succeeded")
	}
}
