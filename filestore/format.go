package filestore

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"time"

	"github.com/sesh-go/sesh"
)

// ErrCorrupt reports a record file that is not a well-formed record for its
// key: it was changed or damaged outside this package. (Writes go through a
// rename, so a crash never leaves a torn record file.)
var ErrCorrupt = fmt.Errorf("filestore: corrupt record file: %w", sesh.ErrCorrupt)

// Record file format, version 1. All integers are big-endian.
//
//	offset  size  field
//	0       4     magic "sesh"
//	4       1     format version (1)
//	5       8     Expires, Unix seconds (int64)
//	13      4     Expires, nanoseconds within the second (uint32)
//	17      8     Version (int64)
//	25      2     key length K (uint16)
//	27      4     UserID length U (uint32)
//	31      4     Data length D (uint32)
//	35      K     key
//	35+K    U     UserID
//	35+K+U  D     Data
//	end-4   4     CRC-32C of every byte before it
const (
	magic      = "sesh"
	formatV1   = 1
	headerSize = 35
	crcSize    = 4
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// encode serialises rec as stored under key with the given version.
func encode(key string, rec sesh.Record, version int64) ([]byte, error) {
	if len(rec.Data) > math.MaxUint32 || len(rec.UserID) > math.MaxUint32 {
		return nil, fmt.Errorf("filestore: record too large")
	}
	n := headerSize + len(key) + len(rec.UserID) + len(rec.Data) + crcSize
	b := make([]byte, 0, n)
	b = append(b, magic...)
	b = append(b, formatV1)
	b = binary.BigEndian.AppendUint64(b, uint64(rec.Expires.Unix()))
	b = binary.BigEndian.AppendUint32(b, uint32(rec.Expires.Nanosecond()))
	b = binary.BigEndian.AppendUint64(b, uint64(version))
	b = binary.BigEndian.AppendUint16(b, uint16(len(key)))
	b = binary.BigEndian.AppendUint32(b, uint32(len(rec.UserID)))
	b = binary.BigEndian.AppendUint32(b, uint32(len(rec.Data)))
	b = append(b, key...)
	b = append(b, rec.UserID...)
	b = append(b, rec.Data...)
	b = binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	return b, nil
}

// hasMagic reports whether b starts like a record file of this package.
func hasMagic(b []byte) bool {
	return len(b) >= len(magic) && string(b[:len(magic)]) == magic
}

// decode parses a record file that must belong to key.
func decode(key string, b []byte) (sesh.Record, error) {
	if len(b) < headerSize+crcSize || !hasMagic(b) {
		return sesh.Record{}, fmt.Errorf("%w: not a record file", ErrCorrupt)
	}
	if b[4] != formatV1 {
		return sesh.Record{}, fmt.Errorf("%w: unknown format version %d", ErrCorrupt, b[4])
	}
	body, sum := b[:len(b)-crcSize], binary.BigEndian.Uint32(b[len(b)-crcSize:])
	if crc32.Checksum(body, castagnoli) != sum {
		return sesh.Record{}, fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
	}
	sec := int64(binary.BigEndian.Uint64(b[5:]))
	nsec := binary.BigEndian.Uint32(b[13:])
	version := int64(binary.BigEndian.Uint64(b[17:]))
	kl := int(binary.BigEndian.Uint16(b[25:]))
	ul := uint64(binary.BigEndian.Uint32(b[27:]))
	dl := uint64(binary.BigEndian.Uint32(b[31:]))
	if uint64(headerSize)+uint64(kl)+ul+dl != uint64(len(body)) || nsec >= 1e9 {
		return sesh.Record{}, fmt.Errorf("%w: bad lengths", ErrCorrupt)
	}
	rest := body[headerSize:]
	if string(rest[:kl]) != key {
		return sesh.Record{}, fmt.Errorf("%w: file holds another key", ErrCorrupt)
	}
	rest = rest[kl:]
	user := string(rest[:ul])
	data := rest[ul:]
	return sesh.Record{
		Data:    append([]byte(nil), data...),
		Expires: time.Unix(sec, int64(nsec)),
		Version: version,
		UserID:  user,
	}, nil
}
