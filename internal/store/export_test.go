package store

// SetCommonThreshold changes the search strategy's threshold for a test.
func SetCommonThreshold(n int64) (restore func()) {
	old := commonThreshold
	commonThreshold = n
	return func() { commonThreshold = old }
}

// QueuedWrites is how many writes wait for the SQLite group commit to take them.
func QueuedWrites(d *DB) int { return len(d.group.reqs) }
