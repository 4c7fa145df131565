package chart

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// BrowserEnv names the environment variable that points at a Chromium (or
// Chrome) binary for PNG output.
const BrowserEnv = "BLACKSTART_CHROMIUM"

// FindBrowser returns the headless browser PNGs are taken with:
// $BLACKSTART_CHROMIUM, else chromium, chromium-browser, google-chrome or
// google-chrome-stable on the PATH.
func FindBrowser() (string, error) {
	if b := os.Getenv(BrowserEnv); b != "" {
		p, err := exec.LookPath(b)
		if err != nil {
			return "", fmt.Errorf("$%s=%s: %v", BrowserEnv, b, err)
		}
		return p, nil
	}
	for _, b := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(b); err == nil {
			return p, nil
		}
	}
	return "", errors.New("PNG output needs headless Chromium, and none is installed (Debian: apt-get install chromium; or set " + BrowserEnv + " to a Chromium or Chrome binary)")
}

// BrowserArgs are the flags every headless run uses: no sandbox (root in
// containers), no GPU, no network chatter, a throw-away profile.
func BrowserArgs(profile string) []string {
	return []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
		"--user-data-dir=" + profile}
}

// Size returns the chart's canvas size in CSS pixels.
func (c *Chart) Size() (w, h int) {
	w, _ = strconv.Atoi(strings.TrimSuffix(c.base.Initialization.Width, "px"))
	h, _ = strconv.Atoi(strings.TrimSuffix(c.base.Initialization.Height, "px"))
	return w, h
}

// Screenshot renders the chart as an offline page in headless browser and
// returns a PNG of it. r must carry the echarts script.
func Screenshot(browser string, c *Chart, r Render) ([]byte, error) {
	r.Offline = true
	dir, err := os.MkdirTemp("", "blackstart-png-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	page := filepath.Join(dir, c.Kind+".html")
	var buf bytes.Buffer
	if err := c.HTML(&buf, r); err != nil {
		return nil, err
	}
	if err := os.WriteFile(page, buf.Bytes(), 0o644); err != nil {
		return nil, err
	}
	shot := filepath.Join(dir, "shot.png")
	w, h := c.Size()
	args := append(BrowserArgs(filepath.Join(dir, "profile")),
		"--window-size="+strconv.Itoa(w+40)+","+strconv.Itoa(h+90),
		"--screenshot="+shot, "file://"+page)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, browser, args...).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%s: %v: %s", browser, err, lastLine(out))
	}
	b, err := os.ReadFile(shot)
	if err != nil {
		return nil, fmt.Errorf("%s wrote no screenshot: %s", browser, lastLine(out))
	}
	return markPNG(b), nil
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}

// pngSignature begins every PNG file; IHDR, 13 bytes of data, is its first
// chunk (33 bytes with the signature).
const pngSignature = "\x89PNG\r\n\x1a\n"

// pngMark is the tEXt chunk markPNG adds: keyword Software, text
// blackstart (PNG 1.2, 11.3.4.3), with its length before and CRC after.
var pngMark = func() []byte {
	data := []byte("tEXtSoftware\x00blackstart")
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)-4))
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(data))
}()

// markPNG adds the tEXt chunk "Software: blackstart" after the IHDR chunk
// of png, so that Wrote knows the file as blackstart's; anything that is
// not a PNG is returned as it is.
func markPNG(png []byte) []byte {
	if len(png) < 33 || string(png[:8]) != pngSignature || string(png[12:16]) != "IHDR" {
		return png
	}
	out := make([]byte, 0, len(png)+len(pngMark))
	out = append(out, png[:33]...)
	out = append(out, pngMark...)
	return append(out, png[33:]...)
}

// Wrote reports whether the file that begins with head is one this
// package writes: a chart page (its title begins "blackstart: "), an
// echarts option (--format option), or a PNG taken by Screenshot (its
// tEXt chunk), so that blackstart may replace it.
func Wrote(head []byte) bool {
	switch {
	case bytes.HasPrefix(head, []byte(pngSignature)):
		return len(head) >= 33+len(pngMark) && bytes.Equal(head[33:33+len(pngMark)], pngMark)
	case bytes.HasPrefix(head, []byte("{\n  \"animation\": ")):
		return true
	}
	return bytes.HasPrefix(bytes.TrimLeft(head, " \t\r\n"), []byte("<!DOCTYPE html>")) && bytes.Contains(head, []byte("<title>blackstart: "))
}
