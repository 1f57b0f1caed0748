package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// ErrNoBinaries is returned when initdb and pg_ctl cannot be found.
var ErrNoBinaries = errors.New("no PostgreSQL server binaries: initdb and pg_ctl are not on PATH, in " +
	"`pg_config --bindir` or under /usr/lib/postgresql/*/bin (Debian: apt-get install postgresql-15 postgresql-contrib)")

// Cluster is a PostgreSQL server made from the local binaries with initdb and pg_ctl.
type Cluster struct {
	// Dir holds the data directory ("data"), the server log ("server.log") and the socket.
	Dir string
	// Port is the TCP port the server listens on, on 127.0.0.1.
	Port int

	bindir string
	cred   *syscall.Credential // set when running the server as another user (root → postgres)
}

// Config configures Start. The zero value (or a nil Config) makes a cluster in a new
// temporary directory on a free port.
type Config struct {
	// Dir is where the cluster lives. Empty means a new temporary directory. When Dir already
	// holds a cluster it is reused (and started if it is not running).
	Dir string
	// Port to listen on; 0 picks a free one (or the one a reused cluster had).
	Port int
	// Settings are extra postgresql.conf lines for a new cluster, such as "work_mem = '64MB'".
	Settings []string
}

// URL is the connection URL of database dbname as the superuser postgres.
func (c *Cluster) URL(dbname string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.Port, dbname)
}

// LogPath is the server log file.
func (c *Cluster) LogPath() string { return filepath.Join(c.Dir, "server.log") }

func (c *Cluster) dataDir() string { return filepath.Join(c.Dir, "data") }

// BinDir finds the directory of initdb and pg_ctl: PATH first, then `pg_config --bindir`,
// then the newest /usr/lib/postgresql/*/bin. It returns ErrNoBinaries when there is none.
func BinDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if _, err := exec.LookPath("pg_ctl"); err == nil {
			return filepath.Dir(p), nil
		}
	}
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dir := strings.TrimSpace(string(out))
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(dirs, func(i, j int) bool { return majorOf(dirs[i]) > majorOf(dirs[j]) })
	if len(dirs) > 0 {
		return filepath.Dir(dirs[0]), nil
	}
	return "", ErrNoBinaries
}

func majorOf(initdbPath string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdbPath))))
	return n
}

// newCluster fills in what every Cluster needs: the server binaries and, when we are root, the
// postgres user to run them as.
func newCluster(dir string, port int) (*Cluster, error) {
	bindir, err := BinDir()
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: dir, Port: port, bindir: bindir}
	if os.Geteuid() == 0 {
		if c.cred, err = postgresUser(); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// readPort takes the port from the file Start wrote beside the data directory.
func (c *Cluster) readPort() error {
	b, err := os.ReadFile(filepath.Join(c.Dir, "port"))
	if err != nil {
		return fmt.Errorf("no cluster made by howdah in %s: %w", c.Dir, err)
	}
	c.Port, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	return nil
}

// Open returns the cluster Start made in dir, without starting it.
func Open(dir string) (*Cluster, error) {
	c, err := newCluster(dir, 0)
	if err != nil {
		return nil, err
	}
	return c, c.readPort()
}

// Start creates (or reuses) and starts a local cluster. The caller stops it with Stop, or
// Destroy to also remove its directory.
func Start(ctx context.Context, cfg *Config) (*Cluster, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	c, err := newCluster(cfg.Dir, cfg.Port)
	if err != nil {
		return nil, err
	}
	if c.Dir == "" {
		if c.Dir, err = os.MkdirTemp("", "howdah-pg-"); err != nil {
			return nil, err
		}
	} else if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return nil, err
	}
	if c.cred != nil {
		if err := os.Chown(c.Dir, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			return nil, err
		}
		if err := reachable(c.Dir); err != nil {
			return nil, err
		}
	}

	if _, err := os.Stat(filepath.Join(c.dataDir(), "PG_VERSION")); err == nil {
		// Reuse: keep the port it was made with.
		if err := c.readPort(); err != nil {
			return nil, err
		}
		if c.Running(ctx) {
			return c, nil
		}
	} else {
		if c.Port == 0 {
			if c.Port, err = freePort(); err != nil {
				return nil, err
			}
		}
		if err := c.initdb(ctx, cfg.Settings); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(c.Dir, "port"), []byte(strconv.Itoa(c.Port)+"\n"), 0o644); err != nil {
			return nil, err
		}
	}
	if err := c.run(ctx, "pg_ctl", "-D", c.dataDir(), "-l", c.LogPath(), "-w", "-t", "60", "start"); err != nil {
		return nil, fmt.Errorf("start PostgreSQL in %s: %w\n%s", c.Dir, err, c.logTail())
	}
	return c, nil
}

func (c *Cluster) initdb(ctx context.Context, settings []string) error {
	if err := c.run(ctx, "initdb", "-D", c.dataDir(), "-U", "postgres", "--auth=trust", "-E", "UTF8",
		"--no-locale", "--no-sync"); err != nil {
		return fmt.Errorf("initdb in %s: %w", c.Dir, err)
	}
	conf := []string{
		"",
		"# added by howdah's pgcluster: a throwaway server, durability traded for speed",
		fmt.Sprintf("port = %d", c.Port),
		"listen_addresses = '127.0.0.1'",
		fmt.Sprintf("unix_socket_directories = '%s'", c.Dir),
		"fsync = off",
		"synchronous_commit = off",
		"full_page_writes = off",
		"max_connections = 200",
		"shared_preload_libraries = 'pg_stat_statements'",
		"pg_stat_statements.track = all",
		// track = all over a whole test suite in one cluster fills the default 5000 entries, and
		// pg_stat_statements then evicts the least-used ones: tests that look for a statement
		// they ran once would find it gone.
		"pg_stat_statements.max = 50000",
		"log_min_messages = warning",
	}
	conf = append(conf, settings...)
	f, err := os.OpenFile(filepath.Join(c.dataDir(), "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.WriteString(strings.Join(conf, "\n") + "\n")
	return err
}

// Running reports whether the server is up.
func (c *Cluster) Running(ctx context.Context) bool {
	return c.run(ctx, "pg_ctl", "-D", c.dataDir(), "status") == nil
}

// Stop shuts the server down fast, keeping its files.
func (c *Cluster) Stop() error {
	return c.run(context.Background(), "pg_ctl", "-D", c.dataDir(), "-m", "fast", "-w", "stop")
}

// Restart stops and starts the server on the same port (for reconnect tests).
func (c *Cluster) Restart(ctx context.Context) error {
	return c.run(ctx, "pg_ctl", "-D", c.dataDir(), "-l", c.LogPath(), "-m", "fast", "-w", "restart")
}

// Crash stops the server in immediate mode (every backend killed, no checkpoint: the next
// start replays the WAL, as after a power cut of the server process) and starts it again on the
// same port, for fault-injection tests.
func (c *Cluster) Crash(ctx context.Context) error {
	if err := c.run(ctx, "pg_ctl", "-D", c.dataDir(), "-m", "immediate", "-w", "stop"); err != nil {
		return err
	}
	if err := c.run(ctx, "pg_ctl", "-D", c.dataDir(), "-l", c.LogPath(), "-w", "-t", "60", "start"); err != nil {
		return fmt.Errorf("start PostgreSQL in %s after an immediate stop: %w\n%s", c.Dir, err, c.logTail())
	}
	return nil
}

// Destroy stops the server at once and removes its directory.
func (c *Cluster) Destroy() error {
	_ = c.run(context.Background(), "pg_ctl", "-D", c.dataDir(), "-m", "immediate", "-w", "stop")
	return os.RemoveAll(c.Dir)
}

// run executes one of the server binaries, as the postgres user when we are root.
func (c *Cluster) run(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(c.bindir, name), args...)
	cmd.Dir = c.Dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(string(out)))
	}
	return nil
}

func (c *Cluster) logTail() string {
	b, _ := os.ReadFile(c.LogPath())
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// postgresUser is the account the server runs as when we are root.
func postgresUser() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, initdb needs an unprivileged user: no user %q (%w); "+
			"install the postgresql package, which creates it, or run as a normal user", "postgres", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// reachable checks that every parent of dir lets others through, since the server runs as the
// postgres user while we are root.
func reachable(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	for p := filepath.Dir(abs); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("the postgres user cannot reach %s: %s is mode %v; choose a directory under %s",
				abs, p, fi.Mode().Perm(), os.TempDir())
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
