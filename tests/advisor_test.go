package tests

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/howdah/howdah/internal/pgtest"
)

// ingest reads sizes under lock_timeout: a table another session holds locked is recorded
// without its size and with the lock error, the others with theirs, and the caller's
// lock_timeout is as it was afterwards.
func TestAdvisorIngestUnderALock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	conn := pgtest.Connect(t, url)
	pgtest.Install(t, conn)
	for _, sql := range []string{
		"CREATE SCHEMA adv_lock",
		"CREATE TABLE adv_lock.locked (a int)",
		"CREATE TABLE adv_lock.free (a int)",
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	holder := pgtest.Connect(t, url)
	tx, err := holder.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "LOCK TABLE adv_lock.locked IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}

	var (
		id       int64
		lockSet  string
		errsJSON []byte
	)
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, "SELECT howdah_advisor.ingest(lock_timeout => '100ms')").Scan(&id); err != nil {
			return err
		}
		return tx.QueryRow(ctx, "SELECT current_setting('lock_timeout')").Scan(&lockSet)
	})
	if err != nil {
		t.Fatalf("ingest with a table locked: %v", err)
	}
	if lockSet != "0" {
		t.Errorf("lock_timeout after ingest = %q, want the caller's 0", lockSet)
	}
	if err := conn.QueryRow(ctx, "SELECT errors FROM howdah_advisor.snapshots WHERE id = $1", id).Scan(&errsJSON); err != nil {
		t.Fatal(err)
	}
	var errs []map[string]string
	if err := json.Unmarshal(errsJSON, &errs); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range errs {
		if e["object"] == "adv_lock.locked" && e["sqlstate"] == "55P03" && e["stage"] == "tables" {
			found = true
		}
	}
	if !found {
		t.Errorf("snapshot errors = %s, want a lock_not_available (55P03) for adv_lock.locked", errsJSON)
	}
	rows, err := conn.Query(ctx, `SELECT table_name, table_bytes IS NOT NULL FROM howdah_advisor.tables
		WHERE snapshot_id = $1 AND schema_name = 'adv_lock' ORDER BY 1`, id)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	var name string
	var sized bool
	if _, err := pgx.ForEachRow(rows, []any{&name, &sized}, func() error { got[name] = sized; return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !got["free"] || got["locked"] {
		t.Errorf("tables recorded (name: size read) = %v, want free sized and locked without a size", got)
	}
}

// A role without pg_read_all_stats sees other roles' statements as hidden: ingest counts them and
// says what to grant; with the grant it ingests them. The GRANT lines are docs/advisor.md's.
func TestAdvisorIngestOtherRolesStatements(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	conn := pgtest.Connect(t, url)
	pgtest.Install(t, conn)
	role := "howdah_test_advisor_scanner"
	for _, sql := range []string{
		"DROP ROLE IF EXISTS " + role,
		"CREATE ROLE " + role + " LOGIN",
		"GRANT USAGE ON SCHEMA howdah_advisor TO " + role,
		"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA howdah_advisor TO " + role,
		"CREATE TABLE adv_roles (a int)",
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	t.Cleanup(func() {
		conn.Exec(context.Background(), "DROP OWNED BY "+role)
		conn.Exec(context.Background(), "DROP ROLE "+role)
	})
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.User = role
	scanner, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer scanner.Close(ctx)

	const ingested = `SELECT s.stats #>> '{ingest,note}', EXISTS (SELECT FROM howdah_advisor.metrics m
		JOIN howdah_advisor.queries q ON q.id = m.query_id
		WHERE m.snapshot_id = s.id AND q.norm_sql = 'select count(*) from adv_roles where a = ?')
		FROM howdah_advisor.snapshots s WHERE s.id = $1`
	var (
		id   int64
		note *string
		seen bool
	)
	ingest := func() {
		t.Helper()
		// Run by the superuser, seen (or not) by the scanner. Run again before each ingest: other
		// tests' statements may have evicted the entry from pg_stat_statements meanwhile.
		// Several calls: pg_stat_statements evicts the least-used entries when it is full.
		for range 10 {
			if _, err := conn.Exec(ctx, "SELECT count(*) FROM adv_roles WHERE a = 1"); err != nil {
				t.Fatal(err)
			}
		}
		if err := scanner.QueryRow(ctx, "SELECT howdah_advisor.ingest()").Scan(&id); err != nil {
			t.Fatalf("ingest as %s: %v", role, err)
		}
		if err := scanner.QueryRow(ctx, ingested, id).Scan(&note, &seen); err != nil {
			t.Fatal(err)
		}
	}
	ingest()
	if seen || note == nil || !strings.Contains(*note, "pg_read_all_stats") {
		t.Errorf("without pg_read_all_stats: statement ingested = %v, note = %v; want it hidden and a note naming pg_read_all_stats", seen, note)
	}
	if _, err := conn.Exec(ctx, "GRANT pg_read_all_stats TO "+role); err != nil {
		t.Fatal(err)
	}
	ingest()
	if !seen {
		t.Errorf("with pg_read_all_stats the superuser's statement was not ingested (note %v)", note)
	}
}
