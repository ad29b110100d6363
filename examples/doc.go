// Package examples holds small runnable programs that use sesh with
// net/http and the common routers (chi, gin, echo). Each directory is a
// main package with a test that drives it over HTTP; they are built and
// tested by make test (and so by CI). The module is separate so that the
// routers never enter the library's dependencies.
package examples
