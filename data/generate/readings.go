package generate

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
)

// MeteredDevice is a device Readings writes readings of.
type MeteredDevice struct {
	ID     string  // device id
	LevelW float64 // the draw its readings hover below, W, >= 0 (its typical figure)
}

// ReadingsOptions say what Readings writes.
type ReadingsOptions struct {
	StartMS    int64  // time of the first reading, Unix ms, > 0
	IntervalMS int64  // between two readings of a device, ms, >= 1000
	Count      int    // readings per device, >= 1
	Seed       uint64 // seeds the PCG source: same options and model, same bytes
}

// Readings writes power readings of every device as a CSV readings
// file (time,element,power_w), in time order as PDUs export them: at each
// interval, one reading per device. A device draws around a level drawn
// once per device between 45 % and 95 % of its LevelW, with a daily swing of ±10 % (its
// peak at 15:00 UTC), 3 % noise and, one reading in 2,000, a spike of
// +30 %. Times are whole Unix seconds when the interval is whole seconds.
// It returns the number of readings written.
func Readings(w io.Writer, devices []MeteredDevice, o ReadingsOptions) (int, error) {
	if o.StartMS <= 0 || o.IntervalMS < 1000 || o.Count < 1 {
		return 0, fmt.Errorf("readings: start %d ms, interval %d ms, count %d: want start > 0, interval >= 1 s, count >= 1", o.StartMS, o.IntervalMS, o.Count)
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x7265616469)) // "readi"
	level := make([]float64, len(devices))
	for d := range devices {
		level[d] = devices[d].LevelW * (0.45 + 0.5*rng.Float64())
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.WriteString("time,element,power_w\n")
	var buf []byte
	n := 0
	for i := 0; i < o.Count; i++ {
		t := o.StartMS + int64(i)*o.IntervalMS
		day := float64(t%86_400_000) / 86_400_000
		swing := 1 + 0.1*math.Cos(2*math.Pi*(day-15.0/24))
		for d := range devices {
			v := level[d] * swing * (1 + 0.03*rng.NormFloat64())
			if rng.IntN(2000) == 0 {
				v *= 1.3
			}
			buf = buf[:0]
			if t%1000 == 0 {
				buf = strconv.AppendInt(buf, t/1000, 10)
			} else {
				buf = strconv.AppendFloat(buf, float64(t)/1000, 'f', 3, 64)
			}
			buf = append(buf, ',')
			buf = append(buf, devices[d].ID...)
			buf = append(buf, ',')
			buf = strconv.AppendFloat(buf, math.Round(max(v, 0)*10)/10, 'f', -1, 64)
			buf = append(buf, '\n')
			if _, err := bw.Write(buf); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, bw.Flush()
}
