package remix

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/sesh-go/sesh"
	"github.com/sesh-go/sesh/cookie"
	"github.com/sesh-go/sesh/internal/jsonwrap"
	"github.com/sesh-go/sesh/internal/storekit"
)

// FileStore is Remix's createFileSessionStorage as a sesh.Store and
// sesh.Creator, so a Go service and a Remix app can share one sessions
// directory: IDs of 16 hex characters (8 random bytes) minted by the store,
// files at dir/<id[0:4]>/<id[4:16]> holding {"data":{…},"expires":"<ISO>"},
// and expired files removed when read, as Remix does.
//
// The record's data is Remix's session data (Codec's JSON object). Keys that
// are not Remix IDs (sesh's storetest uses such keys) live under
// dir/_sesh/<key>, where Remix never looks; bytes that are not JSON are
// wrapped as {"__sesh_bytes":"<base64>"} inside "data". A file Remix wrote
// without "expires" reads with a zero Expires (no expiry), as Remix treats it.
type FileStore struct {
	dir string
	now func() time.Time
}

var (
	_ sesh.Store   = (*FileStore)(nil)
	_ sesh.Creator = (*FileStore)(nil)
)

// NewFileStore returns a store over dir, which it creates if needed.
func NewFileStore(dir string) (*FileStore, error) {
	if dir == "" {
		return nil, errors.New("remix: empty directory")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("remix: %w", err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("remix: %w", err)
	}
	return &FileStore{dir: abs, now: time.Now}, nil
}

// remixID reports whether key is a Remix file-storage ID.
func remixID(key string) bool {
	if len(key) != 16 {
		return false
	}
	_, err := hex.DecodeString(key)
	return err == nil
}

func (s *FileStore) path(key string) string {
	if remixID(key) {
		return filepath.Join(s.dir, key[:4], key[4:])
	}
	return filepath.Join(s.dir, "_sesh", key)
}

type fileContent struct {
	Data    json.RawMessage `json:"data"`
	Expires *string         `json:"expires,omitempty"`
}

func content(rec sesh.Record) ([]byte, error) {
	exp := rec.Expires.UTC().Format("2006-01-02T15:04:05.000Z")
	return json.Marshal(fileContent{Data: jsonwrap.Wrap(rec.Data), Expires: &exp})
}

func check(ctx context.Context, key string) error { return storekit.CheckKey(ctx, key) }

// ioErr is a file-system error without the file name that an
// *fs.PathError or *os.LinkError carries: a session file's path spells out
// the session ID, and errors end up in logs. The operation and the cause
// stay, and so does what errors.Is finds in the cause (fs.ErrNotExist, …).
func ioErr(err error) error {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		err = fmt.Errorf("%s: %w", pe.Op, pe.Err)
	case errors.As(err, &le):
		err = fmt.Errorf("%s: %w", le.Op, le.Err)
	}
	return fmt.Errorf("remix: session file: %w", err)
}

// Get reads the record; an expired one is removed and reads as
// sesh.ErrNotFound.
func (s *FileStore) Get(ctx context.Context, key string) (sesh.Record, error) {
	if err := check(ctx, key); err != nil {
		return sesh.Record{}, err
	}
	p := s.path(key)
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return sesh.Record{}, sesh.ErrNotFound
	}
	if err != nil {
		return sesh.Record{}, ioErr(err)
	}
	var c fileContent
	if err := json.Unmarshal(b, &c); err != nil || c.Data == nil {
		return sesh.Record{}, fmt.Errorf("remix: session file is not {\"data\":…,\"expires\":…} JSON: %w", sesh.ErrCorrupt)
	}
	rec := sesh.Record{}
	if c.Expires != nil {
		t, err := time.Parse(time.RFC3339Nano, *c.Expires)
		if err != nil {
			return sesh.Record{}, fmt.Errorf("remix: session file: expires is not an ISO date: %w", sesh.ErrCorrupt)
		}
		if !s.now().Before(t) {
			os.Remove(p)
			return sesh.Record{}, sesh.ErrNotFound
		}
		rec.Expires = t
	}
	if rec.Data, err = jsonwrap.Unwrap(c.Data); err != nil {
		return sesh.Record{}, fmt.Errorf("remix: session file: data: %w", sesh.ErrCorrupt)
	}
	return rec, nil
}

// Set writes the record through a temporary file and a rename; a record
// whose expiry has passed is deleted instead.
func (s *FileStore) Set(ctx context.Context, key string, rec sesh.Record) error {
	if err := check(ctx, key); err != nil {
		return err
	}
	if !s.now().Before(rec.Expires) {
		return s.Delete(ctx, key)
	}
	b, err := content(rec)
	if err != nil {
		return fmt.Errorf("remix: %w", err)
	}
	p := s.path(key)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return ioErr(err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return ioErr(err)
	}
	_, werr := tmp.Write(b)
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), p)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return ioErr(werr)
	}
	return nil
}

// Delete removes the record. An absent key is not an error.
func (s *FileStore) Delete(ctx context.Context, key string) error {
	if err := check(ctx, key); err != nil {
		return err
	}
	if err := os.Remove(s.path(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return ioErr(err)
	}
	return nil
}

// Create mints a Remix ID (8 random bytes, lower-case hex) and writes the
// record with an exclusive create, retrying on a collision, as Remix does.
func (s *FileStore) Create(ctx context.Context, rec sesh.Record) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	b, err := content(rec)
	if err != nil {
		return "", fmt.Errorf("remix: %w", err)
	}
	for range 100 {
		var r [8]byte
		rand.Read(r[:])
		id := hex.EncodeToString(r[:])
		p := s.path(id)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return "", ioErr(err)
		}
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", ioErr(err)
		}
		_, werr := f.Write(b)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			os.Remove(p)
			return "", ioErr(werr)
		}
		return id, nil
	}
	return "", errors.New("remix: could not mint an unused session ID")
}

// IDCookie is the cookie of Remix's ID-based storages (createSessionStorage,
// createFileSessionStorage, createMemorySessionStorage): the session ID as a
// signed JSON string (sesh.CookieValueCodec).
type IDCookie struct{ s *Signer }

// NewIDCookie returns the codec for secrets, newest first.
func NewIDCookie(secrets ...[]byte) (IDCookie, error) {
	return NewIDCookieWith(SecretOptions{}, secrets...)
}

// NewIDCookieWith is NewIDCookie with SecretOptions.
func NewIDCookieWith(opt SecretOptions, secrets ...[]byte) (IDCookie, error) {
	s, err := NewSignerWith(opt, secrets...)
	if err != nil {
		return IDCookie{}, err
	}
	return IDCookie{s: s}, nil
}

// EncodeID returns Remix's cookie value for id.
func (c IDCookie) EncodeID(id string) string {
	b, _ := json.Marshal(id)
	return c.s.Encode(b)
}

// DecodeID verifies a cookie value and returns the ID it carries.
func (c IDCookie) DecodeID(value string) (string, bool) {
	id, _, ok := c.DecodeIDReissue(value)
	return id, ok
}

// DecodeIDReissue is DecodeID that also reports a value signed with an older
// secret (sesh.CookieValueReissuer), so the Manager re-signs it with the
// first secret on the response and rotation completes.
func (c IDCookie) DecodeIDReissue(value string) (string, bool, bool) {
	p, i, err := c.s.Decode(value)
	if err != nil {
		return "", false, false
	}
	var id string
	if json.Unmarshal(p, &id) != nil {
		return "", false, false
	}
	return id, i > 0, true
}

// ConfigureIDStorage sets cfg up for a Remix ID-based storage on store (a
// FileStore to share Remix's sessions directory): the signed ID cookie,
// __session in the npm cookie order, Remix's deletion line
// (Cookie.OmitMaxAgeOnDelete), and Remix's data codec. A store that is a
// sesh.Creator mints the IDs.
func ConfigureIDStorage(cfg *sesh.Config, store sesh.Store, secrets ...[]byte) error {
	return ConfigureIDStorageWith(cfg, store, SecretOptions{}, secrets...)
}

// ConfigureIDStorageWith is ConfigureIDStorage with SecretOptions.
func ConfigureIDStorageWith(cfg *sesh.Config, store sesh.Store, opt SecretOptions, secrets ...[]byte) error {
	if cfg == nil || store == nil {
		return errors.New("remix: nil Config or store")
	}
	c, err := NewIDCookieWith(opt, secrets...)
	if err != nil {
		return err
	}
	cfg.Store = store
	cfg.CookieValue = c
	if cfg.Cookie.Name == "" {
		cfg.Cookie.Name = DefaultCookieName
	}
	cfg.Cookie.Order = cookie.OrderJS
	cfg.Cookie.OmitMaxAgeOnDelete = true
	cfg.Codec = Codec{}
	return nil
}
