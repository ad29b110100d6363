package dynamostore

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/internal/alloctest"
)

// Allocation bound of sesh.Open under a cancelled context, for URLs up to
// 64 KB: the URL's parts, errors that hold the part at fault twice, quoted
// with %q (a byte \xff becomes 4, in fmt's buffer, which doubles as it
// grows) and in the redacted URL sesh.Open adds (escaped: 3 bytes per
// byte), and, for a URL that passes every check, the AWS SDK's
// configuration and client: about 1.7 MB, whatever the URL, in the
// constant. Measured worst: 53 per byte (a table name of 64 KB of \xff);
// k = 96.
const (
	openAllocK = 96
	openAllocC = 2560 << 10
)

// FuzzOpenURL: openURL checks the URL and the options, loads the AWS
// configuration, builds the client and checks the table with DescribeTable,
// in one function. The target runs it under a cancelled context, with
// static credentials in the environment, no shared configuration files
// and the EC2 metadata service off, so that nothing is asked of the
// network: the SDK finds its credentials in the environment, and its HTTP
// transport returns the context's error before it dials. sesh.Open never
// panics, never returns a store, fails on the URL or with the context's
// error, and allocates within openAllocK bytes per byte.
func FuzzOpenURL(f *testing.F) {
	f.Setenv("AWS_ACCESS_KEY_ID", "AKIDFUZZ")
	f.Setenv("AWS_SECRET_ACCESS_KEY", "fuzz")
	f.Setenv("AWS_SESSION_TOKEN", "")
	f.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	f.Setenv("AWS_CONFIG_FILE", "/nonexistent/aws/config")
	f.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws/credentials")
	f.Setenv("AWS_PROFILE", "")
	f.Setenv("AWS_REGION", "")
	f.Setenv("AWS_DEFAULT_REGION", "")
	for _, s := range []string{"dynamodb://sessions?region=us-east-1", "dynamodb://sessions?region=us-east-1&endpoint=http://127.0.0.1:4567",
		"dynamodb://sessions?region=eu-west-1&layout=arc&idx=_idx&ttl=_ttl&prefix=app:&index=user", "dynamodb://sessions",
		"dynamodb://sessions?region=us-east-1&layout=x", "dynamodb://sessions?region=us-east-1&endpoint=ftp://h",
		"dynamodb://sessions?region=us-east-1&bogus=1", "dynamodb://sessions?region=", "dynamodb://u@sessions?region=r",
		"dynamodb://sessions:1?region=r", "dynamodb://sessions/x?region=r", "dynamodb://ab?region=r", "dynamodb://sessions?region=r&prefix=a%20b",
		"dynamodb://sessions?region=r&region=s", "dynamodb://sessions?region=r#f", "dynamodb:opaque",
		// 64 KB: a table name %q escapes, a long region, a long endpoint.
		"dynamodb://" + strings.Repeat("\xff", 64<<10-20), "dynamodb://sessions?region=" + strings.Repeat("a", 64<<10-40),
		"dynamodb://sessions?region=us-east-1&endpoint=http://" + strings.Repeat("a", 64<<10-80)} {
		f.Add(s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := url.Parse(raw)
		if err != nil || u.Scheme != "dynamodb" {
			return // sesh.Open's own parsing is FuzzOpen's, in the root module
		}
		st, err := sesh.Open(ctx, raw)
		if st != nil || err == nil {
			t.Fatalf("Open(%.200q) under a cancelled context = %v, %v", raw, st, err)
		}
		if errors.Is(err, context.Canceled) && (u.User != nil || u.Port() != "" || u.Fragment != "" || !u.Query().Has("region")) {
			t.Fatalf("Open(%.200q) got as far as DescribeTable: %.200v", raw, err)
		}
		alloctest.Check(t, "Open", len(raw), openAllocK, openAllocC, func() { sesh.Open(ctx, raw) })
	})
}
