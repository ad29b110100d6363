package sqlstore

import (
	"fmt"
	"strconv"
	"time"

	"github.com/sesh-go/sesh"
)

// rawRow receives the columns data, expires, version and user_id as the
// driver gives them, so that a value of the wrong type (SQLite keeps any
// type in any column; a table made by hand may allow NULL) is read and
// judged here instead of failing inside the driver's Scan.
type rawRow struct {
	data, expires, version, user any
}

func (r *rawRow) dest() []any { return []any{&r.data, &r.expires, &r.version, &r.user} }

// record returns the row as a record, and false if the store could not
// have written it: a NULL, a value of another type, or a version that is
// not positive. Dialect.Readable is the same judgement in SQL.
func (r *rawRow) record() (sesh.Record, bool) {
	var row RecordRow
	switch d := r.data.(type) {
	case []byte:
		row.Data = nonNil(d)
	case string:
		row.Data = []byte(d)
	default:
		return sesh.Record{}, false
	}
	var ok bool
	if row.Expires, ok = integer(r.expires); !ok {
		return sesh.Record{}, false
	}
	if row.Version, ok = integer(r.version); !ok {
		return sesh.Record{}, false
	}
	switch u := r.user.(type) {
	case string:
		row.UserID = u
	case []byte:
		row.UserID = string(u)
	default:
		return sesh.Record{}, false
	}
	return row.record()
}

// record is the judgement of rawRow.record on a row whose columns have
// their types: a nil Data is a NULL, and a version must be positive.
func (r *RecordRow) record() (sesh.Record, bool) {
	if r.Data == nil || r.Version <= 0 {
		return sesh.Record{}, false
	}
	return sesh.Record{Data: r.Data, Expires: time.UnixMicro(r.Expires), Version: r.Version, UserID: r.UserID}, true
}

// integer reads an integer column: int64 from most drivers, the decimal
// text of MySQL's text protocol (interpolateParams=true).
func integer(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int32:
		return int64(n), true
	case []byte:
		i, err := strconv.ParseInt(string(n), 10, 64)
		return i, err == nil
	case string:
		i, err := strconv.ParseInt(n, 10, 64)
		return i, err == nil
	}
	return 0, false
}

// corrupt is the error of a row the store cannot read. It holds no key.
func (s *Store) corrupt(op string) error {
	return fmt.Errorf("sqlstore(%s): %s: a row the store cannot read: %w", s.d.Name, op, sesh.ErrCorrupt)
}
