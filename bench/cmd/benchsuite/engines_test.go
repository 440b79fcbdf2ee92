package main

import (
	"reflect"
	"testing"
)

func TestParseNsPerOp(t *testing.T) {
	out := []byte(`goos: linux
BenchmarkEngines/op=statsmiss/user=20k/engine=sqlite-2         	      20	   6133351 ns/op	   73660 B/op	    3695 allocs/op
BenchmarkEngines/op=sync-new/records=100k/engine=postgres-2    	       1	3512963874 ns/op	     28466 records/s
bench: built fixture
PASS
`)
	got := parseNsPerOp(out)
	want := map[string]float64{
		"Engines/op=statsmiss/user=20k/engine=sqlite":      6133351,
		"Engines/op=sync-new/records=100k/engine=postgres": 3512963874,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
