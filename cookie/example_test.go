package cookie_test

import (
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/sesh-go/sesh/cookie"
)

// A typed, signed cookie: Remix's createCookie in Go. Parse reports absent
// for a missing cookie, a bad signature or a value of the wrong shape.
func ExampleNewSigned() {
	type Prefs struct {
		Theme string `json:"theme"`
	}
	signer, err := cookie.NewSigner([][]byte{[]byte("a 32-byte signing secret, random")}, cookie.SignerOptions{})
	if err != nil {
		panic(err)
	}
	prefs, err := cookie.NewSigned[Prefs]("prefs", cookie.Options{Path: "/", HttpOnly: true, SameSite: cookie.SameSiteLax, MaxAge: 86400 * 365}, signer)
	if err != nil {
		panic(err)
	}
	line, _ := prefs.Serialize(Prefs{Theme: "dark"})

	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Cookie", line[:strings.IndexByte(line, ';')])
	p, ok := prefs.Parse(r)
	fmt.Println(p.Theme, ok)

	r.Header.Set("Cookie", "prefs=tampered")
	_, ok = prefs.Parse(r)
	fmt.Println(ok)
	// Output:
	// dark true
	// false
}
