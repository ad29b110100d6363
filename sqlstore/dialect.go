package sqlstore

import (
	"fmt"
	"strconv"
	"strings"
)

// Dialect is what differs between SQL engines. The three this package
// ships (Postgres, MySQL, SQLite) cover the store modules; a dialect for
// another engine fills the same fields.
type Dialect struct {
	// Name appears in errors.
	Name string
	// Dollar is true for $1, $2, … placeholders (PostgreSQL), false for ?.
	Dollar bool
	// Quote quotes one identifier.
	Quote func(ident string) string
	// Schema returns the statements that create the table and its indexes
	// if they are missing. table is quoted; name is the bare table name,
	// for index names.
	Schema func(table, name string) []string
	// Upsert is the clause after INSERT … VALUES (…) that replaces the
	// row whose id exists.
	Upsert string
	// InsertIfAbsent is the clause after INSERT … VALUES (…) that leaves
	// an existing row alone and affects no row.
	InsertIfAbsent string
	// ReplaceExpired, if not empty, is the clause after INSERT … VALUES
	// (…) that inserts, or replaces a row only if it has expired
	// (placeholder: the current time; %s is the quoted table), affecting
	// no row when a live one is there: a new session in one statement.
	// Without it the store deletes the expired row first, then inserts
	// with InsertIfAbsent.
	ReplaceExpired string
	// DeleteExpired deletes at most ? expired rows (placeholders: the
	// current time, the batch size); %s is the quoted table.
	DeleteExpired string
	// Readable is a condition on a row (bare column names, no
	// placeholder) that holds exactly when the store can read the row
	// back: what Len counts and what Touch may move. Empty means
	// DefaultReadable, which suffices for engines that enforce column
	// types; an engine that does not (SQLite) also checks the types.
	Readable string
	// Retryable, when set, reports an error by which the engine rolled a
	// statement back because of a concurrent one (a deadlock, a
	// serialization failure: SQLSTATE class 40). Swap and Touch then
	// report a lost race (sesh.ErrConflict), which their callers retry,
	// and Set and Delete run the statement again. The store modules set it
	// from their driver's error type.
	Retryable func(error) bool
}

// DefaultReadable is the Readable condition for engines that enforce the
// column types: a positive version and no NULL where the schema has NOT
// NULL (a table made by hand may lack the constraint). An expires of NULL
// fails every comparison with the current time already.
const DefaultReadable = `version > 0 AND data IS NOT NULL AND user_id IS NOT NULL`

var doubleQuote = func(s string) string { return `"` + s + `"` }

// Postgres is the dialect of PostgreSQL (pgstore, through pgx's
// database/sql adapter).
var Postgres = Dialect{
	Name:   "postgres",
	Dollar: true,
	Quote:  doubleQuote,
	Schema: func(table, name string) []string {
		return []string{
			`CREATE TABLE IF NOT EXISTS ` + table + ` (
	id      TEXT PRIMARY KEY,
	data    BYTEA NOT NULL,
	expires BIGINT NOT NULL,
	version BIGINT NOT NULL,
	user_id TEXT NOT NULL DEFAULT ''
)`,
			`CREATE INDEX IF NOT EXISTS ` + doubleQuote(name+"_expires_idx") + ` ON ` + table + ` (expires)`,
			`CREATE INDEX IF NOT EXISTS ` + doubleQuote(name+"_user_idx") + ` ON ` + table + ` (user_id) WHERE user_id <> ''`,
		}
	},
	Upsert:         `ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires = excluded.expires, version = excluded.version, user_id = excluded.user_id`,
	InsertIfAbsent: `ON CONFLICT (id) DO NOTHING`,
	ReplaceExpired: `ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires = excluded.expires, version = excluded.version, user_id = excluded.user_id WHERE %[1]s.expires <= ?`,
	DeleteExpired:  `DELETE FROM %[1]s WHERE id IN (SELECT id FROM %[1]s WHERE expires <= ? LIMIT ?)`,
}

// MySQL is the dialect of MySQL and MariaDB (mysqlstore). Keys and user
// IDs are VARBINARY: compared byte for byte, case and trailing spaces
// included.
var MySQL = Dialect{
	Name:  "mysql",
	Quote: func(s string) string { return "`" + s + "`" },
	Schema: func(table, name string) []string {
		return []string{
			`CREATE TABLE IF NOT EXISTS ` + table + ` (
	id      VARBINARY(200) NOT NULL PRIMARY KEY,
	data    MEDIUMBLOB NOT NULL,
	expires BIGINT NOT NULL,
	version BIGINT NOT NULL,
	user_id VARBINARY(255) NOT NULL DEFAULT '',
	INDEX ` + "`" + name + "_expires_idx`" + ` (expires),
	INDEX ` + "`" + name + "_user_idx`" + ` (user_id)
) ENGINE=InnoDB`,
		}
	},
	Upsert:         `ON DUPLICATE KEY UPDATE data = VALUES(data), expires = VALUES(expires), version = VALUES(version), user_id = VALUES(user_id)`,
	InsertIfAbsent: `ON DUPLICATE KEY UPDATE id = id`,
	DeleteExpired:  `DELETE FROM %[1]s WHERE expires <= ? LIMIT ?`,
}

// SQLite is the dialect of SQLite 3.24 and later (sqlitestore).
var SQLite = Dialect{
	Name:  "sqlite",
	Quote: doubleQuote,
	Schema: func(table, name string) []string {
		return []string{
			`CREATE TABLE IF NOT EXISTS ` + table + ` (
	id      TEXT NOT NULL PRIMARY KEY,
	data    BLOB NOT NULL,
	expires INTEGER NOT NULL,
	version INTEGER NOT NULL,
	user_id TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID`,
			`CREATE INDEX IF NOT EXISTS ` + doubleQuote(name+"_expires_idx") + ` ON ` + table + ` (expires)`,
			`CREATE INDEX IF NOT EXISTS ` + doubleQuote(name+"_user_idx") + ` ON ` + table + ` (user_id) WHERE user_id <> ''`,
		}
	},
	Upsert:         Postgres.Upsert,
	InsertIfAbsent: Postgres.InsertIfAbsent,
	ReplaceExpired: Postgres.ReplaceExpired,
	DeleteExpired:  Postgres.DeleteExpired,
	// SQLite keeps any value in any column (an INSERT can put 'abc' in
	// expires): a readable row has the types the store writes.
	Readable: `typeof(expires) = 'integer' AND typeof(version) = 'integer' AND version > 0 AND ` +
		`typeof(data) IN ('blob', 'text') AND typeof(user_id) IN ('text', 'blob')`,
}

// identifier reports whether s is a plain SQL identifier: a letter or
// underscore, then letters, digits or underscores, at most 63 bytes.
func identifier(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for i, c := range []byte(s) {
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// qualified quotes "table" or "schema.table", and returns the bare table
// name for index names.
func (d Dialect) qualified(name string) (quoted, bare string, err error) {
	parts := strings.Split(name, ".")
	if len(parts) > 2 {
		return "", "", fmt.Errorf("sqlstore: table %q: want table or schema.table", name)
	}
	for _, p := range parts {
		if !identifier(p) {
			return "", "", fmt.Errorf("sqlstore: table %q: %q is not a plain identifier (letters, digits, _)", name, p)
		}
	}
	q := make([]string, len(parts))
	for i, p := range parts {
		q[i] = d.Quote(p)
	}
	return strings.Join(q, "."), parts[len(parts)-1], nil
}

// bind turns ? placeholders into $n for dialects that want them. The
// package's statements contain no other '?'.
func (d Dialect) bind(q string) string {
	if !d.Dollar {
		return q
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}
