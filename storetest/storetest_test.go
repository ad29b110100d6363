package storetest

import (
	"fmt"
	"net"
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

// TestServiceProbesLocalDefault: with its variable unset, Service uses a
// service's default local address when a TCP dial to it succeeds, and
// otherwise skips (fails under SESH_REQUIRE_SERVICES=1) naming the
// variable.
func TestServiceProbesLocalDefault(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close() // nothing listens there now
	localServices["SESH_TEST_PROBE_UP"] = localService{"up://" + l.Addr().String(), l.Addr().String()}
	localServices["SESH_TEST_PROBE_DOWN"] = localService{"down://" + closedAddr, closedAddr}
	t.Cleanup(func() {
		delete(localServices, "SESH_TEST_PROBE_UP")
		delete(localServices, "SESH_TEST_PROBE_DOWN")
	})
	t.Setenv("SESH_TEST_PROBE_UP", "")
	t.Setenv("SESH_TEST_PROBE_DOWN", "")
	t.Setenv(RequireServicesEnv, "1")

	if got := Service(t, "SESH_TEST_PROBE_UP"); got != "up://"+l.Addr().String() {
		t.Fatalf("Service with the default address answering = %q, want it", got)
	}
	ft := &fakeTB{TB: t}
	func() {
		defer func() { recover() }()
		Service(ft, "SESH_TEST_PROBE_DOWN")
	}()
	if !ft.failed || !strings.Contains(ft.msg, "SESH_TEST_PROBE_DOWN") || !strings.Contains(ft.msg, closedAddr) {
		t.Fatalf("nothing at the default address under %s=1: failed=%v msg=%q, want a failure naming the variable and the address", RequireServicesEnv, ft.failed, ft.msg)
	}
	t.Setenv(RequireServicesEnv, "")
	ft = &fakeTB{TB: t}
	func() {
		defer func() { recover() }()
		Service(ft, "SESH_TEST_PROBE_DOWN")
	}()
	if !ft.skipped || !strings.Contains(ft.msg, "SESH_TEST_PROBE_DOWN") {
		t.Fatalf("nothing at the default address: skipped=%v msg=%q, want a skip naming the variable", ft.skipped, ft.msg)
	}
	t.Setenv("SESH_TEST_PROBE_DOWN", "set://x")
	if got := Service(t, "SESH_TEST_PROBE_DOWN"); got != "set://x" {
		t.Fatalf("Service with the variable set = %q, want its value", got)
	}
}

// TestEngine: one line in the fixed format the summary of make test
// parses, logged once per distinct engine.
func TestEngine(t *testing.T) {
	ft := &fakeTB{TB: t}
	name := fmt.Sprintf("TestEngine%d", time.Now().UnixNano()) // not yet logged by this binary
	Engine(ft, name, "7.0.15", "127.0.0.1:6379")
	Engine(ft, name, "7.0.15", "127.0.0.1:6379")
	Engine(ft, name+"b", "", "in-process")
	Engine(ft, name+"c", "3.46.0\n", "in-process (modernc.org/sqlite)")
	want := []string{
		EngineMarker + name + " 7.0.15 at 127.0.0.1:6379",
		EngineMarker + name + "b, in-process",
		EngineMarker + name + "c 3.46.0, in-process (modernc.org/sqlite)",
	}
	if strings.Join(ft.logs, "|") != strings.Join(want, "|") {
		t.Fatalf("Engine logged %q, want %q", ft.logs, want)
	}
}

// fakeTB records Fatalf and Skipf instead of ending the test; both panic
// to stop the caller, as runtime.Goexit would. It records Log's lines.
type fakeTB struct {
	testing.TB
	failed, skipped bool
	msg             string
	logs            []string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failed, f.msg = true, fmt.Sprintf(format, args...)
	panic("fatal")
}
func (f *fakeTB) Skipf(format string, args ...any) {
	f.skipped, f.msg = true, fmt.Sprintf(format, args...)
	panic("skip")
}
func (f *fakeTB) Log(args ...any) { f.logs = append(f.logs, fmt.Sprint(args...)) }
