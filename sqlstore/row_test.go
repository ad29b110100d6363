package sqlstore

import (
	"testing"
)

func TestRawRowRecord(t *testing.T) {
	good := rawRow{data: []byte("d"), expires: int64(1_800_000_000_000_000), version: int64(7), user: "u"}
	if rec, ok := good.record(); !ok || string(rec.Data) != "d" || rec.Expires.UnixMicro() != 1_800_000_000_000_000 || rec.Version != 7 || rec.UserID != "u" {
		t.Fatalf("good row = %+v, %v", rec, ok)
	}
	// What the drivers also send for well-formed rows: text for data and
	// user (SQLite), decimal text for integers (MySQL's text protocol).
	alt := rawRow{data: "d", expires: []byte("1800000000000000"), version: "7", user: []byte("u")}
	if rec, ok := alt.record(); !ok || string(rec.Data) != "d" || rec.Version != 7 || rec.UserID != "u" {
		t.Fatalf("row in other driver types = %+v, %v", rec, ok)
	}
	for _, data := range []any{[]byte(nil), []byte{}, ""} {
		empty := rawRow{data: data, expires: int64(1), version: int64(1), user: ""}
		if rec, ok := empty.record(); !ok || rec.Data == nil || len(rec.Data) != 0 {
			t.Fatalf("empty data %#v = %#v, %v; want a non-nil empty slice", data, rec.Data, ok)
		}
	}
	for name, r := range map[string]rawRow{
		"NULL data":        {data: nil, expires: int64(1), version: int64(1), user: ""},
		"integer data":     {data: int64(42), expires: int64(1), version: int64(1), user: ""},
		"text expires":     {data: []byte{}, expires: "abc", version: int64(1), user: ""},
		"real expires":     {data: []byte{}, expires: 1.5, version: int64(1), user: ""},
		"NULL expires":     {data: []byte{}, expires: nil, version: int64(1), user: ""},
		"text version":     {data: []byte{}, expires: int64(1), version: "v1", user: ""},
		"zero version":     {data: []byte{}, expires: int64(1), version: int64(0), user: ""},
		"negative version": {data: []byte{}, expires: int64(1), version: int64(-3), user: ""},
		"NULL user":        {data: []byte{}, expires: int64(1), version: int64(1), user: nil},
		"integer user":     {data: []byte{}, expires: int64(1), version: int64(1), user: int64(5)},
	} {
		if rec, ok := r.record(); ok {
			t.Errorf("%s: read as %+v, want refused", name, rec)
		}
	}
}
