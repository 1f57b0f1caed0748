// Package tests holds howdah's end-to-end tests: the SQL quality gates (every pgTAP file under
// tests/sql/ against a freshly installed database, and plpgsql_check over every howdah
// PL/pgSQL function) and tests that drive the howdah binary.
package tests
