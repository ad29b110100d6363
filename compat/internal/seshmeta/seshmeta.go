// Package seshmeta is the one encoding of sesh's session metadata that the
// compat codecs carry inside a peer's record, under the "__sesh" property
// the peers pass along untouched.
package seshmeta

import (
	"time"

	"github.com/sesh-go/sesh"
)

// Key is the property (or Map entry) that holds the metadata.
const Key = "__sesh"

// Meta is sesh.Data's metadata in JSON: times in Unix milliseconds, empty
// members left out.
type Meta struct {
	I string           `json:"i,omitempty"` // Data.ID (cookie-only sessions)
	C int64            `json:"c,omitempty"` // Created
	U string           `json:"u,omitempty"` // UserID
	S int64            `json:"s,omitempty"` // SignedIn
	A string           `json:"a,omitempty"` // UserAgent
	P int64            `json:"p,omitempty"` // Persist
	N int64            `json:"n,omitempty"` // AuthTime
	R bool             `json:"r,omitempty"` // Restored
	T map[string]int64 `json:"t,omitempty"` // Deadlines
}

// From collects d's metadata.
func From(d *sesh.Data) Meta {
	m := Meta{I: d.ID, U: d.UserID, A: d.UserAgent, P: d.Persist.Milliseconds()}
	if !d.Created.IsZero() {
		m.C = d.Created.UnixMilli()
	}
	if !d.SignedIn.IsZero() {
		m.S = d.SignedIn.UnixMilli()
	}
	if !d.AuthTime.IsZero() {
		m.N = d.AuthTime.UnixMilli()
	}
	m.R = d.Restored
	if len(d.Deadlines) > 0 {
		m.T = make(map[string]int64, len(d.Deadlines))
		for k, t := range d.Deadlines {
			m.T[k] = t.UnixMilli()
		}
	}
	return m
}

// Empty reports whether m holds nothing (and so need not be written).
func (m Meta) Empty() bool {
	return m.I == "" && m.C == 0 && m.U == "" && m.S == 0 && m.A == "" && m.P == 0 && m.N == 0 && !m.R && len(m.T) == 0
}

// Apply sets the members of d that m holds; members m lacks keep d's value.
func (m Meta) Apply(d *sesh.Data) {
	if m.I != "" {
		d.ID = m.I
	}
	if m.C != 0 {
		d.Created = time.UnixMilli(m.C)
	}
	if m.U != "" {
		d.UserID = m.U
	}
	if m.S != 0 {
		d.SignedIn = time.UnixMilli(m.S)
	}
	if m.A != "" {
		d.UserAgent = m.A
	}
	if m.N != 0 {
		d.AuthTime = time.UnixMilli(m.N)
	}
	if m.R {
		d.Restored = true
	}
	if m.P != 0 {
		d.Persist = time.Duration(m.P) * time.Millisecond
	}
	if len(m.T) > 0 {
		d.Deadlines = make(map[string]time.Time, len(m.T))
		for k, ms := range m.T {
			d.Deadlines[k] = time.UnixMilli(ms)
		}
	}
}
