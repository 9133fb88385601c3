package gateway_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jiaotong-platform/jiaotong/internal/demo"
	"github.com/jiaotong-platform/jiaotong/internal/gateway"
	"github.com/jiaotong-platform/jiaotong/internal/platform/bus/bustest"
	"github.com/jiaotong-platform/jiaotong/internal/protocol/jt808"
	"github.com/jiaotong-platform/jiaotong/internal/registry"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// jiaotongBinary builds cmd/jiaotong once per test binary, or returns
// JIAOTONG_TEST_BINARY when set (a binary built elsewhere, e.g. from a clean
// export of a commit).
func jiaotongBinary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("JIAOTONG_TEST_BINARY"); p != "" {
		return p
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "jiaotong-gw-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "jiaotong")
		out, err := exec.Command("go", "build", "-o", binPath, "../../cmd/jiaotong").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("%v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatalf("build jiaotong: %v", buildErr)
	}
	return binPath
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// serverProcess runs `jiaotong serve` on dataDir until stopped.
type serverProcess struct {
	cmd   *exec.Cmd
	jt808 string
	done  chan struct{} // closed when the process has exited
	err   error         // its exit status, once done
}

func (p *serverProcess) wait() error { <-p.done; return p.err }

func startServer(t testing.TB, dataDir string, extra ...string) *serverProcess {
	t.Helper()
	jaddr := freeAddr(t)
	args := append([]string{"serve", "--data-dir", dataDir, "--http", freeAddr(t), "--jt808", jaddr}, extra...)
	cmd := exec.Command(jiaotongBinary(t), args...)
	cmd.Env = append(os.Environ(), "JIAOTONG_ADMIN_PASSWORD=Adm1n-Secret-2026", "JIAOTONG_LOG_LEVEL=warn")
	if os.Getenv("JIAOTONG_TEST_LOG") == "1" {
		cmd.Stderr = os.Stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serverProcess{cmd: cmd, jt808: jaddr, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-p.done })
	deadline := time.Now().Add(90 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", jaddr, time.Second)
		if err == nil {
			c.Close()
			return p
		}
		select {
		case <-p.done:
			t.Fatalf("jiaotong serve exited during start-up: %v", p.err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway of the server process never listened: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestIntegrationAcknowledgedPositionsSurviveKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the platform binary")
	}
	dataDir := t.TempDir()
	srv := startServer(t, dataDir, "--demo")
	ds := demo.Generate(demo.DefaultSeed)

	type sent struct {
		phone string
		k     int
	}
	var (
		mu    sync.Mutex
		acked []sent
		wg    sync.WaitGroup
	)
	const terminals = 4
	enough := make(chan struct{})
	var enoughOnce sync.Once
	for i := range terminals {
		v := ds.Vehicles[i]
		ver := []jt808.Version{jt808.V2013, jt808.V2019, jt808.V2011, jt808.V2013}[i]
		tm := dialTerminal(t, srv.jt808, v.TerminalPhone, ver)
		tm.login(v.Plate)
		phone := registry.NormalizeTerminalPhone(v.TerminalPhone)
		bySerial := map[uint16]int{}
		var smu sync.Mutex
		wg.Add(2)
		go func() { // writer: pipelines reports until the server dies
			defer wg.Done()
			for k := 0; ; k++ {
				f, serial := tm.frame(location(k, time.Now()))
				smu.Lock()
				bySerial[serial] = k
				smu.Unlock()
				_ = tm.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
				if _, err := tm.c.Write(f); err != nil {
					return
				}
				if k%50 == 49 {
					time.Sleep(time.Millisecond)
				}
			}
		}()
		go func() { // reader: records what the server acknowledged
			defer wg.Done()
			for {
				_, body, err := tm.tryNext(30 * time.Second)
				if err != nil {
					return
				}
				r, ok := body.(*jt808.PlatformResponse)
				if !ok || r.ReplyID != jt808.MsgLocation || r.Result != jt808.ResultOK {
					continue
				}
				smu.Lock()
				k := bySerial[r.ReplySerial]
				smu.Unlock()
				mu.Lock()
				acked = append(acked, sent{phone, k})
				if len(acked) >= 4000 {
					enoughOnce.Do(func() { close(enough) })
				}
				mu.Unlock()
			}
		}()
	}
	select {
	case <-enough:
	case <-time.After(60 * time.Second):
		t.Fatal("the server acknowledged fewer than 4000 positions in a minute")
	}
	if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = srv.wait()
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	t.Logf("%d positions acknowledged before kill -9", len(acked))

	// Restart on the same data dir, then stop it cleanly and read the log.
	again := startServer(t, dataDir)
	_ = again.cmd.Process.Signal(syscall.SIGTERM)
	if err := again.wait(); err != nil {
		t.Fatalf("restarted server: %v", err)
	}
	b := bustest.StartEmbeddedAt(t, filepath.Join(dataDir, "jetstream"))
	stored := storedPositions(t, b, gateway.DefaultConfig().Stream)
	have := map[sent]bool{}
	for _, p := range stored {
		have[sent{p.Phone, int(p.Speed) - 400}] = true
	}
	var lost []sent
	for _, a := range acked {
		if !have[a] {
			lost = append(lost, a)
		}
	}
	if len(lost) > 0 {
		t.Fatalf("%d of %d acknowledged positions are missing after kill -9, e.g. %v", len(lost), len(acked), lost[:min(5, len(lost))])
	}
}
