package vfs

// PeekPollMask is the poll mask of f read without registering a wait or
// taking a lock, for reports of a stopped world (the simulator's liveness
// check); ok is false for files whose readiness cannot be read that way
// (all but pipes today).
func PeekPollMask(f *File) (mask uint32, ok bool) {
	if _, isPipe := f.Op.(pipeFileOps); isPipe {
		return pipePollMask(f, pipeOf(f)), true
	}
	return 0, false
}
