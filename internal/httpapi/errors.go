package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/baton-chat/baton"
)

type handlerFunc func(w http.ResponseWriter, r *http.Request) error

var errNoRoute = baton.Errorf(baton.ENOTFOUND, "No such API route.")

// statusOf maps error codes to HTTP statuses (API.md "Errors").
var statusOf = map[string]int{
	baton.EINVALID:      http.StatusBadRequest,
	baton.EUNAUTHORIZED: http.StatusUnauthorized,
	baton.EFORBIDDEN:    http.StatusForbidden,
	baton.ENOTFOUND:     http.StatusNotFound,
	baton.ECONFLICT:     http.StatusConflict,
	baton.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	baton.EUNSUPPORTED:  http.StatusUnsupportedMediaType,
	baton.ERATELIMITED:  http.StatusTooManyRequests,
	baton.EINTERNAL:     http.StatusInternalServerError,
}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// adapt turns a handler that returns an error into an http.Handler; the error is written
// in the API shape and, if internal, logged once with the request's route.
func (s *Server) adapt(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.Logger.Error("panic in handler", "method", r.Method, "path", r.URL.Path, "panic", v)
				s.writeError(w, r, errors.New("panic"))
			}
		}()
		err := checkURL(r)
		if err == nil {
			err = h(w, r)
		}
		if err != nil {
			s.writeError(w, r, err)
		}
	})
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := baton.ErrorCode(err)
	status, ok := statusOf[code]
	var be *baton.Error
	if errors.As(err, &be) {
		if be.Status != 0 {
			status, ok = be.Status, true
		}
		if be.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(be.RetryAfter))
		}
	}
	if !ok {
		status = http.StatusInternalServerError
	}
	if code == baton.EINTERNAL {
		s.Logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	var body errorBody
	body.Error.Code = code
	body.Error.Message = baton.ErrorMessage(err)
	if code == baton.EUNAUTHORIZED && r.Header.Get("Authorization") != "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="baton"`)
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}
