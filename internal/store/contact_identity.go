package store

// ChannelOfSession names the channel a contact's session id belongs to: channel
// contacts have a prefixed one ("tg:…", "wa:…", "fb:…", "email:…"), widget visitors a
// bare one (web).
func ChannelOfSession(sessionID string) string { return channelOf(sessionID) }
