// Package good is a sample for testreport's tests: one test of each kind.
package good

import "testing"

func TestPass(t *testing.T) {
	t.Log("storetest.Engine: Fake 1.2.3 at 127.0.0.1:1")
	t.Run("sub", func(t *testing.T) {})
}

func TestSkip(t *testing.T) {
	t.Log("an earlier line")
	t.Skip("SESH_FAKE_URL is not set: skipping")
}

func TestFail(t *testing.T) {
	t.Run("sub", func(t *testing.T) { t.Error("boom") })
}
