package tests

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/howdah/howdah/internal/pgtest"
)

// detect_anomalies tags a query contention while another backend waits for a lock on one of its
// tables (one session holds the table, a second waits for it), not a query on a free table, and
// no longer once the lock is released.
func TestAdvisorContentionTag(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	conn := pgtest.Connect(t, url)
	pgtest.Install(t, conn)
	for _, sql := range []string{
		"CREATE SCHEMA adv_cont",
		"CREATE TABLE adv_cont.busy (a int)",
		"CREATE TABLE adv_cont.free (a int)",
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	waiter := pgtest.Connect(t, url)
	const busyQuery = "SELECT count(*) FROM adv_cont.busy WHERE a = 1"
	// Once each before the lock, so that pg_stat_statements has them when ingest reads it.
	for _, sql := range []string{busyQuery, "SELECT count(*) FROM adv_cont.free WHERE a = 1"} {
		if _, err := waiter.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	var waiterPID, holderPID int
	if err := waiter.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&waiterPID); err != nil {
		t.Fatal(err)
	}

	holder := pgtest.Connect(t, url)
	tx, err := holder.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "LOCK TABLE adv_cont.busy IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	if err := tx.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&holderPID); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := waiter.Exec(ctx, busyQuery)
		done <- err
	}()
	// Wait until the waiter is queued behind the lock (synchronisation, not a timing assertion).
	for waiting := false; !waiting; {
		if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_locks WHERE pid = $1 AND NOT granted
			AND relation = 'adv_cont.busy'::regclass)`, waiterPID).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if !waiting {
			select {
			case err := <-done:
				t.Fatalf("the waiter finished while the table was locked: %v", err)
			case <-time.After(20 * time.Millisecond):
			}
		}
	}

	var sid int64
	if err := conn.QueryRow(ctx, "SELECT howdah_advisor.ingest(top_n => 10000, lock_timeout => '100ms')").Scan(&sid); err != nil {
		t.Fatal(err)
	}
	const tagsSQL = `SELECT q.norm_sql, a.detail FROM howdah_advisor.anomalies a
		JOIN howdah_advisor.queries q ON q.id = a.query_id
		WHERE a.snapshot_id = $1 AND a.kind = 'contention' AND q.norm_sql LIKE '%adv_cont%'`
	tags := func() map[string]json.RawMessage {
		t.Helper()
		if _, err := conn.Exec(ctx, "SELECT howdah_advisor.detect_anomalies($1)", sid); err != nil {
			t.Fatalf("detect_anomalies: %v", err)
		}
		rows, err := conn.Query(ctx, tagsSQL, sid)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		got := map[string]json.RawMessage{}
		for rows.Next() {
			var sql string
			var detail json.RawMessage
			if err := rows.Scan(&sql, &detail); err != nil {
				t.Fatal(err)
			}
			got[sql] = detail
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return got
	}

	got := tags()
	busyNorm := "select count(*) from adv_cont.busy where a = ?"
	if len(got) != 1 || got[busyNorm] == nil {
		t.Fatalf("contention tags while adv_cont.busy is locked = %v, want one on %q only", got, busyNorm)
	}
	var detail struct {
		Tables       []string `json:"tables"`
		WaitingPIDs  int      `json:"waiting_pids"`
		PIDs         []int    `json:"pids"`
		BlockingPIDs []int    `json:"blocking_pids"`
		Modes        []string `json:"modes"`
	}
	if err := json.Unmarshal(got[busyNorm], &detail); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(detail.Tables, []string{"adv_cont.busy"}) || detail.WaitingPIDs != 1 ||
		!slices.Equal(detail.PIDs, []int{waiterPID}) || !slices.Equal(detail.BlockingPIDs, []int{holderPID}) ||
		!slices.Equal(detail.Modes, []string{"AccessShareLock"}) {
		t.Errorf("contention detail = %s, want table adv_cont.busy, waiter %d blocked by %d in AccessShareLock",
			got[busyNorm], waiterPID, holderPID)
	}

	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("the waiter after the lock was released: %v", err)
	}
	if got := tags(); len(got) != 0 {
		t.Errorf("contention tags once the lock is released = %v, want none", got)
	}
}
