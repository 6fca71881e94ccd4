// Package meta is the Graph API channels of Meta: WhatsApp Cloud API (C3) and Facebook
// Messenger (C4). Both share the webhook scheme — a GET verification challenge
// (hub.mode, hub.verify_token, hub.challenge) and POST notifications signed with the app
// secret in X-Hub-Signature-256 — and the Graph API's calls and errors, spoken here over
// net/http.
package meta

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/channel"
	"github.com/baton-chat/baton/internal/store"
)

// SignatureHeader carries "sha256=<hex HMAC-SHA256 of the body with the app secret>".
const SignatureHeader = "X-Hub-Signature-256"

// DefaultVersion is the Graph API version Baton calls.
const DefaultVersion = "v23.0"

// Graph calls the Graph API at BaseURL (https://graph.facebook.com, or
// BATON_GRAPH_API_URL).
type Graph struct {
	BaseURL string
	// Version is the API version in every path (DefaultVersion when empty).
	Version string
	// Client makes the calls (nil: a client with a 60 s timeout).
	Client *http.Client
}

func (g *Graph) client() *http.Client {
	if g.Client != nil {
		return g.Client
	}
	return &http.Client{Timeout: 60 * time.Second}
}

// endpoint is BaseURL/version/path.
func (g *Graph) endpoint(path string) string {
	v := g.Version
	if v == "" {
		v = DefaultVersion
	}
	return strings.TrimRight(g.BaseURL, "/") + "/" + v + "/" + strings.TrimLeft(path, "/")
}

// Error is a Graph API error answer.
type Error struct {
	HTTPStatus int
	RetryAfter time.Duration
	Message    string `json:"message"`
	Type       string `json:"type"`
	Code       int    `json:"code"`
	Subcode    int    `json:"error_subcode"`
	Transient  bool   `json:"is_transient"`
	Data       struct {
		Details string `json:"details"`
	} `json:"error_data"`
}

func (e *Error) Error() string {
	s := e.Message
	if e.Code != 0 {
		s = fmt.Sprintf("(#%d) %s", e.Code, e.Message)
	}
	if e.Data.Details != "" && e.Data.Details != e.Message {
		s += ": " + e.Data.Details
	}
	if s == "" {
		s = fmt.Sprintf("HTTP %d", e.HTTPStatus)
	}
	return s
}

// rateLimitCodes are the Graph error codes of throttling (app, account, pair and
// throughput limits).
var rateLimitCodes = map[int]bool{4: true, 17: true, 32: true, 613: true, 80007: true, 130429: true, 131048: true, 131056: true}

// sendError sorts a failed call for the delivery job: rate limits wait, server errors
// and transient ones are retried, other 4xx are final (closed window, unknown
// recipient, bad request).
func sendError(provider string, err error) error {
	ge, ok := err.(*Error)
	if !ok {
		return channel.Temporary("%s could not be reached.", provider)
	}
	reason := provider + ": " + ge.Error()
	switch {
	case ge.HTTPStatus == http.StatusTooManyRequests || rateLimitCodes[ge.Code]:
		return channel.RateLimited(ge.RetryAfter, "%s", reason)
	case ge.HTTPStatus >= 500 || ge.Transient || ge.Code == 1 || ge.Code == 2:
		return channel.Temporary("%s", reason)
	}
	return channel.Permanent("%s", reason)
}

// do sends a request with the access token and decodes a JSON answer into out.
func (g *Graph) do(ctx context.Context, req *http.Request, token string, out any) error {
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := g.client().Do(req.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("graph: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("graph: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		var env struct {
			Error *Error `json:"error"`
		}
		ge := &Error{}
		if json.Unmarshal(body, &env) == nil && env.Error != nil {
			ge = env.Error
		}
		ge.HTTPStatus = resp.StatusCode
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			ge.RetryAfter = time.Duration(s) * time.Second
		}
		return ge
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("graph: bad answer: %w", err)
	}
	return nil
}

// getJSON GETs a Graph path.
func (g *Graph) getJSON(ctx context.Context, path, token string, out any) error {
	req, err := http.NewRequest(http.MethodGet, g.endpoint(path), nil)
	if err != nil {
		return err
	}
	return g.do(ctx, req, token, out)
}

// postJSON POSTs a JSON body to a Graph path.
func (g *Graph) postJSON(ctx context.Context, path, token string, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPost, g.endpoint(path), bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	return g.do(ctx, req, token, out)
}

// postValues POSTs form fields to a Graph path.
func (g *Graph) postValues(ctx context.Context, path, token string, values url.Values, out any) error {
	req, err := http.NewRequest(http.MethodPost, g.endpoint(path), strings.NewReader(values.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return g.do(ctx, req, token, out)
}

// postForm POSTs multipart form fields and one file (uploads).
func (g *Graph) postForm(ctx context.Context, path, token string, fields [][2]string, fileField, fileName, contentType string,
	file io.Reader, out any) error {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, f := range fields {
		if err := w.WriteField(f[0], f[1]); err != nil {
			return err
		}
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, fileField, fileName))
	h.Set("Content-Type", contentType)
	part, err := w.CreatePart(h)
	if err != nil {
		return err
	}
	if _, err := io.Copy(part, io.LimitReader(file, store.MaxAttachmentSize+1)); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPost, g.endpoint(path), &buf)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	return g.do(ctx, req, token, out)
}

// download fetches a media URL the Graph API gave, with the access token.
func (g *Graph) download(token, u string) func(ctx context.Context) (io.ReadCloser, error) {
	return channel.Download(g.client(), u, http.Header{"Authorization": {"Bearer " + token}})
}

// CheckSignature verifies X-Hub-Signature-256 against the body: EUNAUTHORIZED when
// missing, EFORBIDDEN when it does not match.
func CheckSignature(r *http.Request, body []byte, appSecret string) error {
	got := r.Header.Get(SignatureHeader)
	if got == "" {
		return baton.Errorf(baton.EUNAUTHORIZED, "The %s header is missing.", SignatureHeader)
	}
	if appSecret == "" || subtle.ConstantTimeCompare([]byte(strings.ToLower(got)), []byte(Sign(appSecret, body))) != 1 {
		return baton.Errorf(baton.EFORBIDDEN, "The %s header does not match the body and this channel's app secret.", SignatureHeader)
	}
	return nil
}

// Sign is the X-Hub-Signature-256 value of a body.
func Sign(appSecret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(appSecret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// verify answers the verification challenge: hub.mode=subscribe with the configured
// verify token gets hub.challenge back.
func verify(c *store.ChannelConfig, r *http.Request) (string, error) {
	q := r.URL.Query()
	token := q.Get("hub.verify_token")
	if q.Get("hub.mode") != "subscribe" || token == "" || subtle.ConstantTimeCompare([]byte(token), []byte(c.Secrets["verify_token"])) != 1 {
		return "", baton.Errorf(baton.EFORBIDDEN, "The verification request does not match this channel's verify token.")
	}
	ch := q.Get("hub.challenge")
	if ch == "" || len(ch) > 200 {
		return "", baton.Invalid("hub.challenge is missing.")
	}
	return ch, nil
}

// connectError explains a refused configuration.
func connectError(provider string, err error) error {
	if ge, ok := err.(*Error); ok {
		return baton.Invalid("%s refused the configuration: %s", provider, ge.Error())
	}
	return baton.Invalid("%s could not be reached to check the configuration.", provider)
}

// unixTime reads the Graph API's timestamps: seconds as a string (WhatsApp) or
// milliseconds as a number (Messenger).
func unixTime(s string) time.Time {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}
	}
	return unixNumber(n)
}

// unixNumber reads seconds or milliseconds since the epoch (zero: unknown).
func unixNumber(n int64) time.Time {
	if n <= 0 {
		return time.Time{}
	}
	if n > 1e12 {
		return time.UnixMilli(n).UTC()
	}
	return time.Unix(n, 0).UTC()
}
