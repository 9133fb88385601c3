package sheet

import "sync"

// prefetchRows is how many rows the XLSX parser may run ahead of the
// callback.
const prefetchRows = 256

// prefetch runs a source on its own goroutine, so parsing the next rows of
// a workbook (the costly part of reading XLSX) overlaps with what the
// callback does with the previous ones: validation, database writes. The
// callback still runs on the caller's goroutine, in order.
type prefetch struct {
	ch     chan fetched
	done   chan struct{}
	wg     sync.WaitGroup
	is1904 bool
}

type fetched struct {
	num   int
	cells []string
	ok    bool
	err   error
}

func newPrefetch(src source) *prefetch {
	p := &prefetch{ch: make(chan fetched, prefetchRows), done: make(chan struct{}), is1904: src.date1904()}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer close(p.ch)
		for {
			num, cells, ok, err := src.next()
			select {
			case p.ch <- fetched{num, cells, ok, err}:
			case <-p.done:
				return
			}
			if !ok || err != nil {
				return
			}
		}
	}()
	return p
}

func (p *prefetch) next() (int, []string, bool, error) {
	f, open := <-p.ch
	if !open {
		return 0, nil, false, nil
	}
	return f.num, f.cells, f.ok, f.err
}

func (p *prefetch) date1904() bool { return p.is1904 }

// stop ends the goroutine and waits for it, so the source can be closed.
func (p *prefetch) stop() {
	close(p.done)
	p.wg.Wait()
}
