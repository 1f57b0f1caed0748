package events

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/howdah/howdah/client/notifier"
	"github.com/howdah/howdah/sidecar/errmap"
)

// HandlerConfig configures Handler. A nil HandlerConfig means defaults.
type HandlerConfig struct {
	// Heartbeat is the interval of ": ping" comments that keep proxies from closing an idle
	// stream; 0 means 15s.
	Heartbeat time.Duration
	// Allow, when set, says which channels may be subscribed to.
	Allow func(channel string) bool
	// MaxChannels bounds the channels of one stream; 0 means 16.
	MaxChannels int
}

// ErrTokenExpired is the cause a caller gives the request's context when the stream must end
// because the token it was opened with has expired: the stream then ends with an "expired" event.
var ErrTokenExpired = errors.New("the token has expired: open the stream again with a new one")

// Handler streams the notifications of the channels named by ?channel=a,b (or repeated
// channel= parameters) as Server-Sent Events: the event name is the channel, the data the
// payload. After a reconnect of the notifier it sends an event named "reconnected". A stream
// that falls the notifier's Buffer events behind ends with an "error" event; one whose context
// ends with the cause ErrTokenExpired ends with an "expired" event. Authentication is
// the caller's job (wrap the handler).
func Handler(n *notifier.Notifier, cfg *HandlerConfig) http.Handler {
	c := HandlerConfig{}
	if cfg != nil {
		c = *cfg
	}
	if c.Heartbeat <= 0 {
		c.Heartbeat = 15 * time.Second
	}
	if c.MaxChannels <= 0 {
		c.MaxChannels = 16
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", "GET")
			errmap.Write(w, errmap.New(errmap.CodeInvalidRequest, http.StatusMethodNotAllowed, "use GET /events?channel=NAME[,NAME...]"))
			return
		}
		var channels []string
		seen := map[string]bool{}
		for _, v := range r.URL.Query()["channel"] {
			for _, ch := range strings.Split(v, ",") {
				if ch = strings.TrimSpace(ch); ch != "" && !seen[ch] {
					seen[ch] = true
					channels = append(channels, ch)
				}
			}
		}
		if len(channels) == 0 {
			errmap.Write(w, errmap.InvalidParams("channel", "name the channels to follow: /events?channel=NAME[,NAME...]"))
			return
		}
		if len(channels) > c.MaxChannels {
			errmap.Write(w, errmap.InvalidParams("channel", fmt.Sprintf("%d channels asked for; at most %d per stream", len(channels), c.MaxChannels)))
			return
		}
		for _, ch := range channels {
			if !ValidChannel(ch) {
				errmap.Write(w, errmap.InvalidParams("channel", fmt.Sprintf("invalid channel name %q: use letters, digits and _ "+
					"(at most 63, not starting with a digit; %q is reserved)", ch, notifier.KindReconnected)))
				return
			}
			if c.Allow != nil && !c.Allow(ch) {
				errmap.Write(w, errmap.New(errmap.CodeForbidden, http.StatusForbidden, fmt.Sprintf("channel %q is not open to subscribers here", ch)))
				return
			}
		}
		sub, err := n.Subscribe(r.Context(), channels...)
		if err != nil {
			errmap.Write(w, errmap.New(errmap.CodeUnavailable, http.StatusServiceUnavailable, err.Error()))
			return
		}
		defer sub.Close()
		rc := http.NewResponseController(w)
		hd := w.Header()
		hd.Set("Content-Type", "text/event-stream")
		hd.Set("Cache-Control", "no-cache")
		hd.Set("X-Accel-Buffering", "no")
		w.WriteHeader(http.StatusOK)
		if _, err := fmt.Fprintf(w, "retry: 2000\n: listening to %s\n\n", strings.Join(channels, ",")); err != nil || rc.Flush() != nil {
			return
		}
		tick := time.NewTicker(c.Heartbeat)
		defer tick.Stop()
		for {
			var msg string
			select {
			case <-r.Context().Done():
				if errors.Is(context.Cause(r.Context()), ErrTokenExpired) {
					fmt.Fprintf(w, "event: expired\ndata: %s\n\n", ErrTokenExpired)
					rc.Flush()
				}
				return
			case <-tick.C:
				msg = ": ping\n\n"
			case ev, ok := <-sub.Events():
				switch {
				case !ok:
					reason := "the stream ended"
					if err := sub.Err(); err != nil {
						reason = err.Error()
					}
					fmt.Fprintf(w, "event: error\ndata: %s\n\n", reason)
					rc.Flush()
					return
				case ev.Kind == notifier.KindReconnected:
					msg = "event: reconnected\ndata: {}\n\n"
				default:
					msg = format(ev)
				}
			}
			if _, err := w.Write([]byte(msg)); err != nil {
				return
			}
			if rc.Flush() != nil {
				return
			}
		}
	})
}

// format writes a notification as one SSE event; each payload line becomes a data line.
func format(ev notifier.Event) string {
	var b strings.Builder
	b.WriteString("event: ")
	b.WriteString(ev.Channel)
	b.WriteByte('\n')
	payload := strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(ev.Payload)
	for _, line := range strings.Split(payload, "\n") {
		b.WriteString("data: ")
		b.WriteString(line)
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	return b.String()
}
