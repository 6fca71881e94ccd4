package realtime

import (
	"encoding/json"
	"time"

	"github.com/baton-chat/baton"
	"golang.org/x/time/rate"
)

// A visitor's socket may send this many typing and read frames at once, then a few a
// second: the widget sends "typing" at most every 3 s and one "read" per message it shows,
// so only a script meets the budget (issue 18, item 6). Each frame is relayed to every node
// through the bus, which is why a flood of them is worth stopping.
const (
	visitorFrameBurst = 20
	visitorFrameRate  = 2 // per second, sustained
)

// newVisitorFrameLimit is the budget of one visitor socket (nil when the hub's limits are
// off).
func (h *Hub) newVisitorFrameLimit() *rate.Limiter {
	if h.NoRateLimits {
		return nil
	}
	return rate.NewLimiter(visitorFrameRate, visitorFrameBurst)
}

// visitorFrameAllowed spends one frame of a visitor socket's budget. Past the budget the
// frame is dropped and the socket — which stays open — gets one ephemeral error frame
// {"type":"error","seq":0,"data":{"code":"rate_limited","message","retry_after"}} per run of
// refused frames, not one per frame.
func (c *client) visitorFrameAllowed() bool {
	if c.frames == nil {
		return true
	}
	now := time.Now()
	r := c.frames.ReserveN(now, 1)
	wait := r.DelayFrom(now)
	if wait <= 0 {
		c.framesRefused = false
		return true
	}
	r.CancelAt(now)
	if !c.framesRefused {
		c.framesRefused = true
		data, _ := json.Marshal(map[string]any{"type": "error", "seq": 0, "data": map[string]any{
			"code": baton.ERATELIMITED, "message": "Too many frames: slow down.",
			"retry_after": int((wait + time.Second - 1) / time.Second)}})
		c.push(item{ctl: ctlError, data: data})
	}
	return false
}
