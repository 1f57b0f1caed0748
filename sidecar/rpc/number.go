package rpc

import (
	"encoding/json"
	"math/big"
	"strconv"
	"strings"
)

// maxIntegerDigits bounds the integer text integralText writes: 1e1000000000 is integral, but
// spelling it out would take a gigabyte, so such numbers are passed on as written.
const maxIntegerDigits = 1000

// integralText returns the integer text of a JSON number whose value is an integer ("2.0",
// "1.6676e4", "-0" give "2", "16676", "0"), exactly, whatever its size up to maxIntegerDigits
// digits; ok is false for other numbers (2.5, 1e-3) and for text that is not a JSON number.
// PostgreSQL's integer and oid inputs refuse "2.0" and "1.6676e4", which JSON libraries write
// for integers held in floating point.
func integralText(num string) (text string, ok bool) {
	num = strings.TrimSpace(num)
	if !json.Valid([]byte(num)) || jsonKind([]byte(num)) != '0' {
		return "", false
	}
	// The sizes are bounded before anything is computed: math/big would happily build
	// 10^1000000000.
	mant, expText, hasExp := strings.Cut(strings.ToLower(num), "e")
	if len(mant) > 2*maxIntegerDigits {
		return "", false
	}
	if strings.Trim(mant, "-0.") == "" {
		return "0", true
	}
	exp := 0
	if hasExp {
		e, err := strconv.Atoi(strings.TrimPrefix(expText, "+"))
		if err != nil || e > maxIntegerDigits || e < -maxIntegerDigits-len(mant) {
			return "", false
		}
		exp = e
	}
	r, ok := new(big.Rat).SetString(mant)
	if !ok {
		return "", false
	}
	if exp != 0 {
		scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(exp))), nil)
		if exp > 0 {
			r.Mul(r, new(big.Rat).SetInt(scale))
		} else {
			r.Quo(r, new(big.Rat).SetInt(scale))
		}
	}
	if !r.IsInt() {
		return "", false
	}
	text = r.Num().String()
	if len(text) > maxIntegerDigits+1 {
		return "", false
	}
	return text, true
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// numberText is the text a JSON number is sent as: its integer text when it is integral, else
// the number as written.
func numberText(raw json.RawMessage) string {
	if s, ok := integralText(string(raw)); ok {
		return s
	}
	return strings.TrimSpace(string(raw))
}

// normaliseNumbers rewrites the integral numbers among the elements of a JSON array, or the
// members of a JSON object, as integer text (see integralText); other values are kept as they
// are. raw must be a valid array or object.
func normaliseNumbers(raw json.RawMessage) (json.RawMessage, error) {
	if jsonKind(raw) == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, err
		}
		for i, v := range list {
			if jsonKind(v) == '0' {
				list[i] = json.RawMessage(numberText(v))
			}
		}
		return json.Marshal(list)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, err
	}
	for k, v := range obj {
		if jsonKind(v) == '0' {
			obj[k] = json.RawMessage(numberText(v))
		}
	}
	return json.Marshal(obj)
}
