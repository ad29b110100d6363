package sesh

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// StoreFuncs adapts four functions into a Store that mints its own keys
// (a Creator), the shape of Remix's createSessionStorage({createData,
// readData, updateData, deleteData}). Use it to keep sessions in a table
// your application already has. The IDs your table assigns become the
// session IDs, and a database's IDs are guessable (1, 2, 3…), so the cookie
// carries them signed, as Remix's createSessionStorage does: New refuses a
// store that mints IDs unless Config.CookieValue signs them.
//
//	store := sesh.StoreFuncs{
//		CreateData: func(ctx context.Context, data []byte, exp time.Time) (string, error) {
//			var id string
//			err := db.QueryRowContext(ctx, `INSERT INTO sessions (data, expires)
//				VALUES ($1, $2) RETURNING id`, data, exp).Scan(&id)
//			return id, err
//		},
//		ReadData: func(ctx context.Context, id string) ([]byte, time.Time, error) {
//			var data []byte
//			var exp time.Time
//			err := db.QueryRowContext(ctx, `SELECT data, expires FROM sessions
//				WHERE id = $1 AND expires > now()`, id).Scan(&data, &exp)
//			if errors.Is(err, sql.ErrNoRows) {
//				err = sesh.ErrNotFound
//			}
//			return data, exp, err
//		},
//		UpdateData: func(ctx context.Context, id string, data []byte, exp time.Time) error {
//			_, err := db.ExecContext(ctx, `UPDATE sessions SET data = $2, expires = $3 WHERE id = $1`, id, data, exp)
//			return err
//		},
//		DeleteData: func(ctx context.Context, id string) error {
//			_, err := db.ExecContext(ctx, `DELETE FROM sessions WHERE id = $1`, id)
//			return err
//		},
//	}
//	signed, err := sesh.SignedIDs(secret) // 32+ random bytes from your vault
//	…
//	m, err := sesh.New(sesh.Config{Store: store, CookieValue: signed})
//
// The IDs CreateData returns must pass ValidateKey (1–200 bytes of
// A-Z a-z 0-9 - _ :). Read must return ErrNotFound (or an error wrapping
// it) for an absent or expired ID; the adapter checks the expiry again
// itself. StoreFuncs has no compare-and-set: concurrent requests on one
// session are last-writer-wins, and a save racing a Destroy can bring the
// session back.
type StoreFuncs struct {
	CreateData func(ctx context.Context, data []byte, expires time.Time) (id string, err error)
	ReadData   func(ctx context.Context, id string) (data []byte, expires time.Time, err error)
	UpdateData func(ctx context.Context, id string, data []byte, expires time.Time) error
	DeleteData func(ctx context.Context, id string) error
}

var errIncompleteFuncs = errors.New("sesh: StoreFuncs needs all four functions")

func (f StoreFuncs) check(key string) error {
	if f.CreateData == nil || f.ReadData == nil || f.UpdateData == nil || f.DeleteData == nil {
		return errIncompleteFuncs
	}
	if key == "" {
		return nil
	}
	return ValidateKey(key)
}

// Create stores rec under a new key that the Create function mints.
func (f StoreFuncs) Create(ctx context.Context, rec Record) (string, error) {
	if err := f.check(""); err != nil {
		return "", err
	}
	id, err := f.CreateData(ctx, rec.Data, rec.Expires)
	if err != nil {
		return "", err
	}
	if err := ValidateKey(id); err != nil {
		return "", fmt.Errorf("sesh: StoreFuncs.Create CreateData returned an unusable ID: %w", err)
	}
	return id, nil
}

// Get reads key, returning ErrNotFound if it is absent or expired.
func (f StoreFuncs) Get(ctx context.Context, key string) (Record, error) {
	if err := f.check(key); err != nil {
		return Record{}, err
	}
	data, exp, err := f.ReadData(ctx, key)
	if err != nil {
		return Record{}, err
	}
	if !exp.IsZero() && !time.Now().Before(exp) {
		return Record{}, ErrNotFound
	}
	return Record{Data: data, Expires: exp}, nil
}

// Set updates key.
func (f StoreFuncs) Set(ctx context.Context, key string, rec Record) error {
	if err := f.check(key); err != nil {
		return err
	}
	return f.UpdateData(ctx, key, rec.Data, rec.Expires)
}

// Delete deletes key.
func (f StoreFuncs) Delete(ctx context.Context, key string) error {
	if err := f.check(key); err != nil {
		return err
	}
	return f.DeleteData(ctx, key)
}
