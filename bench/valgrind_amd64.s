#include "textflag.h"

// func valgrindRequest(args *[6]uintptr, def uintptr) uintptr
//
// Valgrind's client-request sequence for amd64 (valgrind.h,
// VALGRIND_DO_CLIENT_REQUEST_EXPR): four rotations of RDI that leave it
// unchanged, then XCHGQ BX, BX; RAX points at the request and its
// arguments, RDX holds the default result and receives the answer. Run
// natively, the sequence does nothing and the default comes back.
TEXT ·valgrindRequest(SB), NOSPLIT, $0-24
	MOVQ args+0(FP), AX
	MOVQ def+8(FP), DX
	ROLQ $3, DI
	ROLQ $13, DI
	ROLQ $61, DI
	ROLQ $51, DI
	XCHGQ BX, BX
	MOVQ DX, ret+16(FP)
	RET
