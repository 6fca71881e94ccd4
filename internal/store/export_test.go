package store

import "context"

// SetCommonThreshold changes the search strategy's threshold for a test.
func SetCommonThreshold(n int64) (restore func()) {
	old := commonThreshold
	commonThreshold = n
	return func() { commonThreshold = old }
}

// QueuedWrites is how many writes wait for the SQLite group commit to take them.
func QueuedWrites(d *DB) int { return len(d.group.reqs) }

// SetProbe changes how many conversations a search probes, and how many matches among
// them make it walk on, for a test.
func SetProbe(rows, dense int) (restore func()) {
	oldRows, oldDense := probeRows, probeDense
	probeRows, probeDense = rows, dense
	return func() { probeRows, probeDense = oldRows, oldDense }
}

// StopCheckpointLoop stops the background checkpoints, so that a test's own are the only ones.
func StopCheckpointLoop(d *DB) { d.ckpt.stopLoop() }

// Checkpoint runs one background checkpoint now and returns the log's size in pages.
func Checkpoint(d *DB) (int, error) { return d.ckpt.checkpoint(context.Background()) }

// SetWALHardLimit changes the log size past which a checkpoint truncates it, for a test.
func SetWALHardLimit(d *DB, pages int) { d.ckpt.hardLimit.Store(int64(pages)) }

// AfterCommit registers f to run once tx has committed.
func AfterCommit(tx *Tx, f func()) { tx.afterCommit(f) }
