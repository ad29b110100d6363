// Package remix makes sesh share sessions with Remix (v2) and React Router
// (v7) apps: the cookie of createCookieSessionStorage (Configure and
// Signer, a sesh.CookieSealer), the typed cookies of createCookie
// (NewCookie), and the ID cookie and files of createFileSessionStorage and
// createSessionStorage (FileStore, IDCookie, ConfigureIDStorage).
// dynamostore's Arc layout and cfkvstore's Remix layout share
// createArcTableSessionStorage's and createWorkersKVSessionStorage's stores
// with ConfigureIDStorage.
//
// # The cookie
//
// Remix's format: the session's data as JSON, standard base64 (padded),
// then "." and the standard base64 HMAC-SHA256 of that base64 text under
// the first secret, padding stripped; the whole value URL-encoded as
// encodeURIComponent does. Every secret verifies (rotation by trying each).
// The cookie is named __session by default and written in the npm cookie
// package's attribute order; with the same attributes, the line that
// deletes it is Remix's destroySession line byte for byte (an empty value
// and Expires at the epoch, no Max-Age). A Set-Cookie line over 4096 bytes
// fails the commit, on either side.
//
// Signing is not encryption: the client can read a Remix cookie's data,
// only not change it. Go reads only what Remix writes: the payload must be
// the canonical padded standard base64 of valid UTF-8 (Remix's reader also
// takes unpadded or whitespace-laden base64 under a valid signature; no
// Remix writer produces it), and the signature exactly 43 characters.
//
// # Who decides what
//
// Remix's fields, and what each side does with them:
//
//   - Session values (the top-level keys of the data): shared, the same
//     JSON on both sides. In a cookie session the last cookie the browser
//     got wins; in a shared store, the last write (Remix writes without a
//     check; on a store with compare-and-set, the Arc layout, a Go write
//     that lost to another write, Remix's included, is replayed on it).
//   - Flash values: Remix's key, "__flash_<key>__", on both sides. Reading
//     one on either side removes it from that side's next commit.
//   - session.id: "" for a cookie session, in Go (Session.ID) as in Remix:
//     Configure mints no ID, so none is written into the readable cookie.
//     For the ID storages, the store's ID (16 lower-case hex digits for
//     FileStore and the Arc layout), signed in the cookie as a JSON string.
//   - secrets: the same list on both sides, newest first; the first signs.
//     sesh also signs again, on its next response, a cookie that only an
//     older secret verifies (even if the request changed nothing), so
//     rotation completes without waiting for a write; Remix re-signs only
//     what it commits.
//   - name, path, domain, httpOnly, secure, sameSite, priority,
//     partitioned: each side writes its own configuration (sesh.Config's
//     Cookie; of it, Configure sets only the name, when empty, the
//     attribute order and the deletion line's form). Configure both sides
//     alike: the browser keeps the last cookie it got. Mind sesh's secure
//     defaults, which Remix does not share: HttpOnly on (Remix: off) and
//     Secure always (Remix: off).
//   - maxAge: CookieConfig.MaxAge. Remix writes Max-Age only; sesh writes
//     Max-Age and Expires, both never past the session's absolute deadline.
//   - expires (a fixed date, the option Remix warns about):
//     CookieConfig.Expires, written as Expires only, as Remix writes it,
//     never past the session's absolute deadline. Remix's warning has no Go
//     counterpart.
//   - commitSession(session, {maxAge, expires}): sesh.Manager.CommitWith,
//     with Remix's precedence (maxAge, then expires, then the cookie's
//     own), for the cookie and for an ID storage's record (which sesh never
//     lets outlive its idle and absolute deadlines).
//   - destroySession: Manager.Destroy (or Session.Destroy in a handler):
//     the same deletion line, and the record deleted in an ID storage.
//   - The record's expiry in an ID storage (FileStore's "expires", the Arc
//     layout's _ttl): each side writes its own on its writes (Remix: the
//     commit's or the cookie's lifetime; sesh: the idle deadline, or
//     CommitWith's if earlier, never past the absolute one). sesh honours
//     the expiry it reads, whoever wrote it.
//   - "__sesh": sesh's metadata, the one key sesh adds to the data. Remix
//     sees it as one more value and carries it along; a Remix app must
//     leave it alone (sesh refuses to commit a value under that key). It
//     holds only what sesh needs: "c", the creation time (Unix
//     milliseconds, for the absolute timeout; the first-seen time for a
//     session Remix created, see below), and, only when used, "u" and "s"
//     (Session.SetUserID's user and sign-in time, for Config.Revoked), "p"
//     (Session.Persist) and "t" (per-value deadlines of SetTTL). Nothing
//     else: no session ID, no user agent, and no flash bookkeeping (flash
//     values are Remix's keys).
//
// # Timeouts and sessions Remix created
//
// Remix's cookie keeps no expiry, so sesh enforces the absolute timeout on
// a cookie session (from "c") but not the idle timeout, and an unmodified
// request sends no cookie (unless only an older secret verified it). A
// session Remix created carries no "c": sesh records the first-seen time on
// its first Go write (any change, or Touch), and the absolute timeout runs
// from then. A Remix session that Go only reads is never written by Go, so
// it has no first-seen time and Go enforces no absolute timeout on it
// (Remix enforces none either); Meta's Created is zero for it. sesh's
// metadata never makes a session that Remix could write fail to commit: if
// the first-seen time is what would push the cookie past 4096 bytes, the
// cookie is written without it (an Info log line says so), and the session
// again has no absolute timeout until a write that has room for the time.
// Go writes the keys in sorted order, Remix in the order they were set:
// the same data can then escape to a few bytes more or less (each "+" and
// "/" of the base64 text takes three bytes), so a session within a few
// bytes of the limit can fit on one side and not on the other.
//
// Revocation works as for any cookie-only session (Config.Revoked, from "u"
// and "s").
//
// # Typed cookies and secrets
//
// NewCookie is createCookie itself: a typed cookie of one JSON value in
// Remix's format (see its doc for what is shared and what is not).
//
// Remix's secrets are often short. Every constructor that takes secrets
// accepts them at any length and logs a warning for one under MinSecretLen
// bytes; the ...With variants take SecretOptions to silence it. No secret
// at all is an error: sesh sends no unsigned Remix cookie (Remix warns and
// sends one).
package remix
