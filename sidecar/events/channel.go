package events

import (
	"regexp"

	"github.com/howdah/howdah/client/notifier"
)

var channelRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// ValidChannel reports whether name is a channel /events may follow: letters, digits and _,
// not starting with a digit, at most 63 bytes, and not "reconnected" (the SSE event name of
// notifier.KindReconnected). The notifier itself takes any name; streams are stricter so that
// a channel is also a plain SSE event name and a plain query parameter.
func ValidChannel(name string) bool {
	return channelRE.MatchString(name) && name != notifier.KindReconnected
}
