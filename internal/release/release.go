package release

// Version is the version of this howdah build, also the extension bundle's version.
const Version = "0.2.0"

// ReloadChannel is the channel the installer notifies after every change, and that running
// sidecars LISTEN on to re-read the catalog.
const ReloadChannel = "howdah_reload"
