package tests

import (
	"bufio"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds the jiaotong command once per test run.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "jiaotong-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "jiaotong")
		out, err := exec.Command("go", "build", "-o", binPath, "../cmd/jiaotong").CombinedOutput()
		if err != nil {
			buildErr = err
			binPath = string(out)
		}
	})
	if buildErr != nil {
		t.Fatalf("build jiaotong: %v\n%s", buildErr, binPath)
	}
	return binPath
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestIntegrationServeAndSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	httpAddr := freeAddr(t)
	cmd := exec.Command(binary(t), "serve", "--data-dir", t.TempDir(), "--http", httpAddr, "--jt808", freeAddr(t))
	cmd.Env = append(os.Environ(), "JIAOTONG_ADMIN_PASSWORD=", "JIAOTONG_LOG_FORMAT=json")
	stdout, _ := cmd.StdoutPipe()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	// The first lines on stdout say where the console is and how to log in.
	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var printed []string
	deadline := time.After(60 * time.Second)
	for !strings.Contains(strings.Join(printed, "\n"), "API:") {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("jiaotong exited early:\n%s\n%s", strings.Join(printed, "\n"), stderr.String())
			}
			printed = append(printed, l)
		case <-deadline:
			t.Fatalf("no start-up banner:\n%s", stderr.String())
		}
	}
	out := strings.Join(printed, "\n")
	for _, want := range []string{"http://" + httpAddr + "/", "administrator: admin / "} {
		if !strings.Contains(out, want) {
			t.Errorf("banner lacks %q:\n%s", want, out)
		}
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("after SIGTERM jiaotong exited with %v\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("jiaotong did not stop within 30 s of SIGTERM")
	}
	if !strings.Contains(stderr.String(), "jiaotong stopped") {
		t.Errorf("no shutdown log line:\n%s", stderr.String())
	}
}

func TestCheckConfigReportsEveryProblem(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	cmd := exec.Command(binary(t), "serve", "--check-config", "--http", "nowhere", "--log-level", "loud", "--postgres", "mysql://x")
	cmd.Env = append(os.Environ(), "JIAOTONG_LOCKOUT_FOR=soon")
	out, err := cmd.CombinedOutput()
	if exitErr, ok := err.(*exec.ExitError); !ok || exitErr.ExitCode() != 2 {
		t.Fatalf("want exit code 2, got %v:\n%s", err, out)
	}
	for _, want := range []string{"JIAOTONG_LOCKOUT_FOR", "http:", "log-level:", "postgres:"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output does not mention %s:\n%s", want, out)
		}
	}
	out, err = exec.Command(binary(t), "serve", "--check-config", "--postgres", "postgres://u:hunter2@db/x").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "configuration OK") || strings.Contains(string(out), "hunter2") {
		t.Errorf("valid config: %v\n%s", err, out)
	}
}

func TestJT808DecodeCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	good := "7e0200002e094027587492000a000000010000000a03083db7001329f3000000140000130412164952010400000012360a0002341502cb0c20085c107e"
	badCheck := "7e000200000000000000000001017e"
	input := "# captured at the depot\n" + good + "\n\nnot hex\n" + badCheck + "\n"
	cmd := exec.Command(binary(t), "jt808", "decode")
	cmd.Stdin = strings.NewReader(input)
	out, err := cmd.Output()
	if exitErr, ok := err.(*exec.ExitError); !ok || exitErr.ExitCode() != 1 {
		t.Fatalf("with failing frames want exit status 1, got %v", err)
	}
	var frames []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("output line is not one JSON object: %q", line)
		}
		frames = append(frames, m)
	}
	if len(frames) != 3 {
		t.Fatalf("%d objects for 3 frames:\n%s", len(frames), out)
	}
	body, _ := frames[0]["body"].(map[string]any)
	if frames[0]["msg_id"] != "0x0200" || frames[0]["error"] != nil || body["time"] != "2013-04-12T16:49:52+08:00" ||
		body["longitude"] != -1.255923 || body["latitude"] != 50.871735 {
		t.Errorf("position frame decoded as %v", frames[0])
	}
	if e, _ := frames[1]["error"].(string); !strings.Contains(e, "hex") {
		t.Errorf("a non-hex line gives error %q", e)
	}
	if e, _ := frames[2]["error"].(string); !strings.Contains(e, "check code") {
		t.Errorf("a bad check code gives error %q", e)
	}

	// Frames as arguments, all good: exit status 0.
	out, err = exec.Command(binary(t), "jt808", "decode", good).Output()
	if err != nil || !strings.Contains(string(out), `"emergency"`) {
		t.Errorf("decode %s: %v\n%s", good, err, out)
	}
}
