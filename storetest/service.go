package storetest

import (
	"os"
	"testing"
)

// RequireServicesEnv names the environment variable that turns a missing
// service into a test failure. CI sets it to 1, so that a store's tests can
// never pass by skipping.
const RequireServicesEnv = "SESH_REQUIRE_SERVICES"

// Service returns the address of a test service from the environment
// variable env (for example SESH_REDIS_URL). When env is unset it skips the
// test with a message naming the variable, unless SESH_REQUIRE_SERVICES=1,
// in which case the test fails.
func Service(t testing.TB, env string) string {
	t.Helper()
	if v := os.Getenv(env); v != "" {
		return v
	}
	if os.Getenv(RequireServicesEnv) == "1" {
		t.Fatalf("%s is not set and %s=1: this test needs its service", env, RequireServicesEnv)
	}
	t.Skipf("%s is not set: skipping (set it, or run .ci/run, to test against the real server)", env)
	return ""
}

// Unavailable reports a service that is configured but cannot be reached:
// a skip normally, a failure under SESH_REQUIRE_SERVICES=1.
func Unavailable(t testing.TB, what string, err error) {
	t.Helper()
	if os.Getenv(RequireServicesEnv) == "1" {
		t.Fatalf("%s unavailable and %s=1: %v", what, RequireServicesEnv, err)
	}
	t.Skipf("%s unavailable: %v", what, err)
}
