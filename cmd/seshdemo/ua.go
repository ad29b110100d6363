package main

import "strings"

// agent is what the sessions page shows of a User-Agent header: the
// browser, its major version and the operating system. It is a label for
// people, good for the common browsers; it proves nothing (any client can
// send any header).
type agent struct {
	Browser string // "Chrome", "Edge", …, or "" if not recognised
	Version string // major version, digits only; "" if none
	OS      string // "Windows", "macOS", …, or "" if not recognised
}

// String reads "Firefox 126 on Linux", "Safari 17 on iOS", "Chrome on
// Android" (no version), "Unknown browser on Windows" or "Unknown browser".
func (a agent) String() string {
	b := a.Browser
	if b == "" {
		b = "Unknown browser"
	} else if a.Version != "" {
		b += " " + a.Version
	}
	if a.OS != "" {
		b += " on " + a.OS
	}
	return b
}

// maxUA bounds the part of a User-Agent header parseUA reads: real ones are
// well under 512 bytes, and the work stays linear and small whatever comes.
const maxUA = 1024

// browserTokens are looked for in this order: a browser built on another
// one names both (Edge and Opera say "Chrome/…", Chrome says "Safari/…"),
// so the more specific token comes first.
var browserTokens = []struct{ token, name string }{
	{"SamsungBrowser/", "Samsung Internet"},
	{"EdgiOS/", "Edge"},
	{"EdgA/", "Edge"},
	{"Edg/", "Edge"},
	{"Edge/", "Edge"}, // EdgeHTML, before 2020
	{"OPiOS/", "Opera"},
	{"OPT/", "Opera"}, // Opera Touch
	{"OPR/", "Opera"},
	{"Opera Mini/", "Opera"},
	{"FxiOS/", "Firefox"},
	{"Firefox/", "Firefox"},
	{"CriOS/", "Chrome"},
	{"HeadlessChrome/", "Headless Chrome"},
	{"Chrome/", "Chrome"},
}

// parseUA reads a User-Agent header. It never fails: what it does not
// recognise it leaves empty.
func parseUA(ua string) agent {
	if len(ua) > maxUA {
		ua = ua[:maxUA]
	}
	var a agent
	a.OS = parseOS(ua)
	for _, bt := range browserTokens {
		if i := strings.Index(ua, bt.token); i >= 0 {
			a.Browser, a.Version = bt.name, major(ua[i+len(bt.token):])
			return a
		}
	}
	switch {
	case strings.HasPrefix(ua, "Opera/"): // Presto: "Opera/9.80 (…) Presto/2.12 Version/12.16"
		a.Browser = "Opera"
		if i := strings.Index(ua, "Version/"); i >= 0 {
			a.Version = major(ua[i+len("Version/"):])
		} else {
			a.Version = major(ua[len("Opera/"):])
		}
	case strings.Contains(ua, "Safari/") && (a.OS == "macOS" || a.OS == "iOS" || a.OS == "iPadOS"):
		// Safari says "Version/17.4 Safari/605.1.15"; an app's web view
		// on iOS says neither, and stays unknown.
		a.Browser = "Safari"
		if i := strings.Index(ua, "Version/"); i >= 0 {
			a.Version = major(ua[i+len("Version/"):])
		}
	}
	return a
}

// parseOS names the operating system of a User-Agent header, or "".
// iPadOS in its default desktop mode sends a macOS header: only script could
// tell them apart, so such an iPad reads as macOS.
func parseOS(ua string) string {
	switch {
	case strings.Contains(ua, "iPad"):
		return "iPadOS"
	case strings.Contains(ua, "iPhone") || strings.Contains(ua, "iPod"):
		return "iOS"
	case strings.Contains(ua, "Android"): // before Linux: Android says "Linux; Android 14"
		return "Android"
	case strings.Contains(ua, "CrOS"): // before Linux: "X11; CrOS x86_64"
		return "ChromeOS"
	case strings.Contains(ua, "Windows"):
		return "Windows"
	case strings.Contains(ua, "Macintosh") || strings.Contains(ua, "Mac OS X"):
		return "macOS"
	case strings.Contains(ua, "Linux") || strings.Contains(ua, "X11"):
		return "Linux"
	}
	return ""
}

// major returns the leading digits of s (at most 4), as in "126.0" → "126".
func major(s string) string {
	n := 0
	for n < len(s) && n < 4 && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	if n < len(s) && s[n] >= '0' && s[n] <= '9' {
		return "" // more than 4 digits: not a version
	}
	return s[:n]
}
