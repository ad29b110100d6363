// Command gin: sesh under gin. gin.WrapH cannot wrap a middleware, so the
// session middleware goes around the gin engine; handlers reach the
// session through c.Request.Context().
package main

import (
	"fmt"
	"log"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/memstore"
)

func newHandler() (http.Handler, func()) {
	gin.SetMode(gin.ReleaseMode)
	store := memstore.New(memstore.Options{})
	m, err := sesh.New(sesh.Config{Store: store})
	if err != nil {
		log.Fatal(err)
	}
	r := gin.New()
	r.GET("/", func(c *gin.Context) {
		s := sesh.From(c.Request.Context())
		n, _ := sesh.Get[int](s, "views")
		s.Set("views", n+1)
		c.String(http.StatusOK, fmt.Sprintf("views: %d", n+1))
	})
	r.POST("/login", func(c *gin.Context) {
		s := sesh.From(c.Request.Context())
		s.Regenerate()
		s.Set("user", c.PostForm("user"))
		c.String(http.StatusOK, "signed in")
	})
	r.GET("/me", func(c *gin.Context) {
		u, _ := sesh.Get[string](sesh.From(c.Request.Context()), "user")
		c.String(http.StatusOK, fmt.Sprintf("user: %q", u))
	})
	return m.Handler(r), func() { store.Close() }
}

func main() {
	h, done := newHandler()
	defer done()
	log.Fatal(http.ListenAndServe("127.0.0.1:8083", h))
}
