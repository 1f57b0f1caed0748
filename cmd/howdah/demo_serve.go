package main

import (
	"context"
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
)

// The demo's sidecar runs as a background `howdah serve` process whose pid, address and log
// live beside the demo cluster, so that `howdah demo --stop` can find it again.
const (
	demoServePID  = "serve.pid"
	demoServeAddr = "serve.addr"
	demoServeLog  = "serve.log"
	demoWebRole   = "howdah_demo_web" // made by demo_seed.sql
	// demoAuthenticator is the login role of the demo's sidecar: NOINHERIT, it can only switch
	// into demoWebRole, as docs/sidecar.md recommends (never a superuser).
	demoAuthenticator = "howdah_demo_authenticator"
)

// howdahExecutable is the binary the demo runs `serve` with; empty means this one. Tests set it.
var howdahExecutable string

// startDemoServer starts `howdah serve` for the demo database unless the one started before
// still answers, and returns its address.
func startDemoServer(ctx context.Context, dir, dbURL, listen string) (string, error) {
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
