package rpc

import (
	"strings"
	"testing"
)

func TestIntegralText(t *testing.T) {
	cases := map[string]string{
		"2": "2", "2.0": "2", "-2.50e1": "-25", "1.6676e4": "16676", "1.6676E+4": "16676", "-0": "0", "-0.0e5": "0",
		"0e-99999": "0", "9007199254740993": "9007199254740993", "9.007199254740993e15": "9007199254740993",
		"123456789012345678901234567890.000": "123456789012345678901234567890", "1000e-3": "1", " 7 ": "7",
		"1e300": "1" + strings.Repeat("0", 300),
		// Not integral, too large to spell out, or not numbers: kept as written.
		"2.5": "", "1e-3": "", "1e1001": "", "1e1000000000": "", "1e-1000000000": "", "1e99999999999999999999": "",
		`"2"`: "", "true": "", "null": "", "2.": "", "abc": "", "": "", "0x10": "",
	}
	for in, want := range cases {
		got, ok := integralText(in)
		if ok != (want != "") || got != want {
			t.Errorf("integralText(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}
