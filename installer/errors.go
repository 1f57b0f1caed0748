package installer

import (
	"fmt"
	"strings"
)

// UnknownModuleError names a module that is not in the registry.
type UnknownModuleError struct {
	Name  string
	Known []string
}

func (e *UnknownModuleError) Error() string {
	return fmt.Sprintf("unknown module %q; modules are: %s", e.Name, strings.Join(e.Known, ", "))
}

// NotInstalledError names a module instance that an operation needs installed.
type NotInstalledError struct {
	Module, Schema string
}

func (e *NotInstalledError) Error() string {
	return fmt.Sprintf("module %q is not installed in schema %q", e.Module, e.Schema)
}

// PrivilegeError says which privilege the connected role lacks.
type PrivilegeError struct {
	Role, Privilege, On, Fix string
}

func (e *PrivilegeError) Error() string {
	return fmt.Sprintf("role %q lacks %s on %s: %s", e.Role, e.Privilege, e.On, e.Fix)
}

// ExtensionError names an extension a module needs that the server does not have.
type ExtensionError struct {
	Module, Extension, Package string
}

func (e *ExtensionError) Error() string {
	return fmt.Sprintf("module %q needs the PostgreSQL extension %q, which this server does not have: install %s on the database server",
		e.Module, e.Extension, e.Package)
}

// ChecksumError reports an applied migration whose file has changed since.
type ChecksumError struct {
	Module, Step      string
	Applied, Embedded string
}

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("module %q: migration %s changed after it was applied (applied checksum %.12s, now %.12s): "+
		"released migrations must not be edited; add a new migration instead", e.Module, e.Step, e.Applied, e.Embedded)
}

// DataExistsError refuses an uninstall that would drop tables holding rows (Uninstall with
// force drops them).
type DataExistsError struct {
	Module string
	Tables []string
}

func (e *DataExistsError) Error() string {
	return fmt.Sprintf("module %q holds data in %s, which uninstalling it would drop", e.Module, strings.Join(e.Tables, ", "))
}

// DependentError refuses to remove a module another installed module needs.
type DependentError struct {
	Module     string
	Dependents []string
}

func (e *DependentError) Error() string {
	return fmt.Sprintf("module %q is needed by installed module(s) %s: uninstall those first or together",
		e.Module, strings.Join(e.Dependents, ", "))
}

// extensionPackage is the Debian package that ships an extension, for error messages.
func extensionPackage(ext string, major int) string {
	switch ext {
	case "pg_stat_statements", "pg_trgm", "btree_gist", "pgcrypto":
		return fmt.Sprintf("postgresql-contrib (the %q extension of PostgreSQL %d)", ext, major)
	case "plpgsql_check":
		return fmt.Sprintf("the Debian package postgresql-%d-plpgsql-check", major)
	default:
		return fmt.Sprintf("the Debian package postgresql-%d-%s", major, strings.ReplaceAll(ext, "_", "-"))
	}
}

// ExtensionManagedError refuses to change a database where howdah is installed as a PostgreSQL
// extension: objects the installer dropped or made would not be the extension's members.
type ExtensionManagedError struct {
	Version string // the extension's version in the database
	Fix     string // the SQL that does what was asked
}

func (e *ExtensionManagedError) Error() string {
	return fmt.Sprintf("howdah is installed here as a PostgreSQL extension (version %s), which only the extension's scripts may change: %s",
		e.Version, e.Fix)
}

// AmbiguousInstanceError refuses an operation on a module installed in several schemas when no
// schema was named.
type AmbiguousInstanceError struct {
	Module  string
	Schemas []string
}

func (e *AmbiguousInstanceError) Error() string {
	return fmt.Sprintf("module %q is installed in several schemas (%s); name the one to work on", e.Module, strings.Join(e.Schemas, ", "))
}

// PreflightError says what a module needs of the server that it lacks, and how to fix it.
type PreflightError struct {
	Module, Problem, Fix string
}

func (e *PreflightError) Error() string {
	return fmt.Sprintf("module %q cannot be installed: %s: %s", e.Module, e.Problem, e.Fix)
}
