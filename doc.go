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
//		s.SetUserID("alice")    // new ID on sign-in (no fixation); lists and ends alice's sessions
//		s.Set("user", "alice")  // a JSON snapshot, checked now
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
// The cookie is Secure and named __Host-session by default (Chromium keeps
// Secure cookies on http://localhost too), HttpOnly and SameSite=Lax.
//
// The middleware commits before the first byte of the response, so the
// Set-Cookie is always in the headers; it sends exactly one Set-Cookie for
// the session, `Vary: Cookie` on responses that used the session,
// `Cache-Control: no-store` on responses that set the cookie and
// `Cache-Control: private, no-store` on other responses that loaded a live
// session, unless the handler set its own.
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
// With a store that implements Swapper (memstore, filestore, sqlitestore,
// redisstore, pgstore, mysqlstore, natsstore, memcachestore, dynamostore),
// concurrent requests on one session keep every key each of them sets: a
// commit that loses the compare-and-set re-reads the record and replays its
// own changes. A read-modify-write is exact with Update, whose function runs
// again on the fresh value at each replay; a Set of a value computed from a
// Get is replayed as the value, so the later commit wins. Config.Serialize
// makes the requests of one session take turns (a lease in the store), so a
// plain Set is exact too.
//
// A request that loaded a session before another request destroyed it does
// not bring it back, and a Regenerate racing a destroy loses. A request still
// in flight with the cookie of a session that a sign-in just regenerated
// leaves the new cookie alone (its changes are dropped). When requests keep
// colliding, the commit fails with a *ConflictError (ErrConflict) and the
// middleware answers 503 with Retry-After; nothing was saved.
//
// With a store without compare-and-set (cfkvstore, redisstore/connectredis,
// pgstore/connectpg, compat/remix's FileStore, StoreFuncs) the whole session
// is last-writer-wins, Update is Set, and a save racing a Destroy can bring
// the session back. README's Concurrency section has the table per store.
//
// # Cross-site request forgery
//
// The session cookie is SameSite=Lax by default: browsers do not send it on
// a cross-site POST, PUT or DELETE, so a forged form on another site arrives
// without a session. That is the first line. The second is
// http.CrossOriginProtection (Go 1.25), which rejects non-safe cross-origin
// requests by their Sec-Fetch-Site and Origin headers, whatever cookies
// they carry: wrap the Manager's handler in it (see the example of
// Manager.Handler with CrossOriginProtection). SameSite=None cookies (for
// embedding in other sites) rely on the second line alone. sesh issues no
// CSRF tokens.
//
// # Failures
//
// Store errors fail closed: the ErrorHandler answers (500 by default; 503
// for a *ConflictError, 413 for a session over Config.MaxSize), the
// handler's response is not sent, and the client's cookie is left alone.
// The middleware logs each failure once, with what to do about it. Every
// store call is bounded by the request's context.
package sesh
