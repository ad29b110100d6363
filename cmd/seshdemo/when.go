package main

import (
	"strconv"
	"time"
)

// relTime says how far t is from now in words: "just now", "2 minutes ago",
// "in 11 hours", "3 days ago". It rounds to the nearest unit (2 minutes 40
// seconds ago is "3 minutes ago", 11 hours 59 minutes ahead is "in 12
// hours"); under a minute is "just now" in the past and "in less than a
// minute" in the future.
func relTime(t, now time.Time) string {
	d := t.Sub(now)
	future := d > 0
	if !future {
		d = -d
	}
	if d < time.Minute {
		if future {
			return "in less than a minute"
		}
		return "just now"
	}
	words := roughWords(d)
	if future {
		return "in " + words
	}
	return words + " ago"
}

// roughWords writes d, a minute or more, rounded to the nearest minute under
// an hour, hour under a day, and day beyond.
func roughWords(d time.Duration) string {
	if m := d.Round(time.Minute) / time.Minute; m < 60 {
		return plural(int64(m), "minute")
	}
	if h := d.Round(time.Hour) / time.Hour; h < 24 {
		return plural(int64(h), "hour")
	}
	return plural(int64(d.Round(24*time.Hour)/(24*time.Hour)), "day")
}

// durationWords writes d exactly in the largest unit that divides it: "30
// minutes", "90 minutes", "12 hours", "30 days", "45 seconds".
func durationWords(d time.Duration) string {
	for _, u := range []struct {
		d    time.Duration
		name string
	}{{24 * time.Hour, "day"}, {time.Hour, "hour"}, {time.Minute, "minute"}, {time.Second, "second"}} {
		if d >= u.d && d%u.d == 0 {
			return plural(int64(d/u.d), u.name)
		}
	}
	return d.String()
}

func plural(n int64, unit string) string {
	s := strconv.FormatInt(n, 10) + " " + unit
	if n != 1 {
		s += "s"
	}
	return s
}
