package bench

// valgrindRequest makes a Valgrind client request (see valgrind_amd64.s).
//
//go:noescape
func valgrindRequest(args *[6]uintptr, def uintptr) uintptr
