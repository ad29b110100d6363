package storetest

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
)

// TestReference runs the suite against a plain, correct store that has
// every capability, Creator included: every subtest must pass.
func TestReference(t *testing.T) {
	Run(t, func(t *testing.T) sesh.Store { return newNaive() })
}

// TestReferenceCoarse runs the suite as a store that keeps whole seconds
// would: it must still pass (and takes a little longer).
func TestReferenceCoarse(t *testing.T) {
	if testing.Short() {
		t.Skip("slow with a one-second precision; skipped in -short mode")
	}
	RunWith(t, func(t *testing.T) sesh.Store { return newNaive() }, Options{Precision: time.Second})
}

// mutants pairs each planted bug with the subtest that must catch it.
var mutants = []struct {
	bug     string
	subtest string // path under TestMutant
}{
	{"noExpiryCheck", "Expiry/AlreadyPast"},
	{"zeroIsForever", "Expiry/AlreadyPast"},
	{"lateExpiry", "Expiry/Short"},
	{"aliases", "SetGet/DataIsCopied"},
	{"caseInsensitive", "Keys/CaseSensitive"},
	{"acceptsInvalidKeys", "Keys/Invalid/DotDotSlash"},
	{"sanitizesKeys", "Keys/Invalid/Slash"},
	{"ignoresCtx", "Context/Canceled"},
	{"deleteIgnoresCtx", "Context/DeadlineExceeded"},
	{"touchBumpsVersion", "Toucher/Extend"},
	{"setKeepsVersion", "Swapper/SetChangesVersion"},
	{"resurrects", "Swapper/AfterDelete"},
	{"racySwap", "Swapper/NoLostUpdate"},
	{"rangeSeesExpired", "Lister/Range"},
	{"rangeIgnoresStop", "Lister/EarlyStop"},
	{"rangeHoldsLock", "Lister/CallbackMayUseStore"},
	{"createReusesKeys", "Creator"},
	{"userPrefixMatch", "UserIndex/ByUser"},
}

// TestSuiteCatchesBugs runs the suite against stores with one planted bug
// each, in a child process, and checks that the expected subtest fails:
// the suite's assertions are real.
func TestSuiteCatchesBugs(t *testing.T) {
	if os.Getenv("STORETEST_MUTANT") != "" {
		t.Skip("inside a mutant run")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mutants {
		t.Run(m.bug, func(t *testing.T) {
			t.Parallel()
			pattern := "^TestMutant$"
			for _, part := range strings.Split(m.subtest, "/") {
				pattern += "/^" + part + "$"
			}
			cmd := exec.CommandContext(t.Context(), exe, "-test.run="+pattern, "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), "STORETEST_MUTANT="+m.bug)
			out, err := cmd.CombinedOutput()
			want := "--- FAIL: TestMutant/" + m.subtest
			if err == nil || !strings.Contains(string(out), want) {
				t.Fatalf("the suite did not catch bug %q in %s (exit: %v); output:\n%s", m.bug, m.subtest, err, out)
			}
		})
	}
}

// TestMutant is run by TestSuiteCatchesBugs in a child process.
func TestMutant(t *testing.T) {
	bug := os.Getenv("STORETEST_MUTANT")
	if bug == "" {
		t.Skip("run by TestSuiteCatchesBugs with STORETEST_MUTANT set")
	}
	if bug == "rangeHoldsLock" {
		callbackBound = 300 * time.Millisecond
	}
	Run(t, func(t *testing.T) sesh.Store { return newNaive(bug) })
}

func TestServiceRequired(t *testing.T) {
	t.Setenv("SESH_TEST_NO_SUCH_SERVICE", "")
	t.Setenv(RequireServicesEnv, "1")
	ft := &fakeTB{TB: t}
	func() {
		defer func() { recover() }()
		Service(ft, "SESH_TEST_NO_SUCH_SERVICE")
	}()
	if !ft.failed || ft.skipped {
		t.Fatalf("missing service under %s=1: failed=%v skipped=%v, want a failure", RequireServicesEnv, ft.failed, ft.skipped)
	}
	t.Setenv(RequireServicesEnv, "")
	ft = &fakeTB{TB: t}
	func() {
		defer func() { recover() }()
		Service(ft, "SESH_TEST_NO_SUCH_SERVICE")
	}()
	if ft.failed || !ft.skipped {
		t.Fatalf("missing service: failed=%v skipped=%v, want a skip", ft.failed, ft.skipped)
	}
	t.Setenv("SESH_TEST_NO_SUCH_SERVICE", "redis://x")
	if got := Service(t, "SESH_TEST_NO_SUCH_SERVICE"); got != "redis://x" {
		t.Fatalf("Service = %q", got)
	}
}

// fakeTB records Fatalf and Skipf instead of ending the test; both panic
// to stop the caller, as runtime.Goexit would.
type fakeTB struct {
	testing.TB
	failed, skipped bool
}

func (f *fakeTB) Helper()               {}
func (f *fakeTB) Fatalf(string, ...any) { f.failed = true; panic("fatal") }
func (f *fakeTB) Skipf(string, ...any)  { f.skipped = true; panic("skip") }
