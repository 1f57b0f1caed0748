// Package sql embeds the SQL migrations of every howdah module: sql/<module>/NNN_what.sql,
// in tern's format (an up part, then "---- create above / drop below ----" and the down part).
package sql
