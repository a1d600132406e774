package sqpoll

// Parked reports a pending park (io_sq_thread_park): the thread is
// stopped on purpose, for reports of a stopped world.
func (sqd *Data) Parked() bool { return sqd.parkPending.Load() != 0 }
