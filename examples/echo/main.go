// Command echo: sesh as echo middleware through echo.WrapMiddleware.
package main

import (
	"fmt"
	"log"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/memstore"
)

func newHandler() (http.Handler, func()) {
	store := memstore.New(memstore.Options{})
	m, err := sesh.New(sesh.Config{Store: store})
	if err != nil {
		log.Fatal(err)
	}
	e := echo.New()
	e.HideBanner = true
	e.Use(echo.WrapMiddleware(m.Handler))
	e.GET("/", func(c echo.Context) error {
		s := sesh.From(c.Request().Context())
		n, _ := sesh.Get[int](s, "views")
		s.Set("views", n+1)
		return c.String(http.StatusOK, fmt.Sprintf("views: %d", n+1))
	})
	e.POST("/login", func(c echo.Context) error {
		s := sesh.From(c.Request().Context())
		s.Regenerate()
		s.Set("user", c.FormValue("user"))
		return c.String(http.StatusOK, "signed in")
	})
	e.GET("/me", func(c echo.Context) error {
		u, _ := sesh.Get[string](sesh.From(c.Request().Context()), "user")
		return c.String(http.StatusOK, fmt.Sprintf("user: %q", u))
	})
	return e, func() { store.Close() }
}

func main() {
	h, done := newHandler()
	defer done()
	log.Fatal(http.ListenAndServe("127.0.0.1:8084", h))
}
