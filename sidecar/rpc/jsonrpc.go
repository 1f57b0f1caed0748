package rpc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/howdah/howdah/sidecar/errmap"
)

// MaxBatch is the largest batch Decode accepts.
const MaxBatch = 100

// Request is one decoded JSON-RPC request.
type Request struct {
	Method string
	// Params is the raw params member: absent (nil), an object or an array.
	Params json.RawMessage
	// ID is the raw id (a string, a number or null); nil for a notification.
	ID json.RawMessage
	// Err is set when this element of the body is not a valid request; the other fields may be empty.
	Err *errmap.Error
}

// Notification reports whether the request expects no response.
func (r *Request) Notification() bool { return r.ID == nil && r.Err == nil }

// Decode parses a request body: one request or a batch. A body that is not JSON, an empty
// batch or a batch over MaxBatch fails as a whole; in a batch, each element that is not a valid
// request becomes a Request with Err set. Decode never panics on any input.
//
// The body is checked with json.Valid, then walked by hand: a request is a few members, and
// decoding them into a map through reflection cost more than the rest of the request's Go code.
// The Requests share the body's memory.
func Decode(body []byte) (reqs []Request, batch bool, err *errmap.Error) {
	if !json.Valid(body) {
		return nil, false, errmap.New(errmap.CodeParse, http.StatusBadRequest, "parse error: the body is not valid JSON")
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var elems []json.RawMessage
		forEach(trimmed, func(_, v []byte) { elems = append(elems, v) })
		if len(elems) == 0 {
			return nil, false, invalidRequest("empty batch: send at least one request")
		}
		if len(elems) > MaxBatch {
			return nil, false, invalidRequest(fmt.Sprintf("batch of %d requests: at most %d are allowed", len(elems), MaxBatch))
		}
		reqs = make([]Request, len(elems))
		for i, e := range elems {
			reqs[i] = decodeOne(e)
		}
		return reqs, true, nil
	}
	r := decodeOne(trimmed)
	return []Request{r}, false, nil
}

func invalidRequest(msg string) *errmap.Error {
	return errmap.New(errmap.CodeInvalidRequest, http.StatusBadRequest, "invalid request: "+msg)
}

// decodeOne reads one request from a valid JSON value. Members are matched by their name after
// unescaping, and a repeated member counts once, its last value: as encoding/json would.
func decodeOne(raw json.RawMessage) Request {
	if jsonKind(raw) != '{' {
		return Request{Err: invalidRequest("a request is a JSON object")}
	}
	var id, version, method, params []byte
	var hasID, hasVersion, hasMethod, hasParams bool
	forEach(raw, func(k, v []byte) {
		switch string(unquote(k)) {
		case "id":
			id, hasID = v, true
		case "jsonrpc":
			version, hasVersion = v, true
		case "method":
			method, hasMethod = v, true
		case "params":
			params, hasParams = v, true
		}
	})
	var r Request
	if hasID {
		switch jsonKind(id) {
		case '"', '0', 'n':
			r.ID = id
		default:
			return Request{Err: invalidRequest(`"id" must be a string, a number or null`)}
		}
	}
	if !hasVersion || jsonKind(version) != '"' || string(unquote(version)) != "2.0" {
		r.Err = invalidRequest(`"jsonrpc" must be "2.0"`)
		return r
	}
	if !hasMethod || jsonKind(method) != '"' {
		r.Err = invalidRequest(`"method" must be a non-empty string`)
		return r
	}
	if r.Method = string(unquote(method)); r.Method == "" {
		r.Err = invalidRequest(`"method" must be a non-empty string`)
		return r
	}
	if hasParams {
		if k := jsonKind(params); k != '{' && k != '[' {
			r.Err = invalidRequest(`"params" must be an object (by name) or an array (by position)`)
			return r
		}
		r.Params = params
	}
	return r
}

// forEach calls fn with each member of a valid JSON object (its name as a JSON string, its
// value) or each element of a valid JSON array (a nil name), in order.
func forEach(v []byte, fn func(k, v []byte)) {
	i := skipSpace(v, 0)
	if i >= len(v) || (v[i] != '{' && v[i] != '[') {
		return
	}
	object := v[i] == '{'
	i = skipSpace(v, i+1)
	for i < len(v) && v[i] != '}' && v[i] != ']' {
		var k []byte
		if object {
			end := skipValue(v, i)
			k = v[i:end]
			i = skipSpace(v, end)
			i = skipSpace(v, i+1) // ':'
		}
		end := skipValue(v, i)
		fn(k, v[i:end])
		i = skipSpace(v, end)
		if i < len(v) && v[i] == ',' {
			i = skipSpace(v, i+1)
		}
	}
}

func skipSpace(v []byte, i int) int {
	for i < len(v) && (v[i] == ' ' || v[i] == '\t' || v[i] == '\r' || v[i] == '\n') {
		i++
	}
	return i
}

// skipValue returns the end of the valid JSON value starting at v[i].
func skipValue(v []byte, i int) int {
	if i >= len(v) {
		return i
	}
	switch v[i] {
	case '"':
		for i++; i < len(v); i++ {
			switch v[i] {
			case '\\':
				i++
			case '"':
				return i + 1
			}
		}
		return i
	case '{', '[':
		depth := 0
		for ; i < len(v); i++ {
			switch v[i] {
			case '"':
				i = skipValue(v, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return i
	}
	for ; i < len(v); i++ {
		switch v[i] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			return i
		}
	}
	return i
}

// unquote returns the text of a valid JSON string: the bytes between the quotes when there is
// nothing to unescape or repair, else what encoding/json makes of it (escapes resolved, invalid
// UTF-8 replaced).
func unquote(s []byte) []byte {
	if len(s) < 2 {
		return nil
	}
	in := s[1 : len(s)-1]
	if bytes.IndexByte(in, '\\') < 0 && utf8.Valid(in) {
		return in
	}
	var out string
	if json.Unmarshal(s, &out) != nil {
		return nil
	}
	return []byte(out)
}

// jsonKind classifies a valid JSON value by its first byte: '{', '[', '"', 't', 'f', 'n', or
// '0' for numbers; 0 for an empty value.
func jsonKind(v []byte) byte {
	v = bytes.TrimLeft(v, " \t\r\n")
	if len(v) == 0 {
		return 0
	}
	switch c := v[0]; c {
	case '{', '[', '"', 't', 'f', 'n':
		return c
	default:
		return '0'
	}
}

// AppendResult appends a success response to buf. result must be valid JSON.
func AppendResult(buf []byte, id, result json.RawMessage) []byte {
	buf = append(buf, `{"jsonrpc":"2.0","result":`...)
	buf = append(buf, result...)
	buf = append(buf, `,"id":`...)
	buf = appendID(buf, id)
	return append(buf, '}')
}

// AppendError appends an error response to buf.
func AppendError(buf []byte, id json.RawMessage, e *errmap.Error) []byte {
	body, err := json.Marshal(e)
	if err != nil {
		body = []byte(`{"code":` + strconv.Itoa(errmap.CodeInternal) + `,"message":"internal error"}`)
	}
	buf = append(buf, `{"jsonrpc":"2.0","error":`...)
	buf = append(buf, body...)
	buf = append(buf, `,"id":`...)
	buf = appendID(buf, id)
	return append(buf, '}')
}

func appendID(buf []byte, id json.RawMessage) []byte {
	if len(id) == 0 {
		return append(buf, "null"...)
	}
	// Decode's ids have no space to remove: no copy through a buffer.
	if bytes.IndexAny(id, " \t\r\n") < 0 && json.Valid(id) {
		return append(buf, id...)
	}
	var c bytes.Buffer
	if json.Compact(&c, id) != nil {
		return append(buf, "null"...)
	}
	return append(buf, c.Bytes()...)
}
