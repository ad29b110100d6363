// Package broken does not compile: testreport reports a build failure.
package broken

func F() int { return undefinedName }
