package main

import (
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress returns the callback a long-running package function reports
// its work to (done of total units), drawing a progress bar on stderr —
// units done / total, elapsed and remaining time — when stderr is a
// terminal, and nil (nothing shown) when it is not, so that logs and pipes
// stay clean. The packages themselves never touch the terminal.
func progress(stderr io.Writer, what string) func(done, total int) {
	f, ok := stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	var bar *progressbar.ProgressBar
	barTotal := -1
	return func(done, total int) {
		if total <= 0 {
			return
		}
		if bar == nil || total != barTotal {
			bar = progressbar.NewOptions(total,
				progressbar.OptionSetWriter(f),
				progressbar.OptionSetDescription(what),
				progressbar.OptionShowCount(),
				progressbar.OptionSetElapsedTime(true),
				progressbar.OptionSetPredictTime(true),
				progressbar.OptionThrottle(100*time.Millisecond),
				progressbar.OptionClearOnFinish(),
				progressbar.OptionSetWidth(30))
			barTotal = total
		}
		bar.Set(done)
		if done >= total {
			bar.Finish()
		}
	}
}

// steps reports the steps of a command made of a few long ones (the
// report, plan compare) to a progress callback.
type steps struct {
	cb          func(done, total int)
	done, total int
}

func newSteps(stderr io.Writer, what string, total int) *steps {
	return &steps{cb: progress(stderr, what), total: total}
}

// step marks one more step done.
func (s *steps) step() {
	if s == nil || s.cb == nil {
		return
	}
	s.done = min(s.done+1, s.total)
	s.cb(s.done, s.total)
}
