// Package sesh provides HTTP sessions for net/http: server-side sessions
// over a pluggable Store, with middleware that saves them for you
// (express-session's style), an explicit load/commit API (Remix's style) and
// lazy loading (Astro's style).
//
// # Quick start
//
//	store := memstore.New(memstore.Options{})
//	defer store.Close()
//	m, err := sesh.New(sesh.Config{Store: store})
//	if err != nil { … }
//	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
//		s := sesh.From(r.Context())
//		s.Regenerate()          // new ID on sign-in: no session fixation
//		s.Set("user", "alice")  // a JSON snapshot, checked now
//		s.SetUserID("alice")    // lets you list and end alice's sessions
//	})
//	http.ListenAndServe(addr, m.Handler(mux))
//
// Reads are typed with generics and need no registration:
//
//	user, ok := sesh.Get[User](s, "user")
//
// # What happens on the wire
//
// The cookie carries only the session ID: 32 bytes from crypto/rand in
// base64url. An ID that is malformed never reaches the store; an ID the
// store does not know is never adopted (a fresh one is minted when the
// session is first saved). The store key is the SHA-256 of the ID, so a
// dump of the store holds no usable cookie.
//
// The middleware commits before the first byte of the response, so the
// Set-Cookie is always in the headers; it sends exactly one Set-Cookie for
// the session, `Vary: Cookie` on responses that used the session and
// `Cache-Control: no-store` on responses that set the cookie.
//
// # Lifetimes
//
// Every session has an idle timeout (default 30 minutes, enforced by the
// store record's expiry) and an absolute timeout (default 12 hours from
// creation, checked on every load; Regenerate does not reset it). The cookie
// is a browser-session cookie unless CookieConfig.MaxAge or Session.Persist
// asks for a persistent one.
//
// # Concurrency
//
// With a store that implements Swapper (memstore, filestore and the server
// stores), concurrent requests on one session do not lose each other's
// changes: a commit that loses the compare-and-set re-reads the record and
// replays its own changes. When two requests change the same key, the later
// commit wins. A request that loaded a session before another request
// destroyed it does not bring it back. With a plain Store the last write
// wins.
//
// # Failures
//
// Store errors fail closed: the ErrorHandler answers (500 by default), the
// handler's response is not sent, and the client's cookie is left alone.
// Every store call is bounded by the request's context.
package sesh
