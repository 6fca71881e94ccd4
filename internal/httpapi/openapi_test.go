package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-chat/baton/internal/httpapi"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
	"gopkg.in/yaml.v3"
)

const openAPIPath = "../../docs/openapi.yaml"

// openAPI is docs/openapi.yaml, parsed.
type openAPI struct {
	root map[string]any
}

var (
	specOnce sync.Once
	spec     *openAPI
	specErr  error
)

// loadSpec parses docs/openapi.yaml once for the package's tests.
func loadSpec() (*openAPI, error) {
	specOnce.Do(func() {
		b, err := os.ReadFile(openAPIPath)
		if err != nil {
			specErr = err
			return
		}
		var root map[string]any
		if err := yaml.Unmarshal(b, &root); err != nil {
			specErr = fmt.Errorf("parse %s: %w", openAPIPath, err)
			return
		}
		spec = &openAPI{root: root}
	})
	return spec, specErr
}

func mustSpec(t *testing.T) *openAPI {
	t.Helper()
	s, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func (s *openAPI) paths() map[string]any { return asMap(s.root["paths"]) }

var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// pathOf turns a ServeMux pattern into its OpenAPI path: the host is dropped, {name...}
// becomes {name} and {$} is dropped. ok is false for a pattern to skip: a catch-all
// subtree without a method.
func pathOf(pattern string) (method, path string, ok bool) {
	method, path, found := strings.Cut(pattern, " ")
	if !found {
		method, path = "", pattern
	}
	path = strings.TrimLeft(path, " \t")
	if i := strings.Index(path, "/"); i > 0 {
		path = path[i:] // drop a host
	}
	path = strings.ReplaceAll(path, "{$}", "")
	path = regexp.MustCompile(`\{(\w+)\.\.\.\}`).ReplaceAllString(path, "{$1}")
	if method == "" && strings.HasSuffix(path, "/") {
		return "", "", false
	}
	return strings.ToLower(method), path, true
}

// TestOpenAPICoversEveryRoute fails when a route of the server is missing from
// docs/openapi.yaml: add new routes to the document in the same change.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	doc := mustSpec(t)
	srv := httpapi.NewServer(storetest.Open(t, store.SQLite), slog.New(slog.DiscardHandler))
	routes := srv.Routes()
	if len(routes) < 20 {
		t.Fatalf("Routes() = %d routes; the routing table looks empty", len(routes))
	}
	paths := doc.paths()
	for _, route := range routes {
		method, path, ok := pathOf(route)
		if !ok {
			continue
		}
		item := asMap(paths[path])
		if item == nil {
			t.Errorf("route %q: path %s is missing from docs/openapi.yaml", route, path)
			continue
		}
		if method == "" {
			if !slices.ContainsFunc(httpMethods, func(m string) bool { return item[m] != nil }) {
				t.Errorf("route %q: path %s has no operation in docs/openapi.yaml", route, path)
			}
			continue
		}
		if item[method] == nil {
			t.Errorf("route %q: operation %s %s is missing from docs/openapi.yaml", route, strings.ToUpper(method), path)
		}
	}
	for _, p := range []string{"/api/v1/ws", "/widget/v1/ws"} {
		if asMap(paths[p])["get"] == nil {
			t.Errorf("docs/openapi.yaml does not document the WebSocket GET %s", p)
		}
	}
}

func TestPathOf(t *testing.T) {
	for _, c := range []struct{ pattern, method, path string }{
		{"GET /api/v1/conversations/{id}", "get", "/api/v1/conversations/{id}"},
		{"POST /hooks/telegram/{chatbot}", "post", "/hooks/telegram/{chatbot}"},
		{"GET /files/{path...}", "get", "/files/{path}"},
		{"GET /{$}", "get", "/"},
		{"GET example.com/x", "get", "/x"},
		{"/healthz", "", "/healthz"},
	} {
		m, p, ok := pathOf(c.pattern)
		if !ok || m != c.method || p != c.path {
			t.Errorf("pathOf(%q) = %q, %q, %v, want %q, %q, true", c.pattern, m, p, ok, c.method, c.path)
		}
	}
	if _, _, ok := pathOf("/api/"); ok {
		t.Errorf(`pathOf("/api/") is not skipped as a catch-all`)
	}
}

// TestOpenAPIDocument checks the document's own consistency: the OpenAPI version, every
// $ref resolves, every path parameter is declared, every operation says who may call it
// and answers errors in the error shape.
func TestOpenAPIDocument(t *testing.T) {
	doc := mustSpec(t)
	if v, _ := doc.root["openapi"].(string); !strings.HasPrefix(v, "3.1") {
		t.Errorf("openapi = %q, want 3.1.x", v)
	}
	var refs []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if r, ok := v["$ref"].(string); ok {
				refs = append(refs, r)
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc.root)
	for _, r := range refs {
		if doc.ref(r) == nil {
			t.Errorf("$ref %q does not resolve", r)
		}
	}

	schemes := asMap(asMap(doc.root["components"])["securitySchemes"])
	for _, name := range []string{"bearerAuth", "sessionCookie", "visitorToken"} {
		if schemes[name] == nil {
			t.Errorf("security scheme %s is missing", name)
		}
	}
	if c := asMap(schemes["sessionCookie"]); c["in"] != "cookie" || c["name"] != httpapi.SessionCookie {
		t.Errorf("sessionCookie = %v, want the %s cookie", c, httpapi.SessionCookie)
	}
	errSchema := doc.schema(map[string]any{"$ref": "#/components/schemas/Error"})
	if errSchema == nil {
		t.Fatal("components/schemas/Error is missing")
	}
	for _, body := range []string{`{"error":{"code":"not_found","message":"Conversation not found."}}`} {
		if errs := doc.validate(errSchema, decodeNumbers(t, []byte(body)), "$"); len(errs) > 0 {
			t.Errorf("the Error schema refuses %s: %v", body, errs)
		}
	}
	for _, body := range []string{`{"error":"x"}`, `{"error":{"code":"x"}}`, `{"error":{"code":"x","message":"y","extra":1}}`, `{"code":"x"}`} {
		if errs := doc.validate(errSchema, decodeNumbers(t, []byte(body)), "$"); len(errs) == 0 {
			t.Errorf("the Error schema accepts %s", body)
		}
	}
	responses := asMap(asMap(doc.root["components"])["responses"])
	for _, name := range []string{"Invalid", "Unauthorized", "Forbidden", "NotFound", "Conflict", "TooLarge", "UnsupportedMediaType", "RateLimited", "Internal"} {
		if responses[name] == nil {
			t.Errorf("components/responses/%s is missing", name)
		}
	}
	if asMap(asMap(asMap(responses["RateLimited"])["headers"])["Retry-After"]) == nil {
		t.Error("the RateLimited response does not document Retry-After")
	}

	ids := map[string]string{}
	paramName := regexp.MustCompile(`\{(\w+)\}`)
	for path, item := range doc.paths() {
		item := asMap(item)
		for _, m := range httpMethods {
			op := asMap(item[m])
			if op == nil {
				continue
			}
			where := strings.ToUpper(m) + " " + path
			if id, _ := op["operationId"].(string); id == "" {
				t.Errorf("%s has no operationId", where)
			} else if prev, dup := ids[id]; dup {
				t.Errorf("%s and %s share the operationId %q", where, prev, id)
			} else {
				ids[id] = where
			}
			if _, ok := op["security"].([]any); !ok {
				t.Errorf("%s does not say who may call it (security)", where)
			}
			declared := map[string]bool{}
			for _, list := range []any{item["parameters"], op["parameters"]} {
				ps, _ := list.([]any)
				for _, p := range ps {
					p := doc.resolve(asMap(p))
					if p["in"] == "path" {
						declared[fmt.Sprint(p["name"])] = true
					}
				}
			}
			for _, sub := range paramName.FindAllStringSubmatch(path, -1) {
				if !declared[sub[1]] {
					t.Errorf("%s does not declare its path parameter %s", where, sub[1])
				}
			}
			rs := asMap(op["responses"])
			if len(rs) == 0 {
				t.Errorf("%s has no responses", where)
			}
			for code, r := range rs {
				if (code[0] != '4' && code[0] != '5') || (path == "/readyz" && code == "503") {
					continue // readiness answers its own {"status"} shape
				}
				s := doc.responseSchema(asMap(r), "application/json")
				if s == nil || doc.resolve(s)["properties"] == nil || asMap(doc.resolve(s)["properties"])["error"] == nil {
					t.Errorf("%s: response %s is not the Error shape", where, code)
				}
			}
		}
	}
}

// ref returns the node a local $ref points at, or nil.
func (s *openAPI) ref(ref string) map[string]any {
	p, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil
	}
	var node any = s.root
	for _, part := range strings.Split(p, "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		node = asMap(node)[part]
		if node == nil {
			return nil
		}
	}
	return asMap(node)
}

// resolve follows $refs.
func (s *openAPI) resolve(m map[string]any) map[string]any {
	for i := 0; i < 20 && m != nil; i++ {
		r, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		m = s.ref(r)
	}
	return m
}

func (s *openAPI) schema(m map[string]any) map[string]any { return s.resolve(m) }

// responseSchema is the schema of a response's content of the media type, or nil.
func (s *openAPI) responseSchema(r map[string]any, mediaType string) map[string]any {
	r = s.resolve(r)
	content := asMap(r["content"])
	if content == nil {
		return nil
	}
	return asMap(asMap(content[mediaType])["schema"])
}

// operation finds the documented operation that serves a request path (escaped), with
// its path template; literal segments win over parameters.
func (s *openAPI) operation(method, escapedPath string) (string, map[string]any) {
	segs := strings.Split(escapedPath, "/")
	best, bestParams := "", -1
	for tmpl := range s.paths() {
		ts := strings.Split(tmpl, "/")
		if len(ts) != len(segs) {
			continue
		}
		params, match := 0, true
		for i := range ts {
			if strings.HasPrefix(ts[i], "{") && strings.HasSuffix(ts[i], "}") {
				if segs[i] == "" {
					match = false
					break
				}
				params++
			} else if ts[i] != segs[i] {
				match = false
				break
			}
		}
		if match && (bestParams < 0 || params < bestParams) {
			best, bestParams = tmpl, params
		}
	}
	if best == "" {
		return "", nil
	}
	return best, asMap(asMap(s.paths()[best])[strings.ToLower(method)])
}

// checkAgainstSpec checks a response against docs/openapi.yaml: its status is documented
// for the operation and its JSON body fits the documented schema, with no undocumented
// field. Responses of paths the document does not know (the /api/ catch-all) are skipped.
func checkAgainstSpec(t testing.TB, r resp) {
	t.Helper()
	doc, err := loadSpec()
	if err != nil {
		return // TestOpenAPIDocument reports it
	}
	u, err := url.Parse(r.URL)
	if err != nil {
		return
	}
	tmpl, op := doc.operation(r.Method, u.EscapedPath())
	if tmpl == "" || r.Method == http.MethodOptions {
		return // not an API path, or a CORS preflight (the widget tag describes them)
	}
	where := r.Method + " " + tmpl
	if op == nil {
		if r.Status != http.StatusNotFound && r.Status != http.StatusMethodNotAllowed {
			t.Errorf("%s %s = %d, but docs/openapi.yaml has no %s", r.Method, r.URL, r.Status, where)
		}
		return
	}
	rd := asMap(asMap(op["responses"])[fmt.Sprint(r.Status)])
	if rd == nil {
		if r.Status < 500 {
			t.Errorf("%s %s = %d %s, a status docs/openapi.yaml does not list for %s", r.Method, r.URL, r.Status, truncate(r.Body), where)
		}
		return
	}
	rd = doc.resolve(rd)
	content := asMap(rd["content"])
	if content == nil {
		if len(bytes.TrimSpace(r.Body)) > 0 {
			t.Errorf("%s %s = %d with a body, but docs/openapi.yaml documents none for %s", r.Method, r.URL, r.Status, where)
		}
		return
	}
	schema := asMap(asMap(content["application/json"])["schema"])
	if schema == nil {
		return // not JSON (metrics)
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Errorf("%s %s = %d: body is not JSON: %v", r.Method, r.URL, r.Status, err)
		return
	}
	for _, e := range doc.validate(schema, v, "$") {
		t.Errorf("%s %s = %d does not fit docs/openapi.yaml (%s %d): %s", r.Method, r.URL, r.Status, where, r.Status, e)
	}
}

func decodeNumbers(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// validate checks v (decoded with UseNumber) against the subset of JSON Schema the
// document uses: $ref, type (one or a list), enum, const, properties, required,
// additionalProperties, items, anyOf, oneOf, allOf and the date-time format.
func (s *openAPI) validate(schema map[string]any, v any, at string) []string {
	schema = s.resolve(schema)
	if schema == nil {
		return []string{at + ": unresolvable schema"}
	}
	var errs []string
	for _, key := range []string{"anyOf", "oneOf"} {
		if alts, ok := schema[key].([]any); ok {
			matched := 0
			for _, alt := range alts {
				if len(s.validate(asMap(alt), v, at)) == 0 {
					matched++
				}
			}
			if matched == 0 || (key == "oneOf" && matched > 1) {
				errs = append(errs, fmt.Sprintf("%s: %v matches %d of the %s alternatives", at, short(v), matched, key))
			}
		}
	}
	if all, ok := schema["allOf"].([]any); ok {
		for _, sub := range all {
			errs = append(errs, s.validate(asMap(sub), v, at)...)
		}
	}
	if t, ok := schema["type"]; ok {
		var types []string
		switch t := t.(type) {
		case string:
			types = []string{t}
		case []any:
			for _, x := range t {
				types = append(types, fmt.Sprint(x))
			}
		}
		if !slices.ContainsFunc(types, func(tp string) bool { return hasType(v, tp) }) {
			return append(errs, fmt.Sprintf("%s: %v is not of type %v", at, short(v), types))
		}
	}
	if enum, ok := schema["enum"].([]any); ok {
		if !slices.ContainsFunc(enum, func(x any) bool { return fmt.Sprint(x) == fmt.Sprint(v) }) {
			errs = append(errs, fmt.Sprintf("%s: %v is not one of %v", at, short(v), enum))
		}
	}
	if c, ok := schema["const"]; ok && fmt.Sprint(c) != fmt.Sprint(v) {
		errs = append(errs, fmt.Sprintf("%s: %v is not %v", at, short(v), c))
	}
	if schema["format"] == "date-time" {
		if str, ok := v.(string); ok {
			if _, err := time.Parse(time.RFC3339Nano, str); err != nil {
				errs = append(errs, fmt.Sprintf("%s: %q is not an RFC 3339 date-time", at, str))
			}
		}
	}
	switch v := v.(type) {
	case map[string]any:
		props := asMap(schema["properties"])
		req, _ := schema["required"].([]any)
		for _, r := range req {
			if _, ok := v[fmt.Sprint(r)]; !ok {
				errs = append(errs, fmt.Sprintf("%s: required field %q is missing", at, r))
			}
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if p, ok := props[k]; ok {
				errs = append(errs, s.validate(asMap(p), v[k], at+"."+k)...)
				continue
			}
			switch ap := schema["additionalProperties"].(type) {
			case bool:
				if !ap {
					errs = append(errs, fmt.Sprintf("%s: field %q is not documented", at, k))
				}
			case map[string]any:
				errs = append(errs, s.validate(ap, v[k], at+"."+k)...)
			}
		}
	case []any:
		if items := asMap(schema["items"]); items != nil {
			for i, x := range v {
				errs = append(errs, s.validate(items, x, fmt.Sprintf("%s[%d]", at, i))...)
			}
		}
	}
	return errs
}

func hasType(v any, tp string) bool {
	switch tp {
	case "null":
		return v == nil
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "number":
		_, ok := v.(json.Number)
		return ok
	case "integer":
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		_, ok = new(big.Int).SetString(n.String(), 10)
		return ok
	}
	return false
}

func short(v any) string {
	b, _ := json.Marshal(v)
	return truncate(b)
}

// TestSpecValidatorCatchesMismatches makes sure the response check can fail.
func TestSpecValidatorCatchesMismatches(t *testing.T) {
	doc := mustSpec(t)
	conv := map[string]any{"$ref": "#/components/schemas/Conversation"}
	user := map[string]any{"$ref": "#/components/schemas/User"}
	good := `{"id":"u1","account_id":"a1","email":"a@b.c","first_name":"A","last_name":"","role":"agent","availability":"online",
		"capacity":5,"notification_settings":{"desktop":true,"sound":false},"created_at":"2024-01-02T03:04:05.123456Z"}`
	if errs := doc.validate(user, decodeNumbers(t, []byte(good)), "$"); len(errs) > 0 {
		t.Errorf("a good user does not fit the User schema: %v", errs)
	}
	for name, bad := range map[string]string{
		"an undocumented field": strings.Replace(good, `"capacity":5`, `"capacity":5,"secret":"x"`, 1),
		"a missing field":       strings.Replace(good, `"capacity":5,`, ``, 1),
		"a wrong enum value":    strings.Replace(good, `"agent"`, `"boss"`, 1),
		"a wrong type":          strings.Replace(good, `"capacity":5`, `"capacity":"5"`, 1),
		"a fraction":            strings.Replace(good, `"capacity":5`, `"capacity":5.5`, 1),
		"a bad time":            strings.Replace(good, `2024-01-02T03:04:05.123456Z`, `yesterday`, 1),
	} {
		if errs := doc.validate(user, decodeNumbers(t, []byte(bad)), "$"); len(errs) == 0 {
			t.Errorf("the User schema accepts a user with %s", name)
		}
	}
	if errs := doc.validate(conv, decodeNumbers(t, []byte(`{"id":"c1"}`)), "$"); len(errs) == 0 {
		t.Error("the Conversation schema accepts a conversation with only an id")
	}
	if tmpl, op := doc.operation("GET", "/api/v1/conversations/abc/messages"); tmpl != "/api/v1/conversations/{id}/messages" || op == nil {
		t.Errorf("operation(GET, /api/v1/conversations/abc/messages) = %q, want the messages operation", tmpl)
	}
}
