// Package release holds the facts of this howdah release that its parts share without
// depending on one another: the version, and the NOTIFY channel on which the installer tells
// running sidecars to re-read the function catalog. It imports nothing, so any package may use
// it (the sidecar uses it instead of importing the installer).
package release
