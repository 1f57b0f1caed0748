package sidecar

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func TestReadBody(t *testing.T) {
	const max = 10_000
	for _, c := range []struct {
		name     string
		body     int
		declared int64 // -1: unknown (chunked)
		err      error
	}{
		{"empty", 0, 0, nil},
		{"small", 10, 10, nil},
		{"at max", max, max, nil},
		{"declared over max", max + 1, max + 1, errBodyTooLarge},
		{"chunked, small", 10, -1, nil},
		{"chunked, at max", max, -1, nil},
		{"chunked, over max", max + 1, -1, errBodyTooLarge},
		{"chunked, far over max", 10 * max, -1, errBodyTooLarge},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := &budget{max: 2 * max}
			want := bytes.Repeat([]byte("x"), c.body)
			got, taken, err := readBody(io.LimitReader(bytes.NewReader(want), int64(c.body)), c.declared, max, b)
			if !errors.Is(err, c.err) || err == nil && !bytes.Equal(got, want) {
				t.Fatalf("read %d bytes, err %v; want %d bytes, err %v", len(got), err, c.body, c.err)
			}
			if used := b.used.Load(); used != taken || taken > max+1 || err == nil && taken < int64(c.body) {
				t.Fatalf("took %d for a %d-byte body, budget shows %d", taken, c.body, used)
			}
			b.give(taken)
			if b.used.Load() != 0 {
				t.Fatalf("budget at %d after giving back", b.used.Load())
			}
		})
	}
	// A body that does not fit the budget takes nothing from it.
	b := &budget{max: max}
	b.take(max - 100)
	if _, taken, err := readBody(bytes.NewReader(make([]byte, 5000)), 5000, max, b); !errors.Is(err, errBusy) || b.used.Load() != max-100+taken {
		t.Fatalf("over the budget: err %v, budget %d, taken %d", err, b.used.Load(), taken)
	}
}
