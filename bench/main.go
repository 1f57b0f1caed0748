package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"regexp"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/howdah/howdah/internal/pgtest"
)

// benchCase pairs a baseline with the howdah operation it is compared against.
type benchCase struct {
	name, baselineName, howdahName string
	baseline, howdah               func(b *testing.B, env *env)
}

// env is what cases share: the server, and notes cases add for lines the ratio table cannot
// hold (throughput, latency percentiles, sizes), printed after it.
type env struct {
	ctx   context.Context
	srv   *pgtest.Server
	seq   int
	notes []string
	noted map[string]int
}

// note sets the line printed after the table under key: testing.Benchmark runs a case several
// times with growing N, and the last (largest) run's line is kept.
func (e *env) note(key, format string, args ...any) {
	if e.noted == nil {
		e.noted = map[string]int{}
	}
	line := fmt.Sprintf(format, args...)
	if i, ok := e.noted[key]; ok {
		e.notes[i] = line
		return
	}
	e.noted[key] = len(e.notes)
	e.notes = append(e.notes, line)
}

// freshDB makes a new empty database (outside the timer) and returns its URL.
func (e *env) freshDB(b *testing.B) string {
	b.StopTimer()
	defer b.StartTimer()
	e.seq++
	url, err := e.srv.CreateDatabase(e.ctx, fmt.Sprintf("howdah_bench_%d_%d", os.Getpid(), e.seq))
	if err != nil {
		b.Fatal(err)
	}
	return url
}

var cases []benchCase

func main() {
	run := flag.String("run", "", "only cases whose name matches this regular expression")
	testing.Init() // before Parse, so that -test.benchtime is a flag too
	flag.Parse()
	re, err := regexp.Compile(*run)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: -run:", err)
		os.Exit(2)
	}
	ctx := context.Background()
	srv, err := pgtest.Start(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	defer srv.Stop()
	e := &env{ctx: ctx, srv: srv}

	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "CASE\tBASELINE\tTIME/OP\tHOWDAH\tTIME/OP\tRATIO")
	for _, c := range cases {
		if !re.MatchString(c.name) {
			continue
		}
		fmt.Fprintf(os.Stderr, "bench: %s …\n", c.name)
		base := testing.Benchmark(func(b *testing.B) { c.baseline(b, e) })
		ours := testing.Benchmark(func(b *testing.B) { c.howdah(b, e) })
		if base.N == 0 || ours.N == 0 {
			fmt.Fprintf(os.Stderr, "bench: %s failed (see above)\n", c.name)
			os.Exit(1)
		}
		bt, ot := time.Duration(base.NsPerOp()), time.Duration(ours.NsPerOp())
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%.2fx\n", c.name, c.baselineName, bt.Round(time.Microsecond),
			c.howdahName, ot.Round(time.Microsecond), float64(ot)/float64(bt))
	}
	w.Flush()
	for _, n := range e.notes {
		fmt.Println(n)
	}
}
