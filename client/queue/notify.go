package queue

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/howdah/howdah/client/notifier"
)

// shared holds one notifier per pool for the Workers given none: every Workers of a pool in
// this process shares its LISTEN connection.
var shared struct {
	mu sync.Mutex
	m  map[*pgxpool.Pool]*sharedNotifier
}

type sharedNotifier struct {
	n      *notifier.Notifier
	users  int
	cancel context.CancelFunc
}

// sharedBackoffMax bounds the wait between reconnection attempts of a shared notifier.
const sharedBackoffMax = 5 * time.Second

// acquireNotifier returns pool's shared notifier, starting it for its first user, and a
// release function that stops it (and waits for its connection to close) after its last user.
func acquireNotifier(pool *pgxpool.Pool) (*notifier.Notifier, func(), error) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	sn := shared.m[pool]
	if sn == nil {
		cc := pool.Config().ConnConfig // a copy
		app := cc.RuntimeParams["application_name"]
		if app == "" {
			app = "howdah queue"
		}
		cc.RuntimeParams["application_name"] = app + " (listen)"
		n, err := notifier.New(cc, &notifier.Config{MaxBackoff: sharedBackoffMax})
		if err != nil {
			return nil, nil, err
		}
		ctx, cancel := context.WithCancel(context.Background())
		go func() { _ = n.Run(ctx) }()
		sn = &sharedNotifier{n: n, cancel: cancel}
		if shared.m == nil {
			shared.m = map[*pgxpool.Pool]*sharedNotifier{}
		}
		shared.m[pool] = sn
	}
	sn.users++
	var once sync.Once
	release := func() {
		once.Do(func() {
			shared.mu.Lock()
			sn.users--
			last := sn.users == 0
			if last {
				sn.cancel()
				delete(shared.m, pool)
			}
			shared.mu.Unlock()
			if last {
				<-sn.n.Done()
			}
		})
	}
	return sn.n, release, nil
}
