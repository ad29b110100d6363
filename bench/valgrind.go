package bench

// Callgrind's client requests (callgrind.h): VG_USERREQ_TOOL_BASE('C','T')
// and the requests after it, in callgrind.h's order.
const (
	cgBase            = 'C'<<24 | 'T'<<16
	cgStartInstrument = cgBase + 4
	cgStopInstrument  = cgBase + 5
)

// callgrindStart turns callgrind's instrumentation on (cmd/instr starts
// the process with --instr-atstart=no, so that set-up runs uninstrumented,
// several times faster). Natively it does nothing.
func callgrindStart() { valgrindRequest(&[6]uintptr{cgStartInstrument}, 0) }

// callgrindStop turns it off again.
func callgrindStop() { valgrindRequest(&[6]uintptr{cgStopInstrument}, 0) }
