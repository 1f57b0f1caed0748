package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/ory/dockertest/v3"
)

// container is a server in a Docker container built from the repository's Dockerfile.postgres.
type container struct {
	pool     *dockertest.Pool
	resource *dockertest.Resource
	url      string
}

// startContainer builds and runs Dockerfile.postgres. It fails fast when no engine answers.
func startContainer(ctx context.Context) (*container, error) {
	pool, err := dockertest.NewPool("")
	if err != nil {
		return nil, err
	}
	if err := pool.Client.Ping(); err != nil {
		return nil, fmt.Errorf("no Docker engine: %w", err)
	}
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	res, err := pool.BuildAndRunWithOptions(filepath.Join(root, "Dockerfile.postgres"),
		&dockertest.RunOptions{Name: fmt.Sprintf("howdah-pgtest-%d", os.Getpid()),
			Env: []string{"POSTGRES_HOST_AUTH_METHOD=trust"}})
	if err != nil {
		return nil, fmt.Errorf("build and run Dockerfile.postgres: %w", err)
	}
	_ = res.Expire(3600) // a crashed test binary must not leave it running forever
	c := &container{pool: pool, resource: res,
		url: fmt.Sprintf("postgres://postgres@%s/postgres?sslmode=disable", res.GetHostPort("5432/tcp"))}
	err = waitReady(ctx, 2*time.Minute, func(ctx context.Context) error {
		conn, err := pgx.Connect(ctx, c.url)
		if err != nil {
			return err
		}
		return conn.Close(ctx)
	})
	if err != nil {
		_ = pool.Purge(res)
		return nil, err
	}
	return c, nil
}

func (c *container) purge() error { return c.pool.Purge(c.resource) }

// repoRoot walks up from the working directory to the directory holding go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// waitReady polls until fn succeeds or the deadline passes.
func waitReady(ctx context.Context, d time.Duration, fn func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var err error
	for {
		if err = fn(ctx); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("server not ready after %s: %w", d, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
