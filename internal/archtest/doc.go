// Package archtest holds the test that keeps the package layout honest: the
// domain (pkg/awardtracker) imports nothing of ours, and the adapter
// packages under pkg/ import the domain and not each other, except for the
// few edges its test lists with their reasons. Only cmd/, internal/ and
// bench/ may know every package. It has no code of its own.
package archtest
