package playground

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Sub-keys of a pipeline's cache entry that map to module functions; every other sub-key is
// stored as JSON by set_value.
const (
	SubKeyStatus   = "Status"
	SubKeyCanceled = "Canceled"
)

// Cache is the Playground backend's Redis interface over the module.
type Cache struct{ c *Client }

// GetValue returns a sub-key of a pipeline's entry as JSON: Status is the run's status,
// Canceled whether it was cancelled, others what SetValue stored (ErrNotFound when unset).
func (k *Cache) GetValue(ctx context.Context, pipelineID, subKey string) (json.RawMessage, error) {
	var raw []byte
	var err error
	switch subKey {
	case SubKeyStatus:
		err = k.c.scan(ctx, "get value", `SELECT to_jsonb(`+k.c.fn("status")+`(run => $1::uuid))`, &raw, pipelineID)
	case SubKeyCanceled:
		err = k.c.scan(ctx, "get value", `SELECT to_jsonb(`+k.c.fn("is_cancelled")+`(run => $1::uuid))`, &raw, pipelineID)
	default:
		err = k.c.scan(ctx, "get value", `SELECT `+k.c.fn("get_value")+`(run => $1::uuid, key => $2)`, &raw, pipelineID, subKey)
		if err == nil && raw == nil {
			err = &Error{Op: "get value", Err: fmt.Errorf("pipeline %s has no %q: %w", pipelineID, subKey, ErrNotFound)}
		}
	}
	return raw, err
}

// SetValue sets a sub-key: Status moves the run (a string; illegal transitions are refused),
// Canceled=true cancels it (and notifies its runner); other sub-keys are stored as JSON,
// creating the pipeline's entry when new.
func (k *Cache) SetValue(ctx context.Context, pipelineID, subKey string, value any) error {
	switch subKey {
	case SubKeyStatus:
		s, ok := value.(string)
		if !ok {
			return &Error{Op: "set value", Err: fmt.Errorf("Status must be a string, got %T", value)}
		}
		return k.c.SetStatus(ctx, pipelineID, s)
	case SubKeyCanceled:
		if b, ok := value.(bool); !ok || !b {
			return &Error{Op: "set value", Err: errors.New("Canceled can only be set to true")}
		}
		_, err := k.c.Cancel(ctx, pipelineID)
		return err
	}
	b, err := json.Marshal(value)
	if err != nil {
		return err
	}
	_, err = k.c.pool.Exec(ctx, `SELECT `+k.c.fn("set_value")+`(run => $1::uuid, key => $2, value => $3::jsonb)`, pipelineID, subKey, string(b))
	return wrap("set value", err)
}

// SetExpTime makes the pipeline's entry expire after d (prune_runs removes it).
func (k *Cache) SetExpTime(ctx context.Context, pipelineID string, d time.Duration) error {
	_, err := k.c.pool.Exec(ctx, `SELECT `+k.c.fn("set_expiry")+`(run => $1::uuid, ttl => $2::interval)`, pipelineID, interval(d))
	return wrap("set expiry", err)
}

// GetCatalog returns the catalog the module keeps exact (Database.GetCatalog).
func (k *Cache) GetCatalog(ctx context.Context) (json.RawMessage, error) {
	return k.c.Database().GetCatalog(ctx)
}

// SetCatalog does nothing: the module rebuilds its catalog cache itself, in the transaction of
// every change to examples and precompiled objects, so there is nothing to store.
func (k *Cache) SetCatalog(context.Context, json.RawMessage) error { return nil }

// GetSdkCatalog returns the SDKs with their default examples.
func (k *Cache) GetSdkCatalog(ctx context.Context) ([]SDK, error) {
	return k.c.Database().GetSDKs(ctx)
}

// SetSdkCatalog adds the SDKs and sets their default examples.
func (k *Cache) SetSdkCatalog(ctx context.Context, sdks []SDK) error {
	return k.c.Database().PutSDKs(ctx, sdks)
}

// GetDefaultPrecompiledObject returns an SDK's default example (ErrNotFound when none).
func (k *Cache) GetDefaultPrecompiledObject(ctx context.Context, sdk string) (json.RawMessage, error) {
	var raw []byte
	if err := k.c.scan(ctx, "get default example", `SELECT `+k.c.fn("default_example")+`(sdk => $1)`, &raw, sdk); err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, &Error{Op: "get default example", Err: fmt.Errorf("sdk %q has no default example: %w", sdk, ErrNotFound)}
	}
	return raw, nil
}

// SetDefaultPrecompiledObject makes an example (by id) the SDK's default.
func (k *Cache) SetDefaultPrecompiledObject(ctx context.Context, sdk, exampleID string) error {
	_, err := k.c.pool.Exec(ctx, `SELECT `+k.c.fn("set_default_example")+`(sdk => $1, example => $2)`, sdk, exampleID)
	return wrap("set default example", err)
}

// RunOptions are StartRun's optional settings; zero values mean the module's defaults.
type RunOptions struct {
	// Snippet runs a saved snippet (else Code).
	Snippet string
	// Code runs code given inline.
	Code string
	// ID is the run's id (a UUID); "" means a new one.
	ID string
	// TTL is how long the run lives; 0 means the module's default (an hour).
	TTL time.Duration
}

func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// StartRun starts a run of a snippet or code for sdk ("" takes the snippet's) and returns its id.
func (c *Client) StartRun(ctx context.Context, sdk string, o RunOptions) (string, error) {
	var ttl any
	if o.TTL > 0 {
		ttl = interval(o.TTL)
	}
	var id string
	err := c.scan(ctx, "start run", `SELECT `+c.fn("start_run")+`(sdk => $1, snippet => $2, code => $3, id => $4::uuid,
		ttl => coalesce($5::interval, interval '1 hour'))::text`, &id, orNil(sdk), orNil(o.Snippet), orNil(o.Code), orNil(o.ID), ttl)
	return id, err
}

// SetStatus moves a run to status (validating, preparing, compiling, executing, finished,
// validation_error, preparation_error, compile_error, run_error, error, run_timeout, cancelled).
func (c *Client) SetStatus(ctx context.Context, run, status string) error {
	_, err := c.pool.Exec(ctx, `SELECT `+c.fn("set_status")+`(run => $1::uuid, status => $2)`, run, status)
	return wrap("set status", err)
}

// AppendOutput appends text to a stage's output of a run and returns the next index.
func (c *Client) AppendOutput(ctx context.Context, run, stage, text string) (int, error) {
	var n int
	err := c.scan(ctx, "append output", `SELECT `+c.fn("append_output")+`(run => $1::uuid, stage => $2, output => $3)`, &n, run, stage, text)
	return n, err
}

// ReadOutput returns what was appended to a stage's output since from, and the index to pass next.
func (c *Client) ReadOutput(ctx context.Context, run, stage string, from int) (string, int, error) {
	var text string
	var next int
	err := c.pool.QueryRow(ctx, `SELECT output, next_index FROM `+c.fn("read_output")+`(run => $1::uuid, stage => $2, from_index => $3)`,
		run, stage, from).Scan(&text, &next)
	return text, next, wrap("read output", err)
}

// Cancel asks a run to stop; true when this call did it.
func (c *Client) Cancel(ctx context.Context, run string) (bool, error) {
	var ok bool
	err := c.scan(ctx, "cancel", `SELECT `+c.fn("cancel")+`(run => $1::uuid)`, &ok, run)
	return ok, err
}

// CancelChannel is the NOTIFY channel of the instance's cancellations (<schema>_cancel).
func (c *Client) CancelChannel() string {
	ch := c.raw + "_cancel"
	if len(ch) > 63 {
		ch = ch[:63]
	}
	return ch
}

// WatchCancel returns a channel closed when run is cancelled: at once when it already is, else
// when cancel() commits (heard on the shared notifier) or, after a reconnection of the
// notifier, when is_cancelled says so. It ends when ctx is done.
func (c *Client) WatchCancel(ctx context.Context, run string) (<-chan struct{}, error) {
	if c.n == nil {
		return nil, &Error{Op: "watch cancel", Err: errors.New("no Config.Notifier")}
	}
	sub, err := c.n.Subscribe(ctx, c.CancelChannel())
	if err != nil {
		return nil, wrap("watch cancel", err)
	}
	cancelled := func() (bool, error) {
		var b bool
		err := c.scan(ctx, "watch cancel", `SELECT `+c.fn("is_cancelled")+`(run => $1::uuid)`, &b, run)
		return b, err
	}
	// Subscribed before reading the flag: a cancel in between is seen one way or the other.
	already, err := cancelled()
	if err != nil {
		sub.Close()
		return nil, err
	}
	done := make(chan struct{})
	if already {
		sub.Close()
		close(done)
		return done, nil
	}
	go func() {
		defer sub.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-sub.Events():
				if !ok {
					return
				}
				hit := ev.Kind == "notification" && ev.Payload == run
				if !hit && ev.Kind != "notification" {
					hit, _ = cancelled()
				}
				if hit {
					close(done)
					return
				}
			}
		}
	}()
	return done, nil
}
