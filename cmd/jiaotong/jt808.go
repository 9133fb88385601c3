package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/jiaotong-platform/jiaotong/internal/protocol/jt808"
)

const jt808Usage = `usage: jiaotong jt808 decode [HEX ...]

Explains JT/T 808 frames (报文解释器): one JSON object per frame, in order.
With no HEX arguments, reads one hex frame per line from standard input
(blank lines and lines starting with # are skipped). A frame that does not
decode gives an object with an "error" field; the command goes on with the
next frame and exits with status 1 if any frame failed.
`

// jt808Command runs `jiaotong jt808 SUBCOMMAND`.
func jt808Command(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "decode" {
		fmt.Fprint(stderr, jt808Usage)
		return 2
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	failed := false
	explain := func(hexFrame string) error {
		e := jt808.ExplainHex(hexFrame)
		failed = failed || e.Error != ""
		return enc.Encode(e)
	}
	if frames := args[1:]; len(frames) > 0 {
		for _, f := range frames {
			if f == "-h" || f == "--help" {
				fmt.Fprint(stdout, jt808Usage)
				return 0
			}
			if err := explain(f); err != nil {
				fmt.Fprintf(stderr, "jiaotong jt808 decode: %v\n", err)
				return 1
			}
		}
	} else {
		sc := bufio.NewScanner(stdin)
		sc.Buffer(make([]byte, 64*1024), 4<<20) // a 0x0801 photo fragment in hex is large
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			if err := explain(line); err != nil {
				fmt.Fprintf(stderr, "jiaotong jt808 decode: %v\n", err)
				return 1
			}
		}
		if err := sc.Err(); err != nil {
			fmt.Fprintf(stderr, "jiaotong jt808 decode: read input: %v\n", err)
			return 1
		}
	}
	if failed {
		return 1
	}
	return 0
}
