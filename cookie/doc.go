// Package cookie is sesh's wire layer: it reads Cookie headers, writes
// Set-Cookie headers, signs and seals values. It knows nothing of
// sessions.
//
// Reading follows what servers must tolerate (RFC 6265bis §4.2): several
// Cookie header lines, quoted values, percent-encoded values; names are
// matched byte for byte and every value of a name is returned, so the
// caller tries each and the first that verifies wins (a cookie tossed from a
// sibling domain can come first).
//
// Writing validates at construction what browsers would otherwise drop in
// silence (a name that is not a token, SameSite=None or Partitioned without
// Secure, the __Host- and __Secure- prefix rules in any letter case,
// attribute values with ';' or control characters), and writes attributes
// in a caller-chosen order, so a Go service can emit byte-identical headers
// to a Node peer's.
//
// Signer (HMAC-SHA256, rotation) protects values the client may read;
// Sealer (XChaCha20-Poly1305 with key IDs, rotation and the cookie name as
// associated data) protects values it must not read. Typed binds either to
// a JSON value of one Go type: the shape of Remix's createCookie, with its
// defaults (Path=/, SameSite=Lax).
//
// Every value sesh signs or seals for itself is bound to its cookie's name:
// Signer.SignFor puts the name in the MAC, Sealer puts it in the associated
// data, so a value issued for one cookie never verifies as another.
// Signer.Sign and Verify sign the bare value, as express's cookie-signature
// and Remix do, and exist for those peers' formats (compat/express,
// compat/remix). Every base64 text a signed or sealed value carries must be
// the one canonical spelling of its bytes: no CR or LF (which Go's decoders
// would skip), no padding where none is written, no non-zero trailing bits.
package cookie
