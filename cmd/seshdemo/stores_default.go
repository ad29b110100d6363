//go:build !allstores

package main

// allStores tells whether this build has every store driver: not the
// default build, which has the sqlite, memory and file stores only.
const allStores = false
