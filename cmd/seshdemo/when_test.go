package main

import (
	"testing"
	"time"
)

func TestRelTime(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{0, "just now"},
		{-59 * time.Second, "just now"},
		{30 * time.Second, "in less than a minute"},
		{-time.Minute, "1 minute ago"},
		{-(2*time.Minute + 29*time.Second), "2 minutes ago"},
		{-(2*time.Minute + 30*time.Second), "3 minutes ago"},
		{29*time.Minute + 59*time.Second, "in 30 minutes"},
		{-(59*time.Minute + 29*time.Second), "59 minutes ago"},
		{-(59*time.Minute + 30*time.Second), "1 hour ago"},
		{time.Hour, "in 1 hour"},
		{11*time.Hour + 29*time.Minute, "in 11 hours"},
		{11*time.Hour + 59*time.Minute, "in 12 hours"},
		{-(23*time.Hour + 29*time.Minute), "23 hours ago"},
		{-(23*time.Hour + 30*time.Minute), "1 day ago"},
		{-36 * time.Hour, "2 days ago"},
		{30 * 24 * time.Hour, "in 30 days"},
	} {
		if got := relTime(now.Add(c.d), now); got != c.want {
			t.Errorf("relTime(now%+v) = %q, want %q", c.d, got, c.want)
		}
	}
}

func TestDurationWords(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Minute: "1 minute", 30 * time.Minute: "30 minutes", 90 * time.Minute: "90 minutes",
		12 * time.Hour: "12 hours", 48 * time.Hour: "2 days", 36 * time.Hour: "36 hours",
		45 * time.Second: "45 seconds", 1500 * time.Millisecond: "1.5s",
	} {
		if got := durationWords(d); got != want {
			t.Errorf("durationWords(%v) = %q, want %q", d, got, want)
		}
	}
}
