package netbox

import "fmt"

// Bounds of what an import reads from files, documented in
// docs/limits.md. The decoders take about 230 bytes for each object
// however short its JSON ("{}" is 2 bytes), and the JSON stays in memory
// while it is decoded.
const (
	// MaxFolderBytes bounds the response files of one --from folder, all
	// together, bytes (256 MiB: the responses of a generated site of about
	// 4,000 racks of 20 servers, the default; of about 3,700 of 24).
	MaxFolderBytes = 256 << 20
	// MaxFolderObjects bounds the objects of the results arrays of the
	// response files of one --from folder, all together (the generated
	// site of 4,000 racks of 20 servers holds 628,038 in its 256 MB;
	// 1,500,000 empty ones, 3 MB, could run out of a 2 GiB address
	// space).
	MaxFolderObjects = 1_000_000
	// MaxOverlayBytes bounds an overlay file, bytes (a model's limit).
	MaxOverlayBytes = 64 << 20
)

// countObjects counts the objects that are elements of an array that is a
// member of the top-level object (a page's results), outside strings,
// adding them to *n; past limit it returns the line and column (bytes,
// 1-based) of the object that passes it, else 0, 0. One pass, no
// allocation. (A newline inside a string is not JSON; the decoder
// refuses such a file.)
func countObjects(data []byte, n *int, limit int) (line, col int) {
	depth := 0
	var k0, k1 byte // the kinds of the first two levels open
	line, lineAt := 1, 0
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '\n':
			line, lineAt = line+1, i+1
		case '"':
			for i++; i < len(data) && data[i] != '"'; i++ {
				if data[i] == '\\' {
					i++
				}
			}
		case '{', '[':
			switch depth {
			case 0:
				k0 = c
			case 1:
				k1 = c
			case 2:
				if c == '{' && k0 == '{' && k1 == '[' {
					if *n++; *n > limit {
						return line, i - lineAt + 1
					}
				}
			}
			depth++
		case '}', ']':
			if depth > 0 {
				depth--
			}
		}
	}
	return 0, 0
}

// tooBigMsg is the message for a file past a byte limit.
func tooBigMsg(what string, limit int) string {
	return fmt.Sprintf("%s more than the limit of %d bytes (%d MiB)", what, limit, limit>>20)
}
