package vfs

// PollPeeker is implemented by file operations whose poll mask can be
// read without registering a wait or taking a lock (PeekPollMask); ok is
// false when it cannot be read that way now (a lock is held).
type PollPeeker interface {
	PeekPoll(f *File) (mask uint32, ok bool)
}

// PeekPollMask is the poll mask of f read without registering a wait or
// taking a lock, for reports of a stopped world (the simulator's liveness
// check); ok is false for files whose readiness cannot be read that way
// (all but pipes and the file operations that implement PollPeeker).
func PeekPollMask(f *File) (mask uint32, ok bool) {
	if _, isPipe := f.Op.(pipeFileOps); isPipe {
		return pipePollMask(f, pipeOf(f)), true
	}
	if p, ok := f.Op.(PollPeeker); ok {
		return p.PeekPoll(f)
	}
	return 0, false
}
