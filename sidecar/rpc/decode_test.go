package rpc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/howdah/howdah/sidecar/errmap"
)

// decodeSeeds are bodies FuzzDecode starts from; TestDecodeSeeds runs them on every test run.
var decodeSeeds = []string{
	``, ` `, `null`, `1`, `"x"`, `true`, `{}`, `[]`, `[[]]`, `[1,2]`, `{"jsonrpc":"2.0"}`,
	`{"jsonrpc":"2.0","method":"howdah.version","id":1}`,
	`{"jsonrpc":"2.0","method":"howdah.version"}`,
	`{"jsonrpc":"2.0","method":"a.b","params":[1,"2",null],"id":"x"}`,
	`{"jsonrpc":"2.0","method":"a.b","params":{"k":{"n":[1]}},"id":null}`,
	`{"jsonrpc":"2.0","method":"a.b","params":3,"id":1}`,
	`{"jsonrpc":"2.0","method":"a.b","params":null,"id":1}`,
	`{"jsonrpc":"2.0","method":5,"id":1}`,
	`{"jsonrpc":"2.0","method":"","id":1}`,
	`{"jsonrpc":"2.0","method":"a.b","id":{}}`,
	`{"jsonrpc":"2.0","method":"a.b","id":[1]}`,
	`{"jsonrpc":2,"method":"a.b","id":1}`,
	`[{"jsonrpc":"2.0","method":"a.b","id":1},{"jsonrpc":"2.0","method":"a.b"},7]`,
	`{"jsonrpc":"2.0","method":"a.b","id":1e400}`,
	`{"jsonrpc":"2.0","method":"a.b","id":1,"id":2}`,
	"{\"jsonrpc\":\"2.0\",\"method\":\"\\u0000\",\"id\":1}",
	`{"jsonrpc":"2.0","method":"a.b","id":1`, `{"a":`, `[`, `]`, "\xff\xfe",
	// Escaped names and values, repeated members, spaces everywhere, invalid UTF-8, nesting.
	`{"\u006aso\u006erpc":"2\u002e0","m\u0065thod":"a.\u0062","i\u0064":"\u0031"}`,
	` { "jsonrpc" : "2.0" , "method" : "a.b" , "params" : [ 1 , { "x" : [ ] } ] , "id" : -1.5e3 } `,
	`{"jsonrpc":"2.0","method":"a.b","method":"c.d","params":{},"params":[],"id":1}`,
	`{"jsonrpc":"2.0","method":"a.b","id":1,"id":{}}`,
	`{"jsonrpc":"1.0","jsonrpc":"2.0","method":"a.b"}`,
	"{\"jsonrpc\":\"2.0\",\"method\":\"a\xffb\",\"id\":\"\xfe\"}",
	`{"jsonrpc":"2.0","method":"a\"b\\","params":{"k\"}":"]}"},"id":"x\"y"}`,
	`{"jsonrpc":"2.0","method":"a.b","params":[[[{"a":[{}]}]]],"x":{"y":[1,"}"]},"id":null}`,
	` [ {"jsonrpc":"2.0","method":"a.b","id":1} , 2 , "x" , [ ] , {"jsonrpc":"2.0","method":"c","id":"\u00e9"} ] `,
}

// checkDecode asserts Decode's contract on any input: no panic; a whole-body error or requests
// that are each valid or carry a JSON-RPC error; and that a response built from it is JSON.
func checkDecode(t *testing.T, body []byte) {
	reqs, _, err := Decode(body)
	if err != nil {
		if err.Code != -32700 && err.Code != -32600 {
			t.Fatalf("%q: whole-body error code %d", body, err.Code)
		}
		if out := AppendError(nil, nil, err); !json.Valid(out) {
			t.Fatalf("%q: error response is not JSON: %s", body, out)
		}
		return
	}
	if len(reqs) == 0 {
		t.Fatalf("%q: no requests and no error", body)
	}
	for _, r := range reqs {
		if r.Err != nil {
			if r.Err.Code != -32600 {
				t.Fatalf("%q: element error code %d", body, r.Err.Code)
			}
			if out := AppendError(nil, r.ID, r.Err); !json.Valid(out) {
				t.Fatalf("%q: error response is not JSON: %s", body, out)
			}
			continue
		}
		if r.Method == "" {
			t.Fatalf("%q: a valid request without a method", body)
		}
		if out := AppendResult(nil, r.ID, json.RawMessage(`1`)); !json.Valid(out) {
			t.Fatalf("%q: result response is not JSON: %s", body, out)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkDecode(t, body)
		checkSameAsReference(t, body)
	})
}

// checkSameAsReference asserts that Decode reads body as decodeReference, the decoder through
// encoding/json and a map that it replaced, does.
func checkSameAsReference(t *testing.T, body []byte) {
	t.Helper()
	reqs, batch, err := Decode(body)
	want, wantBatch, wantErr := decodeReference(body)
	if (err == nil) != (wantErr == nil) || err != nil && (err.Code != wantErr.Code || err.Message != wantErr.Message) {
		t.Fatalf("%q: error %+v, reference %+v", body, err, wantErr)
	}
	if batch != wantBatch || len(reqs) != len(want) {
		t.Fatalf("%q: %d requests (batch %v), reference %d (batch %v)", body, len(reqs), batch, len(want), wantBatch)
	}
	for i, r := range reqs {
		w := want[i]
		if r.Method != w.Method || !bytes.Equal(r.Params, w.Params) || !bytes.Equal(r.ID, w.ID) ||
			(r.ID == nil) != (w.ID == nil) || (r.Params == nil) != (w.Params == nil) || (r.Err == nil) != (w.Err == nil) ||
			r.Err != nil && (r.Err.Code != w.Err.Code || r.Err.Message != w.Err.Message) {
			t.Fatalf("%q: request %d:\n got %+v %s %s\nwant %+v %s %s", body, i, r, r.Params, r.ID, w, w.Params, w.ID)
		}
		if out, ref := AppendResult(nil, r.ID, json.RawMessage(`1`)), appendResultReference(w.ID); !bytes.Equal(out, ref) {
			t.Fatalf("%q: response %s, reference %s", body, out, ref)
		}
	}
}

// decodeReference is Decode as it was before the hand-written walk: encoding/json into a map.
func decodeReference(body []byte) (reqs []Request, batch bool, err *errmap.Error) {
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
			reqs[i] = decodeOneReference(e)
		}
		return reqs, true, nil
	}
	return []Request{decodeOneReference(trimmed)}, false, nil
}

func decodeOneReference(raw json.RawMessage) Request {
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

// appendResultReference is AppendResult for the result 1 as it was: the id through
// json.Compact.
func appendResultReference(id json.RawMessage) []byte {
	buf := []byte(`{"jsonrpc":"2.0","result":1,"id":`)
	var c bytes.Buffer
	if len(id) == 0 || json.Compact(&c, id) != nil {
		buf = append(buf, "null"...)
	} else {
		buf = append(buf, c.Bytes()...)
	}
	return append(buf, '}')
}

func TestDecodeSeeds(t *testing.T) {
	for _, s := range decodeSeeds {
		checkDecode(t, []byte(s))
		checkSameAsReference(t, []byte(s))
	}
	cases := []struct {
		body string
		code int // 0 = valid single request
	}{
		{`{"jsonrpc":"2.0","method":"a.b","id":1`, -32700},
		{`[]`, -32600},
		{`7`, -32600},
		{`{"jsonrpc":"2.0","method":"a.b","params":3,"id":1}`, -32600},
		{`{"jsonrpc":"2.0","method":"a.b","id":{}}`, -32600},
		{`{"jsonrpc":"2.0","method":"a.b","params":[1],"id":"x"}`, 0},
	}
	for _, c := range cases {
		reqs, _, err := Decode([]byte(c.body))
		code := 0
		if err != nil {
			code = err.Code
		} else if reqs[0].Err != nil {
			code = reqs[0].Err.Code
		}
		if code != c.code {
			t.Errorf("%s: code %d, want %d", c.body, code, c.code)
		}
	}
	big := []byte("[")
	for i := 0; i <= MaxBatch; i++ {
		if i > 0 {
			big = append(big, ',')
		}
		big = append(big, `{"jsonrpc":"2.0","method":"a.b","id":1}`...)
	}
	if _, _, err := Decode(append(big, ']')); err == nil || err.Code != -32600 {
		t.Errorf("batch over MaxBatch: %v", err)
	}
}
