package main

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// uaCases are real User-Agent headers of the common browsers, with what the
// sessions page should show for each.
var uaCases = []struct{ ua, want string }{
	// Chrome
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", "Chrome 124 on Windows"},
	{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", "Chrome 124 on macOS"},
	{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", "Chrome 124 on Linux"},
	{"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36", "Chrome 124 on Android"},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1", "Chrome 124 on iOS"},
	{"Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1", "Chrome 124 on iPadOS"},
	{"Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", "Chrome 124 on ChromeOS"},
	{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36", "Headless Chrome 156 on Linux"},
	// Edge
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80", "Edge 124 on Windows"},
	{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80", "Edge 124 on macOS"},
	{"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36 EdgA/124.0.2478.64", "Edge 124 on Android"},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 EdgiOS/124.2478.71 Mobile/15E148 Safari/605.1.15", "Edge 124 on iOS"},
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.102 Safari/537.36 Edge/18.19045", "Edge 18 on Windows"},
	// Firefox
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:126.0) Gecko/20100101 Firefox/126.0", "Firefox 126 on Windows"},
	{"Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:126.0) Gecko/20100101 Firefox/126.0", "Firefox 126 on macOS"},
	{"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0", "Firefox 126 on Linux"},
	{"Mozilla/5.0 (Android 14; Mobile; rv:126.0) Gecko/126.0 Firefox/126.0", "Firefox 126 on Android"},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/126.0 Mobile/15E148 Safari/605.1.15", "Firefox 126 on iOS"},
	// Safari
	{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15", "Safari 17 on macOS"},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1", "Safari 17 on iOS"},
	{"Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1", "Safari 17 on iPadOS"},
	{"Mozilla/5.0 (iPod touch; CPU iPhone OS 12_5_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/12.1.2 Mobile/15E148 Safari/604.1", "Safari 12 on iOS"},
	// Opera
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 OPR/110.0.0.0", "Opera 110 on Windows"},
	{"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36 OPR/82.0.4258.79320", "Opera 82 on Android"},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 OPT/4.6.1 Mobile/15E148 Safari/604.1", "Opera 4 on iOS"},
	{"Opera/9.80 (Windows NT 6.1; WOW64) Presto/2.12.388 Version/12.18", "Opera 12 on Windows"},
	{"Opera/9.80 (J2ME/MIDP; Opera Mini/5.1.21214/28.2725; U; ru) Presto/2.8.119 Version/11.10", "Opera 5"},
	// Samsung Internet
	{"Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36", "Samsung Internet 24 on Android"},
	{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Safari/537.36", "Samsung Internet 24 on Linux"},
	// Unknown browsers, known or unknown systems
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148", "Unknown browser on iOS"},
	{"Mozilla/5.0 (Linux; U; Android 4.0.3; ko-kr; LG-L160L Build/IML74K) AppleWebKit/534.30 (KHTML, like Gecko) Version/4.0 Mobile Safari/534.30", "Unknown browser on Android"},
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Safari/537.36", "Unknown browser on Windows"},
	{"curl/8.5.0", "Unknown browser"},
	{"Go-http-client/1.1", "Unknown browser"},
	{"", "Unknown browser"},
	{"laptop-browser", "Unknown browser"},
	// Versions that are not one
	{"Mozilla/5.0 (Windows NT 10.0) Chrome/", "Chrome on Windows"},
	{"Mozilla/5.0 (Windows NT 10.0) Firefox/123456.0", "Firefox on Windows"},
	{"Mozilla/5.0 (Windows NT 10.0) Firefox/x1", "Firefox on Windows"},
}

func TestParseUA(t *testing.T) {
	for _, c := range uaCases {
		if got := parseUA(c.ua).String(); got != c.want {
			t.Errorf("parseUA(%q) = %q, want %q", c.ua, got, c.want)
		}
	}
}

// TestParseUAReadsABoundedPrefix: a huge header costs no more than its
// first maxUA bytes, and a token past them is not seen.
func TestParseUAReadsABoundedPrefix(t *testing.T) {
	ua := "Mozilla/5.0 (Windows NT 10.0) " + strings.Repeat("x", 2*maxUA) + " Firefox/126.0"
	if got := parseUA(ua).String(); got != "Unknown browser on Windows" {
		t.Fatalf("parseUA(long) = %q", got)
	}
}

var (
	knownBrowsers = map[string]bool{"": true, "Chrome": true, "Headless Chrome": true, "Edge": true, "Firefox": true,
		"Safari": true, "Opera": true, "Samsung Internet": true}
	knownOSes = map[string]bool{"": true, "Windows": true, "macOS": true, "iOS": true, "iPadOS": true, "Android": true,
		"Linux": true, "ChromeOS": true}
)

// FuzzParseUA: whatever a client sends, the parser returns one of the names
// it knows and a version of at most four digits, so the page never shows
// text of the client's choosing (the raw header goes only to an escaped
// tooltip).
func FuzzParseUA(f *testing.F) {
	for _, c := range uaCases {
		f.Add(c.ua)
	}
	f.Add("Opera/")
	f.Add("Opera/9999999")
	f.Add("Version/1 Safari/1 iPad")
	f.Add(strings.Repeat("Chrome/", 300))
	f.Fuzz(func(t *testing.T, ua string) {
		a := parseUA(ua)
		if !knownBrowsers[a.Browser] || !knownOSes[a.OS] {
			t.Fatalf("parseUA(%q) = %+v: a name it does not know", ua, a)
		}
		if len(a.Version) > 4 || strings.Trim(a.Version, "0123456789") != "" {
			t.Fatalf("parseUA(%q): version %q", ua, a.Version)
		}
		s := a.String()
		if s == "" || !utf8.ValidString(s) || (a.Browser == "" && !strings.HasPrefix(s, "Unknown browser")) {
			t.Fatalf("parseUA(%q).String() = %q", ua, s)
		}
		if parseUA(ua) != a {
			t.Fatalf("parseUA(%q) is not deterministic", ua)
		}
	})
}
