package sheet_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that reading (whose XLSX parser runs on its own
// goroutine) leaves no goroutine behind, also when a callback stops early.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
