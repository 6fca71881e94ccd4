package store

// SetCommonThreshold changes the search strategy's threshold for a test.
func SetCommonThreshold(n int64) (restore func()) {
	old := commonThreshold
	commonThreshold = n
	return func() { commonThreshold = old }
}
