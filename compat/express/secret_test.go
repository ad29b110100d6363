package express

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/sesh-go/sesh"
)

// TestShortSecretWarning: a secret under 32 bytes is accepted with one
// warning, which never carries the secret; AllowShortSecrets silences it.
func TestShortSecretWarning(t *testing.T) {
	const secret = "keyboard cat"
	long := bytes.Repeat([]byte("k"), MinSecretLen)
	logTo := func(buf *bytes.Buffer) *slog.Logger { return slog.New(slog.NewTextHandler(buf, nil)) }

	var buf bytes.Buffer
	cfg := sesh.Config{}
	if err := ConfigureWith(&cfg, SecretOptions{Logger: logTo(&buf)}, []byte(secret), long, []byte("x")); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Count(out, "\n") != 1 || !strings.Contains(out, "level=WARN") || !strings.Contains(out, `secret_index="[0 2]"`) {
		t.Fatalf("warning: %q", out)
	}
	if strings.Contains(out, "keyboard") || strings.Contains(out, string(long)) {
		t.Fatalf("the warning shows a secret: %q", out)
	}
	// The short secret still works: express's own vector.
	if got := cfg.CookieValue.EncodeID("apple"); got != vectors[0].value {
		t.Fatalf("EncodeID = %q", got)
	}

	buf.Reset()
	if err := ConfigureWith(&sesh.Config{}, SecretOptions{Logger: logTo(&buf), AllowShortSecrets: true}, []byte(secret)); err != nil {
		t.Fatal(err)
	}
	if _, err := NewCookieValueWith(SecretOptions{Logger: logTo(&buf), AllowShortSecrets: true}, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := NewCookieValueWith(SecretOptions{Logger: logTo(&buf)}, long); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 0 {
		t.Fatalf("silenced or long secrets logged %q", buf.String())
	}

	// Configure and NewCookieValue keep their signatures and log to
	// slog.Default.
	prev := slog.Default()
	t.Cleanup(func() { slog.SetDefault(prev) })
	slog.SetDefault(logTo(&buf))
	if err := Configure(&sesh.Config{}, []byte(secret)); err != nil {
		t.Fatal(err)
	}
	if _, err := NewCookieValue([]byte(secret)); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); strings.Count(got, "level=WARN") != 2 || strings.Contains(got, "keyboard") {
		t.Fatalf("default logger: %q", got)
	}
}
