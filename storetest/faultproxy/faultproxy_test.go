package faultproxy

import (
	"bufio"
	"net"
	"testing"
	"time"
)

// echoServer answers each line with the same line.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					l, err := r.ReadString('\n')
					if err != nil {
						return
					}
					c.Write([]byte(l))
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func roundTrip(addr string, timeout time.Duration) error {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return err
	}
	_, err = bufio.NewReader(c).ReadString('\n')
	return err
}

func TestCutRestoreSlow(t *testing.T) {
	p, err := New(echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := roundTrip(p.Addr(), time.Second); err != nil {
		t.Fatalf("through the proxy: %v", err)
	}
	// A connection open across a cut dies.
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p.Cut()
	c.SetDeadline(time.Now().Add(time.Second))
	c.Write([]byte("x\n"))
	if _, err := bufio.NewReader(c).ReadString('\n'); err == nil {
		t.Fatal("connection survived Cut")
	}
	if err := roundTrip(p.Addr(), 300*time.Millisecond); err == nil {
		t.Fatal("new connection served while cut")
	}
	p.Restore()
	if err := roundTrip(p.Addr(), time.Second); err != nil {
		t.Fatalf("after Restore: %v", err)
	}
	p.Slow(400 * time.Millisecond)
	if err := roundTrip(p.Addr(), 200*time.Millisecond); err == nil {
		t.Fatal("slow proxy answered within 200ms")
	}
	p.Restore()
	if err := roundTrip(p.Addr(), time.Second); err != nil {
		t.Fatalf("after Slow+Restore: %v", err)
	}
}
