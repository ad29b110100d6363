// Package mysqlstore is a sesh.Store on MySQL or MariaDB, through
// database/sql and github.com/go-sql-driver/mysql.
//
// The schema, the expiry cleanup and the compare-and-set are those of
// package sqlstore; with its default table name, CreateTable runs:
//
//	CREATE TABLE IF NOT EXISTS `sessions` (
//		id      VARBINARY(200) NOT NULL PRIMARY KEY,
//		data    MEDIUMBLOB NOT NULL,
//		expires BIGINT NOT NULL,               -- Unix microseconds
//		version BIGINT NOT NULL,
//		user_id VARBINARY(255) NOT NULL DEFAULT '',
//		INDEX `sessions_expires_idx` (expires),
//		INDEX `sessions_user_idx` (user_id)
//	) ENGINE=InnoDB
//
// id and user_id are binary strings, so keys and user IDs compare byte for
// byte whatever the server's default collation (no case folding, no
// trailing-space padding).
//
// Importing the package registers the URL scheme mysql with sesh.Open:
//
//	mysql://user:password@host:3306/dbname[?table=sessions&cleanup=5m&<driver parameters>]
//
// Driver parameters are go-sql-driver/mysql's DSN parameters (tls,
// timeout, …). The store opened by URL creates its table if missing and
// closes its pool in Close.
package mysqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/go-sql-driver/mysql"
	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/sqlstore"
)

// Store is the SQL store; see package sqlstore for its methods.
type Store = sqlstore.Store

// Options are sqlstore's.
type Options = sqlstore.Options

// New returns a store over db, a MySQL or MariaDB pool opened by the
// caller with the "mysql" driver. It does not create the table: call
// CreateTable.
func New(db *sql.DB, opts Options) (*Store, error) {
	return sqlstore.New(db, dialect, opts)
}

func init() {
	sesh.Register("mysql", openURL)
}

// DSNFromURL turns mysql://user:pass@host:port/db?params into the driver's
// DSN, and returns the store options read from the query.
func DSNFromURL(u *url.URL) (string, Options, error) {
	const form = "want mysql://user:password@host:port/dbname[?params]"
	if u.Opaque != "" || u.Host == "" || u.Fragment != "" {
		return "", Options{}, fmt.Errorf("mysqlstore: %s", form)
	}
	db := strings.TrimPrefix(u.Path, "/")
	if db == "" || strings.Contains(db, "/") {
		return "", Options{}, fmt.Errorf("mysqlstore: no database name: %s", form)
	}
	qo, err := sqlstore.OptionsFromQuery(u.RawQuery)
	if err != nil {
		return "", Options{}, fmt.Errorf("mysqlstore: %w", err)
	}
	cfg := mysql.NewConfig()
	cfg.Net, cfg.Addr, cfg.DBName = "tcp", u.Host, db
	if u.User != nil {
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
		if cfg.User == "" && cfg.Passwd != "" {
			// The driver's DSN cannot carry it: it would be dropped silently.
			return "", Options{}, fmt.Errorf("mysqlstore: a password without a user name; %s", form)
		}
	}
	dsn := cfg.FormatDSN()
	if len(qo.Query) > 0 {
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		dsn += sep + qo.Query.Encode()
	}
	if _, err := mysql.ParseDSN(dsn); err != nil {
		return "", Options{}, fmt.Errorf("mysqlstore: %w", err)
	}
	return dsn, qo.Options, nil
}

func openURL(ctx context.Context, u *url.URL) (sesh.Store, error) {
	dsn, opts, err := DSNFromURL(u)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return nil, fmt.Errorf("mysqlstore: %w", err)
	}
	st, err := sqlstore.Open(ctx, db, dialect, opts, db.Close)
	if err != nil {
		return nil, fmt.Errorf("mysqlstore: %s: %w", u.Redacted(), err)
	}
	return st, nil
}

// dialect is sqlstore's MySQL dialect with the driver's view of a
// statement InnoDB rolled back for a concurrent one: a deadlock (1213), as
// two inserts of one new key can cause.
var dialect = func() sqlstore.Dialect {
	d := sqlstore.MySQL
	d.Retryable = func(err error) bool {
		var me *mysql.MySQLError
		return errors.As(err, &me) && me.Number == 1213
	}
	return d
}()
