// Package mock provides fakes of the domain service interfaces of package
// awardtracker, in the style of benbjohnson/wtf's mock package: each method
// calls the function in the field of the same name (UserService.FindUserByID
// calls FindUserByIDFn), and a test sets only the functions its requests
// reach. A method whose function is not set panics with the method's name,
// so a test that reaches further than it meant to fails loudly.
//
// The fakes let the HTTP tests check the HTTP layer (status mapping, error
// bodies, routes, JSON decoding) without SQLite and bcrypt. Behaviour that
// lives in the storage (matching, transactions, isolation) is tested against
// the real package sqlite, never against these.
package mock

import "fmt"

// unset is what a method does when its function is not set.
func unset(method string) {
	panic(fmt.Sprintf("mock: %s called, but its function is not set", method))
}
