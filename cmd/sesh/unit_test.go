package main

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sesh-go/sesh"
)

func TestRedactURL(t *testing.T) {
	for raw, want := range map[string]string{
		"redis://:pw@h:6379/0":                         "redis://:xxxxx@h:6379/0",
		"postgres://u:pw@h/db?sslmode=disable":         "postgres://u:xxxxx@h/db?sslmode=disable",
		"postgres://u@h/db?password=pw&table=t":        "postgres://u@h/db?password=xxxxx&table=t",
		"cfkv://:tok@acct/ns?token_env=X":              "cfkv://:xxxxx@acct/ns?token_env=xxxxx",
		"file:///var/lib/s":                            "file:///var/lib/s",
		"dynamodb://t?region=r&endpoint=http://x:8000": "dynamodb://t?endpoint=http%3A%2F%2Fx%3A8000&region=r",
	} {
		if got := redactURL(raw); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", raw, got, want)
		}
	}
}

func TestHideKey(t *testing.T) {
	key := sesh.HashID("some session id")
	cause := errors.New("boom")
	err := hideKey(key, fmt.Errorf("filestore: open /var/lib/s/%s/%s: %w; also %s", key[:4], key[4:], cause, key))
	if strings.Contains(err.Error(), key[4:]) || strings.Contains(err.Error(), key) {
		t.Fatalf("key left in %q", err)
	}
	if !strings.Contains(err.Error(), sesh.Handle(key)) || !errors.Is(err, cause) {
		t.Fatalf("hideKey lost the handle or the cause: %v", err)
	}
	if hideKey(key, nil) != nil {
		t.Fatal("hideKey(nil) != nil")
	}
}

func TestWithPool(t *testing.T) {
	for raw, want := range map[string]string{
		"postgres://u@h/db?sslmode=disable":  "postgres://u@h/db?pool_max_conns=7&sslmode=disable",
		"postgres://u@h/db?pool_max_conns=2": "postgres://u@h/db?pool_max_conns=2",
		"connectpg://u@h/db":                 "connectpg://u@h/db?pool_max_conns=7",
		"redis://h:6379/0":                   "redis://h:6379/0",
		"mysql://root@h/db":                  "mysql://root@h/db",
	} {
		if got := withPool(raw, 7); got != want {
			t.Errorf("withPool(%q) = %q, want %q", raw, got, want)
		}
	}
}

func TestParseInterleaved(t *testing.T) {
	fs, o := newFlagSet(findCommand("ls"), &strings.Builder{})
	pos, err := parseInterleaved(fs, []string{"--json", "URL", "--user", "u", "--limit", "3", "--", "--not-a-flag"})
	if err != nil || strings.Join(pos, " ") != "URL --not-a-flag" || !o.json || o.user != "u" || o.limit != 3 {
		t.Fatalf("pos %q, opts %+v, err %v", pos, o, err)
	}
}
