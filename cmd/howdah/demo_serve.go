package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The demo's sidecar runs as a background `howdah serve` process whose pid, address and log
// live beside the demo cluster, so that `howdah demo --stop` can find it again.
const (
	demoServePID  = "serve.pid"
	demoServeAddr = "serve.addr"
	demoServeLog  = "serve.log"
	// demoServeSecret holds the JWT secret of the demo's sidecar (mode 0600), so that the
	// operator token the demo prints stays valid while the demo lives.
	demoServeSecret = "serve.secret"
	demoWebRole     = "howdah_demo_web" // made by demo_seed.sql
	// demoOperatorRole may read the example data and run the queue (docs/queue.md's operator
	// grants); the demo prints a token for it, to sign in to the dashboard with.
	demoOperatorRole = "howdah_demo_operator"
	// demoAuthenticator is the login role of the demo's sidecar: NOINHERIT, it can only switch
	// into demoWebRole, as docs/sidecar.md recommends (never a superuser).
	demoAuthenticator = "howdah_demo_authenticator"
)

// howdahExecutable is the binary the demo runs `serve` with; empty means this one. Tests set it.
var howdahExecutable string

// startDemoServer starts `howdah serve` for the demo database unless the one started before
// still answers, and returns its address.
func startDemoServer(ctx context.Context, dir, dbURL, listen, secret string) (string, error) {
	if addr, err := os.ReadFile(filepath.Join(dir, demoServeAddr)); err == nil && demoServerPID(dir) > 0 && ready(ctx, string(addr)) == nil {
		return string(addr), nil
	}
	addr, err := resolveListen(listen)
	if err != nil {
		return "", err
	}
	exe := howdahExecutable
	if exe == "" {
		if exe, err = os.Executable(); err != nil {
			return "", err
		}
	}
	logPath := filepath.Join(dir, demoServeLog)
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return "", err
	}
	defer logFile.Close()
	cmd := exec.Command(exe, "serve", "--db", dbURL, "--listen", addr, "--anon-role", demoWebRole)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// In the environment, not on the command line, where ps would show it.
	cmd.Env = append(os.Environ(), "HOWDAH_JWT_SECRET="+secret)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // outlives this command and its terminal
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("start howdah serve: %w", err)
	}
	pid := cmd.Process.Pid
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := ready(ctx, addr)
		if err == nil {
			break
		}
		select {
		case werr := <-exited:
			return "", fmt.Errorf("howdah serve exited (%v); its log is %s", werr, logPath)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGTERM)
			return "", fmt.Errorf("howdah serve is not ready after 15 s (%v); its log is %s", err, logPath)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, demoServePID), []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		return "", err
	}
	return addr, os.WriteFile(filepath.Join(dir, demoServeAddr), []byte(addr), 0o644)
}

// stopDemoServer stops the demo's sidecar, if one runs, and waits for it to exit.
func stopDemoServer(dir string) (bool, error) {
	pid := demoServerPID(dir)
	defer os.Remove(filepath.Join(dir, demoServePID))
	if pid <= 0 {
		return false, nil
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return false, nil
	}
	for i := 0; i < 100 && syscall.Kill(pid, 0) == nil; i++ {
		time.Sleep(100 * time.Millisecond)
	}
	if syscall.Kill(pid, 0) == nil {
		return true, fmt.Errorf("howdah serve (pid %d) did not stop within 10 s", pid)
	}
	return true, nil
}

// demoServerPID is the pid of the running demo sidecar, or 0.
func demoServerPID(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, demoServePID))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 || syscall.Kill(pid, 0) != nil {
		return 0
	}
	return pid
}

// resolveListen turns a port 0 into a free port, so the address can be printed.
func resolveListen(listen string) (string, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("--listen %q: %w", listen, err)
	}
	if port != "0" {
		return listen, nil
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return "", fmt.Errorf("--listen %q: %w", listen, err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func ready(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/readyz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return errors.New(resp.Status)
	}
	return nil
}

// demoSecret returns the demo's JWT secret, making it on first use.
func demoSecret(dir string) (string, error) {
	path := filepath.Join(dir, demoServeSecret)
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 32 {
		return strings.TrimSpace(string(b)), nil
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	secret := base64.RawURLEncoding.EncodeToString(raw[:])
	return secret, os.WriteFile(path, []byte(secret+"\n"), 0o600)
}

// demoToken is a token for role, valid for 30 days, signed with the demo's secret.
func demoToken(secret, role string) (string, error) {
	return jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"role": role,
		"exp": time.Now().Add(30 * 24 * time.Hour).Unix()}).SignedString([]byte(secret))
}

// demoOperatorSQL makes the demo's operator role (idempotent).
const demoOperatorSQL = `DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'howdah_demo_operator') THEN
        CREATE ROLE howdah_demo_operator NOLOGIN;
    END IF;
END $$;
GRANT howdah_demo_web TO howdah_demo_operator;
GRANT USAGE ON SCHEMA howdah_queue TO howdah_demo_operator;
GRANT SELECT, INSERT, UPDATE, DELETE ON howdah_queue.jobs, howdah_queue.schedules TO howdah_demo_operator;
GRANT USAGE ON SEQUENCE howdah_queue.jobs_id_seq TO howdah_demo_operator;
-- The advisor's reader and scanner grants (docs/advisor.md, Privileges), so that the dashboard's
-- home page, Bottlenecks, Scan now and simulations work for the operator; pg_read_all_stats to see
-- the seeded workload's statements, and SELECT on the seed's tables to plan them in a simulation.
DO $$
BEGIN
    IF pg_catalog.to_regnamespace('howdah_advisor') IS NOT NULL THEN
        GRANT USAGE ON SCHEMA howdah_advisor TO howdah_demo_operator;
        GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA howdah_advisor TO howdah_demo_operator;
        GRANT EXECUTE ON FUNCTION howdah_advisor.bottlenecks(integer, bigint), howdah_advisor.query_detail(bigint, bigint),
            howdah_advisor.ask(text, bigint), howdah_advisor.scan, howdah_advisor.prune, howdah_advisor.simulate TO howdah_demo_operator;
        GRANT pg_read_all_stats TO howdah_demo_operator;
    END IF;
    IF pg_catalog.to_regnamespace('advisor_seed') IS NOT NULL THEN
        GRANT USAGE ON SCHEMA advisor_seed TO howdah_demo_operator;
        GRANT SELECT ON ALL TABLES IN SCHEMA advisor_seed TO howdah_demo_operator;
    END IF;
END $$;`
