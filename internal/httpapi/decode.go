package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/baton-chat/baton"
)

// MaxBodyBytes caps every JSON request body (K3).
const MaxBodyBytes = 1 << 20

// decode reads a JSON body into v: at most MaxBodyBytes, valid UTF-8, one object, no unknown
// fields. Every failure is a 4xx with a message that says what was wrong.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return &baton.Error{Code: baton.EUNSUPPORTED, Message: "Send the body as application/json."}
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return &baton.Error{Code: baton.ETOOLARGE, Message: fmt.Sprintf("The request body is larger than %d bytes.", MaxBodyBytes)}
	} else if err != nil {
		return baton.Invalid("The request body could not be read.")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return baton.Invalid("The request body is empty: send a JSON object.")
	}
	if !utf8.Valid(body) {
		return baton.Invalid("The request body is not valid UTF-8.")
	}
	if hasNULEscape(body) {
		return baton.Invalid("The request body contains a NUL character (\\u0000), which no text may hold.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			return baton.Invalid("The body is not valid JSON (at byte %d).", syn.Offset)
		case errors.As(err, &typ):
			if typ.Field != "" {
				return baton.Invalid("Field %q must be of type %s.", typ.Field, typ.Type)
			}
			return baton.Invalid("The body must be a JSON object.")
		case errors.Is(err, io.ErrUnexpectedEOF):
			return baton.Invalid("The body is not valid JSON (it ends too early).")
		default:
			if msg := err.Error(); len(msg) > 20 && msg[:20] == "json: unknown field " {
				return baton.Invalid("Unknown field %s.", msg[20:])
			}
			return baton.Invalid("The body is not valid JSON.")
		}
	}
	if dec.More() {
		return baton.Invalid("The body must hold exactly one JSON object.")
	}
	return nil
}

// hasNULEscape reports whether a JSON text holds the escape \u0000 (a raw NUL byte is
// invalid JSON already). PostgreSQL cannot store NUL in text, so it is refused up front.
func hasNULEscape(b []byte) bool {
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' {
			continue
		}
		if i+6 <= len(b) && b[i+1] == 'u' && string(b[i+2:i+6]) == "0000" {
			return true
		}
		i++ // skip the escaped character, so that \\u0000 is not taken for a NUL
	}
	return false
}

// checkURL refuses a path or query parameter that is not valid UTF-8 or holds a NUL
// character: no id or filter can be such text, and PostgreSQL refuses it with an error.
func checkURL(r *http.Request) error {
	if !validText(r.URL.Path) {
		return baton.Invalid("The URL path is not valid UTF-8 text.")
	}
	for k, vs := range r.URL.Query() {
		if !validText(k) {
			return baton.Invalid("A query parameter name is not valid UTF-8 text.")
		}
		for _, v := range vs {
			if !validText(v) {
				return baton.Invalid("Query parameter %s is not valid UTF-8 text.", k)
			}
		}
	}
	return nil
}

func validText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// decodeOptional is decode for endpoints whose body may be absent.
func decodeOptional(w http.ResponseWriter, r *http.Request, v any) error {
	if r.ContentLength == 0 && r.Header.Get("Transfer-Encoding") == "" {
		return nil
	}
	return decode(w, r, v)
}

// queryInt reads an integer query parameter within [min, max]; absent gives def.
func queryInt(r *http.Request, name string, def, min, max int64) (int64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < min || n > max {
		return 0, baton.Invalid("Query parameter %s must be a whole number from %d to %d.", name, min, max)
	}
	return n, nil
}
