// Package installer installs, upgrades, verifies and removes howdah's modules in a database.
//
// A module has migrations — SQL steps embedded from sql/<module>/migrations in tern's format,
// and optional Go data steps — and code, sql/<module>/code, recreated whenever anything
// changes. One operation runs in one transaction: it drops the code of the instances it
// touches (howdah_internal.drop_code), applies pending migrations through tern's migrator with
// one version table per module instance in howdah_internal, and creates the code again. After
// each step howdah_internal.record_step, and after the code howdah_internal.record_code, append
// to howdah_internal.history, move the instance's version and code checksum in
// howdah_internal.modules, and fingerprint the objects the module owns, so that Verify can tell
// when one was edited, dropped, re-owned or re-granted.
//
// Installs take a session-level advisory lock, so concurrent installers serialise: the second
// waits, then finds nothing to do. docs/installer.md has the details.
package installer
