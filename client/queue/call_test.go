package queue

import (
	"reflect"
	"testing"
	"time"
)

func TestCallSendsOnlyWhatIsSet(t *testing.T) {
	call, args := pushFunc.call(arg{"queue", "mail"}, arg{"payload", "{}"}, arg{"priority", set(int16(0))},
		arg{"max_attempts", set(3)}, arg{"tags", nil})
	if want := "howdah_queue.push(queue => $1, payload => $2::jsonb, max_attempts => $3)"; call != want {
		t.Fatalf("call = %q, want %q", call, want)
	}
	if want := []any{"mail", "{}", 3}; !reflect.DeepEqual(args, want) {
		t.Fatalf("args = %v, want %v", args, want)
	}
	if call, args := rescueFunc.call(arg{"queue", set("")}); call != "howdah_queue.rescue()" || len(args) != 0 {
		t.Fatalf("rescue with nothing set = %q %v, want no argument", call, args)
	}
	if got, want := claimFunc.fixed("queue", "worker_id", "n", "lease"),
		"howdah_queue.claim(queue => $1, worker_id => $2, n => $3, lease => $4 * interval '1 microsecond')"; got != want {
		t.Fatalf("fixed = %q, want %q", got, want)
	}
}

func TestEnqueueOptionsZeroMeansNotSet(t *testing.T) {
	var none *EnqueueOptions
	if a := none.args(); len(a) != 0 {
		t.Fatalf("nil options give %v, want no argument", a)
	}
	for _, a := range (&EnqueueOptions{Tags: []string{}}).args() {
		if a.value != nil {
			t.Fatalf("zero options set %q = %v", a.name, a.value)
		}
	}
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	call, _ := pushFunc.call((&EnqueueOptions{RunAt: at, UniqueKey: "k", Priority: -1}).args()...)
	if want := "howdah_queue.push(priority => $1, run_at => $2, unique_key => $3)"; call != want {
		t.Fatalf("call = %q, want %q", call, want)
	}
}

func TestCallRefusesUnknownParameter(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("a parameter the function does not declare did not panic")
		}
	}()
	pushFunc.call(arg{"queue); DROP TABLE x; --", "q"})
}
