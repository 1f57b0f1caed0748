package tests

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/howdah/howdah/internal/pgtest"
)

// detect_anomalies tags a query contention while another backend waits for a lock on one of its
// tables (one session holds the table, a second waits for it), not a query on a free table, no
// longer once the lock is released, and again while a backend waits for a row of the table that
// another transaction updated (a wait for a transaction, not for the table).
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
		"INSERT INTO adv_cont.busy VALUES (1)",
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	const (
		busyQuery   = "SELECT count(*) FROM adv_cont.busy WHERE a = 1"
		updateQuery = "UPDATE adv_cont.busy SET a = a WHERE a = 1"
		busyNorm    = "select count(*) from adv_cont.busy where a = ?"
		updateNorm  = "update adv_cont.busy set a = a where a = ?"
	)
	waiter := pgtest.Connect(t, url)
	holder := pgtest.Connect(t, url)
	// Once each before the locks, so that pg_stat_statements has them when ingest reads it.
	for _, sql := range []string{busyQuery, updateQuery, "SELECT count(*) FROM adv_cont.free WHERE a = 1"} {
		if _, err := waiter.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	var waiterPID, holderPID int
	if err := waiter.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&waiterPID); err != nil {
		t.Fatal(err)
	}
	if err := holder.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&holderPID); err != nil {
		t.Fatal(err)
	}

	// lockAndWait runs lockSQL in a transaction of the holder, then sql on the waiter, and
	// returns once the waiter is queued behind a lock of kind locktype (synchronisation, not a
	// timing assertion). release rolls the holder back and returns the waiter's result; it also
	// runs at cleanup, before the connections close.
	lockAndWait := func(lockSQL, sql, locktype string) (release func() error) {
		t.Helper()
		tx, err := holder.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, lockSQL); err != nil {
			tx.Rollback(ctx)
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			_, err := waiter.Exec(ctx, sql)
			done <- err
		}()
		var once sync.Once
		var result error
		release = func() error {
			once.Do(func() {
				tx.Rollback(ctx)
				result = <-done
			})
			return result
		}
		t.Cleanup(func() { release() })
		for waiting := false; !waiting; {
			if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_locks WHERE pid = $1 AND NOT granted AND locktype = $2)",
				waiterPID, locktype).Scan(&waiting); err != nil {
				t.Fatal(err)
			}
			if !waiting {
				select {
				case err := <-done:
					done <- err
					t.Fatalf("%s finished while it should wait for a %s lock: %v", sql, locktype, err)
				case <-time.After(20 * time.Millisecond):
				}
			}
		}
		return release
	}

	release := lockAndWait("LOCK TABLE adv_cont.busy IN ACCESS EXCLUSIVE MODE", busyQuery, "relation")
	var sid int64
	if err := conn.QueryRow(ctx, "SELECT howdah_advisor.ingest(top_n => 10000, lock_timeout => '100ms')").Scan(&sid); err != nil {
		t.Fatal(err)
	}
	// tags runs detect_anomalies and returns the contention tags of the adv_cont queries by
	// normalized text; it fails when one is on a query that does not name adv_cont.busy.
	tags := func() map[string]json.RawMessage {
		t.Helper()
		if _, err := conn.Exec(ctx, "SELECT howdah_advisor.detect_anomalies($1)", sid); err != nil {
			t.Fatalf("detect_anomalies: %v", err)
		}
		rows, err := conn.Query(ctx, `SELECT q.norm_sql, a.detail FROM howdah_advisor.anomalies a
			JOIN howdah_advisor.queries q ON q.id = a.query_id
			WHERE a.snapshot_id = $1 AND a.kind = 'contention' AND q.norm_sql LIKE '%adv_cont%'`, sid)
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
			if !strings.Contains(sql, "adv_cont.busy") {
				t.Errorf("contention tag on %q, which does not touch adv_cont.busy: %s", sql, detail)
			}
			got[sql] = detail
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return got
	}

	got := tags()
	if got[busyNorm] == nil || got[updateNorm] == nil {
		t.Fatalf("contention tags while adv_cont.busy is locked: %d, want the queries of adv_cont.busy (%q, %q)", len(got), busyNorm, updateNorm)
	}
	var detail struct {
		Tables       []string `json:"tables"`
		WaitingPIDs  int      `json:"waiting_pids"`
		PIDs         []int    `json:"pids"`
		BlockingPIDs []int    `json:"blocking_pids"`
		Modes        []string `json:"modes"`
		Waits        []string `json:"waits"`
	}
	if err := json.Unmarshal(got[busyNorm], &detail); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(detail.Tables, []string{"adv_cont.busy"}) || detail.WaitingPIDs != 1 ||
		!slices.Equal(detail.PIDs, []int{waiterPID}) || !slices.Equal(detail.BlockingPIDs, []int{holderPID}) ||
		!slices.Equal(detail.Modes, []string{"AccessShareLock"}) || !slices.Equal(detail.Waits, []string{"waits for the table"}) {
		t.Errorf("contention detail = %s, want table adv_cont.busy, waiter %d blocked by %d, waiting for the table in AccessShareLock",
			got[busyNorm], waiterPID, holderPID)
	}
	if err := release(); err != nil {
		t.Fatalf("the waiter after the lock was released: %v", err)
	}
	if got := tags(); len(got) != 0 {
		t.Errorf("contention tags once the lock is released: %d, want none", len(got))
	}

	// A row lock: the holder updates the row, the waiter's update waits for its transaction.
	release = lockAndWait(updateQuery, updateQuery, "transactionid")
	got = tags()
	if got[updateNorm] == nil {
		t.Fatalf("contention tags while a row of adv_cont.busy is locked: %d, want one on %q", len(got), updateNorm)
	}
	detail.Waits = nil
	if err := json.Unmarshal(got[updateNorm], &detail); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(detail.Tables, []string{"adv_cont.busy"}) || !slices.Equal(detail.Waits, []string{"holds it, waiting for a transaction"}) ||
		!slices.Equal(detail.BlockingPIDs, []int{holderPID}) {
		t.Errorf("row-lock contention detail = %s, want adv_cont.busy held while waiting for the transaction of %d", got[updateNorm], holderPID)
	}
	if err := release(); err != nil {
		t.Fatalf("the waiting update after the row lock was released: %v", err)
	}
}
