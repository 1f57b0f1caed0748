// Command howdah installs howdah's modules into a PostgreSQL database, inspects and upgrades
// them, serves them over HTTP (howdah serve), manages the job queue (howdah queue) and starts a
// throwaway demo (howdah demo). `howdah --help` lists every command.
package main
