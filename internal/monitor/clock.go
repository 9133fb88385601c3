package monitor

import "time"

// SetClock replaces the platform clock (time.Now by default), which decides
// offline, receive-time checks, snapshot timing and delivery retries. A
// simulation runs the platform on its simulated time; call it before Run.
func (s *Service) SetClock(now func() time.Time) { s.now = now }
