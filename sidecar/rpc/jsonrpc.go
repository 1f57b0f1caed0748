package rpc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

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
func Decode(body []byte) (reqs []Request, batch bool, err *errmap.Error) {
	if !json.Valid(body) {
		return nil, false, errmap.New(errmap.CodeParse, http.StatusBadRequest, "parse error: the body is not valid JSON")
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var elems []json.RawMessage
		if json.Unmarshal(trimmed, &elems) != nil {
			return nil, false, invalidRequest("the body is not a JSON-RPC request")
		}
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

func decodeOne(raw json.RawMessage) Request {
	var m map[string]json.RawMessage
	if jsonKind(raw) != '{' || json.Unmarshal(raw, &m) != nil {
		return Request{Err: invalidRequest("a request is a JSON object")}
	}
	var r Request
	if id, ok := m["id"]; ok {
		switch jsonKind(id) {
		case '"', '0', 'n':
			r.ID = id
		default:
			return Request{Err: invalidRequest(`"id" must be a string, a number or null`)}
		}
	}
	var version string
	if v, ok := m["jsonrpc"]; !ok || json.Unmarshal(v, &version) != nil || version != "2.0" {
		r.Err = invalidRequest(`"jsonrpc" must be "2.0"`)
		return r
	}
	mth, ok := m["method"]
	if !ok || jsonKind(mth) != '"' || json.Unmarshal(mth, &r.Method) != nil || r.Method == "" {
		r.Err = invalidRequest(`"method" must be a non-empty string`)
		return r
	}
	if p, ok := m["params"]; ok {
		if k := jsonKind(p); k != '{' && k != '[' {
			r.Err = invalidRequest(`"params" must be an object (by name) or an array (by position)`)
			return r
		}
		r.Params = p
	}
	return r
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
	var c bytes.Buffer
	if json.Compact(&c, id) != nil {
		return append(buf, "null"...)
	}
	return append(buf, c.Bytes()...)
}
