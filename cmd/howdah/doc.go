// Command howdah installs howdah's modules into a PostgreSQL database and inspects them.
package main
