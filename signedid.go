package sesh

import (
	"fmt"
	"strings"

	"github.com/sesh-go/sesh/cookie"
)

// signedIDPurpose binds SignedIDs' MACs: a value signed for anything else
// with the same secret never verifies as a session ID.
const signedIDPurpose = "sesh session id"

// SignedIDs returns a CookieValueCodec that signs the session ID in the
// cookie: "<id>.<HMAC-SHA256>" (base64url, bound to its purpose, see
// cookie.Signer.SignFor). Use it when the store mints the IDs (a Creator
// such as StoreFuncs): a database's IDs are often guessable (1, 2, 3…), and
// the signature is what keeps a client from naming another user's session.
// New refuses a Creator store without a CookieValue.
//
// secrets sign (the first) and verify (all), newest first; each is at least
// 32 bytes. A cookie verified by an older secret is signed again with the
// first one on the next response, so retiring a secret signs no one out
// once their sessions have been seen.
func SignedIDs(secrets ...[]byte) (CookieValueCodec, error) {
	s, err := cookie.NewSigner(secrets, cookie.SignerOptions{})
	if err != nil {
		return nil, fmt.Errorf("sesh: SignedIDs: %w", err)
	}
	return signedIDs{s}, nil
}

type signedIDs struct{ s *cookie.Signer }

func (c signedIDs) EncodeID(id string) string { return c.s.SignFor(signedIDPurpose, id) }

func (c signedIDs) DecodeID(value string) (string, bool) {
	id, _, ok := c.DecodeIDReissue(value)
	return id, ok
}

func (c signedIDs) DecodeIDReissue(value string) (string, bool, bool) {
	if strings.IndexByte(value, '.') < 0 {
		return "", false, false
	}
	id, i, ok := c.s.VerifyFor(signedIDPurpose, value)
	return id, i > 0, ok
}
