// Package installer installs, upgrades, verifies and removes howdah's modules in a database.
//
// A module is an ordered list of steps — SQL migrations embedded from sql/<module>/ in tern's
// format, and optional Go data migrations — installed into one schema. Steps run through
// tern's migrator, one transaction per step, with one version table per module in
// howdah_internal. At the end of every step, inside its transaction, the installer calls
// howdah_internal.record_step, which appends to howdah_internal.history, moves the module's
// version in howdah_internal.modules, and fingerprints the objects the module owns so that
// Verify can tell when one was edited, dropped or is missing.
//
// Installs take a session-level advisory lock, so concurrent installers serialise: the second
// waits, then finds nothing to do.
package installer
