package sesh

import (
	"cmp"
	"slices"
)

func sortedKeys[M ~map[K]V, K cmp.Ordered, V any](m M) []K {
	return appendSortedKeys(make([]K, 0, len(m)), m)
}

// appendSortedKeys appends m's keys to dst, sorted; with a dst on the
// caller's stack, a small map costs no allocation.
func appendSortedKeys[M ~map[K]V, K cmp.Ordered, V any](dst []K, m M) []K {
	n := len(dst)
	for k := range m {
		dst = append(dst, k)
	}
	slices.Sort(dst[n:])
	return dst
}
