package rpc

import (
	"encoding/json"
	"testing"
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
	f.Fuzz(checkDecode)
}

func TestDecodeSeeds(t *testing.T) {
	for _, s := range decodeSeeds {
		checkDecode(t, []byte(s))
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
