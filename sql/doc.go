// Package sql embeds the SQL of every howdah module. Each module has two folders:
//
//   - sql/<module>/migrations/NNN_what.sql: tables, types and data, in tern's format (an up
//     part, then "---- create above / drop below ----" and the down part); append-only once
//     released.
//   - sql/<module>/code/NNN_what.sql: functions, views, triggers, policies and their grants,
//     dropped and recreated in file-name order on every install or upgrade that changes anything.
//
// docs/sql-conventions.md has the rules.
package sql
