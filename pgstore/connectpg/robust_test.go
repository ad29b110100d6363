package connectpg

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/storetest"
)

// corruptions are the rows of connect-pg-simple's table that the store
// cannot read: a wrapper of non-JSON bytes whose base64 is damaged, and
// NULLs in a table made without NOT NULL (the hook drops the constraint).
var corruptions = map[string]storetest.CorruptFunc{
	"damaged-wrapper": plantRow(`'{"__sesh_bytes":"!!not base64!!"}'`, "to_timestamp($2)", ""),
	"null-sess":       plantRow("NULL", "to_timestamp($2)", `ALTER TABLE %s ALTER COLUMN sess DROP NOT NULL`),
	"null-expire":     plantRow(`'{"a":1}'`, "NULL", `ALTER TABLE %s ALTER COLUMN expire DROP NOT NULL`),
	"infinite-expire": plantRow(`'{"a":1}'`, "'infinity'::timestamp", ""),
}

func plantRow(sess, expire, prep string) storetest.CorruptFunc {
	return func(t *testing.T, st sesh.Store, key string) {
		t.Helper()
		s := st.(*Store)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if prep != "" {
			if _, err := s.p.Exec(ctx, fmt.Sprintf(prep, s.table)); err != nil {
				t.Fatalf("plant: %v", err)
			}
		}
		if _, err := s.p.Exec(ctx, `DELETE FROM `+s.table+` WHERE sid = $1`, key); err != nil {
			t.Fatalf("plant: %v", err)
		}
		q := `INSERT INTO ` + s.table + ` (sid, sess, expire) VALUES ($1, ` + sess + `, ` + expire + `)`
		args := []any{key}
		if strings.Contains(expire, "$2") {
			args = append(args, seconds(time.Now().Add(time.Hour)))
		}
		if _, err := s.p.Exec(ctx, q, args...); err != nil {
			t.Fatalf("plant: %s: %v", q, err)
		}
	}
}
